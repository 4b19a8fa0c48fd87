/**
 * Runs one process the way Batch runs a task: argv from `splitCommandLine`, no shell, a given working directory and
 * exactly the given environment (nothing is inherited from the agent), stdout and stderr written to files.
 *
 * Contract:
 * - The process is started by a Launcher (launchers.ts: the agent's posix_spawn helper, or Node's child_process)
 *   and leads a new process group (and session); killing signals the group, which takes the tree it forked along.
 * - Output files are truncated when the process starts (`outputMode: "append"` keeps what is there).
 * - The command is looked up on the `PATH` of the given environment; a relative path with a `/` resolves against
 *   `cwd`.
 * - With `confinement` the process runs in a sandbox (sandbox.ts): the program must be found among what the sandbox
 *   shows, and paths in the working directory and the environment are translated to the sandbox's.
 * - Launch failures reject with a ProcessLaunchError: `CommandProgramNotFound` when the program does not exist
 *   (ENOENT), `CommandLaunchFailed` for anything else (empty command line, missing working directory, EACCES, …) —
 *   the failure codes Azure Batch reports for these cases (semantics.md §2.4). No exit code exists then.
 * - Once started, the result resolves when the leader process exits: `exitCode` is its exit status, or 128 + the
 *   signal number when a signal ended it (SIGTERM → 143, SIGKILL → 137; Linux shells use the same convention).
 * - Timeout (`timeoutInMs`) and abort (`signal`) kill the group: SIGTERM, then SIGKILL after
 *   `killGracePeriodInMs` if the leader is still alive; once the leader is gone, whatever is left of its group gets
 *   SIGKILL at once. `killedBy` says which of the two happened (or `lost`: the launcher lost the process).
 * - Processes left behind by a leader that exited on its own are not touched here (the node's owner kills its
 *   process groups when the node reboots or leaves).
 * - `usage` says what the process group used, as its launcher measured it (docs/statistics.md).
 */
import { systemClock, type Clock } from "@openbatch/core";
import type { ProcessUsage } from "@openbatch/protocol";
import { defaultLauncher, LaunchError, type Launched, type Launcher, type LaunchRequest } from "./launchers.js";
import { confine, ProgramNotVisible, resolveVisibleProgram, type Confinement } from "./sandbox.js";
import { exitCodeForSignal, signalGroup } from "./processGroup.js";

export type LaunchFailureCode = "CommandProgramNotFound" | "CommandLaunchFailed";

export class ProcessLaunchError extends Error {
  override readonly name = "ProcessLaunchError";
  constructor(
    readonly code: LaunchFailureCode,
    message: string,
  ) {
    super(message);
  }
}

export interface RunProcessOptions {
  /** Program and arguments; `argv[0]` is the program. */
  readonly argv: readonly string[];
  readonly cwd: string;
  /** The complete environment of the process. */
  readonly env: Readonly<Record<string, string>>;
  readonly stdoutPath: string;
  readonly stderrPath: string;
  /** @default "truncate" */
  readonly outputMode?: "truncate" | "append";
  /** Kill the process after this long. @default no limit */
  readonly timeoutInMs?: number;
  /** Aborting kills the process. */
  readonly signal?: AbortSignal;
  /** Time between SIGTERM and SIGKILL. @default 5000 */
  readonly killGracePeriodInMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** How the process is started. @default defaultLauncher() */
  readonly launcher?: Launcher;
  /** Run it in a sandbox (and as an account), as sandbox.ts describes. @default not confined */
  readonly confinement?: Confinement;
}

export interface ProcessResult {
  readonly pid: number;
  /** The exit status, or 128 + signal number when a signal ended the process. */
  readonly exitCode: number;
  /** The signal that ended the process, if one did. */
  readonly signal: NodeJS.Signals | null;
  readonly startTime: Date;
  readonly endTime: Date;
  /** Set when the agent killed the process; `lost` when its launcher lost track of it and killed it. */
  readonly killedBy?: "timeout" | "abort" | "lost";
  /** What the process group used (launchers.ts), when the launcher could tell. */
  readonly usage?: ProcessUsage;
}

