/**
 * What a node's agent reports about a finished run, applied in the agent sync's transaction: a task's run moves
 * the task on (lifecycle/tasks.ts `taskAfterRun`) and lets its job react; a multi-instance instance goes to
 * lifecycle/multiInstance.ts; a preparation or release run to lifecycle/preparation.ts, after which an ending job
 * may finish. A report for a run the task no longer has (requeued, deleted, replaced) changes no task; what the run
 * used counts for its job all the same (lifecycle/statistics.ts).
 */
import type { ProcessOutcome } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import type { NodeTaskAssignment } from "../records/nodes.js";
import { taskRef, type TaskRecord } from "../records/tasks.js";
import { finishJobIfReleased, reactToTask } from "./jobs.js";
import { instanceRunFinished } from "./multiInstance.js";
import { roleRunFinished } from "./preparation.js";
import { measuredJobRun, measuredRun } from "./statistics.js";
import { taskAfterRun } from "./tasks.js";

export async function runFinished(tx: WriteTx, account: string, poolId: string, nodeId: string, assignment: NodeTaskAssignment, outcome: ProcessOutcome, time: string, now: Date): Promise<void> {
  if (assignment.role !== undefined) {
    measuredJobRun(tx, account, assignment.jobId, outcome, time);
    if (await roleRunFinished(tx, account, poolId, nodeId, assignment, outcome, now)) await finishJobIfReleased(tx, account, assignment.jobId, now);
    return;
  }
  if (assignment.subtaskId !== undefined) return instanceRunFinished(tx, account, assignment, outcome, now);
  const ref = taskRef(account, assignment.jobId, assignment.taskId);
  const task = await tx.get<TaskRecord>(ref);
  if (task === undefined || task.body._ob.assignment?.assignmentId !== assignment.assignmentId) {
    // A run its task no longer follows (killed by a terminate or requeue, or the task deleted) counts for its job.
    measuredJobRun(tx, account, assignment.jobId, outcome, time);
    return;
  }
  const after = taskAfterRun(tx, account, assignment.jobId, measuredRun(tx, account, assignment.jobId, task.body, outcome, time), outcome, time);
  await tx.replace(ref, after, now);
  await reactToTask(tx, account, assignment.jobId, after, now);
}
