/**
 * What a failed PostgreSQL call means for the store: a transaction to run again, a database that cannot be
 * reached right now (StoreError `unavailable`), or anything else (a bug or bad data: passed on as it is).
 */
import { StoreError } from "../store.js";

/** SQLSTATEs of a transaction that lost a conflict and may simply be run again. */
const retryableStates = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
]);

/** Socket errors of a connection that could not be made or broke. */
const socketErrors = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ENOENT"]);

/** A serialization failure or deadlock inside a transaction: the store rolls back and runs the body again. */
export class RetryableConflict extends Error {
  override readonly name = "RetryableConflict";
  constructor(cause: unknown) {
    super(`The transaction conflicted with another: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

export function isRetryable(error: unknown): boolean {
  return error instanceof RetryableConflict || retryableStates.has(sqlState(error) ?? "");
}

/**
 * Connection failures: refused or broken sockets, connection-class SQLSTATEs (08…), the server shutting down,
 * crashing or starting up (57P01–57P03), too many connections (53300), and the driver's own messages for a
 * connection that ended or timed out.
 */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreError) return error.kind === "unavailable";
  const code = sqlState(error);
  if (code !== undefined && (code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || code === "53300" || socketErrors.has(code))) return true;
  const message = error instanceof Error ? error.message : "";
  return /Connection terminated|connection (error|timeout)|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(message);
}

/** The error a transaction body sees for a failed call: a retry marker, a StoreError, or the error itself. */
export function classify(error: unknown): unknown {
  if (error instanceof StoreError || error instanceof RetryableConflict) return error;
  if (isRetryable(error)) return new RetryableConflict(error);
  if (isUnavailable(error)) return unavailable(error);
  return error;
}

export function unavailable(cause: unknown): StoreError {
  return new StoreError("unavailable", `The database is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
}
