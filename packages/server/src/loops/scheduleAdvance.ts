/**
 * One step of a job schedule inside a store transaction: read whether its most recent job is still active, ask the
 * pure timing rules (core `decideSchedule`) what is due, and apply the answer — make the job `<scheduleId>:job-<n>`
 * from the `jobSpecification` through the job service's own insert (so it is an ordinary job), move
 * `executionInfo.nextRunTime`, or complete the schedule. Only `active` schedules advance.
 */
import { decideSchedule, formatTimestamp } from "@openbatch/core";
import type { CloudJob, JobAddParameter } from "@openbatch/protocol";
import type { ReadTx, WriteTx } from "@openbatch/store";
import { createAutoPool, type AutoPoolOutcome } from "../lifecycle/autoPools.js";
import { insertJob } from "../lifecycle/jobs.js";
import { runOutSchedule } from "../lifecycle/jobSchedules.js";
import { scheduleJobId } from "../records/jobIds.js";
import { jobRef } from "../records/jobs.js";
import { scheduleRef, scheduleTiming, type JobScheduleRecord } from "../records/jobSchedules.js";
import type { PoolCapabilityCheck } from "../records/poolRules.js";

function date(text: string | undefined): Date | undefined {
  return text === undefined ? undefined : new Date(text);
}

/** The URL of a schedule's job, beside the schedule's own (`…/jobschedules/s` → `…/jobs/s%3Ajob-1`). */
function jobUrl(scheduleUrl: string | undefined, jobId: string): string {
  return (scheduleUrl ?? "").replace(/\/jobschedules\/[^/]*$/, `/jobs/${encodeURIComponent(jobId)}`);
}

function withNextRunTime(record: JobScheduleRecord, next: Date | undefined): JobScheduleRecord {
  const { nextRunTime: _previous, ...executionInfo } = record.executionInfo ?? {};
  return { ...record, executionInfo: next === undefined ? executionInfo : { ...executionInfo, nextRunTime: formatTimestamp(next) } };
}

async function hasActiveJob(tx: ReadTx, account: string, record: JobScheduleRecord): Promise<boolean> {
  const jobId = record.executionInfo?.recentJob?.id;
  if (jobId === undefined) return false;
  const job = await tx.get<CloudJob>(jobRef(account, jobId));
  return job !== undefined && job.body.state !== "completed";
}

/**
 * The auto pool of the schedule's next job: with lifetime `job` a new pool each time; with `jobSchedule` the
 * schedule's pool, made with its first job (`keep`: remember it on the schedule).
 */
async function scheduleJobPool(tx: WriteTx, account: string, record: JobScheduleRecord, jobUrlText: string, now: Date, poolCapabilities: PoolCapabilityCheck, poolQuota: number) {
  const spec = record.jobSpecification?.poolInfo?.autoPoolSpecification;
  if (spec === undefined) return undefined;
  if (spec.poolLifetimeOption === "jobschedule" && record._ob.autoPoolId !== undefined) {
    return { outcome: { poolId: record._ob.autoPoolId } as AutoPoolOutcome, keep: true };
  }
  const outcome = await createAutoPool(tx, account, spec, jobUrlText.slice(0, jobUrlText.lastIndexOf("/jobs/")), now, poolCapabilities, poolQuota);
  return { outcome, keep: spec.poolLifetimeOption === "jobschedule" };
}

export interface AdvanceResult {
  /** When the schedule must be looked at again, unless an event (a job completing, a change) comes first. */
  readonly wakeAt: Date | undefined;
  /** Ids of the jobs made. */
  readonly jobsCreated: readonly string[];
}

/**
 * Whether advancing the schedule to `now` would change anything, read-only: the runner is kicked by every task
 * completion, so it must not take the store's writer for schedules that only keep waiting.
 */
export async function advanceIsDue(tx: ReadTx, account: string, scheduleId: string, now: Date): Promise<{ due: boolean; wakeAt: Date | undefined }> {
  const stored = await tx.get<JobScheduleRecord>(scheduleRef(account, scheduleId));
  if (stored === undefined || stored.body.state !== "active") return { due: false, wakeAt: undefined };
  const nextRunTime = date(stored.body.executionInfo?.nextRunTime);
  const decision = decideSchedule({ timing: scheduleTiming(stored.body.schedule), nextRunTime, hasActiveJob: await hasActiveJob(tx, account, stored.body), now });
  if (decision.kind === "wait" && decision.nextRunTime?.getTime() === nextRunTime?.getTime()) return { due: false, wakeAt: decision.wakeAt };
  return { due: true, wakeAt: undefined };
}

/** Advances the stored schedule `scheduleId` to `now`; writes only when something changed. */
export async function advanceSchedule(tx: WriteTx, account: string, scheduleId: string, now: Date, poolCapabilities: PoolCapabilityCheck, poolQuota = Infinity): Promise<AdvanceResult> {
  const ref = scheduleRef(account, scheduleId);
  const stored = await tx.get<JobScheduleRecord>(ref);
  if (stored === undefined || stored.body.state !== "active") return { wakeAt: undefined, jobsCreated: [] };
  let record = stored.body;
  const timing = scheduleTiming(record.schedule);
  const jobsCreated: string[] = [];
  // A job made here may be complete at once (`terminatejob` with no task), so decide again after making one; the
  // timing rules never make two jobs for the same `now`, so this ends after at most two rounds (three is a guard).
  for (let round = 0; round < 3; round++) {
    const decision = decideSchedule({ timing, nextRunTime: date(record.executionInfo?.nextRunTime), hasActiveJob: await hasActiveJob(tx, account, record), now });
    if (decision.kind === "complete") {
      await tx.replace(ref, await runOutSchedule(tx, account, record, now), now);
      return { wakeAt: undefined, jobsCreated };
    }
    if (decision.kind === "wait") {
      if (decision.nextRunTime?.getTime() !== date(record.executionInfo?.nextRunTime)?.getTime()) {
        await tx.replace(ref, withNextRunTime(record, decision.nextRunTime), now);
      } else if (jobsCreated.length > 0) {
        await tx.replace(ref, record, now);
      }
      return { wakeAt: decision.wakeAt, jobsCreated };
    }
    const jobCount = record._ob.jobCount + 1;
    const jobId = scheduleJobId(record.id ?? scheduleId, jobCount);
    const url = jobUrl(record.url, jobId);
    const autoPool = await scheduleJobPool(tx, account, record, url, now, poolCapabilities, poolQuota);
    await insertJob(tx, account, { ...record.jobSpecification, id: jobId } as JobAddParameter, url, now, autoPool?.outcome);
    jobsCreated.push(jobId);
    const schedulePool = autoPool?.keep === true && "poolId" in autoPool.outcome ? autoPool.outcome.poolId : record._ob.autoPoolId;
    record = {
      ...withNextRunTime(record, decision.nextRunTime),
      _ob: { jobCount, lastRunTime: formatTimestamp(decision.runTime), ...(schedulePool === undefined ? {} : { autoPoolId: schedulePool }) },
    };
    record.executionInfo = { ...record.executionInfo, recentJob: { id: jobId, url } };
  }
  await tx.replace(ref, record, now);
  return { wakeAt: date(record.executionInfo?.nextRunTime), jobsCreated };
}
