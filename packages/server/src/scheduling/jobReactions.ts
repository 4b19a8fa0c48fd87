/**
 * How a job reacts to its tasks (semantics.md §3, §5.1), inside the transaction that changed the task:
 * - a task that failed, in a job with `onTaskFailure: performexitoptionsjobaction`, terminates the job with
 *   `TaskFailed` (the default exit options' job action for a failure; explicit exit conditions come later);
 * - a job with `onAllTasksComplete: terminatejob` completes with `AllTasksComplete` once no task is left unfinished.
 * A job that ends kills its running tasks (they complete as failed, `TaskEnded`); its active tasks stay active.
 */
import { formatTimestamp } from "@openbatch/core";
import type { CloudJob } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import { completeJob } from "../services/jobStates.js";
import type { TaskRecord } from "../services/taskService.js";
import { endedTask, killAssignment } from "./taskEnding.js";

/** Kills the job's running tasks: each completes as failed (`TaskEnded`) and its node assignment is marked `kill`. */
export async function endRunningTasks(tx: WriteTx, account: string, jobId: string, now: Date, message = "The task was terminated because its job ended."): Promise<Set<string>> {
  const pools = new Set<string>();
  const time = formatTimestamp(now);
  const running = await tx.list<TaskRecord>({ account, kind: "task", scope: jobId }, { limit: 100_000, filter: { op: "eq", path: ["state"], kind: "enum", value: "running" } });
  for (const task of running.items) {
    const poolId = await killAssignment(tx, account, task.body._ob.assignment, now);
    if (poolId !== undefined) pools.add(poolId);
    await tx.replace({ account, kind: "task", scope: jobId, id: task.id }, endedTask(task.body, message, time), now);
  }
  return pools;
}

/** Applies the job's reaction to a task that just reached `task`'s state; returns pools whose agents must wake. */
export async function reactToTask(tx: WriteTx, account: string, jobId: string, task: TaskRecord, now: Date): Promise<Set<string>> {
  if (task.state !== "completed") return new Set();
  const ref = { account, kind: "job" as const, scope: "", id: jobId };
  const job = await tx.get<CloudJob>(ref);
  if (job === undefined || job.body.state !== "active") return new Set();
  let reason: string | undefined;
  if (task.executionInfo?.result === "failure" && job.body.onTaskFailure === "performexitoptionsjobaction") {
    reason = "TaskFailed";
  } else if (job.body.onAllTasksComplete === "terminatejob" && job.body.jobManagerTask === undefined) {
    const unfinished = await tx.count({ account, kind: "task", scope: jobId }, { op: "ne", path: ["state"], kind: "enum", value: "completed" });
    if (unfinished === 0) reason = "AllTasksComplete";
  }
  if (reason === undefined) return new Set();
  const pools = await endRunningTasks(tx, account, jobId, now);
  await tx.replace(ref, completeJob(job.body, reason, formatTimestamp(now)), now);
  return pools;
}
