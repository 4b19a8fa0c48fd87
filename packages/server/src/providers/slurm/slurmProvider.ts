/**
 * The Slurm provider: every compute node of a `slurm` pool is a pilot job on a Slurm cluster running `openbatch
 * agent` for one agent id (one node per pilot), so resize and autoscale become `sbatch` and `scancel`.
 *
 * - A node the reconciler makes gets an agent; starting it submits its pilot (`sbatch`, script on stdin, the
 *   agent's token in the job's environment only: never on a command line). The pilot's name
 *   `ob<server tag>-<agentId>` ties it to its agent; nothing else needs to be stored.
 * - While the pilot is pending, the node is `creating`; once it runs, its agent connects and the node goes through
 *   `starting` to `idle`/`running` like any node.
 * - A watch loop (`squeue` every `pollIntervalInMs`) follows the pilots: a pilot that ended, was cancelled outside
 *   OpenBatch or hit its time limit makes its node leave the pool, its tasks requeued, and the pool replace it
 *   (nodes/lostAgents.ts); a pilot `drainBefore` seconds from its time limit has its node drained (no new tasks,
 *   running ones finish) and replaced by a new pilot first; a pilot whose agent has no node left (the pool shrank,
 *   a resize gave up on a node, the agent was retired) is cancelled, and so is a pilot of this server whose agent is
 *   unknown.
 * - A pilot counts as gone only after it has been missing from `squeue` for two passes (at least 10 s): an agent is
 *   registered a moment before its pilot is submitted.
 */
import { createHash } from "node:crypto";
import type { Clock } from "@openbatch/core";
import type { CloudPool, PoolAddParameter } from "@openbatch/protocol";
import type { Store } from "@openbatch/store";
import type { AgentRecord } from "../../records/agents.js";
import type { NodeRecord } from "../../records/nodes.js";
import { dropLostAgent, replaceNode } from "../../nodes/lostAgents.js";
import type { AgentLaunch, AgentRef, ComputeProvider } from "../computeProvider.js";
import { checkLocalPoolCapabilities } from "../poolCapabilities.js";
import type { SlurmCommands, SlurmJob } from "./slurmCommands.js";
import { drainBeforeInSeconds, effectiveSlurmSettings, pilotJobArguments, pilotScript, poolSlurmSettings, type SlurmSettings } from "./slurmOptions.js";

export interface SlurmProviderOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly commands: SlurmCommands;
  /** The accounts whose pools are watched. */
  readonly accounts: () => readonly string[];
  /** The server's settings for pilots; pools override them in their metadata (slurmOptions.ts). */
  readonly settings: SlurmSettings;
  /** How a pilot starts the agent on a Slurm node: `[node, …/cli/dist/src/main.js, "agent"]`. */
  readonly agentCommand: readonly string[];
  /** Where pilots keep their work directories (on the Slurm nodes). */
  readonly workDirectory: string;
  /** The server's URL as pilots reach it. */
  readonly serverUrl: () => string;
  /** A CA file on the Slurm nodes for a TLS server. */
  readonly caFile?: string;
  /** Variables for the pilots' environment besides the token and PATH. */
  readonly pilotEnvironment?: Readonly<Record<string, string>>;
  /** Distinguishes this server's pilots from another's on the same cluster. */
  readonly serverTag: string;
  /** @default 5000 */
  readonly pollIntervalInMs?: number;
  /** After a change the reconciler must see (a node dropped or being replaced). */
  readonly onPoolChanged: (account: string, poolId: string) => void;
  readonly log: (level: "info" | "warn" | "error", message: string, fields: Record<string, unknown>) => void;
}

