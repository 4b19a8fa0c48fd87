/**
 * The local provider: runs agent processes on this machine, detached from the server so that a server restart
 * does not kill running work (the agents reconnect by themselves). Each agent hosts several nodes of one pool;
 * spawning task processes is thereby spread over several agent event loops. Agent output goes to
 * `<dataDir>/agents/<agentId>.log`; node directories live under `<dataDir>/nodes`.
 *
 * An agent process that died (killed, crashed, the machine rebooted) is started again with the same id and token
 * when its heartbeat is missed: it reloads its local state and reports its nodes, which recover from `unknown`.
 * Whether it is gone is read from /proc (an agent's command line names its id), so a slow agent is never doubled.
 *
 * Agents get only what they need of the server's environment (`agentEnvironment`): their own token, the agent
 * settings (`OPENBATCH_AGENT_*`), the locale, the proxies, Node's own variables and the container runtime's
 * configuration (`CONTAINERS_*`, `XDG_*`, `DOCKER_*`: docs/containers.md) — never the accounts' keys or the
 * auto-storage connection string the server may have been given there. With `taskIsolation` off, they are told
 * (`OPENBATCH_AGENT_ISOLATION=off`) to run tasks unconfined.
 *
 * A retired agent (told to shut down: no node left) deletes its own state file and the pool directories it leaves
 * empty; once its process has ended, its log is deleted too — unless it recorded an error, so that what went wrong
 * can still be read (docs/agent-protocol.md).
 */
import { execFile, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { AgentLaunch, AgentRef, ComputeProvider } from "../computeProvider.js";
import { checkLocalPoolCapabilities } from "../poolCapabilities.js";
import { runningAgentIds } from "./localAgents.js";

export interface LocalProviderOptions {
  /** The agent's entry script (`@openbatch/agent/main`); without it no agent is started (nodes stay `creating`). */
  readonly agentEntry: string | undefined;
  readonly dataDir: string;
  /** The server's URL as agents reach it. */
  readonly serverUrl: () => string;
  /** How many nodes one agent process hosts at most. */
  readonly nodesPerAgent: number;
  /**
   * With TLS: the server's certificate file. Agents on this machine trust exactly that certificate (whatever
   * names it carries: they connect to the loopback address), so no CA has to be set up for them.
   */
  readonly serverCertificateFile?: string;
  /** Whether agents isolate tasks (ServerOptions.taskIsolation). @default true */
  readonly taskIsolation?: boolean;
}

const passedVariables = new Set(["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "REGISTRIES_CONFIG_PATH"]);

/** The container runtime's own configuration (containers.conf, storage.conf, registries.conf; rootless podman's XDG directories; docker's client settings). */
function isContainerRuntimeVariable(name: string): boolean {
  return name.startsWith("CONTAINERS_") || name.startsWith("XDG_") || name.startsWith("DOCKER_");
}

/** What an agent process inherits of `environment`: nothing secret (module comment). */
export function agentEnvironment(environment: NodeJS.ProcessEnv, token: string, taskIsolation: boolean): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    if (value === undefined) continue;
    if (passedVariables.has(name) || name.startsWith("LC_") || name.startsWith("NODE_") || isContainerRuntimeVariable(name) || (name.startsWith("OPENBATCH_AGENT_") && name !== "OPENBATCH_AGENT_TOKEN" && name !== "OPENBATCH_AGENT_TOKEN_FILE")) {
      result[name] = value;
    }
  }
  result["OPENBATCH_AGENT_TOKEN"] = token;
  if (!taskIsolation) result["OPENBATCH_AGENT_ISOLATION"] = "off";
  return result;
}

/** The container runtime the agents of this provider will have (`name`, `version`), or why none. */
export type ContainerRuntimeProbe = { readonly name: string; readonly version: string; readonly rootless: boolean } | { readonly reason: string };

/** How the agents of this provider will isolate tasks and run containers: what `--probe-isolation` of the agent says here. */
export async function probeLocalIsolation(agentEntry: string, taskIsolation: boolean): Promise<{ mode: string; reason?: string; containerRuntime: ContainerRuntimeProbe }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [agentEntry, "--probe-isolation"], { env: agentEnvironment(process.env, "probe", taskIsolation), timeout: 90_000 }, (error, stdout) => {
      try {
        if (error !== null) throw error;
        const parsed = JSON.parse(stdout) as { mode?: unknown; reason?: unknown; containerRuntime?: { name?: unknown; version?: unknown; rootless?: unknown; reason?: unknown } };
        if (typeof parsed.mode !== "string") throw new Error("no mode");
        const runtime = parsed.containerRuntime;
        const containerRuntime: ContainerRuntimeProbe =
          typeof runtime?.name === "string" && typeof runtime.version === "string"
            ? { name: runtime.name, version: runtime.version, rootless: runtime.rootless === true }
            : { reason: typeof runtime?.reason === "string" ? runtime.reason : "the agent did not say" };
        resolve({ mode: parsed.mode, ...(typeof parsed.reason === "string" ? { reason: parsed.reason } : {}), containerRuntime });
      } catch (failure) {
        const why = `the agent could not tell (${(failure as Error).message.split("\n")[0] ?? ""})`;
        resolve({ mode: "none", reason: `${why} how it would isolate tasks`, containerRuntime: { reason: why } });
      }
    });
  });
}

