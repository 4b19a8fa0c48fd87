/**
 * What happens when a provider knows an agent is gone for good and will not come back (a Slurm pilot job that
 * ended, was cancelled outside OpenBatch or hit its time limit): its nodes leave the pool at once, their running
 * tasks are requeued as for a node removed from the pool (semantics.md §6.1: requeue, the default deallocation
 * option), and the agent is forgotten. A pool that still wants those nodes goes back to `resizing`, so the
 * reconciler replaces them — as Azure keeps chasing a pool's targets when it loses Spot nodes.
 */
import { formatTimestamp } from "@openbatch/core";
import type { CloudPool } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import type { AgentRef } from "../providers/computeProvider.js";
import { releaseNodeTasks } from "../scheduling/requeue.js";
import type { NodeRecord } from "../services/nodeService.js";
import { recordNodeReleased } from "./nodeUsage.js";

/** Removes the agent's nodes and its record; returns how many nodes left. */
export async function dropLostAgent(tx: WriteTx, agent: AgentRef, now: Date): Promise<number> {
  const { account, poolId, agentId } = agent;
  const nodes = await tx.list<NodeRecord>({ account, kind: "node", scope: poolId }, { limit: 100_000 });
  let dropped = 0;
  for (const node of nodes.items) {
    if (node.body._ob.agentId !== agentId) continue;
    await releaseNodeTasks(tx, account, node.body, "requeue", now);
    await tx.delete({ account, kind: "node", scope: poolId, id: node.id });
    await recordNodeReleased(tx, account, poolId, node.body, now);
    dropped++;
  }
  const agentRef = { account, kind: "agent" as const, scope: poolId, id: agentId };
  if ((await tx.get(agentRef)) !== undefined) await tx.delete(agentRef);
  const poolRef = { account, kind: "pool" as const, scope: "", id: poolId };
  const pool = await tx.get<CloudPool>(poolRef);
  if (dropped > 0 && pool !== undefined && pool.body.state === "active" && pool.body.allocationState === "steady") {
    const { resizeErrors: _previous, ...rest } = pool.body;
    await tx.replace(poolRef, { ...rest, allocationState: "resizing", allocationStateTransitionTime: formatTimestamp(now) }, now);
  }
  return dropped;
}

/**
 * Asks for one of an agent's nodes to be replaced before the agent must go (a pilot job near its time limit): the
 * node drains — no new tasks, its running ones finish (`taskcompletion`) — while the pool, back in `resizing`,
 * gets a new node in its place; once drained the node leaves and its agent shuts down. Returns false when the
 * node is already leaving.
 */
export async function replaceNode(tx: WriteTx, account: string, poolId: string, nodeId: string, now: Date): Promise<boolean> {
  const ref = { account, kind: "node" as const, scope: poolId, id: nodeId };
  const node = await tx.get<NodeRecord>(ref);
  if (node === undefined || node.body._ob.action !== "run" || node.body._ob.removalRequested !== undefined) return false;
  await tx.replace(ref, { ...node.body, _ob: { ...node.body._ob, removalRequested: "taskcompletion" } }, now);
  const poolRef = { account, kind: "pool" as const, scope: "", id: poolId };
  const pool = await tx.get<CloudPool>(poolRef);
  if (pool !== undefined && pool.body.state === "active" && pool.body.allocationState === "steady") {
    await tx.replace(poolRef, { ...pool.body, allocationState: "resizing", allocationStateTransitionTime: formatTimestamp(now) }, now);
  }
  return true;
}
