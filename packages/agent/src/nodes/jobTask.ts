/**
 * One run of one job task on a node (a TaskAssignment), from its directories to the exit code, as a ProcessOutcome
 * fact for the server. Retries, requeues and the task's state are the server's business, never this one's.
 *
 * The run: check `taskDirectory` (relative to the node root; absolute paths, `..` segments, NUL and the root itself
 * are refused), create `<taskDirectory>/wd` (refused when links make it end up outside the node root), split the
 * command line, run it in `wd` without a shell, stdout/stderr to `<taskDirectory>/stdout.txt` and `stderr.txt`
 * (truncated), with the environment of processEnvironment.ts plus, later layers winning, `AZ_BATCH_JOB_ID` and
 * `AZ_BATCH_TASK_ID` (from the assignment), the assignment's `environment`, and `AZ_BATCH_TASK_DIR` /
 * `AZ_BATCH_TASK_WORKING_DIR` (absolute), and the assignment's `nodePathEnvironment` made absolute under the node root
 * (e.g. `AZ_BATCH_JOB_PREP_DIR`). `maxWallClockTimeInMs` kills the process group when it expires. The process runs
 * as `runAs` says (its identity's account, in a sandbox: runAs.ts), its working directory given to that account
 * once the resource files are in.
 * The assignment's resource files are downloaded into `wd` first (files/resourceFiles.ts) and its output files
 * uploaded after the process exited, unless it was killed by an abort (files/outputFiles.ts); the run counts as
 * running throughout, as Azure counts it.
 *
 * Outcome mapping (always `state: "completed"`):
 * - the process ran: `exitCode` (128 + signal number when a signal ended it), no `failure`;
 * - a resource file failed: no `exitCode`, `failure` with its Batch code, category and `stage: "preProcessing"`;
 * - an output file upload failed (and nothing failed before): the `exitCode`, `failure` with `stage: "fileUpload"`;
 * - it could not be started: no `exitCode`, `failure` `CommandProgramNotFound` (ENOENT) or `CommandLaunchFailed`
 *   (refused task directory, directory not creatable, bad quote, empty command line, EACCES, …);
 * - `maxWallClockTimeInMs` expired: `exitCode` of the killed process (143 after SIGTERM), `failure` `TaskEnded`
 *   (semantics.md §2.3: Azure ends such a task with error `TaskEnded`; the message names maxWallClockTime);
 * - killed because the server asked (`kill: true`) or the node rebooted, was reimaged or removed (any abort but
 *   AgentStopping): `failure` `TaskEnded` with the abort reason's message, plus the `exitCode` if it had started;
 * - the agent stopped during the run (abort reason AgentStopping): `failure` `AgentRestarted`.
 * Whenever the process ran, `usage` says what its process group used (docs/statistics.md).
 */
import { realpathSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { isAbsolute, join, posix, relative, sep } from "node:path";
import type { Clock } from "@openbatch/core";
import type { ProcessOutcome, TaskAssignment } from "@openbatch/protocol";
import { uploadOutputFiles } from "../files/outputFiles.js";
import { downloadResourceFiles, resourceFileFailure } from "../files/resourceFiles.js";
import { CommandLineError, splitCommandLine } from "../process/commandLine.js";
import { ContainerRunError } from "../containers/containerRun.js";
import { ProcessLaunchError } from "../process/runProcess.js";
import type { NodeLayout } from "./nodeLayout.js";
import { processEnvironment } from "./processEnvironment.js";
import { containerFailure, launchRun, type NodeContainers } from "./processLaunch.js";
import type { RunAs } from "./runAs.js";
import { AgentStopping } from "./agentStopping.js";

export interface JobTaskRun {
  readonly assignment: TaskAssignment;
  readonly layout: NodeLayout;
  /** `DesiredNode.environment`. */
  readonly nodeEnvironment: Readonly<Record<string, string>>;
  readonly systemPath: string;
  /** Who the process runs as, and confined how (runAs.ts). */
  readonly runAs: RunAs;
  readonly signal: AbortSignal;
  readonly clock: Clock;
  readonly killGracePeriodInMs: number;
  /** When the run began (the `running` outcome's startTime). */
  readonly startTime: Date;
  /** Called once the process runs, before it ends, when it runs on this host (a node sandbox's pids are its own). */
  readonly onProcess?: (pid: number) => void;
  /** How this node runs containers (an assignment with `containerSettings` runs in one). */
  readonly containers?: NodeContainers;
}

type Failure = NonNullable<ProcessOutcome["failure"]>;

/** Variables naming node directories, made absolute; a path that would leave the node root is left out. */
function nodePathVariables(root: string, paths: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, path] of Object.entries(paths ?? {})) {
    try {
      variables[name] = resolveTaskDirectory(root, path);
    } catch {
      // The server never sends such a path; a node-escaping one is dropped rather than trusted.
    }
  }
  return variables;
}

