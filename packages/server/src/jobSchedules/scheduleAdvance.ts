/**
 * One step of a job schedule inside a store transaction: read whether its most recent job is still active, ask the
 * pure timing rules (core `decideSchedule`) what is due, and apply the answer — make the job `<scheduleId>:job-<n>`
 * from the `jobSpecification` through the job service's own insert (so it is an ordinary job), move
 * `executionInfo.nextRunTime`, or complete the schedule. Only `active` schedules advance.
 */
import { decideSchedule, formatTimestamp, parseDuration, type ScheduleTiming } from "@openbatch/core";
import type { CloudJob, CloudJobSchedule, Schedule } from "@openbatch/protocol";
import type { ReadTx, WriteTx } from "@openbatch/store";
import type { AutoPoolOutcome, AutoPools } from "../services/autoPools.js";
import { insertJob } from "../services/jobService.js";
import { scheduleJobId } from "./scheduleJobIds.js";

/** What the runner keeps about a schedule besides its wire fields (never shown on the wire). */
export interface ScheduleRunnerState {
  /** Jobs made so far: the next one is `job-<jobCount + 1>`. */
  readonly jobCount: number;
  /** The occurrence the last job was made for. */
  readonly lastRunTime?: string;
  /** The pool made with the first job when the job specification asks for an auto pool with lifetime `jobSchedule`. */
  readonly autoPoolId?: string;
}

export type JobScheduleRecord = CloudJobSchedule & { _ob: ScheduleRunnerState };

function date(text: string | undefined): Date | undefined {
  return text === undefined ? undefined : new Date(text);
}

export function scheduleTiming(schedule: Schedule | undefined): ScheduleTiming {
  return {
    doNotRunUntil: date(schedule?.doNotRunUntil),
    doNotRunAfter: date(schedule?.doNotRunAfter),
    startWindowInMs: schedule?.startWindow === undefined ? undefined : parseDuration(schedule.startWindow),
    recurrenceIntervalInMs: schedule?.recurrenceInterval === undefined ? undefined : parseDuration(schedule.recurrenceInterval),
  };
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
  const job = await tx.get<CloudJob>({ account, kind: "job", scope: "", id: jobId });
  return job !== undefined && job.body.state !== "completed";
}

/**
 * The auto pool of the schedule's next job: with lifetime `job` a new pool each time; with `jobSchedule` the
 * schedule's pool, made with its first job (`keep`: remember it on the schedule).
 */
async function scheduleJobPool(tx: WriteTx, account: string, record: JobScheduleRecord, jobUrlText: string, now: Date, autoPools: AutoPools | undefined) {
  const spec = record.jobSpecification?.poolInfo?.autoPoolSpecification;
  if (spec === undefined || autoPools === undefined) return undefined;
  if (spec.poolLifetimeOption === "jobschedule" && record._ob.autoPoolId !== undefined) {
    return { outcome: { poolId: record._ob.autoPoolId } as AutoPoolOutcome, made: false, keep: true };
  }
  const outcome = await autoPools.createInTx(tx, account, spec, jobUrlText.slice(0, jobUrlText.lastIndexOf("/jobs/")), now);
  return { outcome, made: true, keep: spec.poolLifetimeOption === "jobschedule" };
}

export interface AdvanceResult {
  /** When the schedule must be looked at again, unless an event (a job completing, a change) comes first. */
  readonly wakeAt: Date | undefined;
  /** Ids of the jobs made. */
  readonly jobsCreated: readonly string[];
  /** Auto pools made for them, to be announced after the commit (autoPools.ts `created`). */
  readonly poolsCreated?: readonly string[];
}

/**
 * Whether advancing the schedule to `now` would change anything, read-only: the runner is kicked by every task
 * completion, so it must not take the store's writer for schedules that only keep waiting.
 */
