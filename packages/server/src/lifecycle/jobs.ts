/**
 * Every change of a job's state (semantics.md §5.1, §3, §5.2; core's `jobMachine`) and the job reactions to its
 * tasks, in the transaction that caused them:
 * - added (`active`, or `completed` at once: `terminatejob` with no task, or an auto pool that could not be made);
 * - disabled (`requeue`/`terminate` act on running tasks at once; `wait` keeps it `disabling` until the last
 *   running task completes), enabled;
 * - ended (terminate, wall clock, a task's exit options, the job manager's end with `killJobOnCompletion`,
 *   `onAllTasksComplete: terminatejob` once no task is unfinished): its running tasks are killed (they complete as
 *   failed, `TaskEnded`), its active tasks stay active, and it is `terminating` while release tasks run, then
 *   `completed`;
 * - deleted: at once with its tasks, or `deleting` while release tasks run, then removed.
 * Whenever a job stops being `active`, its runs still waiting on nodes (pipelined dispatch) are taken back before
 * they begin (lifecycle/runs.ts `takeBackJobRuns`): its active tasks stay active and nothing of it starts any more.
 * A job that completes or goes takes its own auto pool along (lifecycle/autoPools.ts).
 */
import { formatTimestamp } from "@openbatch/core";
import type { CloudJob, DisableJobOption, JobAddParameter } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import { recordEffect } from "../effects/transaction.js";
import { allTasksCompleteReason, jobPoolId, jobRef, type StoredJob } from "../records/jobs.js";
import { listAll } from "../records/listAll.js";
import { busyTaskFilter, taskRef, unfinishedTaskFilter, type TaskRecord } from "../records/tasks.js";
import { releaseJobAutoPool, type AutoPoolOutcome } from "./autoPools.js";
import { releasesRunning, startReleases } from "./preparation.js";
import { stopRun, takeBackJobRuns } from "./runs.js";
import { retiredJobFigures } from "./statistics.js";
import { endedTask, insertTask, jobManagerTaskRecord, requeuedTask } from "./tasks.js";
import { created, jobLifecycle, move } from "./transitions.js";

/** The job with its server-side defaults filled in. */
export function newJob(job: JobAddParameter, url: string, time: string): CloudJob {
  const { jobManagerTask: manager, jobPreparationTask: preparation, jobReleaseTask: release } = job;
  return {
    ...job,
    url,
    creationTime: time,
    state: "active",
    stateTransitionTime: time,
    priority: job.priority ?? 0,
    maxParallelTasks: job.maxParallelTasks ?? -1,
    ...(manager === undefined
      ? {}
      : {
          jobManagerTask: {
            ...manager,
            requiredSlots: manager.requiredSlots ?? 1,
            killJobOnCompletion: manager.killJobOnCompletion ?? true,
            runExclusive: manager.runExclusive ?? true,
            allowLowPriorityNode: manager.allowLowPriorityNode ?? true,
          },
        }),
    ...(preparation === undefined
      ? {}
      : {
          jobPreparationTask: {
            ...preparation,
            id: preparation.id ?? "jobpreparation",
            waitForSuccess: preparation.waitForSuccess ?? true,
            rerunOnNodeRebootAfterSuccess: preparation.rerunOnNodeRebootAfterSuccess ?? true,
          },
        }),
    ...(release === undefined
      ? {}
      : {
          jobReleaseTask: {
            ...release,
            id: release.id ?? "jobrelease",
            maxWallClockTime: release.maxWallClockTime ?? "PT15M",
            retentionTime: release.retentionTime ?? "P7D",
          },
        }),
    onAllTasksComplete: job.onAllTasksComplete ?? "noaction",
    onTaskFailure: job.onTaskFailure ?? "noaction",
    usesTaskDependencies: job.usesTaskDependencies ?? false,
    executionInfo: { startTime: time, poolId: job.poolInfo.poolId },
  };
}

