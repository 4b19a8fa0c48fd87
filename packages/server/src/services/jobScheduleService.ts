/**
 * Job schedules: add, get, list, patch, update, disable, enable, terminate, delete, and the jobs of a schedule
 * (semantics.md §8). When jobs are made is the runner's business (jobSchedules/scheduleAdvance.ts, driven by
 * jobSchedules/jobScheduleRunner.ts); this service stores what users ask and wakes the runner after each commit.
 *
 * States (`state`):
 * - `active` (initial): the runner makes a job per occurrence, one active job at a time;
 * - `disabled` (disable, from active): no new jobs, the current job goes on; enable → `active`, and an occurrence
 *   whose window passed meanwhile is skipped;
 * - `completed` (final): by the runner when no occurrence is left and no job is active, or by terminate, which ends
 *   the active job with `TerminateJobSchedule`. Job terminate completes at once here, so `terminating` is never
 *   seen;
 * - delete removes the schedule with all its jobs and their tasks in one transaction, so `deleting` is never seen.
 * Jobs and job schedules share one id namespace (semantics.md §1); a schedule's jobs are `<scheduleId>:job-<n>`.
 */
import { assertValidId, firstRunTime, formatTimestamp, isServiceError, limits, minimumScheduleIntervalInMs, parseDuration, propertyDetails, serviceError, ServiceError, type Predicate } from "@openbatch/core";
import type {
  CloudJob, CloudJobSchedule, JobScheduleAddParameter, JobSchedulePatchParameter, JobScheduleState, JobScheduleUpdateParameter, JobSpecification,
  MetadataItem, Schedule,
} from "@openbatch/protocol";
import { isStoreError, type Store, type StoredEntity, type WriteTx } from "@openbatch/store";
import type { ListOptions } from "../odata/listQuery.js";
import { endRunningTasks } from "../scheduling/jobReactions.js";
import { checkJobSpecification, type StoredJob } from "./jobService.js";
import { completeJob } from "./jobStates.js";
import { scheduleTiming, type JobScheduleRecord } from "../jobSchedules/scheduleAdvance.js";

export type StoredJobSchedule = StoredEntity<JobScheduleRecord>;

export const terminateJobScheduleReason = "TerminateJobSchedule";

function scheduleNotFound(scheduleId: string) {
  return serviceError("JobScheduleNotFound", {
    message: `The specified job schedule '${scheduleId}' does not exist.`,
    values: [{ key: "JobScheduleId", value: scheduleId }],
  });
}

function invalid(property: string, reason: string, value?: unknown) {
  return serviceError("InvalidPropertyValue", {
    message: `The value provided for the property '${property}' is invalid. ${reason}`,
    values: propertyDetails(property, reason, value),
  });
}

/** 409 for a schedule whose state forbids the operation. */
function stateConflict(scheduleId: string, state: JobScheduleState | undefined) {
  const values = [{ key: "JobScheduleId", value: scheduleId }];
  switch (state) {
    case "completed":
      return serviceError("JobScheduleCompleted", { message: `The job schedule '${scheduleId}' is already completed.`, values });
    case "terminating":
      return serviceError("JobScheduleBeingTerminated", { message: `The job schedule '${scheduleId}' is being terminated.`, values });
    case "deleting":
      return serviceError("JobScheduleBeingDeleted", { message: `The job schedule '${scheduleId}' is being deleted.`, values });
    default:
      return serviceError("JobScheduleDisabled", { message: `The job schedule '${scheduleId}' is disabled.`, values });
  }
}

/** `startWindow` and `recurrenceInterval` are at least one minute (rest-api.md §4.3). */
function checkSchedule(schedule: Schedule): void {
  for (const key of ["startWindow", "recurrenceInterval"] as const) {
    const text = schedule[key];
    if (text === undefined) continue;
    const ms = parseDuration(text);
    if (ms === undefined || ms < minimumScheduleIntervalInMs) throw invalid(`schedule.${key}`, `The ${key} must be at least one minute.`, text);
  }
}

function checkMetadata(metadata: readonly MetadataItem[] | undefined): void {
  for (const item of metadata ?? []) {
    if (item.name === "") throw serviceError("EmptyMetadataKey", { values: propertyDetails("metadata") });
  }
}