export function createLocalProvider(options: LocalProviderOptions): ComputeProvider {
  const logDir = join(options.dataDir, "agents");
  const nodesDir = join(options.dataDir, "nodes");
  mkdirSync(logDir, { recursive: true });
  mkdirSync(nodesDir, { recursive: true });
  const agentEntry = options.agentEntry;
  return {
    kind: "local",
    placement: { kind: "spawn", nodesPerAgent: options.nodesPerAgent },
    checkPool: checkLocalPoolCapabilities,
    async startAgent(launch: AgentLaunch) {
      if (agentEntry === undefined) return;
      const log = openSync(join(logDir, `${launch.agentId}.log`), "a");
      try {
        const child = spawn(
          process.execPath,
          [agentEntry, "--server", options.serverUrl(), "--agent-id", launch.agentId, "--data-dir", nodesDir],
          {
            detached: true,
            stdio: ["ignore", log, log],
            env: {
              ...agentEnvironment(process.env, launch.token, options.taskIsolation ?? true),
              ...(options.serverCertificateFile === undefined ? {} : { OPENBATCH_AGENT_CA_FILE: options.serverCertificateFile, OPENBATCH_AGENT_PIN_CERTIFICATE: "1" }),
            },
          },
        );
        child.unref();
      } finally {
        closeSync(log);
      }
    },
    async isAgentGone(agent: AgentRef) {
      return agentEntry === undefined ? undefined : !runningAgentIds().has(agent.agentId);
    },
    agentRetired(agent: AgentRef) {
      void removeLogOnceExited(join(logDir, `${agent.agentId}.log`), agent.agentId);
    },
    async close() {},
  };
}

/** How long a retired agent may take to end its processes and exit before its log is left alone. */
const retiredExitWaitInMs = 60_000;

/** Deletes a retired agent's log after its process has exited, unless the log records an error. */
async function removeLogOnceExited(logPath: string, agentId: string): Promise<void> {
  const deadline = Date.now() + retiredExitWaitInMs;
  while (runningAgentIds().has(agentId)) {
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 250).unref());
  }
  try {
    const log = await readFile(logPath, "utf8");
    // JSON lines (packages/agent/src/log.ts); a crash's output that is not JSON counts as an error too.
    const failed = log.split("\n").some((line) => line !== "" && (!line.startsWith("{") || line.includes('"level":"error"')));
    if (!failed) await rm(logPath, { force: true });
  } catch {
    // Already gone (the data directory was removed), or unreadable: leave it.
  }
}
