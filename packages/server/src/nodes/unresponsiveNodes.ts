/**
 * What happens to the work of a node that stays `unknown` (docs/agent-protocol.md "Unresponsive nodes"). An agent
 * that stops reporting has its nodes marked `unknown` after `nodeHeartbeatTimeoutInSeconds` (heartbeatTracker.ts);
 * as in Azure, their running tasks stay `running` then — the agent may be slow, cut off or frozen, and its processes
 * may still be working. Once a node has been `unknown` for `unknownNodeTimeoutInSeconds` as well, it gives its work
 * up, so that a node that never comes back does not hold tasks forever:
 *
 * - its running tasks are requeued (back to `active`, `requeueCount` + 1, no retry used), a multi-instance task as a
 *   whole, exactly as when a node is removed with `requeue`; their runs are marked `kill`;
 * - its job preparation and release runs end as failed (`TaskEnded`), so a job waiting for its release tasks can
 *   complete and the node is not used for that job again until it recovers and prepares anew.
 *
 * The node itself stays `unknown` (nothing is scheduled on it) until its agent reports again: it then recovers as
 * usual, kills the runs it was told to kill (their late outcomes are ignored: the tasks moved on) and takes new work.
 * Removing the node (resize, remove nodes, pool delete) works at any time.
 */
import { formatTimestamp } from "@openbatch/core";
import type { ProcessOutcome } from "@openbatch/protocol";
import type { Store } from "@openbatch/store";
import { roleRunFinished } from "../scheduling/jobPreparation.js";
import { releaseNodeTasks } from "../scheduling/requeue.js";
import type { NodeRecord } from "../services/nodeService.js";
import type { AgentIdentity } from "./agentTokens.js";

export interface UnresponsiveRelease {
  /** Nodes whose work was given up. */
  readonly nodes: number;
  /** Auto pools that started deleting because a job could end (its last release run ended here). */
  readonly poolsDeleted: readonly string[];
}

/** Gives up the work of the agent's nodes that are still `unknown` now, in one transaction. */
export async function releaseUnresponsiveNodes(store: Store, identity: AgentIdentity, now: Date): Promise<UnresponsiveRelease> {
  const { account, poolId, agentId } = identity;
  return store.write(async (tx) => {
    const time = formatTimestamp(now);
    const poolsDeleted: string[] = [];
    let released = 0;
    const nodes = await tx.list<NodeRecord>({ account, kind: "node", scope: poolId }, { limit: 100_000 });
    for (const stored of nodes.items) {
      const node = stored.body;
      const live = (node._ob.assignments ?? []).filter((assignment) => assignment.kill !== true);
      if (node._ob.agentId !== agentId || node.state !== "unknown" || live.length === 0) continue;
      const ended = (attempt: number): ProcessOutcome => ({
        attempt,
        state: "completed",
        startTime: time,
        endTime: time,
        failure: { code: "TaskEnded", category: "servererror", message: "The node stopped responding; the run was given up." },
      });
      for (const assignment of live) {
        if (assignment.role === undefined) continue;
        const deleted = await roleRunFinished(tx, account, poolId, stored.id, assignment, ended(assignment.attempt), now);
        if (deleted !== undefined) poolsDeleted.push(deleted);
      }
      // The preparation's end may have changed the node (held tasks dropped): continue from the stored record.
      const current = (await tx.get<NodeRecord>({ account, kind: "node", scope: poolId, id: stored.id }))?.body ?? node;
      const after = await releaseNodeTasks(tx, account, current, "requeue", now);
      await tx.replace({ account, kind: "node", scope: poolId, id: stored.id }, after, now);
      released++;
    }
    return { nodes: released, poolsDeleted };
  });
}
