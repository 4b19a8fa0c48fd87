/** Helpers for composing wire models out of shared property objects. */
import { Type, type TOptional, type TProperties, type TSchema } from "@sinclair/typebox";

/** `T` with every property optional (an already optional property stays as it is). */
export type PartialProperties<T extends TProperties> = {
  [K in keyof T]: T[K] extends TOptional<TSchema> ? T[K] : TOptional<T[K]>;
};

/**
 * Wraps every property of `properties` in `Type.Optional`. Used for the response entities (CloudPool, CloudJob, …),
 * which echo the request properties but may be partial (`$select`).
 */
export function partialProperties<T extends TProperties>(properties: T): PartialProperties<T> {
  const result: TProperties = {};
  for (const [key, schema] of Object.entries(properties)) {
    result[key] = Type.Optional(schema);
  }
  return result as PartialProperties<T>;
}
