/**
 * Agents on "other machines" for tests: real `openbatch agent` processes (the compiled CLI), optionally inside a
 * network namespace (netns.ts), with their output in a file (never a pipe nobody drains), plus the admin calls a
 * test needs around them: join tokens and an external pool.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { apiVersion, batchRequest, readResponse, signPythonStyle, type BatchResponse } from "./batchRequest.js";
import { ubuntuVm } from "./pools.js";

export const cliMain = new URL("../../../packages/cli/dist/src/main.js", import.meta.url).pathname;

export interface Account {
  readonly name: string;
  readonly key: string;
}

/** A signed admin-endpoint request (`/_admin/v1/…`), as `openbatch pool join-token` sends it. */
export async function adminRequest(serverUrl: string, account: Account, method: string, path: string, body?: object): Promise<BatchResponse> {
  const url = new URL(serverUrl + path);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { "ocp-date": new Date().toUTCString() };
  if (text !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") headers["content-length"] = String(text === undefined ? 0 : Buffer.byteLength(text));
  headers["authorization"] = `SharedKey ${account.name}:${signPythonStyle(method, url, headers, account)}`;
  return readResponse(await fetch(url, { method, headers, ...(text === undefined ? {} : { body: text }) }));
}

/** Makes a join token for the pool; throws with the server's answer when refused. */
export async function createJoinToken(serverUrl: string, account: Account, poolId: string, lifetimeInSeconds?: number): Promise<{ id: string; token: string; expiryTime: string }> {
  const response = await adminRequest(serverUrl, account, "POST", `/_admin/v1/pools/${encodeURIComponent(poolId)}/join-tokens`, lifetimeInSeconds === undefined ? {} : { lifetimeInSeconds });
  if (response.status !== 201) throw new Error(`join token for ${poolId}: ${response.status} ${response.text}`);
  return response.json;
}

/** Adds a pool whose nodes come from agents that join (`openbatch.provider` = `external`). */
export async function addExternalPool(serverUrl: string, account: Account, id: string, target: number, extra: Record<string, unknown> = {}): Promise<void> {
  const response = await batchRequest(serverUrl, {
    method: "POST",
    path: `/pools?api-version=${apiVersion}`,
    account,
    body: {
      id,
      vmSize: "Standard_D2s_v3",
      targetDedicatedNodes: target,
      virtualMachineConfiguration: ubuntuVm,
      metadata: [{ name: "openbatch.provider", value: "external" }],
      ...extra,
    },
  });
  if (response.status !== 201) throw new Error(`add pool ${id}: ${response.status} ${response.text}`);
}

export interface RemoteAgentProcess {
  readonly child: ChildProcess;
  readonly workDir: string;
  /** The agent's output so far (JSON lines). */
  log(): string;
  /** Resolves with the exit code once it has exited. */
  readonly exited: Promise<number | null>;
  /** Sends the signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();

export interface RemoteAgentStart {
  readonly serverUrl: string;
  readonly workDir: string;
  readonly joinToken?: string;
  readonly nodes?: number;
  readonly caFile?: string;
  /** Run inside this network namespace (`ip netns exec`). */
  readonly netns?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
}

/** Starts `openbatch agent`; its output goes to `<workDir>.log`. Task isolation is off unless `env` says otherwise. */
export function startRemoteAgent(options: RemoteAgentStart): RemoteAgentProcess {
  const logPath = `${options.workDir}.log`;
  const args = [
    cliMain,
    "agent",
    "--server",
    options.serverUrl,
    "--work-dir",
    options.workDir,
    ...(options.nodes === undefined ? [] : ["--nodes", String(options.nodes)]),
    ...(options.caFile === undefined ? [] : ["--ca-file", options.caFile]),
    ...(options.args ?? []),
  ];
  const [command, argv] = options.netns === undefined ? [process.execPath, args] : ["ip", ["netns", "exec", options.netns, process.execPath, ...args]];
  const out = openSync(logPath, "a");
  const child = spawn(command, argv, {
    stdio: ["ignore", out, out],
    env: {
      ...process.env,
      OPENBATCH_AGENT_ISOLATION: "off",
      ...(options.joinToken === undefined ? {} : { OPENBATCH_JOIN_TOKEN: options.joinToken }),
      ...options.env,
    },
  });
  closeSync(out);
  running.add(child);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => {
    running.delete(child);
    resolve(code);
  }));
  return {
    child,
    workDir: options.workDir,
    log: () => {
      try {
        return readFileSync(logPath, "utf8");
      } catch {
        return "";
      }
    },
    exited,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Kills every agent process still running (test clean-up, also after a failure). */
export async function killRemoteAgents(): Promise<void> {
  const exits = [...running].map((child) => new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  }));
  await Promise.all(exits);
}
