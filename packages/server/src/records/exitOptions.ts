/**
 * Which exit options apply to a task that has just completed (semantics.md §3), evaluated once, after retries:
 * 1. an exit code matches `exitCodes[].code`, else the first `exitCodeRanges[]` holding it (inclusive), else
 *    `default` when it is not 0, else the built-in success options;
 * 2. a pre-processing error (resource files, packages, launch) takes `preProcessingError`, else `default`;
 * 3. a file-upload error takes an explicit mapping of the exit code if one matched, else `fileUploadError`, else
 *    `default`.
 * Options left out take the defaults: `jobAction` none for success, terminate otherwise; `dependencyAction` satisfy
 * for success, block otherwise. A task ended by a request rather than by its run (`endedByRequest`) met no exit
 * condition: no job action (docs/compatibility.md). Pure.
 */
import type { DependencyAction, ExitConditions, ExitOptions, JobAction } from "@openbatch/protocol";

export interface ResolvedExitOptions {
  readonly jobAction: JobAction;
  readonly dependencyAction: DependencyAction;
}

/** How a task's last run ended, as far as exit conditions care. */
export interface RunEnding {
  readonly exitCode?: number;
  readonly error?: "preProcessing" | "fileUpload" | "other";
}

/**
 * The options of a task ended by a request — Terminate Task, its job ended or disabled with `terminate`, its node
 * removed or restarted with `terminate` — rather than by how its run ended: none of the exit conditions (exit code,
 * pre-processing error, file upload error) describes it, so `onTaskFailure` takes no job action, as the service
 * keeps the job active (docs/compatibility.md); its dependants follow `default` (block unless it says satisfy).
 */
export function endedByRequest(conditions: ExitConditions | undefined): ResolvedExitOptions {
  return { jobAction: "none", dependencyAction: conditions?.default?.dependencyAction ?? "block" };
}

const successDefaults: ResolvedExitOptions = { jobAction: "none", dependencyAction: "satisfy" };
const failureDefaults: ResolvedExitOptions = { jobAction: "terminate", dependencyAction: "block" };

function withDefaults(options: ExitOptions | undefined, defaults: ResolvedExitOptions): ResolvedExitOptions {
  return { jobAction: options?.jobAction ?? defaults.jobAction, dependencyAction: options?.dependencyAction ?? defaults.dependencyAction };
}

function explicitMapping(conditions: ExitConditions | undefined, exitCode: number): ExitOptions | undefined {
  const exact = conditions?.exitCodes?.find((mapping) => mapping.code === exitCode);
  if (exact !== undefined) return exact.exitOptions;
  return conditions?.exitCodeRanges?.find((range) => range.start <= exitCode && exitCode <= range.end)?.exitOptions;
}

export function resolveExitOptions(conditions: ExitConditions | undefined, ending: RunEnding): ResolvedExitOptions {
  const mapped = ending.exitCode === undefined ? undefined : explicitMapping(conditions, ending.exitCode);
  if (ending.error === "preProcessing") return withDefaults(conditions?.preProcessingError ?? conditions?.default, failureDefaults);
  if (ending.error === "fileUpload") return withDefaults(mapped ?? conditions?.fileUploadError ?? conditions?.default, failureDefaults);
  if (ending.error === "other") return withDefaults(conditions?.default, failureDefaults);
  const succeeded = ending.exitCode === 0;
  if (mapped !== undefined) return withDefaults(mapped, succeeded ? successDefaults : failureDefaults);
  return succeeded ? successDefaults : withDefaults(conditions?.default, failureDefaults);
}

/**
 * Classifies a run's end by its failure code: uploads fail as `FileUpload…` (§10.2), a task ended by request or by
 * its wall clock as `TaskEnded`; every other failure happened before the command line ran (§2.2, §2.4).
 */
export function runEnding(exitCode: number | undefined, failureCode: string | undefined): RunEnding {
  const code = exitCode === undefined ? {} : { exitCode };
  if (failureCode === undefined) return code;
  if (failureCode.startsWith("FileUpload")) return { ...code, error: "fileUpload" };
  if (failureCode === "TaskEnded") return { ...code, error: "other" };
  return { ...code, error: "preProcessing" };
}