function completedFields(job: CloudJob, reason: string | undefined, time: string): Partial<CloudJob> {
  return { executionInfo: { ...job.executionInfo, endTime: time, ...(reason === undefined ? {} : { terminateReason: reason }) } };
}

/**
 * Stores a new job (checked by the caller) with its job manager task; a job with `terminatejob`, no job manager and
 * so no task is complete at once, as is one whose auto pool could not be made (`schedulingError`). Job schedules
 * make their jobs through here too, so theirs are ordinary jobs.
 */
export async function insertJob(tx: WriteTx, account: string, job: JobAddParameter, url: string, now: Date, autoPool?: AutoPoolOutcome): Promise<StoredJob> {
  const time = formatTimestamp(now);
  const ref = jobRef(account, job.id);
  let body = newJob(job, url, time);
  if (autoPool !== undefined && "poolId" in autoPool) body = { ...body, executionInfo: { ...body.executionInfo, poolId: autoPool.poolId } };
  if (autoPool !== undefined && "schedulingError" in autoPool) {
    const failed: CloudJob = { ...body, state: "completed", previousState: "active", previousStateTransitionTime: time, executionInfo: { startTime: time, endTime: time, schedulingError: autoPool.schedulingError } };
    created(tx, ref, jobLifecycle, "completed");
    return tx.insert(ref, failed, now);
  }
  if (body.onAllTasksComplete === "terminatejob" && body.jobManagerTask === undefined) {
    body = { ...body, state: "completed", previousState: "active", previousStateTransitionTime: time, ...completedFields(body, allTasksCompleteReason, time) };
    created(tx, ref, jobLifecycle, "completed");
    await releaseJobAutoPool(tx, account, body, now);
    return tx.insert(ref, body, now);
  }
  created(tx, ref, jobLifecycle, "active");
  const manager = jobManagerTaskRecord(body, url, time);
  if (manager !== undefined) await insertTask(tx, account, job.id, manager, now);
  return tx.insert(ref, body, now);
}

/** The job completed now by `event` (for `reason`, when given), its own auto pool released. */
async function completedJob(tx: WriteTx, account: string, jobId: string, job: CloudJob, event: "end" | "released" | "scheduleTerminated", reason: string | undefined, now: Date): Promise<CloudJob> {
  const time = formatTimestamp(now);
  const completed = { ...move(tx, jobRef(account, jobId), jobLifecycle, job, event, "completed", time), ...completedFields(job, reason, time) };
  await releaseJobAutoPool(tx, account, completed, now);
  return completed;
}

/** Kills the job's running tasks: each completes as failed (`TaskEnded`) and its node assignment is marked `kill`. */
export async function endRunningTasks(tx: WriteTx, account: string, jobId: string, now: Date, message = "The task was terminated because its job ended."): Promise<void> {
  const time = formatTimestamp(now);
  for (const task of await listAll<TaskRecord>(tx, { account, kind: "task", scope: jobId }, busyTaskFilter)) {
    const stopped = await stopRun(tx, account, task.body, message, now);
    await tx.replace(taskRef(account, jobId, task.id), endedTask(tx, account, jobId, stopped, message, time), now);
  }
}

/**
 * Disables a job: `requeue` kills its running tasks and puts them back to `active`; `terminate` kills them and
 * completes them as failed; both leave the job `disabled`. `wait` lets them finish: the job stays `disabling` until
 * the last one completes (see `reactToTask`). Returns the job to write.
 */
export async function disabledJob(tx: WriteTx, account: string, jobId: string, job: CloudJob, option: DisableJobOption, now: Date): Promise<CloudJob> {
  const time = formatTimestamp(now);
  await takeBackJobRuns(tx, account, jobId, jobPoolId(job), now);
  const running = await listAll<TaskRecord>(tx, { account, kind: "task", scope: jobId }, busyTaskFilter);
  if (option !== "wait") {
    for (const task of running) {
      const stopped = await stopRun(tx, account, task.body, "The job was disabled.", now);
      const changed =
        option === "requeue" ? requeuedTask(tx, account, jobId, stopped, time) : endedTask(tx, account, jobId, stopped, "The task was terminated because its job was disabled.", time);
      await tx.replace(taskRef(account, jobId, task.id), changed, now);
    }
  }
  const waiting = option === "wait" && running.length > 0;
  return move(tx, jobRef(account, jobId), jobLifecycle, job, "disable", waiting ? "disabling" : "disabled", time);
}

