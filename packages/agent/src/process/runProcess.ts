/**
 * Runs one process the way Batch runs a task: argv from `splitCommandLine`, no shell, a given working directory and
 * exactly the given environment (nothing is inherited from the agent), stdout and stderr written to files.
 *
 * Contract:
 * - The process is spawned `detached`, so it leads a new process group (and session); killing signals the group,
 *   which takes the tree it forked along.
 * - Output files are truncated when the process starts (`outputMode: "append"` keeps what is there).
 * - The command is looked up on the `PATH` of the given environment; a relative path with a `/` resolves against
 *   `cwd`.
 * - Launch failures reject with a ProcessLaunchError: `CommandProgramNotFound` when the program does not exist
 *   (ENOENT), `CommandLaunchFailed` for anything else (empty command line, missing working directory, EACCES, …) —
 *   the failure codes Azure Batch reports for these cases (semantics.md §2.4). No exit code exists then.
 * - Once started, the result resolves when the leader process exits: `exitCode` is its exit status, or 128 + the
 *   signal number when a signal ended it (SIGTERM → 143, SIGKILL → 137; Linux shells use the same convention).
 * - Timeout (`timeoutInMs`) and abort (`signal`) kill the group: SIGTERM, then SIGKILL after
 *   `killGracePeriodInMs` if the leader is still alive; once the leader is gone, whatever is left of its group gets
 *   SIGKILL at once. `killedBy` says which of the two happened.
 * - Processes left behind by a leader that exited on its own are not touched here (the node's owner kills its
 *   process groups when the node reboots or leaves).
 */
import { spawn } from "node:child_process";
import { open, stat, type FileHandle } from "node:fs/promises";
import { systemClock, type Clock } from "@openbatch/core";
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
}

export interface ProcessResult {
  readonly pid: number;
  /** The exit status, or 128 + signal number when a signal ended the process. */
  readonly exitCode: number;
  /** The signal that ended the process, if one did. */
  readonly signal: NodeJS.Signals | null;
  readonly startTime: Date;
  readonly endTime: Date;
  /** Set when the agent killed the process. */
  readonly killedBy?: "timeout" | "abort";
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
  try {
    if (!(await stat(options.cwd)).isDirectory()) throw new Error("not a directory");
  } catch {
    throw new ProcessLaunchError("CommandLaunchFailed", `The working directory '${options.cwd}' does not exist.`);
  }

  const flags = options.outputMode === "append" ? "a" : "w";
  const handles: FileHandle[] = [];
  let child: ReturnType<typeof spawn>;
  let startTime: Date;
  let exited: Promise<[number | null, NodeJS.Signals | null, Date]>;
  try {
    handles.push(await open(options.stdoutPath, flags, 0o644));
    handles.push(await open(options.stderrPath, flags, 0o644));
    startTime = clock.now();
    child = spawn(program, args, {
      cwd: options.cwd,
      env: { ...options.env },
      stdio: ["ignore", (handles[0] as FileHandle).fd, (handles[1] as FileHandle).fd],
      detached: true,
      shell: false,
      windowsHide: true,
    });
    // Listen at once: a fast process may exit while the output handles are being closed below.
    exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve([code, signal, clock.now()])));
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
  } catch (error) {
    if (error instanceof ProcessLaunchError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new ProcessLaunchError("CommandProgramNotFound", `The program '${program}' was not found (working directory and PATH searched).`);
    }
    throw new ProcessLaunchError("CommandLaunchFailed", `The program '${program}' could not be started: ${(error as Error).message}`);
  } finally {
    await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
  }
  const pid = child.pid as number;
  // Errors after a successful spawn (a failed kill) must not crash the agent; kills report their own failures.
  child.on("error", () => undefined);

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
    void exited.then(([code, signal, endTime]) => {
      clearTimeout(timeoutTimer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener("abort", onAbort);
      if (killedBy !== undefined) signalGroup(pid, "SIGKILL");
      const exitCode = code ?? (signal === null ? 0 : exitCodeForSignal(signal));
      resolve({ pid, exitCode, signal, startTime, endTime, ...(killedBy === undefined ? {} : { killedBy }) });
    });
  });
  return { pid, startTime, result };
}

/** Runs the process to its end. Rejects with ProcessLaunchError when it cannot be started. */
export async function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  return (await startProcess(options)).result;
}