export class TaskDirectoryError extends Error {
  override readonly name = "TaskDirectoryError";
}

/**
 * The absolute task directory for `taskDirectory` (relative to the node root, `/`-separated). Throws a
 * TaskDirectoryError for an absolute path, a `..` segment, a NUL, or a path naming the root itself.
 */
export function resolveTaskDirectory(root: string, taskDirectory: string): string {
  if (taskDirectory.includes("\0")) throw new TaskDirectoryError("The task directory contains a NUL character.");
  if (isAbsolute(taskDirectory) || posix.isAbsolute(taskDirectory)) {
    throw new TaskDirectoryError(`The task directory '${taskDirectory}' must be relative to the node root.`);
  }
  const segments = taskDirectory.split(/[/\\]/);
  if (segments.includes("..")) throw new TaskDirectoryError(`The task directory '${taskDirectory}' must not contain '..'.`);
  const normalized = posix.normalize(segments.join("/"));
  if (normalized === "." || normalized === "./" || normalized === "") {
    throw new TaskDirectoryError(`The task directory '${taskDirectory}' names the node root.`);
  }
  return join(root, normalized);
}

function abortFailure(signal: AbortSignal): Failure {
  if (signal.reason instanceof AgentStopping) {
    return { code: "AgentRestarted", category: "servererror", message: "The agent stopped while the task ran; the task was ended." };
  }
  const message = signal.reason instanceof Error ? signal.reason.message : "The task was ended.";
  return { code: "TaskEnded", message };
}

