/**
 * How the agent starts a process: the `Launcher` seam under runProcess.ts. Two implementations, same behaviour:
 * - `nodeLauncher`: Node's child_process.spawn (forks the agent; works everywhere);
 * - `SpawnerLauncher`: the agent's own `openbatch-spawner` helper (native/spawner.c, posix_spawn without copying
 *   the agent's memory), several times cheaper per process — what makes thousands of short tasks fast.
 * `defaultLauncher()` picks the spawner when its binary was built (Linux with a C compiler at install time) unless
 * `OPENBATCH_AGENT_SPAWNER=node`.
 *
 * Both start the program without a shell, in its own session and process group (pgid = pid), with stdin on
 * /dev/null, stdout/stderr to the given files (opened without following a link in their last component), exactly
 * the given environment, and the program looked up on that environment's PATH. Both refuse (EINVAL) a request with
 * a NUL in any string, which no C string can carry. Confinement (sandbox.ts) rewrites the request before either
 * sees it, so both apply it alike.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { constants as fsConstants, existsSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";
import type { ProcessUsage } from "@openbatch/protocol";
import { GroupSampler } from "../usage/groupSampler.js";
import { signalGroup } from "./processGroup.js";

export interface LaunchRequest {
  readonly program: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly stdoutPath: string;
  readonly stderrPath: string;
  readonly outputMode: "truncate" | "append";
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The launcher lost track of the process (its spawner died) and killed its group. */
  readonly lost?: true;
  /** What the process group used, when the launcher could tell. */
  readonly usage?: ProcessUsage;
}

export interface Launched {
  readonly pid: number;
  /** Resolves when the process exits; never rejects. */
  readonly exited: Promise<ExitStatus>;
}

/** A process that could not be started; `code` is the errno name (ENOENT, EACCES, …), `stage` what failed. */
export class LaunchError extends Error {
  override readonly name = "LaunchError";
  constructor(
    readonly code: string,
    readonly stage: "open" | "cwd" | "exec",
    message: string,
  ) {
    super(message);
  }
}

export interface Launcher {
  launch(request: LaunchRequest): Promise<Launched>;
}

/** As the spawner opens output files: never through a symbolic link in the last component (spawner.c). */
function outputFlags(mode: LaunchRequest["outputMode"]): number {
  const { O_WRONLY, O_CREAT, O_NOFOLLOW, O_APPEND, O_TRUNC } = fsConstants;
  return O_WRONLY | O_CREAT | O_NOFOLLOW | (mode === "append" ? O_APPEND : O_TRUNC);
}

/** Samples what the groups Node's launcher started use (Node reaps them and reports nothing of it). */
const nodeSampler = new GroupSampler();

export const nodeLauncher: Launcher = {
  async launch(request) {
    checkLaunchRequest(request);
    const flags = outputFlags(request.outputMode);
    const handles: FileHandle[] = [];
    try {
      try {
        handles.push(await open(request.stdoutPath, flags, 0o644));
        handles.push(await open(request.stderrPath, flags, 0o644));
      } catch (error) {
        throw new LaunchError((error as NodeJS.ErrnoException).code ?? "EIO", "open", (error as Error).message);
      }
      const child = spawn(request.program, request.args, {
        cwd: request.cwd,
        env: { ...request.env },
        stdio: ["ignore", (handles[0] as FileHandle).fd, (handles[1] as FileHandle).fd],
        detached: true,
        shell: false,
        windowsHide: true,
      });
      // Listen at once: a fast process may exit while the output handles are being closed.
      const exited = new Promise<ExitStatus>((resolve) =>
        child.once("exit", (code, signal) => {
          const usage = child.pid === undefined ? undefined : nodeSampler.stop(child.pid);
          resolve({ code, signal, ...(usage === undefined ? {} : { usage }) });
        }),
      );
      try {
        await new Promise<void>((resolve, reject) => {
          child.once("spawn", resolve);
          child.once("error", reject);
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "EIO";
        throw new LaunchError(code, code === "ENOENT" && !existsSync(request.cwd) ? "cwd" : "exec", (error as Error).message);
      }
      // Errors after a successful spawn (a failed kill) must not crash the agent; kills report their own failures.
      child.on("error", () => undefined);
      if (child.exitCode === null && child.signalCode === null) nodeSampler.track(child.pid as number);
      return { pid: child.pid as number, exited };
    } finally {
      await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
    }
  },
};

const errnoNames = new Map(Object.entries(constants.errno).map(([name, number]) => [number, name]));
const signalNames = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]));

