/**
 * What happens to the work of a node that stays `unknown` (docs/agent-protocol.md "Unresponsive nodes"). An agent
 * that stops reporting has its nodes marked `unknown` after `nodeHeartbeatTimeoutInSeconds` (heartbeatTracker.ts);
 * as in Azure, their running tasks stay `running` then — the agent may be slow, cut off or frozen, and its processes
 * may still be working. Once a node has been `unknown` for `unknownNodeTimeoutInSeconds` as well, its runs are given
 * up as lost to a host failure, exactly as if its agent had restarted and reported them lost (`AgentRestarted`), so
 * that a node that never comes back does not hold tasks forever:
 *
 * - a task's run ends in a recovery retry (semantics.md §2.2): back to `active` without counting a retry or a
 *   requeue, at most `maxRecoveries` times (taskCompletion.ts); a multi-instance task's instance ends its run as a
 *   whole, which the task then retries the same way;
 * - a job preparation or release run ends as failed, so a job waiting for its release tasks can complete and the
 *   node is not used for that job until it recovers and prepares anew.
 *
 * The runs leave the node's assignments. The node itself stays `unknown` (nothing is scheduled on it) until its agent
 * reports again: it then recovers as usual and kills the processes of the runs it no longer finds in its desired
 * state; their late outcomes are ignored (the tasks moved on). Removing the node works at any time.
 */
import { formatTimestamp } from "@openbatch/core";
import type { ProcessOutcome } from "@openbatch/protocol";
import type { Store } from "@openbatch/store";
import { roleRunFinished } from "../scheduling/jobPreparation.js";
import { reactToTask } from "../scheduling/jobReactions.js";
import { instanceRunFinished } from "../scheduling/multiInstance.js";
import { taskAfterRun } from "../scheduling/taskCompletion.js";
import type { NodeRecord } from "../services/nodeService.js";
import type { TaskRecord } from "../services/taskService.js";
import type { AgentIdentity } from "./agentTokens.js";

export interface UnresponsiveRelease {
  /** Nodes whose runs were given up. */
  readonly nodes: number;
  /** Pools whose agents must wake (a job that ended killed tasks there). */
  readonly poolsToWake: ReadonlySet<string>;
  /** Auto pools that started deleting because a job could end (its last release run ended here). */
  readonly poolsDeleted: ReadonlySet<string>;
}

const lostMessage = "The node stopped responding: its agent was silent for longer than the server waits for an unknown node, and the run was given up.";

/** Gives up the runs of the agent's nodes that are still `unknown` now, in one transaction. */
export async function releaseUnresponsiveNodes(store: Store, identity: AgentIdentity, now: Date): Promise<UnresponsiveRelease> {
  const { account, poolId, agentId } = identity;
  return store.write(async (tx) => {
    const time = formatTimestamp(now);
    const poolsToWake = new Set<string>();
    const poolsDeleted = new Set<string>();
    let released = 0;
    const nodes = await tx.list<NodeRecord>({ account, kind: "node", scope: poolId }, { limit: 100_000 });
    for (const stored of nodes.items) {
      const ref = { account, kind: "node" as const, scope: poolId, id: stored.id };
      const given = stored.body._ob.assignments ?? [];
      if (stored.body._ob.agentId !== agentId || stored.body.state !== "unknown" || given.length === 0) continue;
      for (const assignment of given) {
        if (assignment.held === true || assignment.kill === true) continue;
        const lost: ProcessOutcome = { attempt: assignment.attempt, state: "completed", startTime: time, endTime: time, failure: { code: "AgentRestarted", category: "servererror", message: lostMessage } };
        if (assignment.role !== undefined) {
          const deleted = await roleRunFinished(tx, account, poolId, stored.id, assignment, { ...lost, failure: { code: "TaskEnded", category: "servererror", message: lostMessage } }, now);
          if (deleted !== undefined) poolsDeleted.add(deleted);
        } else if (assignment.subtaskId !== undefined) {
          for (const pool of await instanceRunFinished(tx, account, assignment, lost, now)) poolsToWake.add(pool);
        } else {
          const taskRef = { account, kind: "task" as const, scope: assignment.jobId, id: assignment.taskId };
          const task = await tx.get<TaskRecord>(taskRef);
          if (task === undefined || task.body._ob.assignment?.assignmentId !== assignment.assignmentId) continue;
          const after = taskAfterRun(task.body, lost, time);
          await tx.replace(taskRef, after, now);
          for (const pool of await reactToTask(tx, account, assignment.jobId, after, now)) poolsToWake.add(pool);
        }
      }
      // What the runs' ends changed on the node (a job's end marked runs `kill`) is in the stored record; the runs
      // given up leave it, as reported runs do.
      const current = (await tx.get<NodeRecord>(ref))?.body ?? stored.body;
      const gone = new Set(given.filter((assignment) => assignment.held !== true).map((assignment) => assignment.assignmentId));
      const remaining = (current._ob.assignments ?? []).filter((assignment) => !gone.has(assignment.assignmentId));
      await tx.replace(
        ref,
        {
          ...current,
          runningTasksCount: remaining.filter((assignment) => assignment.role === undefined).length,
          runningTaskSlotsCount: remaining.reduce((sum, assignment) => sum + (assignment.kill === true ? 0 : assignment.slots), 0),
          _ob: { ...current._ob, assignments: remaining },
        },
        now,
      );
      released++;
    }
    return { nodes: released, poolsToWake, poolsDeleted };
  });
}
