/**
 * The local provider: runs agent processes on this machine, detached from the server so that a server restart
 * does not kill running work (the agents reconnect by themselves). Each agent hosts several nodes of one pool;
 * spawning task processes is thereby spread over several agent event loops. Agent output goes to
 * `<dataDir>/agents/<agentId>.log`; node directories live under `<dataDir>/nodes`.
 *
 * An agent process that died (killed, crashed, the machine rebooted) is started again with the same id and token
 * when its heartbeat is missed: it reloads its local state and reports its nodes, which recover from `unknown`.
 * Whether it is gone is read from /proc (an agent's command line names its id), so a slow agent is never doubled.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentLaunch, ComputeProvider } from "../computeProvider.js";

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
    async close() {},
  };
}

/** The ids of the agent processes running on this machine, from their command lines. */
function runningAgentIds(): Set<string> {
  const ids = new Set<string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // the process ended while we looked
    }
    const at = argv.indexOf("--agent-id");
    if (at >= 0 && argv[at + 1] !== undefined) ids.add(argv[at + 1] as string);
  }
  return ids;
}
