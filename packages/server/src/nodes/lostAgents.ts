/**
 * What happens when a provider knows an agent is gone for good and will not come back (a Slurm pilot job that
 * ended, was cancelled outside OpenBatch or hit its time limit): its nodes leave the pool at once, their running
 * tasks are requeued as for a node removed from the pool (semantics.md §6.1: requeue, the default deallocation
 * option), and the agent is forgotten. A pool that still wants those nodes goes back to `resizing`, so the
 * reconciler replaces them — as Azure keeps chasing a pool's targets when it loses Spot nodes. The state changes
 * are the lifecycle layer's (lifecycle/runs.ts, nodes.ts, pools.ts); their effects wake the reconciler.
 */
import { formatTimestamp } from "@openbatch/core";
import type { CloudPool } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import { removeNode, writeNode } from "../lifecycle/nodes.js";
import { resizingPool } from "../lifecycle/pools.js";
import { releaseNodeTasks } from "../lifecycle/nodeOperations.js";
import type { AgentRef } from "../providers/computeProvider.js";
import { listAll } from "../records/listAll.js";
import { nodeRef, type NodeRecord } from "../records/nodes.js";
import { poolRef } from "../records/pools.js";

/** A steady pool back to `resizing` (its targets unchanged), so that the reconciler makes nodes again. */
async function resizeAgain(tx: WriteTx, account: string, poolId: string, now: Date): Promise<void> {
  const ref = poolRef(account, poolId);
  const pool = await tx.get<CloudPool>(ref);
  if (pool === undefined || pool.body.state !== "active" || pool.body.allocationState !== "steady") return;
  await tx.replace(ref, resizingPool(tx, account, pool.body, {}, formatTimestamp(now)), now);
}

/** Removes the agent's nodes and its record; returns how many nodes left. */
export async function dropLostAgent(tx: WriteTx, agent: AgentRef, now: Date): Promise<number> {
  const { account, poolId, agentId } = agent;
  let dropped = 0;
  for (const node of await listAll<NodeRecord>(tx, { account, kind: "node", scope: poolId })) {
    if (node.body._ob.agentId !== agentId) continue;
    await removeNode(tx, account, poolId, await releaseNodeTasks(tx, account, node.body, "requeue", now), now);
    dropped++;
  }
  const agentRef = { account, kind: "agent" as const, scope: poolId, id: agentId };
  if ((await tx.get(agentRef)) !== undefined) await tx.delete(agentRef);
  if (dropped > 0) await resizeAgain(tx, account, poolId, now);
  return dropped;
}

/**
 * Asks for one of an agent's nodes to be replaced before the agent must go (a pilot job near its time limit): the
 * node drains — no new tasks, its running ones finish (`taskcompletion`) — while the pool, back in `resizing`,
 * gets a new node in its place; once drained the node leaves and its agent shuts down. Returns false when the
 * node is already leaving.
 */
export async function replaceNode(tx: WriteTx, account: string, poolId: string, nodeId: string, now: Date): Promise<boolean> {
  const node = await tx.get<NodeRecord>(nodeRef(account, poolId, nodeId));
  if (node === undefined || node.body._ob.action !== "run" || node.body._ob.removalRequested !== undefined) return false;
  await writeNode(tx, account, poolId, node.body, { ...node.body, _ob: { ...node.body._ob, removalRequested: "taskcompletion" } }, now);
  await resizeAgain(tx, account, poolId, now);
  return true;
}
