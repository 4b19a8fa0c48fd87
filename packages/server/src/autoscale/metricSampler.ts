/**
 * One sample of an autoscale pool's metrics, read from the store in one transaction (semantics.md §7.3):
 * - task metrics over every job bound to the pool (`executionInfo.poolId`: its pool, or its auto pool) that is not
 *   completed, counting tasks, not slots: `$ActiveTasks` (active), `$RunningTasks` (preparing + running), `$PendingTasks` (their sum),
 *   `$SucceededTasks` / `$FailedTasks` (completed with that result). Job release tasks are not tasks rows, so they
 *   are excluded as the service excludes them.
 * - node metrics: `$CurrentDedicatedNodes`, `$CurrentLowPriorityNodes` (including preempted ones), the preempted
 *   and usable (idle or running) counts, `$TaskSlotsPerNode`, `$SampleNodeCount`.
 * - `$CPUPercent`: the mean of the CPU use the agents of the pool's usable nodes measured on their hosts (each
 *   agent reports it with every sync). The retired resource metrics (memory, disk, network, wall clock) get no
 *   samples, which is what formulas see on Azure since March 2024 (no data).
 */
import type { Predicate } from "@openbatch/core";
import type { CloudJob, CloudPool } from "@openbatch/protocol";
import type { ListPage, ReadTx } from "@openbatch/store";
import type { AgentRecord } from "../records/agents.js";
import type { NodeRecord } from "../records/nodes.js";

export type MetricValues = Record<string, number>;

const and = (left: Predicate, right: Predicate): Predicate => ({ op: "and", left, right });

export async function sampleMetrics(tx: ReadTx, account: string, pool: CloudPool): Promise<MetricValues> {
  const poolId = pool.id ?? "";
  const tasks = { active: 0, running: 0, succeeded: 0, failed: 0 };
  const jobFilter: Predicate = and({ op: "eq", path: ["executionInfo", "poolId"], kind: "caseInsensitiveString", value: poolId.toLowerCase() }, { op: "ne", path: ["state"], kind: "enum", value: "completed" });
  let afterKey: string | undefined;
  do {
    const page = await tx.list<CloudJob>({ account, kind: "job", scope: "" }, { limit: 500, afterKey, filter: jobFilter });
    for (const job of page.items) {
      // The store's maintained counts: the same cost whatever the number of tasks.
      for (const group of await tx.taskCounts(account, job.id)) {
        if (group.state === "active") tasks.active += group.count;
        else if (group.state === "running" || group.state === "preparing") tasks.running += group.count;
        else if (group.state === "completed" && group.result === "success") tasks.succeeded += group.count;
        else if (group.state === "completed" && group.result === "failure") tasks.failed += group.count;
      }
    }
    afterKey = page.nextKey;
  } while (afterKey !== undefined);

  const nodes: NodeRecord[] = [];
  afterKey = undefined;
  do {
    const page: ListPage<NodeRecord> = await tx.list<NodeRecord>({ account, kind: "node", scope: poolId }, { limit: 1000, afterKey });
    nodes.push(...page.items.map((node) => node.body));
    afterKey = page.nextKey;
  } while (afterKey !== undefined);
  const live = nodes.filter((node) => node._ob.action === "run");
  const dedicated = live.filter((node) => node.isDedicated !== false).length;
  const cpu = await averageCpuPercent(tx, account, poolId, live);
  return {
    ...(cpu === undefined ? {} : { $CPUPercent: cpu }),
    $ActiveTasks: tasks.active,
    $RunningTasks: tasks.running,
    $PendingTasks: tasks.active + tasks.running,
    $SucceededTasks: tasks.succeeded,
    $FailedTasks: tasks.failed,
    $CurrentDedicatedNodes: dedicated,
    $CurrentLowPriorityNodes: live.length - dedicated,
    $PreemptedNodeCount: live.filter((node) => node.state === "preempted").length,
    $UsableNodeCount: live.filter((node) => node.state === "idle" || node.state === "running").length,
    $TaskSlotsPerNode: pool.taskSlotsPerNode ?? 1,
    $SampleNodeCount: live.length,
  };
}

/** The mean CPU use of the hosts of the pool's usable nodes, as their agents last reported it (a node counts once). */
async function averageCpuPercent(tx: ReadTx, account: string, poolId: string, nodes: readonly NodeRecord[]): Promise<number | undefined> {
  const readings: number[] = [];
  const agents = new Map<string, number | undefined>();
  for (const node of nodes) {
    if (node.state !== "idle" && node.state !== "running") continue;
    const agentId = node._ob.agentId;
    if (!agents.has(agentId)) {
      const agent = await tx.get<AgentRecord>({ account, kind: "agent", scope: poolId, id: agentId });
      agents.set(agentId, agent?.body.cpuPercent);
    }
    const reading = agents.get(agentId);
    if (reading !== undefined) readings.push(reading);
  }
  return readings.length === 0 ? undefined : readings.reduce((sum, value) => sum + value, 0) / readings.length;
}
