/**
 * What a node's agent reports about a run, applied in the agent sync's transaction:
 * - begun (`runStarted`): the run counts as running on its node and its task — `active` (or `preparing`) while the
 *   run waited there — is `running` from the agent's start time (pipelined dispatch: a task is `running` only once
 *   it started);
 * - withdrawn before it began (`runWithdrawn`): its task, still `active`, is placeable again;
 * - finished (`runFinished`): a task's run moves the task on (lifecycle/tasks.ts `taskAfterRun`) and lets its job
 *   react; a multi-instance instance goes to lifecycle/multiInstance.ts; a preparation or release run to
 *   lifecycle/preparation.ts, after which an ending job may finish.
 * A report for a run the task no longer has (requeued, taken back, deleted, replaced) changes no task; what the run
 * used counts for its job all the same (lifecycle/statistics.ts).
 */
import type { ProcessOutcome } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import { nodeInfoOf, type NodeRecord, type NodeTaskAssignment } from "../records/nodes.js";
import { recentTaskOf, withRecentTask } from "../records/recentTasks.js";
import { taskRef, type TaskRecord } from "../records/tasks.js";
import { finishJobIfReleased, reactToTask } from "./jobs.js";
import { instanceRunFinished } from "./multiInstance.js";
import { withStartedRun } from "./nodes.js";
import { roleRunFinished } from "./preparation.js";
import { measuredJobRun, measuredRun } from "./statistics.js";
import { startedTask, taskAfterRun, unassignedTask } from "./tasks.js";

/** Whether the task still holds this run, not yet begun as far as the service knows. */
function waitsFor(task: TaskRecord | undefined, assignment: NodeTaskAssignment): task is TaskRecord {
  return task !== undefined && task._ob.assignment?.assignmentId === assignment.assignmentId && (task.state === "active" || task.state === "preparing");
}

/**
 * A task's run its agent reports begun (`outcome.startTime`): returns the node with the run counted as running (the
 * caller writes it); the task is written `running` unless it no longer holds the run — then its agent is killing it.
 */
export async function runStarted(tx: WriteTx, account: string, poolId: string, node: NodeRecord, assignment: NodeTaskAssignment, outcome: ProcessOutcome, time: string, now: Date): Promise<NodeRecord> {
  const withRun = withStartedRun(tx, account, poolId, node, assignment.assignmentId, time);
  const ref = taskRef(account, assignment.jobId, assignment.taskId);
  const task = (await tx.get<TaskRecord>(ref))?.body;
  if (!waitsFor(task, assignment)) return withRun;
  const started = startedTask(tx, account, assignment.jobId, task, nodeInfoOf(node, poolId, assignment.taskDirectory), outcome.startTime, time);
  await tx.replace(ref, started, now);
  return withRecentTask(withRun, recentTaskOf(started, assignment.jobId));
}

/** A run withdrawn before it began: its task, if it still holds it, is placeable again. The caller drops it from the node. */
export async function runWithdrawn(tx: WriteTx, account: string, assignment: NodeTaskAssignment, now: Date): Promise<void> {
  const ref = taskRef(account, assignment.jobId, assignment.taskId);
  const task = (await tx.get<TaskRecord>(ref))?.body;
  if (waitsFor(task, assignment) && task.state === "active") await tx.replace(ref, unassignedTask(tx, account, task), now);
}

/** A finished run applied; returns the task as written when it was a task's own run (for the node's recent tasks). */
export async function runFinished(tx: WriteTx, account: string, poolId: string, nodeId: string, assignment: NodeTaskAssignment, outcome: ProcessOutcome, time: string, now: Date): Promise<TaskRecord | undefined> {
  if (assignment.role !== undefined) {
    measuredJobRun(tx, account, assignment.jobId, outcome, time);
    if (await roleRunFinished(tx, account, poolId, nodeId, assignment, outcome, now)) await finishJobIfReleased(tx, account, assignment.jobId, now);
    return undefined;
  }
  if (assignment.subtaskId !== undefined) {
    await instanceRunFinished(tx, account, assignment, outcome, now);
    return undefined;
  }
  const ref = taskRef(account, assignment.jobId, assignment.taskId);
  const task = await tx.get<TaskRecord>(ref);
  if (task === undefined || task.body._ob.assignment?.assignmentId !== assignment.assignmentId) {
    // A run its task no longer follows (killed by a terminate or requeue, or the task deleted) counts for its job.
    measuredJobRun(tx, account, assignment.jobId, outcome, time);
    return undefined;
  }
  const after = taskAfterRun(tx, account, assignment.jobId, measuredRun(tx, account, assignment.jobId, task.body, outcome, time), outcome, time);
  await tx.replace(ref, after, now);
  await reactToTask(tx, account, assignment.jobId, after, now);
  return after;
}
