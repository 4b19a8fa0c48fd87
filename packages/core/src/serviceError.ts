/**
 * ServiceError: an expected, client-visible failure carrying a Batch error code. One of the three error families
 * (with internal invariant violations, which become 500s, and the client's RestError); they never mix.
 */
import { errorCatalogue, type ErrorCode } from "./errorCatalogue.js";

/** One `values` entry of the Batch error body. */
export interface ErrorDetail {
  readonly key: string;
  readonly value: string;
}

export interface ServiceErrorOptions {
  /** Overrides the catalogue's default message. */
  readonly message?: string;
  readonly values?: readonly ErrorDetail[];
  /** Overrides the catalogue's status, for the few codes the service sends with more than one status (304). */
  readonly status?: number;
  readonly cause?: unknown;
}

export class ServiceError extends Error {
  override readonly name = "ServiceError";
  readonly code: ErrorCode;
  readonly status: number;
  readonly values: readonly ErrorDetail[];

  constructor(code: ErrorCode, options: ServiceErrorOptions = {}) {
    super(options.message ?? errorCatalogue[code].message, { cause: options.cause });
    this.code = code;
    this.status = options.status ?? errorCatalogue[code].status;
    this.values = options.values ?? [];
  }
}

/** Builds a ServiceError from the catalogue: `serviceError("PoolNotFound")`. */
export function serviceError(code: ErrorCode, options?: ServiceErrorOptions): ServiceError {
  return new ServiceError(code, options);
}

/** Checks `name`, not `instanceof`, so it works across duplicate package copies. */
export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && error.name === "ServiceError" && "code" in error && "status" in error;
}

/** Details naming a request-body property, in the shape the service uses. */
export function propertyDetails(propertyName: string, reason?: string, value?: unknown): ErrorDetail[] {
  const details: ErrorDetail[] = [{ key: "PropertyName", value: propertyName }];
  if (value !== undefined) details.push({ key: "PropertyValue", value: typeof value === "string" ? value : JSON.stringify(value) });
  if (reason !== undefined) details.push({ key: "Reason", value: reason });
  return details;
}

export function assertNever(value: never, what = "value"): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}
