/**
 * How a job reacts to its tasks (semantics.md §3, §5.1), inside the transaction that changed the task:
 * - in a job with `onTaskFailure: performexitoptionsjobaction`, the job action of the task's exit options
 *   (exitOptions.ts) applies: `terminate` ends the job with `TaskFailed`, `disable` disables it with `requeue`;
 * - a job manager task with `killJobOnCompletion` completes its job with `JMComplete` (§5.2);
 * - a job with `onAllTasksComplete: terminatejob` completes with `AllTasksComplete` once no task (job manager
 *   included) is left unfinished.
 * - a `disabling` job (disabled with `wait`) becomes `disabled` when its last running task completes.
 * A job that ends kills its running tasks (they complete as failed, `TaskEnded`); its active tasks stay active.
 */
import { formatTimestamp } from "@openbatch/core";
import type { CloudJob, DisableJobOption } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import { completeJob, transition } from "../services/jobStates.js";
import type { TaskRecord } from "../services/taskService.js";
import { busyTaskFilter, startReleases } from "./jobPreparation.js";
import { requeuedTask } from "./requeue.js";
import { endedTask } from "./taskEnding.js";
import { stopRun } from "./multiInstance.js";

/** Kills the job's running tasks: each completes as failed (`TaskEnded`) and its node assignment is marked `kill`. */
export async function endRunningTasks(tx: WriteTx, account: string, jobId: string, now: Date, message = "The task was terminated because its job ended."): Promise<Set<string>> {
  const pools = new Set<string>();
  const time = formatTimestamp(now);
  const running = await tx.list<TaskRecord>({ account, kind: "task", scope: jobId }, { limit: 100_000, filter: busyTaskFilter });
  for (const task of running.items) {
    const stopped = await stopRun(tx, account, task.body, message, now);
    if (stopped.poolId !== undefined) pools.add(stopped.poolId);
    await tx.replace({ account, kind: "task", scope: jobId, id: task.id }, endedTask(stopped.task, message, time), now);
  }
  return pools;
}

/**
 * Disables a job (semantics.md §5.1) inside the caller's transaction: `requeue` kills its running tasks and puts them
 * back to `active`; `terminate` kills them and completes them as failed; both leave the job `disabled`. `wait` lets
 * them finish: the job stays `disabling` until the last one completes (see `reactToTask`). Returns the pools whose
 * agents must wake.
 */
export async function disableJob(tx: WriteTx, account: string, jobId: string, job: CloudJob, option: DisableJobOption, now: Date): Promise<{ job: CloudJob; pools: Set<string> }> {
  const time = formatTimestamp(now);
  const pools = new Set<string>();
  const running = await tx.list<TaskRecord>({ account, kind: "task", scope: jobId }, { limit: 100_000, filter: busyTaskFilter });
  if (option !== "wait") {
    for (const task of running.items) {
      const stopped = await stopRun(tx, account, task.body, "The job was disabled.", now);
      if (stopped.poolId !== undefined) pools.add(stopped.poolId);
      const changed = option === "requeue" ? requeuedTask(stopped.task, time) : endedTask(stopped.task, "The task was terminated because its job was disabled.", time);
      await tx.replace({ account, kind: "task", scope: jobId, id: task.id }, changed, now);
    }
  }
  const waiting = option === "wait" && running.items.length > 0;
  return { job: transition(job, waiting ? "disabling" : "disabled", time), pools };
}

/** Applies the job's reaction to a task that just reached `task`'s state; returns pools whose agents must wake. */
export async function reactToTask(tx: WriteTx, account: string, jobId: string, task: TaskRecord, now: Date): Promise<Set<string>> {
  if (task.state !== "completed") return new Set();
  const ref = { account, kind: "job" as const, scope: "", id: jobId };
  const job = await tx.get<CloudJob>(ref);
  if (job === undefined) return new Set();
  if (job.body.state === "disabling") {
    const stillRunning = await tx.count({ account, kind: "task", scope: jobId }, busyTaskFilter);
    if (stillRunning === 0) await tx.replace(ref, transition(job.body, "disabled", formatTimestamp(now)), now);
    return new Set();
  }
  if (job.body.state !== "active") return new Set();
  if (job.body.onTaskFailure === "performexitoptionsjobaction") {
    const failed = task.executionInfo?.result === "failure";
    const jobAction = task._ob.exitOptions?.jobAction ?? (failed ? "terminate" : "none");
    if (jobAction === "disable") {
      const disabled = await disableJob(tx, account, jobId, job.body, "requeue", now);
      await tx.replace(ref, disabled.job, now);
      return disabled.pools;
    }
    if (jobAction === "terminate") return endJob(tx, account, jobId, job.body, "TaskFailed", now);
  }
  if (task._ob.jobManager?.killJobOnCompletion === true) return endJob(tx, account, jobId, job.body, "JMComplete", now);
  if (job.body.onAllTasksComplete === "terminatejob") {
    const unfinished = await tx.count({ account, kind: "task", scope: jobId }, { op: "ne", path: ["state"], kind: "enum", value: "completed" });
    if (unfinished === 0) return endJob(tx, account, jobId, job.body, "AllTasksComplete", now);
  }
  return new Set();
}

/**
 * The job ended for `reason`, not yet written: its running tasks are killed, and it completes — after its release
 * tasks, when it has some to run (it is `terminating` meanwhile, jobPreparation.ts). Returns the pools to wake.
 */
export async function endedJob(tx: WriteTx, account: string, jobId: string, job: CloudJob, reason: string, now: Date): Promise<{ job: CloudJob; pools: Set<string> }> {
  const pools = await endRunningTasks(tx, account, jobId, now);
  const releasing = await startReleases(tx, account, jobId, job, now);
  const time = formatTimestamp(now);
  const ended =
    releasing.size === 0
      ? completeJob(job, reason, time)
      : { ...transition(job, "terminating", time), executionInfo: { ...job.executionInfo, terminateReason: reason } };
  return { job: ended, pools: new Set([...pools, ...releasing]) };
}

/** Ends the job for `reason` (see `endedJob`) and writes it. */
export async function endJob(tx: WriteTx, account: string, jobId: string, job: CloudJob, reason: string, now: Date): Promise<Set<string>> {
  const ended = await endedJob(tx, account, jobId, job, reason, now);
  await tx.replace({ account, kind: "job", scope: "", id: jobId }, ended.job, now);
  return ended.pools;
}
