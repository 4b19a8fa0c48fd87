/**
 * Server replicas as real processes: `openbatch serve` children on one PostgreSQL database, each with its JSON log
 * lines collected (the time PostgreSQL-backed elections happen is read from them) and a `/healthz` that says which
 * accounts it leads. Killing one with SIGKILL or freezing it with SIGSTOP is what the replica tests do to them.
 *
 * The store URL travels in the environment (OPENBATCH_STORE_URL), not on the command line.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { cliMain } from "./cli.js";
import { waitFor } from "./waitFor.js";

export interface LogLine {
  readonly level: number;
  readonly time: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface ReplicaHealth {
  readonly id: string;
  readonly leading: { account: string; term: number }[];
  readonly replicas: number;
  readonly connected: boolean;
}

export interface ReplicaProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly logs: LogLine[];
  /** The replica's part of /healthz (undefined while it does not answer). */
  health(): Promise<ReplicaHealth | undefined>;
  /** Waits for a log line, returning the first (from `since`) that matches. */
  waitForLog(what: string, match: (line: LogLine) => boolean, timeoutInMs?: number): Promise<LogLine>;
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code or signal once the process has ended. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then waits for the exit (SIGKILL after 20 s). */
  stop(): Promise<void>;
}

export interface ReplicaProcessOptions {
  readonly name: string;
  readonly storeUrl: string;
  readonly dataDir: string;
  /** `NAME:BASE64KEY` */
  readonly accounts: readonly string[];
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
}

export async function startReplicaProcess(options: ReplicaProcessOptions): Promise<ReplicaProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      cliMain, "serve", "--port", "0", "--data-dir", options.dataDir, "--log-format", "json", "--log-level", "info",
      "--no-task-isolation", "--no-node-os-users",
      ...options.accounts.flatMap((account) => ["--account", account]),
      ...(options.args ?? []),
    ],
    { env: { ...process.env, OPENBATCH_STORE_URL: options.storeUrl, ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const logs: LogLine[] = [];
  let stderr = "";
  let banner = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NonNullable<ChildProcess["stdout"]> });
    lines.on("line", (line) => {
      if (line.startsWith("{")) {
        try {
          logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line
        }
        return;
      }
      banner += `${line}\n`;
      const listening = /^OpenBatch listening on (\S+)/.exec(line);
      if (listening !== null) resolve(listening[1] as string);
    });
    void exited.then((code) => reject(new Error(`replica ${options.name} exited (${code}) before listening:\n${banner}${stderr}`)));
  });
  const replica: ReplicaProcess = {
    name: options.name,
    url,
    pid: child.pid as number,
    logs,
    async health() {
      try {
        const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
        const body = (await response.json()) as { details?: { replica?: ReplicaHealth } };
        return body.details?.replica;
      } catch {
        return undefined;
      }
    },
    waitForLog(what, match, timeoutInMs = 60_000) {
      return waitFor(`${options.name}: ${what}`, async () => logs.find(match), timeoutInMs, 20);
    },
    signal(signal) {
      child.kill(signal);
    },
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return replica;
}

/** The replica that leads `account` now, as their /healthz say (undefined while none or several claim it). */
export async function leaderOf(replicas: readonly ReplicaProcess[], account: string): Promise<ReplicaProcess | undefined> {
  const leaders: ReplicaProcess[] = [];
  for (const replica of replicas) {
    const health = await replica.health();
    if (health?.leading.some((entry) => entry.account === account) === true) leaders.push(replica);
  }
  return leaders.length === 1 ? leaders[0] : undefined;
}