/** The spawner's binary, where buildSpawner.mjs puts it. */
export const spawnerBinary = fileURLToPath(new URL("../../../native/build/openbatch-spawner", import.meta.url));

/** A frame field: its UTF-8 length (4 bytes, little-endian), then its bytes. */
function field(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const header = Buffer.alloc(4);
  header.writeUInt32LE(bytes.length);
  return Buffer.concat([header, bytes]);
}

function frame(id: number, request: LaunchRequest): Buffer {
  const env = Object.entries(request.env).map(([name, value]) => `${name}=${value}`);
  const fields = [
    String(id), request.cwd, request.stdoutPath, request.stderrPath, request.outputMode === "append" ? "a" : "w",
    String(1 + request.args.length), request.program, ...request.args,
    String(env.length), ...env,
  ];
  const payload = Buffer.concat(fields.map(field));
  const header = Buffer.alloc(4);
  header.writeUInt32LE(payload.length);
  return Buffer.concat([header, payload]);
}

/**
 * The request's first string that cannot reach a process intact: argv, environment entries and paths are C
 * strings, which end at a NUL. The API refuses such values; this keeps anything else from being cut short or from
 * smuggling in an extra variable.
 */
function nulField(request: LaunchRequest): string | undefined {
  const named: [string, string][] = [
    ["program", request.program],
    ["working directory", request.cwd],
    ["stdout path", request.stdoutPath],
    ["stderr path", request.stderrPath],
    ...request.args.map((arg, index): [string, string] => [`argument ${index + 1}`, arg]),
    ...Object.entries(request.env).map(([name, value]): [string, string] => [`environment variable '${name.replace(/\0/g, "\\0")}'`, `${name}=${value}`]),
  ];
  return named.find(([, value]) => value.includes("\0"))?.[0];
}

/** Throws the LaunchError every launcher gives for a request that cannot be passed to a process. */
export function checkLaunchRequest(request: LaunchRequest): void {
  const where = nulField(request);
  if (where !== undefined) throw new LaunchError("EINVAL", "exec", `EINVAL: the ${where} contains a NUL character`);
  if (Object.keys(request.env).some((name) => name === "" || name.includes("="))) {
    throw new LaunchError("EINVAL", "exec", "EINVAL: an environment variable name is empty or contains '='");
  }
}

/**
 * One `openbatch-spawner` process, started on first use and again after it died. Requests are written as frames;
 * replies arrive as lines (`S id pid`, `F id errno stage`, `X pid code signal` and what the group used). If the spawner dies, the processes
 * it started can no longer be reaped by anyone who knows their exit status: their groups are killed and their exits
 * reported `lost` (the task fails as after an agent restart).
 */
export class SpawnerLauncher implements Launcher {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly starting = new Map<number, { resolve: (launched: Launched) => void; reject: (error: Error) => void; request: LaunchRequest }>();
  private readonly running = new Map<number, (status: ExitStatus) => void>();
  private pending = "";

  constructor(private readonly binary: string = spawnerBinary) {}

