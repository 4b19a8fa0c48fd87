/**
 * What happens to the work of a node that stays `unknown` (docs/agent-protocol.md "Unresponsive nodes"). An agent
 * that stops reporting has its nodes marked `unknown` after `nodeHeartbeatTimeoutInSeconds` (loops/heartbeatTracker.ts);
 * as in Azure, their running tasks stay `running` then — the agent may be slow, cut off or frozen, and its processes
 * may still be working. Once a node has been `unknown` for `unknownNodeTimeoutInSeconds` as well, its runs are given
 * up as lost to a host failure, exactly as if its agent had restarted and reported them lost (`AgentRestarted`), so
 * that a node that never comes back does not hold tasks forever:
 *
 * - a run its agent had not begun (pipelined dispatch) gives its task, still `active`, its run back;
 * - a task's run ends in a recovery retry (semantics.md §2.2): back to `active` without counting a retry or a
 *   requeue, at most `maxRecoveries` times (lifecycle/tasks.ts); a multi-instance task's instance ends its run as a
 *   whole, which the task then retries the same way;
 * - a job preparation or release run ends as failed, so a job waiting for its release tasks can complete and the
 *   node is not used for that job until it recovers and prepares anew.
 *
 * The runs leave the node's assignments. The node itself stays `unknown` (nothing is scheduled on it) until its agent
 * reports again: it then recovers as usual and kills the processes of the runs it no longer finds in its desired
 * state; their late outcomes are ignored (the tasks moved on). Removing the node works at any time.
 * What the runs' ends cause (tasks active again, jobs ending, slots) is recorded as effects, as for any run's end.
 */
import { formatTimestamp } from "@openbatch/core";
import type { ProcessOutcome } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import { listAll } from "../records/listAll.js";
import type { NodeRecord } from "../records/nodes.js";
import { nodeRef, runningCounts } from "../records/nodes.js";
import { writeNode } from "./nodes.js";
import { runFinished, runWithdrawn } from "./runReports.js";

/** The agent whose nodes are given up (the heartbeat tracker's identity of it). */
export interface SilentAgent {
  readonly account: string;
  readonly poolId: string;
  readonly agentId: string;
}

const lostMessage = "The node stopped responding: its agent was silent for longer than the server waits for an unknown node, and the run was given up.";

/** Gives up the runs of the agent's nodes that are still `unknown` now; returns how many nodes had runs to give up. */
export async function releaseUnresponsiveNodes(tx: WriteTx, agent: SilentAgent, now: Date): Promise<number> {
  const { account, poolId, agentId } = agent;
  const time = formatTimestamp(now);
  let released = 0;
  for (const stored of await listAll<NodeRecord>(tx, { account, kind: "node", scope: poolId })) {
    const given = stored.body._ob.assignments ?? [];
    if (stored.body._ob.agentId !== agentId || stored.body.state !== "unknown" || given.length === 0) continue;
    for (const assignment of given) {
      if (assignment.held === true || assignment.kill === true) continue;
      // A run not begun (as far as the server knows) lost nothing: its task is placeable again, nothing counted.
      if (assignment.started !== true && assignment.role === undefined && assignment.subtaskId === undefined && assignment.gated !== true) {
        await runWithdrawn(tx, account, assignment, now);
        continue;
      }
      const failure = assignment.role === undefined ? { code: "AgentRestarted", category: "servererror" as const, message: lostMessage } : { code: "TaskEnded", category: "servererror" as const, message: lostMessage };
      const lost: ProcessOutcome = { attempt: assignment.attempt, state: "completed", startTime: time, endTime: time, failure };
      await runFinished(tx, account, poolId, stored.id, assignment, lost, time, now);
    }
    // What the runs' ends changed on the node (a job's end marked runs `kill`) is in the stored record; the runs
    // given up leave it, as reported runs do.
    const current = (await tx.get<NodeRecord>(nodeRef(account, poolId, stored.id)))?.body ?? stored.body;
    const gone = new Set(given.filter((assignment) => assignment.held !== true).map((assignment) => assignment.assignmentId));
    const remaining = (current._ob.assignments ?? []).filter((assignment) => !gone.has(assignment.assignmentId));
    await writeNode(tx, account, poolId, current, { ...current, ...runningCounts(remaining), _ob: { ...current._ob, assignments: remaining } }, now);
    released++;
  }
  return released;
}
