/**
 * How the command fails: one exit code per kind of failure, so that a script can branch on it, and one line on
 * stderr a person can act on. The codes follow az's: 0 success, 1 a request or the work failed, 2 the command line
 * or an input file is wrong (nothing was sent), 3 the resource does not exist; 130 after Ctrl-C.
 */
import { CreateTasksError, WaitFailedError, WaitTimeoutError, isBatchError, type BatchError } from "@openbatch/client";
import { CommanderError } from "commander";

export const exitCodes = { ok: 0, failed: 1, usage: 2, notFound: 3, interrupted: 130 } as const;

/** A mistake in the command line or an input file, found before anything was sent. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The work itself failed (tasks failed, a node went unusable): the command's output says what; exit 1. */
export class WorkFailedError extends Error {
  override readonly name = "WorkFailedError";
  constructor(
    message: string,
    /** What the command would have printed had the work succeeded (it still is, before the error). */
    readonly result?: unknown,
  ) {
    super(message);
  }
}

export interface ConnectionHint {
  readonly endpoint: string;
  /** Where the key came from, for the hint after an authentication failure. */
  readonly keySource: string;
  readonly accountSource: string;
}

function describeBatchError(error: BatchError, hint: ConnectionHint | undefined): string {
  const code = error.code;
  if (error.statusCode === undefined) {
    const where = hint === undefined ? "the server" : `the server at ${hint.endpoint}`;
    const refused = code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN";
    return refused
      ? `cannot reach ${where} (${code}). Is it running? Start one with \`npx openbatch serve\`, or give --endpoint.`
      : `the request to ${where} failed: ${error.message}${code === undefined ? "" : ` (${code})`}`;
  }
  const message = error.message.split("\nRequestId:")[0] ?? error.message;
  const details = error.values
    .filter((detail) => detail.key !== undefined && detail.value !== undefined)
    .map((detail) => `${detail.key}: ${detail.value}`);
  let text = `(${code ?? `HTTP ${error.statusCode}`}) ${message}`;
  if (details.length > 0) text += `\n${details.join("\n")}`;
  if (code === "AuthenticationFailed" && hint !== undefined) {
    text += `\nThe account name came from ${hint.accountSource} and the key from ${hint.keySource}; check them with \`openbatch config show\`.`;
  }
  return text;
}

/** The message to print and the exit code for an error that ended the command. */
export function describeFailure(error: unknown, hint?: ConnectionHint): { message: string | undefined; exitCode: number } {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already.
    const helpOrVersion = error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help";
    return { message: undefined, exitCode: helpOrVersion ? exitCodes.ok : exitCodes.usage };
  }
  if (error instanceof UsageError) return { message: error.message, exitCode: exitCodes.usage };
  if (error instanceof WorkFailedError) return { message: error.message, exitCode: exitCodes.failed };
  if (isBatchError(error)) {
    return { message: describeBatchError(error, hint), exitCode: error.statusCode === 404 ? exitCodes.notFound : exitCodes.failed };
  }
  if (error instanceof CreateTasksError) {
    const failures = error.failures.map((failure) => `  ${failure.taskId}: (${failure.error?.code ?? failure.status}) ${failure.error?.message?.value ?? ""}`.trimEnd());
    const cause = error.errors[0];
    const lines = [`${error.failures.length} task(s) were refused and ${error.pendingTasks.length} not submitted.`, ...failures.slice(0, 20)];
    if (failures.length > 20) lines.push(`  … and ${failures.length - 20} more`);
    if (cause !== undefined) lines.push(describeFailure(cause, hint).message ?? String(cause));
    return { message: lines.join("\n"), exitCode: exitCodes.failed };
  }
  if (error instanceof WaitTimeoutError) return { message: `${error.message}.`, exitCode: exitCodes.failed };
  if (error instanceof WaitFailedError) return { message: `${error.message}.`, exitCode: exitCodes.failed };
  return { message: error instanceof Error ? error.message : String(error), exitCode: exitCodes.failed };
}