export async function advanceIsDue(tx: ReadTx, account: string, scheduleId: string, now: Date): Promise<{ due: boolean; wakeAt: Date | undefined }> {
  const stored = await tx.get<JobScheduleRecord>({ account, kind: "jobSchedule", scope: "", id: scheduleId });
  if (stored === undefined || stored.body.state !== "active") return { due: false, wakeAt: undefined };
  const nextRunTime = date(stored.body.executionInfo?.nextRunTime);
  const decision = decideSchedule({ timing: scheduleTiming(stored.body.schedule), nextRunTime, hasActiveJob: await hasActiveJob(tx, account, stored.body), now });
  if (decision.kind === "wait" && decision.nextRunTime?.getTime() === nextRunTime?.getTime()) return { due: false, wakeAt: decision.wakeAt };
  return { due: true, wakeAt: undefined };
}

/** Advances the stored schedule `scheduleId` to `now`; writes only when something changed. */
export async function advanceSchedule(tx: WriteTx, account: string, scheduleId: string, now: Date, autoPools?: AutoPools): Promise<AdvanceResult> {
  const ref = { account, kind: "jobSchedule" as const, scope: "", id: scheduleId };
  const stored = await tx.get<JobScheduleRecord>(ref);
  if (stored === undefined || stored.body.state !== "active") return { wakeAt: undefined, jobsCreated: [] };
  let record = stored.body;
  const timing = scheduleTiming(record.schedule);
  const jobsCreated: string[] = [];
  const poolsCreated: string[] = [];
  // A job made here may be complete at once (`terminatejob` with no task), so decide again after making one; the
  // timing rules never make two jobs for the same `now`, so this ends after at most two rounds (three is a guard).
  for (let round = 0; round < 3; round++) {
    const decision = decideSchedule({ timing, nextRunTime: date(record.executionInfo?.nextRunTime), hasActiveJob: await hasActiveJob(tx, account, record), now });
    if (decision.kind === "complete") {
      const time = formatTimestamp(now);
      const ended = withNextRunTime(record, undefined);
      record = {
        ...ended,
        previousState: record.state,
        previousStateTransitionTime: record.stateTransitionTime,
        state: "completed",
        stateTransitionTime: time,
        executionInfo: { ...ended.executionInfo, endTime: time },
      };
      await tx.replace(ref, record, now);
      return { wakeAt: undefined, jobsCreated, poolsCreated };
    }
    if (decision.kind === "wait") {
      if (decision.nextRunTime?.getTime() !== date(record.executionInfo?.nextRunTime)?.getTime()) {
        await tx.replace(ref, withNextRunTime(record, decision.nextRunTime), now);
      } else if (jobsCreated.length > 0) {
        await tx.replace(ref, record, now);
      }
      return { wakeAt: decision.wakeAt, jobsCreated, poolsCreated };
    }
    const jobCount = record._ob.jobCount + 1;
    const jobId = scheduleJobId(record.id ?? scheduleId, jobCount);
    const url = jobUrl(record.url, jobId);
    const autoPool = await scheduleJobPool(tx, account, record, url, now, autoPools);
    if (autoPool?.made === true && "poolId" in autoPool.outcome) poolsCreated.push(autoPool.outcome.poolId);
    await insertJob(tx, account, { ...record.jobSpecification, id: jobId } as Parameters<typeof insertJob>[2], url, now, autoPool?.outcome);
    jobsCreated.push(jobId);
    const schedulePool = autoPool?.keep === true && "poolId" in autoPool.outcome ? autoPool.outcome.poolId : record._ob.autoPoolId;
    record = {
      ...withNextRunTime(record, decision.nextRunTime),
      _ob: { jobCount, lastRunTime: formatTimestamp(decision.runTime), ...(schedulePool === undefined ? {} : { autoPoolId: schedulePool }) },
    };
    record.executionInfo = { ...record.executionInfo, recentJob: { id: jobId, url } };
  }
  await tx.replace(ref, record, now);
  return { wakeAt: date(record.executionInfo?.nextRunTime), jobsCreated, poolsCreated };
}