/** Enable: a disabled job is `active` again and its tasks can be scheduled. */
export function enabledJob(tx: WriteTx, account: string, jobId: string, job: CloudJob, now: Date): CloudJob {
  return move(tx, jobRef(account, jobId), jobLifecycle, job, "enable", "active", formatTimestamp(now));
}

/**
 * The job ended for `reason`, not yet written: its running tasks are killed, and it completes — after its release
 * tasks, when it has some to run (it is `terminating` meanwhile).
 */
export async function endedJob(tx: WriteTx, account: string, jobId: string, job: CloudJob, reason: string, now: Date): Promise<CloudJob> {
  await takeBackJobRuns(tx, account, jobId, jobPoolId(job), now);
  await endRunningTasks(tx, account, jobId, now);
  if (!(await startReleases(tx, account, jobId, job, now))) return completedJob(tx, account, jobId, job, "end", reason, now);
  const terminating = move(tx, jobRef(account, jobId), jobLifecycle, job, "end", "terminating", formatTimestamp(now));
  return { ...terminating, executionInfo: { ...job.executionInfo, terminateReason: reason } };
}

/** Ends the job for `reason` (see `endedJob`) and writes it. */
export async function endJob(tx: WriteTx, account: string, jobId: string, job: CloudJob, reason: string, now: Date): Promise<void> {
  await tx.replace(jobRef(account, jobId), await endedJob(tx, account, jobId, job, reason, now), now);
}

/** An active job with `terminatejob` and no unfinished task (its job manager is one) is all complete: it ends at once. */
export async function settledJob(tx: WriteTx, account: string, jobId: string, job: CloudJob, now: Date): Promise<CloudJob> {
  if (job.state !== "active" || job.onAllTasksComplete !== "terminatejob") return job;
  const unfinished = await tx.count({ account, kind: "task", scope: jobId }, unfinishedTaskFilter);
  return unfinished === 0 ? completedJob(tx, account, jobId, job, "end", allTasksCompleteReason, now) : job;
}

/** The job's schedule was terminated: the job completes at once with `reason`, its running tasks killed. */
export async function scheduleTerminatedJob(tx: WriteTx, account: string, jobId: string, job: CloudJob, reason: string, now: Date): Promise<void> {
  // A job being deleted goes anyway; nothing to complete.
  if (job.state === "completed" || job.state === "deleting") return;
  await takeBackJobRuns(tx, account, jobId, jobPoolId(job), now);
  await endRunningTasks(tx, account, jobId, now);
  await tx.replace(jobRef(account, jobId), await completedJob(tx, account, jobId, job, "scheduleTerminated", reason, now), now);
}

/**
 * Applies the job's reaction to a task that just reached `task`'s state (semantics.md §3, §5.1, §5.2):
 * - in a `disabling` job (disabled with `wait`), the last running task's end — or its requeue, when its node
 *   restarts or leaves — makes it `disabled`;
 * - with `onTaskFailure: performexitoptionsjobaction`, the job action of the task's exit options applies:
 *   `terminate` ends the job with `TaskFailed`, `disable` disables it with `requeue`;
 * - a job manager task with `killJobOnCompletion` ends its job with `JMComplete`;
 * - with `onAllTasksComplete: terminatejob` the job ends with `AllTasksComplete` once no task (job manager
 *   included) is unfinished.
 */