  launch(request: LaunchRequest): Promise<Launched> {
    try {
      checkLaunchRequest(request);
    } catch (error) {
      return Promise.reject(error);
    }
    const child = this.child ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.starting.set(id, { resolve, reject, request });
      this.holdOpen();
      child.stdin?.write(frame(id, request));
    });
  }

  /** Ends the spawner (its processes keep running); for tests and agent shutdown. */
  close(): void {
    this.child?.stdin?.end();
  }

  private start(): ChildProcess {
    const child = spawn(this.binary, [], { stdio: ["pipe", "pipe", "inherit"] });
    this.child = child;
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => this.receive(chunk));
    child.on("error", (error) => this.lose(child, error));
    // A write racing the spawner's death fails with EPIPE; its exit, reported next, settles what was pending.
    child.stdin?.on("error", () => undefined);
    child.on("exit", () => this.lose(child, new Error("the process spawner exited")));
    return child;
  }

  /** The spawner keeps the agent's event loop alive only while it has work: launches or processes to report. */
  private holdOpen(): void {
    const child = this.child;
    if (child === undefined) return;
    const busy = this.starting.size + this.running.size > 0;
    for (const handle of [child, child.stdin, child.stdout] as ({ ref?: () => void; unref?: () => void } | null)[]) {
      if (busy) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  private receive(chunk: string): void {
    const lines = (this.pending + chunk).split("\n");
    this.pending = lines.pop() ?? "";
    for (const line of lines) {
      const [kind, first = "", second = "", third = ""] = line.split(" ");
      if (kind === "S") this.started(Number(first), Number(second));
      else if (kind === "F") this.failed(Number(first), Number(second), third);
      else if (kind === "X") this.exited(Number(first), Number(second), Number(third), exitUsage(line));
    }
  }

  private started(id: number, pid: number): void {
    const waiting = this.starting.get(id);
    if (waiting === undefined) return;
    this.starting.delete(id);
    const exited = new Promise<ExitStatus>((resolve) => this.running.set(pid, resolve));
    waiting.resolve({ pid, exited });
  }

  private failed(id: number, errno: number, stage: string): void {
    const waiting = this.starting.get(id);
    if (waiting === undefined) return;
    this.starting.delete(id);
    const code = errnoNames.get(errno) ?? `E${errno}`;
    const what = stage === "open" ? `opening '${waiting.request.stdoutPath}' or '${waiting.request.stderrPath}'` : stage === "cwd" ? `entering '${waiting.request.cwd}'` : `starting '${waiting.request.program}'`;
    this.holdOpen();
    waiting.reject(new LaunchError(code, stage === "open" || stage === "cwd" ? stage : "exec", `${code}: ${what} failed`));
  }

  private exited(pid: number, code: number, signal: number, usage: ProcessUsage | undefined): void {
    const resolve = this.running.get(pid);
    if (resolve === undefined) return;
    this.running.delete(pid);
    this.holdOpen();
    const status: ExitStatus = code >= 0 ? { code, signal: null } : { code: null, signal: signalNames.get(signal) ?? "SIGKILL" };
    resolve(usage === undefined ? status : { ...status, usage });
  }

  private lose(child: ChildProcess, error: Error): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.pending = "";
    for (const [id, waiting] of this.starting) {
      this.starting.delete(id);
      waiting.reject(new LaunchError("EIO", "exec", `The process spawner stopped: ${error.message}`));
    }
    for (const [pid, resolve] of this.running) {
      this.running.delete(pid);
      signalGroup(pid, "SIGKILL");
      resolve({ code: null, signal: "SIGKILL", lost: true });
    }
  }
}

/** The group's figures of an `X` line (fields 5–11, native/spawner.c), or undefined when it has none. */
export function exitUsage(line: string): ProcessUsage | undefined {
  const fields = line.split(" ").slice(4, 11).map(Number);
  if (fields.length < 7 || !fields.every((value) => Number.isSafeInteger(value) && value >= 0)) return undefined;
  const [user = 0, kernel = 0, readOperations = 0, writeOperations = 0, readBytes = 0, writeBytes = 0, maxResidentKiB = 0] = fields;
  return {
    userCpuMicroseconds: user,
    kernelCpuMicroseconds: kernel,
    readOperations,
    writeOperations,
    readBytes,
    writeBytes,
    peakMemoryBytes: maxResidentKiB * 1024,
    method: "exit",
  };
}

let shared: Launcher | undefined;

/** The agent's launcher: the spawner when it was built, else Node's child_process. */
export function defaultLauncher(): Launcher {
  shared ??= process.env.OPENBATCH_AGENT_SPAWNER !== "node" && process.platform === "linux" && existsSync(spawnerBinary) ? new SpawnerLauncher() : nodeLauncher;
  return shared;
}