export async function runJobTask(run: JobTaskRun): Promise<ProcessOutcome> {
  const { assignment, layout, signal } = run;
  const startTime = run.startTime.toISOString();
  const completed = (fields: Partial<ProcessOutcome>): ProcessOutcome => ({
    attempt: assignment.attempt,
    state: "completed",
    startTime,
    endTime: run.clock.now().toISOString(),
    ...fields,
  });
  const launchFailed = (message: string): ProcessOutcome => completed({ failure: { code: "CommandLaunchFailed", message } });
  if (signal.aborted) return completed({ failure: abortFailure(signal) });

  let taskDirectory: string;
  try {
    taskDirectory = resolveTaskDirectory(layout.root, assignment.taskDirectory);
  } catch (error) {
    if (error instanceof TaskDirectoryError) return launchFailed(error.message);
    throw error;
  }
  let argv: string[];
  try {
    argv = splitCommandLine(assignment.commandLine);
  } catch (error) {
    if (error instanceof CommandLineError) return launchFailed(error.message);
    throw error;
  }

  const workingDirectory = join(taskDirectory, "wd");
  try {
    // Creating directories may wait on the file system's journal: in the thread pool, not on the agent's thread.
    // Parent first: a recursive mkdir of `wd` alone tries it, fails, and walks back up (three calls, not two).
    await mkdir(taskDirectory, { recursive: true, mode: 0o755 });
    await mkdir(workingDirectory, { recursive: true, mode: 0o755 });
    // One realpath(3) each, rather than Node's walk with an lstat per path component.
    const inside = relative(realpathSync.native(layout.root), realpathSync.native(workingDirectory));
    if (inside === "" || inside.startsWith(`..${sep}`) || inside === ".." || isAbsolute(inside)) {
      return launchFailed(`The task directory '${assignment.taskDirectory}' leads outside the node root.`);
    }
  } catch (error) {
    if (signal.aborted) return completed({ failure: abortFailure(signal) });
    return launchFailed(`The task directory '${assignment.taskDirectory}' could not be created: ${(error as Error).message}`);
  }

  const pathVariables = nodePathVariables(layout.root, assignment.nodePathEnvironment);
  const environment = processEnvironment({
    systemPath: run.systemPath,
    userName: run.runAs.userName,
    identityName: run.runAs.identityName,
    layout,
    nodeEnvironment: run.nodeEnvironment,
    taskDirectory,
    workingDirectory,
    extra: {
      AZ_BATCH_JOB_ID: assignment.jobId,
      AZ_BATCH_TASK_ID: assignment.taskId,
      ...assignment.environment,
      ...pathVariables,
      AZ_BATCH_TASK_DIR: taskDirectory,
      AZ_BATCH_TASK_WORKING_DIR: workingDirectory,
    },
  });

  try {
    await downloadResourceFiles(assignment.commonResourceFiles ?? [], taskDirectory, { signal, propertyName: "multiInstanceSettings.commonResourceFiles" });
    await downloadResourceFiles(assignment.resourceFiles ?? [], workingDirectory, { signal });
  } catch (error) {
    return completed({ failure: signal.aborted ? abortFailure(signal) : resourceFileFailure(error) });
  }
  try {
    await run.runAs.own(taskDirectory, workingDirectory);
  } catch (error) {
    return launchFailed(`The task's working directory could not be given to its user account: ${(error as Error).message}`);
  }

  try {
    const preparation = pathVariables["AZ_BATCH_JOB_PREP_DIR"];
    const started = await launchRun({
      argv,
      cwd: workingDirectory,
      env: environment,
      stdoutPath: join(taskDirectory, "stdout.txt"),
      stderrPath: join(taskDirectory, "stderr.txt"),
      signal,
      killGracePeriodInMs: run.killGracePeriodInMs,
      clock: run.clock,
      ...(assignment.maxWallClockTimeInMs === undefined ? {} : { timeoutInMs: assignment.maxWallClockTimeInMs }),
      runAs: run.runAs,
      ...(assignment.containerSettings === undefined ? {} : { containerSettings: assignment.containerSettings }),
      ...(run.containers === undefined ? {} : { containers: run.containers }),
      nodeRoot: layout.root,
      runName: assignment.assignmentId,
      directories: {
        Shared: layout.shared,
        Startup: layout.startup,
        VfsMounts: layout.mounts,
        Applications: layout.applications,
        Task: taskDirectory,
        ...(preparation === undefined ? {} : { JobPrep: preparation }),
      },
    });
    if (started.onHost) run.onProcess?.(started.pid);
    const result = await started.result;
    let failure: Failure | undefined =
      result.killedBy === "abort"
        ? abortFailure(signal)
        : result.killedBy === "timeout"
          ? { code: "TaskEnded", message: `The task exceeded its maxWallClockTime (${String(assignment.maxWallClockTimeInMs)} ms) and was killed.` }
          : result.killedBy === "lost"
            ? { code: "AgentRestarted", category: "servererror", message: "The agent's process spawner stopped while the task ran; its process was ended." }
            : undefined;
    if (result.killedBy !== "abort" && result.killedBy !== "lost" && (assignment.outputFiles ?? []).length > 0) {
      const uploadFailure = await uploadOutputFiles({
        outputFiles: assignment.outputFiles ?? [],
        exitCode: result.exitCode,
        nodeRoot: layout.root,
        taskDirectory,
        workingDirectory,
        environment,
        signal,
      }).catch((error: unknown): Failure => (signal.aborted ? abortFailure(signal) : { code: "FileUploadMiscError", category: "servererror", stage: "fileUpload", message: `Uploading output files failed: ${(error as Error).message}` }));
      failure ??= uploadFailure;
    }
    return {
      attempt: assignment.attempt,
      state: "completed",
      startTime,
      endTime: result.endTime.toISOString(),
      exitCode: result.exitCode,
      ...(result.containerInfo === undefined ? {} : { containerInfo: result.containerInfo }),
      ...(failure === undefined ? {} : { failure }),
      ...(result.usage === undefined ? {} : { usage: result.usage }),
    };
  } catch (error) {
    if (error instanceof ProcessLaunchError) {
      return completed(signal.aborted ? { failure: abortFailure(signal) } : { failure: { code: error.code, message: error.message } });
    }
    if (error instanceof ContainerRunError) return completed({ failure: signal.aborted ? abortFailure(signal) : containerFailure(error) });
    throw error;
  }
}