export async function reactToTask(tx: WriteTx, account: string, jobId: string, task: TaskRecord, now: Date): Promise<void> {
  if (task.state !== "completed" && task.state !== "active") return;
  const ref = jobRef(account, jobId);
  const job = await tx.get<CloudJob>(ref);
  if (job === undefined) return;
  if (job.body.state === "disabling") {
    const stillRunning = await tx.count({ account, kind: "task", scope: jobId }, busyTaskFilter);
    if (stillRunning === 0) await tx.replace(ref, move(tx, ref, jobLifecycle, job.body, "disabled", "disabled", formatTimestamp(now)), now);
    return;
  }
  if (task.state !== "completed" || job.body.state !== "active") return;
  if (job.body.onTaskFailure === "performexitoptionsjobaction") {
    const failed = task.executionInfo?.result === "failure";
    const jobAction = task._ob.exitOptions?.jobAction ?? (failed ? "terminate" : "none");
    if (jobAction === "disable") {
      await tx.replace(ref, await disabledJob(tx, account, jobId, job.body, "requeue", now), now);
      return;
    }
    if (jobAction === "terminate") return endJob(tx, account, jobId, job.body, "TaskFailed", now);
  }
  if (task._ob.jobManager?.killJobOnCompletion === true) return endJob(tx, account, jobId, job.body, "JMComplete", now);
  if (job.body.onAllTasksComplete === "terminatejob") {
    const unfinished = await tx.count({ account, kind: "task", scope: jobId }, unfinishedTaskFilter);
    if (unfinished === 0) return endJob(tx, account, jobId, job.body, "AllTasksComplete", now);
  }
}

/** Removes the job with its tasks and per-node records (its statistics to the account's); its own auto pool goes too. */
export async function removeJob(tx: WriteTx, account: string, jobId: string, job: CloudJob, now: Date, ifMatch?: string): Promise<void> {
  await retiredJobFigures(tx, account, jobId, now);
  await tx.deleteAll({ account, kind: "task", scope: jobId });
  await tx.deleteAll({ account, kind: "jobNode", scope: jobId });
  await tx.delete(jobRef(account, jobId), { ifMatch });
  await releaseJobAutoPool(tx, account, job, now);
  // A schedule whose job went may make its next one.
  recordEffect(tx, { kind: "kickScheduleRunner", account });
}

/**
 * Deletes the job: running tasks are killed; a job still active with a release task to run is `deleting`, its
 * tasks gone, until the releases end (`finishJobIfReleased` removes it then); otherwise it goes at once.
 */
export async function deleteJob(tx: WriteTx, account: string, jobId: string, job: CloudJob, now: Date, ifMatch: string | undefined): Promise<void> {
  await takeBackJobRuns(tx, account, jobId, jobPoolId(job), now);
  await endRunningTasks(tx, account, jobId, now, "The task was deleted with its job.");
  // Release tasks run when a job still active is deleted, not again after it ended (semantics.md §5.1).
  const ended = job.state === "completed" || job.state === "terminating";
  if (!ended && (await startReleases(tx, account, jobId, job, now))) {
    await tx.deleteAll({ account, kind: "task", scope: jobId });
    const ref = jobRef(account, jobId);
    await tx.replace(ref, move(tx, ref, jobLifecycle, job, "delete", "deleting", formatTimestamp(now)), now, { ifMatch });
    return;
  }
  await removeJob(tx, account, jobId, job, now, ifMatch);
}

/** A `terminating` job completes, a `deleting` one is removed, once no release task runs any more. */
export async function finishJobIfReleased(tx: WriteTx, account: string, jobId: string, now: Date): Promise<void> {
  const job = await tx.get<CloudJob>(jobRef(account, jobId));
  if (job === undefined || (job.body.state !== "terminating" && job.body.state !== "deleting")) return;
  if (await releasesRunning(tx, account, jobId)) return;
  if (job.body.state === "deleting") return removeJob(tx, account, jobId, job.body, now);
  await tx.replace(jobRef(account, jobId), await completedJob(tx, account, jobId, job.body, "released", undefined, now), now);
}
