/**
 * Every change of a job schedule's state (semantics.md §8; core's `jobScheduleMachine`): added (`active`),
 * disabled, enabled, completed by the runner (no occurrence left, no active job), terminated (its active job
 * completes with `TerminateJobSchedule`), deleted with its jobs. A schedule that completes or goes takes its auto
 * pool (lifetime `jobSchedule`) along.
 */
import { formatTimestamp } from "@openbatch/core";
import type { CloudJob } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import { jobPoolId, jobRef, terminateJobScheduleReason } from "../records/jobs.js";
import { jobsOfSchedule, scheduleRef, type JobScheduleRecord, type StoredJobSchedule } from "../records/jobSchedules.js";
import { listAll } from "../records/listAll.js";
import { releaseScheduleAutoPool } from "./autoPools.js";
import { endRunningTasks, removeJob, scheduleTerminatedJob } from "./jobs.js";
import { takeBackJobRuns } from "./runs.js";
import { created, jobScheduleLifecycle, move } from "./transitions.js";

/** Adds a schedule (`active`); `conflict` from the store when the id is taken. */
export function insertSchedule(tx: WriteTx, account: string, fields: Omit<JobScheduleRecord, "state" | "stateTransitionTime">, now: Date): Promise<StoredJobSchedule> {
  const ref = scheduleRef(account, fields.id ?? "");
  created(tx, ref, jobScheduleLifecycle, "active");
  return tx.insert<JobScheduleRecord>(ref, { ...fields, state: "active", stateTransitionTime: formatTimestamp(now) }, now);
}

export function disabledSchedule(tx: WriteTx, account: string, record: JobScheduleRecord, now: Date): JobScheduleRecord {
  return move(tx, scheduleRef(account, record.id ?? ""), jobScheduleLifecycle, record, "disable", "disabled", formatTimestamp(now));
}

export function enabledSchedule(tx: WriteTx, account: string, record: JobScheduleRecord, now: Date): JobScheduleRecord {
  return move(tx, scheduleRef(account, record.id ?? ""), jobScheduleLifecycle, record, "enable", "active", formatTimestamp(now));
}

/** The schedule completed by `event`: no next run, its end time set, its auto pool released. */
async function completedSchedule(tx: WriteTx, account: string, record: JobScheduleRecord, event: "complete" | "terminate", now: Date): Promise<JobScheduleRecord> {
  const time = formatTimestamp(now);
  const { nextRunTime: _dropped, ...executionInfo } = record.executionInfo ?? {};
  const completed = { ...move(tx, scheduleRef(account, record.id ?? ""), jobScheduleLifecycle, record, event, "completed", time), executionInfo: { ...executionInfo, endTime: time } };
  await releaseScheduleAutoPool(tx, account, completed, now);
  return completed;
}

/** The runner found no occurrence left and no active job. */
export function runOutSchedule(tx: WriteTx, account: string, record: JobScheduleRecord, now: Date): Promise<JobScheduleRecord> {
  return completedSchedule(tx, account, record, "complete", now);
}

/** Terminate: the active job completes with `TerminateJobSchedule` (its running tasks killed), the schedule completes. */
export async function terminatedSchedule(tx: WriteTx, account: string, record: JobScheduleRecord, now: Date): Promise<JobScheduleRecord> {
  const recentJobId = record.executionInfo?.recentJob?.id;
  if (recentJobId !== undefined) {
    const job = await tx.get<CloudJob>(jobRef(account, recentJobId));
    if (job !== undefined) await scheduleTerminatedJob(tx, account, job.id, job.body, terminateJobScheduleReason, now);
  }
  return completedSchedule(tx, account, record, "terminate", now);
}

/** Delete: the schedule, its jobs and their tasks go at once (running tasks killed), with their auto pools. */
export async function deleteSchedule(tx: WriteTx, account: string, record: JobScheduleRecord, now: Date, ifMatch: string | undefined): Promise<void> {
  const scheduleId = record.id ?? "";
  for (const job of await listAll<CloudJob>(tx, { account, kind: "job", scope: "" }, jobsOfSchedule(scheduleId))) {
    await takeBackJobRuns(tx, account, job.id, jobPoolId(job.body), now);
    await endRunningTasks(tx, account, job.id, now, "The task was deleted with its job schedule.");
    await removeJob(tx, account, job.id, job.body, now);
  }
  await tx.delete(scheduleRef(account, scheduleId), { ifMatch });
  await releaseScheduleAutoPool(tx, account, record, now);
}