/** The job rules, with the properties they name placed under `jobSpecification.`. */
function checkSpecification(spec: JobSpecification): void {
  try {
    checkJobSpecification(spec);
  } catch (error) {
    if (!isServiceError(error)) throw error;
    const named = error.values.find((detail) => detail.key === "PropertyName")?.value;
    if (named === undefined) throw error;
    throw new ServiceError(error.code, {
      message: error.message.replace(`'${named}'`, `'jobSpecification.${named}'`),
      values: error.values.map((detail) => (detail.key === "PropertyName" ? { ...detail, value: `jobSpecification.${named}` } : detail)),
      status: error.status,
    });
  }
}

/** The schedule record as the wire shows it: without the runner's bookkeeping. */
export function scheduleView(record: JobScheduleRecord): CloudJobSchedule {
  const { _ob: _runner, ...view } = record;
  return view;
}

/** The jobs a schedule made: their ids start with `<scheduleId>:`, which no other job id can contain. */
export function jobsOfSchedule(scheduleId: string): Predicate {
  return { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: `${scheduleId.toLowerCase()}:` };
}

function transition(record: JobScheduleRecord, state: JobScheduleState, time: string): JobScheduleRecord {
  return { ...record, previousState: record.state, previousStateTransitionTime: record.stateTransitionTime, state, stateTransitionTime: time };
}

/** The schedule, starting again from `now` after its `schedule` changed (future jobs only). */
function rescheduled(record: JobScheduleRecord, schedule: Schedule, now: Date): JobScheduleRecord {
  const lastRunTime = record._ob.lastRunTime === undefined ? undefined : new Date(record._ob.lastRunTime);
  const next = record.state === "completed" ? undefined : firstRunTime(scheduleTiming(schedule), now, lastRunTime);
  const { nextRunTime: _previous, ...executionInfo } = record.executionInfo ?? {};
  return { ...record, schedule, executionInfo: next === undefined ? executionInfo : { ...executionInfo, nextRunTime: formatTimestamp(next) } };
}

export class JobScheduleService {
  /**
   * @param onScheduleChanged wakes the runner after a commit that may change when jobs are due.
   * @param onPoolChanged wakes a pool's agents after tasks of a schedule's job were killed.
   */
  constructor(
    private readonly store: Store,
    private readonly onScheduleChanged: (account: string) => void = () => {},
    private readonly onPoolChanged: (account: string, poolId: string) => void = () => {},
    /** A deleted schedule's auto pools (its own, and those of the jobs deleted with it) go too. */
    private readonly onScheduleDeleted: (account: string, schedule: JobScheduleRecord, jobs: readonly CloudJob[], now: Date) => Promise<void> = async () => {},
  ) {}

  async add(account: string, request: JobScheduleAddParameter, url: string, now: Date): Promise<StoredJobSchedule> {
    assertValidId(request.id, "id");
    if (request.displayName !== undefined && request.displayName.length > limits.displayNameMaxLength) {
      throw invalid("displayName", `The display name may be at most ${limits.displayNameMaxLength} characters long.`);
    }
    checkSchedule(request.schedule);
    checkSpecification(request.jobSpecification);
    checkMetadata(request.metadata);
    const time = formatTimestamp(now);
    const next = firstRunTime(scheduleTiming(request.schedule), now);
    const record: JobScheduleRecord = {
      ...request,
      url,
      creationTime: time,
      state: "active",
      stateTransitionTime: time,
      executionInfo: next === undefined ? {} : { nextRunTime: formatTimestamp(next) },
      _ob: { jobCount: 0 },
    };
    try {
      const stored = await this.store.write(async (tx) => {
        if ((await tx.get({ account, kind: "job", scope: "", id: request.id })) !== undefined) {
          throw serviceError("JobWithSameIdExists", {
            message: `A job with the id '${request.id}' exists; jobs and job schedules share one id namespace.`,
            values: [{ key: "JobScheduleId", value: request.id }],
          });
        }
        return tx.insert({ account, kind: "jobSchedule", scope: "", id: request.id }, record, now);
      });
      this.onScheduleChanged(account);
      return stored;
    } catch (error) {
      if (isStoreError(error, "conflict")) {
        throw serviceError("JobScheduleExists", {
          message: `The specified job schedule '${request.id}' already exists.`,
          values: [{ key: "JobScheduleId", value: request.id }],
        });
      }
      throw error;
    }
  }