/** Slurm job states after which the pilot's agent is gone. */
const ended = new Set(["COMPLETING", "COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "SPECIAL_EXIT", "REVOKED"]);
/** How long a pilot may be missing from squeue before its agent counts as gone. */
const missingGraceInMs = 10_000;

export function slurmServerTag(dataDir: string): string {
  return createHash("sha256").update(dataDir).digest("hex").slice(0, 6);
}

export interface SlurmProvider extends ComputeProvider {
  /** Starts following the pilots (after the server is listening). */
  start(): void;
  /** One pass of the watch loop (tests, and the loop itself). */
  pass(): Promise<void>;
}

export function createSlurmProvider(options: SlurmProviderOptions): SlurmProvider {
  const prefix = `ob${options.serverTag}-`;
  const jobName = (agentId: string) => `${prefix}${agentId}`;
  /** When each agent's pilot was first seen missing. */
  const missingSince = new Map<string, number>();
  /** Agents whose pilot was cancelled by us, so a second pass does not cancel it again. */
  const cancelled = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;

  const agentKey = (agent: AgentRef) => `${agent.account}\u0000${agent.poolId.toLowerCase()}\u0000${agent.agentId}`;

  async function submit(launch: AgentLaunch): Promise<void> {
    const settings = effectiveSlurmSettings(options.settings, launch.pool);
    const extra = options.pilotEnvironment ?? {};
    const args = pilotJobArguments(settings, launch.pool, jobName(launch.agentId), ["OPENBATCH_AGENT_TOKEN", "PATH", ...Object.keys(extra)]);
    const script = pilotScript({
      agentCommand: [...options.agentCommand],
      serverUrl: options.serverUrl(),
      agentId: launch.agentId,
      workDirectory: options.workDirectory,
      ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
      description: `a compute node of pool ${launch.poolId} (account ${launch.account})`,
    });
    const jobId = await options.commands.submit(args, script, { ...extra, OPENBATCH_AGENT_TOKEN: launch.token });
    options.log("info", "pilot job submitted", { account: launch.account, poolId: launch.poolId, agentId: launch.agentId, jobId });
  }

  async function slurmAgents(): Promise<(AgentRecord & { account: string; pool: CloudPool; nodes: NodeRecord[] })[]> {
    const found: (AgentRecord & { account: string; pool: CloudPool; nodes: NodeRecord[] })[] = [];
    for (const account of options.accounts()) {
      await options.store.read(async (tx) => {
        const pools = await tx.list<CloudPool>({ account, kind: "pool", scope: "" }, { limit: 100_000 });
        for (const pool of pools.items) {
          const agents = (await tx.list<AgentRecord>({ account, kind: "agent", scope: pool.id }, { limit: 100_000 })).items.filter((agent) => agent.body.provider === "slurm");
          if (agents.length === 0) continue;
          const nodes = (await tx.list<NodeRecord>({ account, kind: "node", scope: pool.id }, { limit: 100_000 })).items;
          for (const agent of agents) {
            found.push({ ...agent.body, account, pool: pool.body, nodes: nodes.filter((node) => node.body._ob.agentId === agent.id).map((node) => node.body) });
          }
        }
      });
    }
    return found;
  }

  async function cancel(job: SlurmJob, why: string, fields: Record<string, unknown>): Promise<void> {
    const id = job.name.slice(prefix.length);
    if (cancelled.has(id)) return;
    cancelled.add(id);
    options.log("info", `cancelling pilot job: ${why}`, { ...fields, jobId: job.jobId });
    await options.commands.cancel([job.jobId]);
  }

  async function pass(): Promise<void> {
    const now = options.clock.now();
    const agents = await slurmAgents();
    // No slurm pool has a node: nothing to follow (and Slurm need not even be installed).
    if (agents.length === 0 && cancelled.size === 0) return;
    const jobs = await options.commands.jobs(prefix);
    const byAgent = new Map<string, SlurmJob>();
    for (const job of jobs) {
      const agentId = job.name.slice(prefix.length);
      const known = byAgent.get(agentId);
      // A pilot still alive wins over a finished one of the same name.
      if (known === undefined || ended.has(known.state)) byAgent.set(agentId, job);
    }
    const live = new Set<string>();
    for (const agent of agents) {
      const ref = { account: agent.account, poolId: agent.poolId, agentId: agent.id };
      live.add(agent.id);
      const job = byAgent.get(agent.id);
      const fields = { account: agent.account, poolId: agent.poolId, agentId: agent.id };
      if (job === undefined || ended.has(job.state)) {
        const since = missingSince.get(agentKey(ref)) ?? Date.now();
        missingSince.set(agentKey(ref), since);
        if (job === undefined && Date.now() - since < missingGraceInMs) continue;
        missingSince.delete(agentKey(ref));
        const dropped = await options.store.write((tx) => dropLostAgent(tx, ref, now));
        if (dropped > 0) options.log("warn", "pilot job gone: its node leaves the pool", { ...fields, jobId: job?.jobId, state: job?.state ?? "gone" });
        options.onPoolChanged(agent.account, agent.poolId);
        continue;
      }
      missingSince.delete(agentKey(ref));
      if (agent.nodes.length === 0) {
        await cancel(job, "its agent has no node left", fields);
        continue;
      }
      const drainAt = drainBeforeInSeconds(effectiveSlurmSettings(options.settings, agent.pool));
      if (job.state === "RUNNING" && drainAt !== undefined && job.timeLeftInSeconds !== undefined && job.timeLeftInSeconds <= drainAt) {
        let replaced = false;
        await options.store.write(async (tx) => {
          for (const node of agent.nodes) if (await replaceNode(tx, agent.account, agent.poolId, node.id as string, now)) replaced = true;
        });
        if (replaced) {
          options.log("info", "pilot job near its time limit: its node drains and a new one replaces it", { ...fields, jobId: job.jobId, timeLeftInSeconds: job.timeLeftInSeconds });
          options.onPoolChanged(agent.account, agent.poolId);
        }
      }
    }
    // Pilots of this server whose agent is gone from the store (retired, pool deleted) or was never registered.
    for (const [agentId, job] of byAgent) {
      if (live.has(agentId) || ended.has(job.state)) continue;
      await cancel(job, "no agent of this server needs it", { agentId });
    }
    for (const agentId of cancelled) if (!byAgent.has(agentId)) cancelled.delete(agentId);
  }

  let failures = 0;
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => {
      running = pass()
        .then(() => {
          failures = 0;
        })
        .catch((error: unknown) => {
          // A cluster down for an hour must not fill the log.
          if (++failures <= 3 || failures % 100 === 0) options.log("error", "watching Slurm pilot jobs failed", { failures, error: (error as Error).message });
        })
        .finally(schedule);
    }, options.pollIntervalInMs ?? 5000);
    timer.unref();
  };

  return {
    kind: "slurm",
    placement: { kind: "spawn", nodesPerAgent: 1 },
    checkPool(pool: PoolAddParameter) {
      // A pilot's agent reports its host's container runtime and makes its node unusable without one.
      checkLocalPoolCapabilities(pool, { available: true });
      poolSlurmSettings(pool.metadata);
    },
    async startAgent(launch) {
      try {
        await submit(launch);
      } catch (error) {
        // The watch loop sees no pilot for the agent and drops its node; the reconciler tries again.
        options.log("error", "submitting a pilot job failed", { account: launch.account, poolId: launch.poolId, agentId: launch.agentId, error: (error as Error).message });
      }
    },
    async isAgentGone() {
      // A pilot is never started again: one that ended takes its node out of the pool (the watch loop).
      return undefined;
    },
    agentRetired(agent) {
      // The agent exits by itself; a pilot still listed a pass later is cancelled by the watch loop.
      missingSince.delete(agentKey(agent));
    },
    start() {
      schedule();
    },
    pass,
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}
