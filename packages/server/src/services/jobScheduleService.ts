/**
 * Job schedules: add, get, list, patch, update, disable, enable, terminate, delete, and the jobs of a schedule
 * (semantics.md §8). When jobs are made is the runner's business (loops/scheduleAdvance.ts, driven by
 * loops/jobScheduleRunner.ts); this service stores what users ask, and every change of a schedule's state is
 * lifecycle/jobSchedules.ts's. Each committed change wakes the runner.
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
  CloudJob, JobScheduleAddParameter, JobSchedulePatchParameter, JobScheduleState, JobScheduleUpdateParameter, JobSpecification, MetadataItem, Schedule,
} from "@openbatch/protocol";
import { isStoreError, type Store, type WriteTx } from "@openbatch/store";
import { recordEffect } from "../effects/transaction.js";
import { deleteSchedule, disabledSchedule, enabledSchedule, insertSchedule, terminatedSchedule } from "../lifecycle/jobSchedules.js";
import type { ListOptions } from "../odata/listQuery.js";
import { scheduleNotFound } from "../records/errors.js";
import type { StoredJob } from "../records/jobs.js";
import { jobsOfSchedule, scheduleRef, scheduleTiming, type JobScheduleRecord, type StoredJobSchedule } from "../records/jobSchedules.js";
import { assertActiveJobQuota } from "../records/quotas.js";
import type { Quotas } from "../quotas.js";
import { checkJobContainerSettings, restrictedContainers, type ContainerPolicy } from "./containerRules.js";
import { checkJobSpecification } from "./jobService.js";
import { clientWrite } from "./storeErrors.js";

export { scheduleView, type StoredJobSchedule } from "../records/jobSchedules.js";

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

/** The job rules (containers with the account's policy), with the properties they name placed under `jobSpecification.`. */
function checkSpecification(spec: JobSpecification, account: string, containerPolicy: ContainerPolicy): void {
  try {
    checkJobSpecification(spec);
    checkJobContainerSettings(spec, account, containerPolicy);
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

/** The schedule, starting again from `now` after its `schedule` changed (future jobs only). */
function rescheduled(record: JobScheduleRecord, schedule: Schedule, now: Date): JobScheduleRecord {
  const lastRunTime = record._ob.lastRunTime === undefined ? undefined : new Date(record._ob.lastRunTime);
  const next = record.state === "completed" ? undefined : firstRunTime(scheduleTiming(schedule), now, lastRunTime);
  const { nextRunTime: _previous, ...executionInfo } = record.executionInfo ?? {};
  return { ...record, schedule, executionInfo: next === undefined ? executionInfo : { ...executionInfo, nextRunTime: formatTimestamp(next) } };
}

export class JobScheduleService {
  constructor(
    private readonly store: Store,
    /** Which accounts may use every containerRunOptions (containerRules.ts). @default none */
    private readonly containerPolicy: ContainerPolicy = restrictedContainers,
    /** The accounts' quotas of active jobs and schedules (quotas.ts); without them, none. */
    private readonly quotas?: Quotas,
  ) {}

  async add(account: string, request: JobScheduleAddParameter, url: string, now: Date): Promise<StoredJobSchedule> {
    assertValidId(request.id, "id");
    if (request.displayName !== undefined && request.displayName.length > limits.displayNameMaxLength) {
      throw invalid("displayName", `The display name may be at most ${limits.displayNameMaxLength} characters long.`);
    }
    checkSchedule(request.schedule);
    checkSpecification(request.jobSpecification, account, this.containerPolicy);
    checkMetadata(request.metadata);
    const time = formatTimestamp(now);
    const next = firstRunTime(scheduleTiming(request.schedule), now);
    const record = {
      ...request,
      url,
      creationTime: time,
      executionInfo: next === undefined ? {} : { nextRunTime: formatTimestamp(next) },
      _ob: { jobCount: 0 },
    };
    try {
      return await this.store.write(async (tx) => {
        if ((await tx.get({ account, kind: "job", scope: "", id: request.id })) !== undefined) {
          throw serviceError("JobWithSameIdExists", {
            message: `A job with the id '${request.id}' exists; jobs and job schedules share one id namespace.`,
            values: [{ key: "JobScheduleId", value: request.id }],
          });
        }
        if ((await tx.get(scheduleRef(account, request.id))) === undefined) await assertActiveJobQuota(tx, account, this.quotas?.of(account).activeJobsAndSchedules ?? Infinity);
        return insertSchedule(tx, account, record, now);
      });
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
    const schedule = await this.store.read((tx) => tx.get<JobScheduleRecord>(scheduleRef(account, scheduleId)));
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
  private mutate(
    account: string,
    scheduleId: string,
    ifMatch: string | undefined,
    now: Date,
    change: (record: JobScheduleRecord, tx: WriteTx) => Promise<JobScheduleRecord> | JobScheduleRecord,
  ): Promise<StoredJobSchedule> {
    return clientWrite(() =>
      this.store.write(async (tx) => {
        const ref = scheduleRef(account, scheduleId);
        const current = await tx.get<JobScheduleRecord>(ref);
        if (current === undefined) throw scheduleNotFound(scheduleId);
        if (ifMatch !== undefined && current.eTag !== ifMatch) throw serviceError("ConditionNotMet");
        const changed = await change(current.body, tx);
        if (changed === current.body) return current;
        // Its next job may be due at another time now.
        recordEffect(tx, { kind: "kickScheduleRunner", account });
        return tx.replace(ref, changed, now, { ifMatch });
      }),
    );
  }

  /** PATCH: replaces the parts given; a new `schedule` starts its occurrences again from now. */
  patch(account: string, scheduleId: string, request: JobSchedulePatchParameter, ifMatch: string | undefined, now: Date): Promise<StoredJobSchedule> {
    if (request.schedule !== undefined) checkSchedule(request.schedule);
    if (request.jobSpecification !== undefined) checkSpecification(request.jobSpecification, account, this.containerPolicy);
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
  update(account: string, scheduleId: string, request: JobScheduleUpdateParameter, ifMatch: string | undefined, now: Date): Promise<StoredJobSchedule> {
    checkSchedule(request.schedule);
    checkSpecification(request.jobSpecification, account, this.containerPolicy);
    checkMetadata(request.metadata);
    return this.mutate(account, scheduleId, ifMatch, now, (record) => {
      if (record.state === "completed" || record.state === "terminating" || record.state === "deleting") throw stateConflict(scheduleId, record.state);
      return rescheduled({ ...record, jobSpecification: request.jobSpecification, metadata: request.metadata ?? [] }, request.schedule, now);
    });
  }

  /** Disable (204): no new jobs until enabled; the active job goes on. Disabling a disabled schedule changes nothing. */
  disable(account: string, scheduleId: string, ifMatch: string | undefined, now: Date): Promise<StoredJobSchedule> {
    return this.mutate(account, scheduleId, ifMatch, now, (record, tx) => {
      if (record.state === "disabled") return record;
      if (record.state !== "active") throw stateConflict(scheduleId, record.state);
      return disabledSchedule(tx, account, record, now);
    });
  }

  /** Enable (204): a disabled schedule is active again. Enabling an active schedule changes nothing. */
  enable(account: string, scheduleId: string, ifMatch: string | undefined, now: Date): Promise<StoredJobSchedule> {
    return this.mutate(account, scheduleId, ifMatch, now, (record, tx) => {
      if (record.state === "active") return record;
      if (record.state !== "disabled") throw stateConflict(scheduleId, record.state);
      return enabledSchedule(tx, account, record, now);
    });
  }

  /** Terminate (202): the active job ends with `TerminateJobSchedule`, the schedule completes and makes no more jobs. */
  terminate(account: string, scheduleId: string, ifMatch: string | undefined, now: Date): Promise<StoredJobSchedule> {
    return this.mutate(account, scheduleId, ifMatch, now, (record, tx) => {
      if (record.state === "completed" || record.state === "terminating" || record.state === "deleting") throw stateConflict(scheduleId, record.state);
      return terminatedSchedule(tx, account, record, now);
    });
  }

  /** Delete (202): the schedule, its jobs and their tasks go at once; running tasks are killed. */
  delete(account: string, scheduleId: string, ifMatch: string | undefined, now: Date): Promise<void> {
    return clientWrite(
      () =>
        this.store.write(async (tx) => {
          const current = await tx.get<JobScheduleRecord>(scheduleRef(account, scheduleId));
          if (current === undefined) throw scheduleNotFound(scheduleId);
          await deleteSchedule(tx, account, current.body, now, ifMatch);
        }),
      () => scheduleNotFound(scheduleId),
    );
  }
}
