/**
 * Request-body validation against the wire contract. Turns the first schema violation into the Batch error a client
 * expects, naming the property by its dotted path (`virtualMachineConfiguration.imageReference.publisher`):
 * missing → MissingRequiredProperty, unknown → UnsupportedProperty, anything else → InvalidPropertyValue. Enum
 * values are accepted in any casing and returned in their canonical wire spelling.
 *
 * Every string of a body (property names too) must also be fit for a process or a path: no NUL character (C
 * strings, argv and environment blocks end at the first one, so it would cut values short or smuggle in new ones)
 * and no lone UTF-16 surrogate (it has no UTF-8 encoding, so it can reach neither a URL, a file name nor the store
 * intact). Refused once here, with InvalidPropertyValue naming the property, before any handler sees the body.
 */
import { Kind, type TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import { ValueErrorType, type ValueError } from "@sinclair/typebox/value";
import { propertyDetails, serviceError, type ServiceError } from "@openbatch/core";
import { batchEnumKind, type BatchEnumSchema } from "./schema.js";

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checkerFor(schema: TSchema): TypeCheck<TSchema> {
  let checker = compiled.get(schema);
  if (checker === undefined) {
    checker = TypeCompiler.Compile(schema);
    compiled.set(schema, checker);
  }
  return checker;
}

function dotted(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : segment))
    .join(".")
    .replace(/\.\[/g, "[");
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function toServiceError(error: ValueError): ServiceError {
  if (error.type === ValueErrorType.ObjectRequiredProperty) {
    const name = dotted(error.path);
    return serviceError("MissingRequiredProperty", {
      message: `The property '${name}' is required but was not specified in the request body.`,
      values: propertyDetails(name),
    });
  }
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    const name = dotted(error.path);
    return serviceError("UnsupportedProperty", {
      message: `The property '${name}' is not supported by this operation.`,
      values: propertyDetails(name, "Unknown property"),
    });
  }
  const name = dotted(error.path) || "(request body)";
  const schema = error.schema as TSchema & { enum?: readonly string[] };
  const reason = schema[Kind] === batchEnumKind && schema.enum !== undefined
    ? `Expected one of: ${schema.enum.join(", ")}.`
    : error.message;
  return serviceError(name === "(request body)" ? "InvalidRequestBody" : "InvalidPropertyValue", {
    message: `The value provided for the property '${name}' is invalid: ${describeValue(error.value)}. ${reason}`,
    values: propertyDetails(name, reason, error.value),
  });
}

/** The schema violations that name a property the client sent or forgot, most specific first. */
function firstError(checker: TypeCheck<TSchema>, value: unknown): ValueError | undefined {
  let fallback: ValueError | undefined;
  for (const error of checker.Errors(value)) {
    // A union reports its own failure after its members': prefer the member's precise error when there is one.
    if (error.type === ValueErrorType.Union) {
      fallback ??= error;
      continue;
    }
    return error;
  }
  return fallback;
}

/** Rewrites enum values to their canonical spelling, in place. Only called on values that passed validation. */
function canonicalise(schema: TSchema, value: unknown): unknown {
  if (schema[Kind] === batchEnumKind && typeof value === "string") {
    const members = (schema as BatchEnumSchema).enum;
    return members.find((member) => member.toLowerCase() === value.toLowerCase()) ?? value;
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    for (let i = 0; i < value.length; i++) value[i] = canonicalise(schema.items as TSchema, value[i]);
    return value;
  }
  if (value !== null && typeof value === "object" && schema.properties !== undefined) {
    const record = value as Record<string, unknown>;
    for (const [key, propertySchema] of Object.entries(schema.properties as Record<string, TSchema>)) {
      if (Object.hasOwn(record, key)) record[key] = canonicalise(propertySchema, record[key]);
    }
  }
  return value;
}

const nul = "\u0000";
/** With the `u` flag a surrogate pair is one code point, so only unpaired halves match. */
const loneSurrogate = /\p{Surrogate}/u;

/** Why `text` cannot be used, or undefined when it can. */
export function unsafeTextReason(text: string): string | undefined {
  if (text.includes(nul)) return "The value must not contain a NUL character.";
  if (loneSurrogate.test(text)) return "The value must not contain a lone UTF-16 surrogate.";
  return undefined;
}

/** The first string (value or property name) in `value` that `unsafeTextReason` refuses, with its dotted path. */
function firstUnsafeString(value: unknown, path: string): { path: string; reason: string; value: string } | undefined {
  if (typeof value === "string") {
    const reason = unsafeTextReason(value);
    return reason === undefined ? undefined : { path, reason, value };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstUnsafeString(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const name = path === "" ? key : `${path}.${key}`;
      const keyReason = unsafeTextReason(key);
      if (keyReason !== undefined) return { path: name, reason: keyReason, value: key };
      const found = firstUnsafeString(item, name);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** A value quoted for an error message; JSON escapes NUL and lone surrogates, so it can travel as UTF-8. */
function visible(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

/**
 * Validates a parsed JSON body against a wire model. Returns the body with canonical enum spellings, or throws a
 * ServiceError (400) naming the offending property. `anyStrings` skips the NUL and lone-surrogate check, for
 * messages that only report facts (an agent's failure messages quote what a storage service or a process said).
 */
export function validateBody<T>(schema: TSchema, body: unknown, options: { readonly anyStrings?: boolean } = {}): T {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw serviceError("InvalidRequestBody", {
      message: "The request body must be a JSON object.",
      values: [{ key: "Reason", value: "The request body must be a JSON object." }],
    });
  }
  const checker = checkerFor(schema);
  if (!checker.Check(body)) {
    const error = firstError(checker, body);
    throw error === undefined ? serviceError("InvalidRequestBody") : toServiceError(error);
  }
  const unsafe = options.anyStrings === true ? undefined : firstUnsafeString(body, "");
  if (unsafe !== undefined) {
    // The value goes back with its unusable characters escaped: a lone surrogate cannot be sent as UTF-8 either.
    const shown = visible(unsafe.value);
    throw serviceError("InvalidPropertyValue", {
      message: `The value provided for the property '${unsafe.path}' is invalid: ${shown}. ${unsafe.reason}`,
      values: propertyDetails(unsafe.path, unsafe.reason, shown),
    });
  }
  return canonicalise(schema, body) as T;
}
