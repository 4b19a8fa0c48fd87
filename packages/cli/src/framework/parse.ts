/**
 * Flag values as az writes them: space-separated `key=value` lists, `filename=httpurl` resource files,
 * `id[#version]` application packages, `publisher:offer:sku[:version]` images, ISO-8601 durations and times.
 * Every parser throws commander's InvalidArgumentError, which names the flag and exits 2.
 */
import { InvalidArgumentError } from "commander";
import { parseDuration } from "@openbatch/core";

export function wholeNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError("must be a whole number (0 or more).");
  return parsed;
}

export function integer(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isInteger(parsed)) throw new InvalidArgumentError("must be a whole number.");
  return parsed;
}

export function positiveSeconds(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError("must be a number of seconds greater than 0.");
  return parsed;
}

export function duration(value: string): string {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError("must be an ISO-8601 duration such as PT15M or P1D.");
  return value;
}

export function dateTime(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError("must be an ISO-8601 date-time such as 2024-03-05T10:00:00Z.");
  }
  return value;
}

/** Accumulates a variadic flag's values (commander hands them one by one). */
function accumulate<T>(parse: (value: string) => T): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [...(previous ?? []), parse(value)];
}

function pair(value: string, what: string, example: string): [string, string] {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError(`'${value}' is not in the format ${example} (${what}).`);
  return [value.slice(0, at), value.slice(at + 1)];
}

export const nameValues = accumulate((value) => {
  const [name, setting] = pair(value, "name=value pairs, space-separated", "a=b c=d");
  return { name, value: setting };
});

export const resourceFiles = accumulate((value) => {
  const [filePath, httpUrl] = pair(value, "resource files, space-separated", "filename=httpurl");
  return { filePath, httpUrl };
});

export const applicationPackageReferences = accumulate((value) => {
  const at = value.indexOf("#");
  return at < 0 ? { applicationId: value } : { applicationId: value.slice(0, at), version: value.slice(at + 1) };
});

export const certificateReferences = accumulate((thumbprint: string) => ({ thumbprint, thumbprintAlgorithm: "sha1" }));

export const strings = accumulate((value: string) => value);

export function imageReference(value: string): { publisher: string; offer: string; sku: string; version?: string } {
  const parts = value.split(":");
  if (parts.length < 3 || parts.length > 4 || parts.some((part) => part === "")) {
    throw new InvalidArgumentError("must be publisher:offer:sku[:version], e.g. canonical:0001-com-ubuntu-server-jammy:22_04-lts.");
  }
  const [publisher, offer, sku, version] = parts as [string, string, string, string | undefined];
  return { publisher, offer, sku, ...(version === undefined ? {} : { version }) };
}

/** Drops the undefined fields of a body built from flags, so that only what was given is sent. */
export function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  const result: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) result[key] = field;
  return result as Partial<T>;
}

/** `compact`, or undefined when nothing is left (a nested object none of whose flags were given). */
export function section<T extends Record<string, unknown>>(value: T): Partial<T> | undefined {
  const result = compact(value);
  return Object.keys(result).length === 0 ? undefined : result;
}
