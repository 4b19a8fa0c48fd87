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
 * A retired agent (told to shut down: no node left) deletes its own state file and the pool directories it leaves
 * empty; once its process has ended, its log is deleted too — unless it recorded an error, so that what went wrong
 * can still be read (docs/agent-protocol.md).
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { AgentLaunch, ComputeProvider } from "../computeProvider.js";
import { runningAgentIds } from "./localAgents.js";

export interface LocalProviderOptions {
  /** The agent's entry script (`@openbatch/agent/main`). */
  readonly agentEntry: string;
  readonly dataDir: string;
  /** The server's URL as agents reach it. */
  readonly serverUrl: () => string;
}

export function createLocalProvider(options: LocalProviderOptions): ComputeProvider {
  const logDir = join(options.dataDir, "agents");
  const nodesDir = join(options.dataDir, "nodes");
  mkdirSync(logDir, { recursive: true });
  mkdirSync(nodesDir, { recursive: true });
  return {
    async startAgent(launch: AgentLaunch) {
      const log = openSync(join(logDir, `${launch.agentId}.log`), "a");
      try {
        const child = spawn(
          process.execPath,
          [options.agentEntry, "--server", options.serverUrl(), "--agent-id", launch.agentId, "--data-dir", nodesDir],
          {
            detached: true,
            stdio: ["ignore", log, log],
            env: { ...process.env, OPENBATCH_AGENT_TOKEN: launch.token },
          },
        );
        child.unref();
      } finally {
        closeSync(log);
      }
    },
    async isAgentGone(agentId: string) {
      return !runningAgentIds().has(agentId);
    },
    agentRetired(agentId: string) {
      void removeLogOnceExited(join(logDir, `${agentId}.log`), agentId);
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
