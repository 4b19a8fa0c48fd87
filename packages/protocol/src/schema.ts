/**
 * Schema building blocks for the wire contract. Every model is a TypeBox schema, so one definition gives both the
 * TypeScript type (`Static<typeof X>`) and runtime validation (`validateBody`).
 *
 * Wire rules encoded here (rest-api.md §1.4):
 * - enums are lower/camel-case strings on the wire but accepted case-insensitively; `validateBody` rewrites them
 *   to their canonical spelling;
 * - date-times are ISO-8601 strings, durations ISO-8601 durations (`PT15M`), never `hh:mm:ss`;
 * - request models refuse unknown properties (`additionalProperties: false`) so nothing is silently dropped.
 */
import {
  FormatRegistry,
  Kind,
  Type,
  TypeRegistry,
  type ObjectOptions,
  type TProperties,
  type TSchema,
  type TUnsafe,
} from "@sinclair/typebox";
import { parseDuration, parseTimestamp } from "@openbatch/core";

export { Type, type Static, type TSchema } from "@sinclair/typebox";

FormatRegistry.Set("date-time", (value) => parseTimestamp(value) !== undefined);
FormatRegistry.Set("duration", (value) => parseDuration(value) !== undefined);

/** The custom TypeBox kind of Batch enums: a string matched case-insensitively against `enum`. */
export const batchEnumKind = "BatchEnum";

export interface BatchEnumSchema extends TSchema {
  [Kind]: typeof batchEnumKind;
  type: "string";
  enum: readonly string[];
}

TypeRegistry.Set<BatchEnumSchema>(batchEnumKind, (schema, value) =>
  typeof value === "string" && schema.enum.some((member) => member.toLowerCase() === value.toLowerCase()),
);

/**
 * A Batch enum: `batchEnum(["active", "completed"] as const)`. Its static type is the union of the wire values;
 * validation accepts any casing and canonicalises it.
 */
export function batchEnum<const T extends readonly string[]>(values: T, description?: string): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({
    [Kind]: batchEnumKind,
    type: "string",
    enum: values,
    ...(description === undefined ? {} : { description }),
  });
}

/** A 32-bit signed integer (`int` in rest-api.md). */
export const Int32 = (options: { minimum?: number; maximum?: number; description?: string } = {}) =>
  Type.Integer({ minimum: -2147483648, maximum: 2147483647, ...options });

/** A 64-bit integer carried as a JSON number (`long`). */
export const Int64 = (options: { description?: string } = {}) => Type.Integer(options);

/** A double (`dbl`). */
export const Double = (options: { description?: string } = {}) => Type.Number(options);

/** An ISO-8601 date-time (`dt`). */
export const DateTime = (options: { description?: string } = {}) => Type.String({ format: "date-time", ...options });

/** An ISO-8601 duration (`dur`), e.g. `PT15M`. */
export const Duration = (options: { description?: string } = {}) => Type.String({ format: "duration", ...options });

/** A free JSON object (`obj`). */
export const AnyObject = (options: { description?: string } = {}) =>
  Type.Record(Type.String(), Type.Unknown(), options);

/** A string → string map (`map`). */
export const StringMap = (options: { description?: string } = {}) => Type.Record(Type.String(), Type.String(), options);

/**
 * A wire model: a closed object whose optional properties are marked with `Type.Optional`.
 * Response-only models are closed too; the server builds them, so the check only guards our own output in tests.
 */
export function model<T extends TProperties>(name: string, properties: T, options: ObjectOptions = {}) {
  return Type.Object(properties, { $id: name, title: name, additionalProperties: false, ...options });
}
