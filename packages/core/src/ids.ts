/**
 * Identifier rules shared by every resource.
 *
 * Pool, job, job-schedule, task and job-manager/preparation/release task ids: letters, digits, `-` and `_`, 1–64
 * characters. Ids are case-preserving but case-insensitive: the store keys every row by `idKey(id)` and keeps the id
 * as given for display, so `MyPool` and `mypool` collide and both find the same pool.
 */
import { limits } from "./limits.js";
import { propertyDetails, serviceError } from "./serviceError.js";

const idPattern = /^[A-Za-z0-9_-]+$/;

/** The case-folded key under which an id is stored and looked up. */
export function idKey(id: string): string {
  return id.toLowerCase();
}

/** Why `id` is not a valid resource id, or undefined when it is. */
export function idProblem(id: unknown, maxLength: number = limits.idMaxLength): string | undefined {
  if (typeof id !== "string") return "The id must be a string.";
  if (id.length === 0) return "The id must not be empty.";
  if (id.length > maxLength) return `The id must be at most ${maxLength} characters long.`;
  if (!idPattern.test(id)) return "The id may contain only letters, digits, hyphens and underscores.";
  return undefined;
}

/** Throws 400 InvalidPropertyValue naming `propertyName` unless `id` is valid. */
export function assertValidId(id: unknown, propertyName = "id", maxLength: number = limits.idMaxLength): asserts id is string {
  const problem = idProblem(id, maxLength);
  if (problem !== undefined) {
    throw serviceError("InvalidPropertyValue", {
      message: `The value provided for the property '${propertyName}' is invalid. ${problem}`,
      values: propertyDetails(propertyName, problem, id),
    });
  }
}
