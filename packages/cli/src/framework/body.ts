/** Request bodies: the --json-file as given, or one built from the flags (az's two ways to say the same thing). */
import { UsageError } from "./errors.js";
import type { Invocation } from "./leaf.js";

const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** The --json-file's object (the REST body of `operation`), or undefined without one. */
export function jsonFileBody<T>(invocation: Invocation, operation: string): T | undefined {
  const json = invocation.jsonFile();
  if (json === undefined) return undefined;
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new UsageError(`--json-file must hold one JSON object, the request body of ${operation}.`);
  }
  return json as T;
}

/** The --json-file's object (the REST body of `operation`), or `build()` from the flags. */
export function requestBody<T>(invocation: Invocation, operation: string, build: () => T): T {
  return jsonFileBody<T>(invocation, operation) ?? build();
}

/** Throws az's message for flags the body cannot do without (only when no --json-file was given). */
export function requireOptions(invocation: Invocation, ...names: string[]): void {
  const missing = names.filter((name) => invocation.options[name] === undefined || invocation.options[name] === "");
  if (missing.length > 0) {
    throw new UsageError(`the following arguments are required: ${missing.map((name) => `--${kebab(name)}`).join(", ")} (or give the whole body with --json-file)`);
  }
}

/** Flags read as a typed record. */
export function flags<T>(invocation: Invocation): T {
  return invocation.options as T;
}