export interface StartedProcess {
  readonly pid: number;
  readonly startTime: Date;
  /** Resolves when the process exits; never rejects. */
  readonly result: Promise<ProcessResult>;
}

/** Starts the process and resolves once it runs. Rejects with ProcessLaunchError when it cannot be started. */
export async function startProcess(options: RunProcessOptions): Promise<StartedProcess> {
  const clock = options.clock ?? systemClock;
  const grace = options.killGracePeriodInMs ?? 5000;
  const [program, ...args] = options.argv;
  if (program === undefined || program === "") throw new ProcessLaunchError("CommandLaunchFailed", "The command line is empty.");
  if (options.signal?.aborted === true) throw new ProcessLaunchError("CommandLaunchFailed", "The process was cancelled before it started.");
  let launched: Launched;
  const startTime = clock.now();
  let request: LaunchRequest = {
    program,
    args,
    cwd: options.cwd,
    env: options.env,
    stdoutPath: options.stdoutPath,
    stderrPath: options.stderrPath,
    outputMode: options.outputMode ?? "truncate",
  };
  if (options.confinement !== undefined) {
    try {
      request = confine(request, await resolveVisibleProgram(program, options.env["PATH"] ?? "", options.cwd, options.confinement), options.confinement);
    } catch (error) {
      if (error instanceof ProgramNotVisible) throw new ProcessLaunchError("CommandProgramNotFound", error.message);
      throw error;
    }
  }
  try {
    launched = await (options.launcher ?? defaultLauncher()).launch(request);
  } catch (error) {
    if (!(error instanceof LaunchError)) throw error;
    if (error.stage === "exec" && error.code === "ENOENT") {
      throw new ProcessLaunchError("CommandProgramNotFound", `The program '${program}' was not found (working directory and PATH searched).`);
    }
    if (error.stage === "cwd") throw new ProcessLaunchError("CommandLaunchFailed", `The working directory '${options.cwd}' does not exist.`);
    throw new ProcessLaunchError("CommandLaunchFailed", `The program '${program}' could not be started: ${error.message}`);
  }
  const pid = launched.pid;
  const exited = launched.exited.then((status) => [status, clock.now()] as const);

  const result = new Promise<ProcessResult>((resolve) => {
    let killedBy: "timeout" | "abort" | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const kill = (reason: "timeout" | "abort"): void => {
      if (killedBy !== undefined) return;
      killedBy = reason;
      signalGroup(pid, "SIGTERM");
      graceTimer = setTimeout(() => signalGroup(pid, "SIGKILL"), grace);
    };
    const onAbort = (): void => kill("abort");
    const timeoutTimer = options.timeoutInMs === undefined ? undefined : setTimeout(() => kill("timeout"), options.timeoutInMs);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    // An abort that came while the process was being started (files opened, spawn awaited) fired before the
    // listener existed: honour it now.
    if (options.signal?.aborted === true) kill("abort");
    void exited.then(([{ code, signal, lost, usage }, endTime]) => {
      clearTimeout(timeoutTimer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener("abort", onAbort);
      if (killedBy !== undefined) signalGroup(pid, "SIGKILL");
      const exitCode = code ?? (signal === null ? 0 : exitCodeForSignal(signal));
      const by = lost === true ? "lost" : killedBy;
      resolve({ pid, exitCode, signal, startTime, endTime, ...(by === undefined ? {} : { killedBy: by }), ...(usage === undefined ? {} : { usage }) });
    });
  });
  return { pid, startTime, result };
}

/** Runs the process to its end. Rejects with ProcessLaunchError when it cannot be started. */
export async function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  return (await startProcess(options)).result;
}
