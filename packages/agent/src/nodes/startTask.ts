/**
 * One attempt of a node's start task (semantics.md §6.3), from resource files to the exit code, as a
 * ProcessOutcome fact for the server. Whether there is a next attempt is the server's decision, never this one's.
 *
 * The attempt: download the resource files into `startup/wd`, split the command line, run it there with
 * `startup/stdout.txt` and `startup/stderr.txt` (truncated per attempt, as Azure keeps only the latest try's
 * output), and the environment of processEnvironment.ts, as `runAs` says (runAs.ts). `startTime` is when the attempt began (downloads
 * included, as Azure counts it); `endTime` when it ended.
 *
 * Outcome mapping (always `state: "completed"`):
 * - the process ran: `exitCode` (128 + signal number when a signal ended it), no `failure` — the server turns a
 *   non-zero code into `FailureExitCode`;
 * - it could not be started: no `exitCode`, `failure` `CommandProgramNotFound` (ENOENT) or `CommandLaunchFailed`
 *   (unterminated quote, empty command line, EACCES, …), or its container could not be made (a Container… code,
 *   processLaunch.ts);
 * - a resource file failed: no `exitCode`, `failure` with the ResourceFileError code (resourceFiles.ts);
 * - the agent stopped during the attempt (abort reason AgentStopping): `failure` `AgentRestarted`, plus the
 *   `exitCode` of the killed process if it had started;
 * - the node rebooted, was reimaged or removed during the attempt (any other abort): `failure` `TaskEnded` — the
 *   outcome belongs to a generation that is over and is not reported anyway.
 */
import type { Clock } from "@openbatch/core";
import type { NodeCertificateFile, ProcessOutcome, StartTask } from "@openbatch/protocol";
import { CommandLineError, splitCommandLine } from "../process/commandLine.js";
import { ContainerRunError } from "../containers/containerRun.js";
import { ProcessLaunchError } from "../process/runProcess.js";
import type { NodeLayout } from "./nodeLayout.js";
import { downloadResourceFiles, resourceFileFailure } from "../files/resourceFiles.js";
import { placeCertificates } from "./certificateFiles.js";
import { processEnvironment } from "./processEnvironment.js";
import { containerFailure, launchRun, type NodeContainers } from "./processLaunch.js";
import type { RunAs } from "./runAs.js";
import { AgentStopping } from "./agentStopping.js";

export interface StartTaskAttempt {
  readonly attempt: number;
  readonly startTask: StartTask;
  readonly layout: NodeLayout;
  /** The agent's PATH, the base of the process's. */
  readonly systemPath: string;
  /** The node's variables (`DesiredNode.environment` and its application packages'). */
  readonly nodeEnvironment: Readonly<Record<string, string>>;
  /** The node's certificate files; those visible to the start task are placed in `startup/certs`. */
  readonly certificates: readonly NodeCertificateFile[] | undefined;
  /** Who the process runs as, and confined how (runAs.ts). */
  readonly runAs: RunAs;
  readonly signal: AbortSignal;
  readonly clock: Clock;
  readonly killGracePeriodInMs: number;
  /** Called once the process runs, before it ends. */
  readonly onProcess?: (pid: number) => void;
  /** How this node runs containers (a start task with `containerSettings` runs in one). */
  readonly containers?: NodeContainers;
}

type Failure = NonNullable<ProcessOutcome["failure"]>;

function abortFailure(signal: AbortSignal): Failure {
  return signal.reason instanceof AgentStopping
    ? { code: "AgentRestarted", category: "servererror", message: "The agent stopped while the start task ran; the start task was ended." }
    : { code: "TaskEnded", message: "The node was rebooted, reimaged or removed while the start task ran." };
}

export async function runStartTaskAttempt(run: StartTaskAttempt): Promise<ProcessOutcome> {
  const startTime = run.clock.now();
  const completed = (fields: Partial<ProcessOutcome>): ProcessOutcome => ({
    attempt: run.attempt,
    state: "completed",
    startTime: startTime.toISOString(),
    endTime: run.clock.now().toISOString(),
    ...fields,
  });
  const { layout, signal } = run;
  if (signal.aborted) return completed({ failure: abortFailure(signal) });

  let argv: string[];
  try {
    argv = splitCommandLine(run.startTask.commandLine);
  } catch (error) {
    if (error instanceof CommandLineError) return completed({ failure: { code: "CommandLaunchFailed", message: error.message } });
    throw error;
  }

  try {
    await downloadResourceFiles(run.startTask.resourceFiles ?? [], layout.startupWorkingDirectory, { signal, propertyName: "startTask.resourceFiles" });
  } catch (error) {
    return completed({ failure: signal.aborted ? abortFailure(signal) : resourceFileFailure(error) });
  }
  try {
    await run.runAs.own(layout.startup, layout.startupWorkingDirectory);
  } catch (error) {
    return completed({ failure: { code: "CommandLaunchFailed", message: `The start task's working directory could not be given to its user account: ${(error as Error).message}` } });
  }

  const environment = {
    ...processEnvironment({
      systemPath: run.systemPath,
      userName: run.runAs.userName,
      identityName: run.runAs.identityName,
      layout,
      nodeEnvironment: run.nodeEnvironment,
      taskDirectory: layout.startup,
      workingDirectory: layout.startupWorkingDirectory,
      ...(run.startTask.environmentSettings === undefined ? {} : { settings: run.startTask.environmentSettings }),
    }),
    ...(await placeCertificates(layout.startup, run.certificates, "starttask")),
  };
  try {
    const started = await launchRun({
      argv,
      cwd: layout.startupWorkingDirectory,
      env: environment,
      stdoutPath: layout.startupStdout,
      stderrPath: layout.startupStderr,
      signal,
      killGracePeriodInMs: run.killGracePeriodInMs,
      clock: run.clock,
      runAs: run.runAs,
      ...(run.startTask.containerSettings === undefined ? {} : { containerSettings: run.startTask.containerSettings }),
      ...(run.containers === undefined ? {} : { containers: run.containers }),
      nodeRoot: layout.root,
      runName: `start-task-${run.attempt}`,
      directories: { Shared: layout.shared, Startup: layout.startup, VfsMounts: layout.mounts, Applications: layout.applications, Task: layout.startup },
    });
    run.onProcess?.(started.pid);
    const result = await started.result;
    return {
      attempt: run.attempt,
      state: "completed",
      startTime: startTime.toISOString(),
      endTime: result.endTime.toISOString(),
      exitCode: result.exitCode,
      ...(result.containerInfo === undefined ? {} : { containerInfo: result.containerInfo }),
      ...(result.killedBy === "abort" ? { failure: abortFailure(signal) } : {}),
      ...(result.killedBy === "lost" ? { failure: { code: "AgentRestarted", category: "servererror", message: "The agent's process spawner stopped while the start task ran; its process was ended." } } : {}),
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