  /** The schedule, or 404 JobScheduleNotFound. */
  async get(account: string, scheduleId: string): Promise<StoredJobSchedule> {
    const schedule = await this.store.read((tx) => tx.get<JobScheduleRecord>({ account, kind: "jobSchedule", scope: "", id: scheduleId }));
    if (schedule === undefined) throw scheduleNotFound(scheduleId);
    return schedule;
  }

  list(account: string, options: ListOptions): Promise<{ items: StoredJobSchedule[]; nextKey?: string }> {
    return this.store.read((tx) =>
      tx.list<JobScheduleRecord>({ account, kind: "jobSchedule", scope: "" }, { limit: options.maxResults, afterKey: options.afterKey, filter: options.filter }),
    );
  }

  /** GET /jobschedules/{id}/jobs: the jobs the schedule made and still has. */
  async listJobs(account: string, scheduleId: string, options: ListOptions): Promise<{ items: StoredJob[]; nextKey?: string }> {
    await this.get(account, scheduleId);
    const own = jobsOfSchedule(scheduleId);
    const filter: Predicate = options.filter === undefined ? own : { op: "and", left: own, right: options.filter };
    return this.store.read((tx) => tx.list<CloudJob>({ account, kind: "job", scope: "" }, { limit: options.maxResults, afterKey: options.afterKey, filter }));
  }

  /** Changes a schedule in one transaction, only if it is still at the ETag the caller's conditions saw. */
  private async mutate(
    account: string,
    scheduleId: string,
    ifMatch: string,
    now: Date,
    change: (record: JobScheduleRecord, tx: WriteTx) => Promise<JobScheduleRecord> | JobScheduleRecord,
  ): Promise<StoredJobSchedule> {
    try {
      const stored = await this.store.write(async (tx) => {
        const ref = { account, kind: "jobSchedule" as const, scope: "", id: scheduleId };
        const current = await tx.get<JobScheduleRecord>(ref);
        if (current === undefined) throw scheduleNotFound(scheduleId);
        if (current.eTag !== ifMatch) throw serviceError("ConditionNotMet");
        const changed = await change(current.body, tx);
        return changed === current.body ? current : tx.replace(ref, changed, now, { ifMatch });
      });
      this.onScheduleChanged(account);
      return stored;
    } catch (error) {
      if (isStoreError(error, "preconditionFailed")) throw serviceError("ConditionNotMet");
      throw error;
    }
  }

  /** PATCH: replaces the parts given; a new `schedule` starts its occurrences again from now. */
  patch(account: string, scheduleId: string, request: JobSchedulePatchParameter, ifMatch: string, now: Date): Promise<StoredJobSchedule> {
    if (request.schedule !== undefined) checkSchedule(request.schedule);
    if (request.jobSpecification !== undefined) checkSpecification(request.jobSpecification);
    checkMetadata(request.metadata);
    return this.mutate(account, scheduleId, ifMatch, now, (record) => {
      if (record.state === "completed" || record.state === "terminating" || record.state === "deleting") throw stateConflict(scheduleId, record.state);
      let updated: JobScheduleRecord = { ...record };
      if (request.jobSpecification !== undefined) updated.jobSpecification = request.jobSpecification;
      if (request.metadata !== undefined) updated.metadata = request.metadata;
      if (request.schedule !== undefined) updated = rescheduled(updated, request.schedule, now);
      return updated;
    });
  }

  /** PUT: replaces schedule and job specification; metadata left out is emptied. */
  update(account: string, scheduleId: string, request: JobScheduleUpdateParameter, ifMatch: string, now: Date): Promise<StoredJobSchedule> {
    checkSchedule(request.schedule);
    checkSpecification(request.jobSpecification);
    checkMetadata(request.metadata);
    return this.mutate(account, scheduleId, ifMatch, now, (record) => {
      if (record.state === "completed" || record.state === "terminating" || record.state === "deleting") throw stateConflict(scheduleId, record.state);
      return rescheduled({ ...record, jobSpecification: request.jobSpecification, metadata: request.metadata ?? [] }, request.schedule, now);
    });
  }

