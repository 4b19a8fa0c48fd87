/**
 * The node agent processes the local provider started for a data directory, found by their command lines in /proc
 * (`… --agent-id <id> … --data-dir <dataDir>/nodes`): detached, they outlive the server on purpose (a restarted
 * server picks them up), so the operator needs a way to see and stop them. Stopping sends SIGTERM, on which an agent
 * ends its nodes' processes and saves its state (packages/agent/src/main.ts), and waits for it to exit.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export interface LocalAgentProcess {
  readonly pid: number;
  readonly agentId: string;
}

function argvOf(pid: string): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return undefined; // the process ended while we looked
  }
}

/** Every agent process on this machine, with the node directory it was started with. */
function allAgents(): (LocalAgentProcess & { readonly nodesDir: string | undefined })[] {
  const found: (LocalAgentProcess & { nodesDir: string | undefined })[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = argvOf(entry);
    if (argv === undefined) continue;
    const at = argv.indexOf("--agent-id");
    const agentId = at >= 0 ? argv[at + 1] : undefined;
    if (agentId === undefined) continue;
    const dirAt = argv.indexOf("--data-dir");
    found.push({ pid: Number(entry), agentId, nodesDir: dirAt >= 0 ? argv[dirAt + 1] : undefined });
  }
  return found;
}

/** The ids of the agent processes running on this machine, whatever their data directory. */
export function runningAgentIds(): Set<string> {
  return new Set(allAgents().map((agent) => agent.agentId));
}

/** The agents started for `dataDir` (the server's data directory) that are still running. */
export function listLocalAgents(dataDir: string): LocalAgentProcess[] {
  const nodesDir = join(resolve(dataDir), "nodes");
  return allAgents()
    .filter((agent) => agent.nodesDir !== undefined && resolve(agent.nodesDir) === nodesDir)
    .map(({ pid, agentId }) => ({ pid, agentId }));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Sends SIGTERM to the agents of `dataDir` and waits up to `timeoutInMs` for them to exit; those still running then
 * get SIGKILL. Resolves with the agents that were asked to stop.
 */
export async function stopLocalAgents(dataDir: string, timeoutInMs = 15_000): Promise<LocalAgentProcess[]> {
  const agents = listLocalAgents(dataDir);
  for (const agent of agents) {
    try {
      process.kill(agent.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + timeoutInMs;
  while (agents.some((agent) => alive(agent.pid)) && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 100));
  }
  for (const agent of agents) {
    if (!alive(agent.pid)) continue;
    try {
      process.kill(agent.pid, "SIGKILL");
    } catch {
      // ended just now
    }
  }
  return agents;
}