  /** Disable (204): no new jobs until enabled; the active job goes on. Disabling a disabled schedule changes nothing. */
  disable(account: string, scheduleId: string, ifMatch: string, now: Date): Promise<StoredJobSchedule> {
    return this.mutate(account, scheduleId, ifMatch, now, (record) => {
      if (record.state === "disabled") return record;
      if (record.state !== "active") throw stateConflict(scheduleId, record.state);
      return transition(record, "disabled", formatTimestamp(now));
    });
  }

  /** Enable (204): a disabled schedule is active again. Enabling an active schedule changes nothing. */
  enable(account: string, scheduleId: string, ifMatch: string, now: Date): Promise<StoredJobSchedule> {
    return this.mutate(account, scheduleId, ifMatch, now, (record) => {
      if (record.state === "active") return record;
      if (record.state !== "disabled") throw stateConflict(scheduleId, record.state);
      return transition(record, "active", formatTimestamp(now));
    });
  }

  /** Terminate (202): the active job ends with `TerminateJobSchedule`, the schedule completes and makes no more jobs. */
  async terminate(account: string, scheduleId: string, ifMatch: string, now: Date): Promise<StoredJobSchedule> {
    let pools = new Set<string>();
    const stored = await this.mutate(account, scheduleId, ifMatch, now, async (record, tx) => {
      if (record.state === "completed" || record.state === "terminating" || record.state === "deleting") throw stateConflict(scheduleId, record.state);
      const time = formatTimestamp(now);
      const recentJobId = record.executionInfo?.recentJob?.id;
      if (recentJobId !== undefined) {
        const ref = { account, kind: "job" as const, scope: "", id: recentJobId };
        const job = await tx.get<CloudJob>(ref);
        if (job !== undefined && job.body.state !== "completed") {
          pools = await endRunningTasks(tx, account, job.id, now);
          await tx.replace(ref, completeJob(job.body, terminateJobScheduleReason, time), now);
        }
      }
      const { nextRunTime: _dropped, ...executionInfo } = record.executionInfo ?? {};
      return { ...transition(record, "completed", time), executionInfo: { ...executionInfo, endTime: time } };
    });
    for (const poolId of pools) this.onPoolChanged(account, poolId);
    return stored;
  }

  /** Delete (202): the schedule, its jobs and their tasks go at once; running tasks are killed. */
  async delete(account: string, scheduleId: string, ifMatch: string, now: Date): Promise<void> {
    const pools = new Set<string>();
    let deleted: JobScheduleRecord | undefined;
    const deletedJobs: CloudJob[] = [];
    try {
      await this.store.write(async (tx) => {
        const ref = { account, kind: "jobSchedule" as const, scope: "", id: scheduleId };
        const current = await tx.get<JobScheduleRecord>(ref);
        if (current === undefined) throw scheduleNotFound(scheduleId);
        deleted = current.body;
        let afterKey: string | undefined;
        do {
          const page = await tx.list<CloudJob>({ account, kind: "job", scope: "" }, { limit: 1000, afterKey, filter: jobsOfSchedule(scheduleId) });
          for (const job of page.items) {
            for (const poolId of await endRunningTasks(tx, account, job.id, now, "The task was deleted with its job schedule.")) pools.add(poolId);
            await tx.deleteAll({ account, kind: "task", scope: job.id });
            await tx.delete({ account, kind: "job", scope: "", id: job.id });
            deletedJobs.push(job.body);
          }
          afterKey = page.nextKey;
        } while (afterKey !== undefined);
        await tx.delete(ref, { ifMatch });
      });
    } catch (error) {
      if (isStoreError(error, "notFound")) throw scheduleNotFound(scheduleId);
      if (isStoreError(error, "preconditionFailed")) throw serviceError("ConditionNotMet");
      throw error;
    }
    for (const poolId of pools) this.onPoolChanged(account, poolId);
    if (deleted !== undefined) await this.onScheduleDeleted(account, deleted, deletedJobs, now);
  }
}
