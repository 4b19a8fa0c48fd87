/**
 * Jobs: add, get, list, patch, update, disable, enable, terminate, delete — the checks and transactions of the Job
 * operations (semantics.md §5.1). Every change of a job's state, and how it acts on its tasks, is
 * lifecycle/jobs.ts's.
 *
 * States (`state`): active ⇄ disabling → disabled → active, → completed, → (gone). Disable with `requeue` or
 * `terminate` is done at once (the tasks change state in the same transaction), with `wait` the job stays
 * `disabling` until its running tasks finish. Jobs and job schedules share one id namespace (semantics.md §1). A job
 * with no tasks is "all complete" (§3): `onAllTasksComplete: terminatejob` without a job manager ends it with
 * `AllTasksComplete`.
 */
import { assertValidId, limits, propertyDetails, serviceError } from "@openbatch/core";
import type {
  CloudJob, JobAddParameter, JobConstraints, JobDisableParameter, JobPatchParameter, JobSpecification, JobState, JobUpdateParameter, MetadataItem,
  PoolInformation, TaskCountsResult,
} from "@openbatch/protocol";
import { isStoreError, type Store, type WriteTx } from "@openbatch/store";
import { recordEffect } from "../effects/transaction.js";
import { createAutoPool } from "../lifecycle/autoPools.js";
import { deleteJob, disabledJob, enabledJob, endedJob, insertJob, settledJob } from "../lifecycle/jobs.js";
import { reorderJobRuns } from "../lifecycle/runs.js";
import type { ListOptions } from "../odata/listQuery.js";
import { jobNotFound } from "../records/errors.js";
import { defaultTerminateReason, jobPoolId, jobRef, type JobNodeRecord, type StoredJob } from "../records/jobs.js";
import type { PoolCapabilityCheck } from "../records/poolRules.js";
import { assertActiveJobQuota } from "../records/quotas.js";
import type { Quotas } from "../quotas.js";
import { clientWrite } from "./storeErrors.js";
import { checkJobFiles, type TaskFileRules } from "./taskFileSpecs.js";
import { checkJobTaskSpecs } from "./specRules.js";
import { checkJobContainerSettings, restrictedContainers, type ContainerPolicy } from "./containerRules.js";

export type { StoredJob } from "../records/jobs.js";

function jobExists(jobId: string) {
  return serviceError("JobExists", { message: `The specified job '${jobId}' already exists.`, values: [{ key: "JobId", value: jobId }] });
}

function invalid(property: string, reason: string) {
  return serviceError("InvalidPropertyValue", {
    message: `The value provided for the property '${property}' is invalid. ${reason}`,
    values: propertyDetails(property, reason),
  });
}

/** 409 for a job whose state forbids the operation. */
function stateConflict(jobId: string, state: JobState | undefined) {
  const values = [{ key: "JobId", value: jobId }];
  switch (state) {
    case "completed":
      return serviceError("JobCompleted", { message: `The job '${jobId}' is already completed.`, values });
    case "terminating":
      return serviceError("JobBeingTerminated", { message: `The job '${jobId}' is being terminated.`, values });
    case "deleting":
      return serviceError("JobBeingDeleted", { message: `The job '${jobId}' is being deleted.`, values });
    case "disabled":
    case "disabling":
      return serviceError("JobDisabled", { message: `The job '${jobId}' is disabled.`, values });
    default:
      return serviceError("JobNotActive", { message: `The job '${jobId}' is not active.`, values });
  }
}

function checkPriority(priority: number | undefined): void {
  if (priority !== undefined && (!Number.isInteger(priority) || priority < -1000 || priority > 1000)) {
    throw serviceError("OutOfRangePriority", { values: propertyDetails("priority", "The priority must be between -1000 and 1000.", priority) });
  }
}

function checkMaxParallelTasks(value: number | undefined): void {
  if (value !== undefined && value !== -1 && value < 1) throw invalid("maxParallelTasks", "maxParallelTasks must be -1 (unlimited) or greater than 0.");
}

function checkConstraints(constraints: JobConstraints | undefined): void {
  const retries = constraints?.maxTaskRetryCount;
  if (retries !== undefined && retries < -1) throw invalid("constraints.maxTaskRetryCount", "maxTaskRetryCount must be -1 (unlimited) or at least 0.");
}

function checkMetadata(metadata: readonly MetadataItem[] | undefined): void {
  for (const item of metadata ?? []) {
    if (item.name === "") throw serviceError("EmptyMetadataKey", { values: propertyDetails("metadata") });
  }
}

/**
 * Exactly one of poolId and autoPoolSpecification (autoPools.ts): a job added directly may only have an auto pool
 * with lifetime `job`; a job schedule's job specification also `jobSchedule`.
 */
function checkPoolInfo(poolInfo: PoolInformation, autoPools: AutoPoolRule): void {
  const auto = poolInfo.autoPoolSpecification;
  if (auto !== undefined && poolInfo.poolId !== undefined) {
    throw invalid("poolInfo", "Exactly one of 'poolInfo.poolId' and 'poolInfo.autoPoolSpecification' must be specified.");
  }
  if (auto !== undefined) {
    if (auto.poolLifetimeOption !== "job" && autoPools !== "schedule") {
      throw invalid("poolInfo.autoPoolSpecification.poolLifetimeOption", "A job's auto pool can only have the lifetime 'job'; 'jobSchedule' is for job schedules.");
    }
    if (auto.pool === undefined) {
      throw serviceError("MissingRequiredProperty", { message: "An auto pool needs its pool specification.", values: propertyDetails("poolInfo.autoPoolSpecification.pool") });
    }
    if (auto.autoPoolIdPrefix !== undefined && !/^[A-Za-z0-9_-]{0,20}$/.test(auto.autoPoolIdPrefix)) {
      throw invalid("poolInfo.autoPoolSpecification.autoPoolIdPrefix", "The prefix may have at most 20 letters, digits, hyphens and underscores.");
    }
    return;
  }
  if (poolInfo.poolId === undefined) {
    throw serviceError("MissingRequiredProperty", {
      message: "Exactly one of 'poolInfo.poolId' and 'poolInfo.autoPoolSpecification' must be specified.",
      values: propertyDetails("poolInfo.poolId"),
    });
  }
  assertValidId(poolInfo.poolId, "poolInfo.poolId");
}

/** Cross-field rules the schema cannot state (rest-api.md §4.3). */
function checkJobRules(job: JobAddParameter): void {
  assertValidId(job.id, "id");
  checkJobSpecification(job, "job");
}

/** The rules of a job's properties other than its id; a job schedule's `jobSpecification` must pass them too. */
/** Which auto pool lifetimes a job specification may ask for: a job's own (`job`), or a schedule's (`schedule`: both). */
export type AutoPoolRule = "job" | "schedule";

export function checkJobSpecification(job: JobSpecification, autoPools: AutoPoolRule = "schedule"): void {
  if (job.displayName !== undefined && job.displayName.length > limits.displayNameMaxLength) {
    throw invalid("displayName", `The display name may be at most ${limits.displayNameMaxLength} characters long.`);
  }
  checkPriority(job.priority);
  checkMaxParallelTasks(job.maxParallelTasks);
  checkConstraints(job.constraints);
  checkMetadata(job.metadata);
  checkPoolInfo(job.poolInfo, autoPools);
  // What no account may use; JobService.add checks again with the account's policy.
  checkJobContainerSettings(job, undefined, restrictedContainers);
  if (job.jobManagerTask !== undefined) assertValidId(job.jobManagerTask.id, "jobManagerTask.id");
  if (job.jobPreparationTask?.id !== undefined) assertValidId(job.jobPreparationTask.id, "jobPreparationTask.id");
  if (job.jobReleaseTask !== undefined) {
    if (job.jobPreparationTask === undefined) {
      throw invalid("jobReleaseTask", "A job release task can only be specified together with a job preparation task.");
    }
    if (job.jobReleaseTask.id !== undefined) assertValidId(job.jobReleaseTask.id, "jobReleaseTask.id");
  }
  checkJobTaskSpecs(job);
}

export interface JobServiceOptions {
  /** What resource files may use (auto-storage). @default no auto-storage account */
  readonly fileRules?: TaskFileRules;
  /** The compute provider's refusals, for the pools of auto pool specifications. @default none */
  readonly poolCapabilities?: PoolCapabilityCheck;
  /** The accounts' quotas of active jobs and schedules and of pools (quotas.ts). @default none */
  readonly quotas?: Quotas;
  /** Which accounts may use every containerRunOptions (containerRules.ts). @default none */
  readonly containerPolicy?: ContainerPolicy;
}

export class JobService {
  private readonly fileRules: TaskFileRules;
  private readonly poolCapabilities: PoolCapabilityCheck;
  private readonly quotas: Quotas | undefined;
  private readonly containerPolicy: ContainerPolicy;

  constructor(
    private readonly store: Store,
    options: JobServiceOptions = {},
  ) {
    this.fileRules = options.fileRules ?? { autoStorageConfigured: false };
    this.poolCapabilities = options.poolCapabilities ?? (() => {});
    this.quotas = options.quotas;
    this.containerPolicy = options.containerPolicy ?? restrictedContainers;
  }

  /** Adds the job — with its auto pool, made in the same transaction, when it asks for one. */
  async add(account: string, job: JobAddParameter, url: string, now: Date): Promise<StoredJob> {
    checkJobRules(job);
    checkJobFiles(job, this.fileRules);
    checkJobContainerSettings(job, account, this.containerPolicy);
    try {
      return await this.store.write(async (tx) => {
        const schedule = await tx.get({ account, kind: "jobSchedule", scope: "", id: job.id });
        if (schedule !== undefined) {
          throw serviceError("JobScheduleWithSameIdExists", {
            message: `A job schedule with the id '${job.id}' exists; jobs and job schedules share one id namespace.`,
            values: [{ key: "JobId", value: job.id }],
          });
        }
        // A job id already taken makes no pool (the insert below would refuse it, rolling the pool back anyway).
        if ((await tx.get(jobRef(account, job.id))) !== undefined) throw jobExists(job.id);
        const quotas = this.quotas?.of(account);
        await assertActiveJobQuota(tx, account, quotas?.activeJobsAndSchedules ?? Infinity);
        const spec = job.poolInfo.autoPoolSpecification;
        const autoPool = spec === undefined ? undefined : await createAutoPool(tx, account, spec, url.slice(0, url.lastIndexOf("/jobs/")), now, this.poolCapabilities, quotas?.pools ?? Infinity);
        return insertJob(tx, account, job, url, now, autoPool);
      });
    } catch (error) {
      if (isStoreError(error, "conflict")) throw jobExists(job.id);
      throw error;
    }
  }

  /** The job, or 404 JobNotFound. */
  async get(account: string, jobId: string): Promise<StoredJob> {
    const job = await this.store.read((tx) => tx.get<CloudJob>(jobRef(account, jobId)));
    if (job === undefined) throw jobNotFound(jobId);
    return job;
  }

  list(account: string, options: ListOptions): Promise<{ items: StoredJob[]; nextKey?: string }> {
    return this.store.read((tx) =>
      tx.list<CloudJob>({ account, kind: "job", scope: "" }, { limit: options.maxResults, afterKey: options.afterKey, filter: options.filter }),
    );
  }

  /** Per node, what the job's preparation and release tasks did (409 when the job has no preparation task). */
  async preparationAndReleaseStatus(account: string, jobId: string, options: ListOptions): Promise<{ items: JobNodeRecord[]; nextKey?: string }> {
    const job = await this.get(account, jobId);
    if (job.body.jobPreparationTask === undefined) {
      throw serviceError("JobPreparationTaskNotSpecified", { message: `The job '${jobId}' does not have a job preparation task.`, values: [{ key: "JobId", value: jobId }] });
    }
    const page = await this.store.read((tx) =>
      tx.list<JobNodeRecord>({ account, kind: "jobNode", scope: jobId }, { limit: options.maxResults, afterKey: options.afterKey, filter: options.filter }),
    );
    return { items: page.items.map((item) => item.body), ...(page.nextKey === undefined ? {} : { nextKey: page.nextKey }) };
  }

  /** Task and slot counts by state (semantics.md §6.5: `running` includes `preparing`). */
  async taskCounts(account: string, jobId: string): Promise<TaskCountsResult> {
    await this.get(account, jobId);
    const zeros = () => ({ active: 0, running: 0, completed: 0, succeeded: 0, failed: 0 });
    const taskCounts = zeros();
    const taskSlotCounts = zeros();
    // Maintained by the store with every write: the same cost for 10 tasks as for 1,000,000.
    const groups = await this.store.read((tx) => tx.taskCounts(account, jobId));
    for (const { state, result, count, slots } of groups) {
      const keys: (keyof typeof taskCounts)[] =
        state === "completed" ? ["completed", result === "failure" ? "failed" : "succeeded"] : state === "active" ? ["active"] : ["running"];
      for (const key of keys) {
        taskCounts[key] += count;
        taskSlotCounts[key] += slots;
      }
    }
    return { taskCounts, taskSlotCounts };
  }

  /**
   * Deletes the job and its tasks at once, killing running ones; a job still active with a release task to run is
   * `deleting` until the releases end (lifecycle/jobs.ts).
   */
  delete(account: string, jobId: string, ifMatch: string | undefined, now: Date): Promise<void> {
    return clientWrite(
      () =>
        this.store.write(async (tx) => {
          const job = await tx.get<CloudJob>(jobRef(account, jobId));
          if (job === undefined) throw jobNotFound(jobId);
          if (job.body.state === "deleting") throw stateConflict(jobId, "deleting");
          await deleteJob(tx, account, job.body.id ?? jobId, job.body, now, ifMatch);
        }),
      () => jobNotFound(jobId),
    );
  }

  /**
   * Changes a job in one transaction: `ifMatch` is the ETag the caller's conditions were checked against, so the
   * change applies only to that version (undefined when the request had no conditions: http/conditions.ts
   * `conditionedETag`). Returning the job unchanged writes nothing.
   */
  private mutate(
    account: string,
    jobId: string,
    ifMatch: string | undefined,
    now: Date,
    change: (job: CloudJob, tx: WriteTx) => Promise<CloudJob> | CloudJob,
  ): Promise<StoredJob> {
    return clientWrite(() =>
      this.store.write(async (tx) => {
        const ref = jobRef(account, jobId);
        const job = await tx.get<CloudJob>(ref);
        if (job === undefined) throw jobNotFound(jobId);
        if (job.body.state === "deleting") throw stateConflict(jobId, "deleting");
        const changed = await change(job.body, tx);
        if (changed === job.body) {
          if (ifMatch !== undefined && job.eTag !== ifMatch) throw serviceError("ConditionNotMet");
          return job;
        }
        return tx.replace(ref, await settledJob(tx, account, jobId, changed, now), now, { ifMatch });
      }),
    );
  }

  /**
   * A change of the job's properties: its priority, parallel-task budget or pool may make tasks placeable; its wall
   * clock may move. A new priority also moves the job's runs waiting on nodes in their agents' start order.
   */
  private async changed(tx: WriteTx, account: string, before: CloudJob, after: CloudJob, now: Date): Promise<void> {
    recordEffect(tx, { kind: "wakeScheduler", account });
    recordEffect(tx, { kind: "kickDeadlines", account });
    if ((before.priority ?? 0) !== (after.priority ?? 0)) await reorderJobRuns(tx, account, after.id ?? "", jobPoolId(before), after.priority ?? 0, now);
  }

  /** PATCH /jobs/{id}: replaces only the properties given. */
  patch(account: string, jobId: string, request: JobPatchParameter, ifMatch: string | undefined, now: Date): Promise<StoredJob> {
    checkPriority(request.priority);
    checkMaxParallelTasks(request.maxParallelTasks);
    checkConstraints(request.constraints);
    checkMetadata(request.metadata);
    if (request.poolInfo !== undefined) checkPoolInfo(request.poolInfo, "job");
    return this.mutate(account, jobId, ifMatch, now, async (job, tx) => {
      checkChangeable(jobId, job, request.poolInfo, request.onAllTasksComplete);
      const updated: CloudJob = { ...job };
      for (const [key, value] of Object.entries(request)) {
        if (value !== undefined) (updated as Record<string, unknown>)[key] = value;
      }
      await this.changed(tx, account, job, updated, now);
      return withPoolInfo(updated, request.poolInfo);
    });
  }

  /** PUT /jobs/{id}: replaces every updatable property; absent ones reset to their defaults. */
  update(account: string, jobId: string, request: JobUpdateParameter, ifMatch: string | undefined, now: Date): Promise<StoredJob> {
    checkPriority(request.priority);
    checkMaxParallelTasks(request.maxParallelTasks);
    checkConstraints(request.constraints);
    checkMetadata(request.metadata);
    checkPoolInfo(request.poolInfo, "job");
    const onAllTasksComplete = request.onAllTasksComplete ?? "noaction";
    return this.mutate(account, jobId, ifMatch, now, async (job, tx) => {
      checkChangeable(jobId, job, request.poolInfo, onAllTasksComplete);
      const { constraints: _constraints, metadata: _metadata, ...rest } = job;
      const updated: CloudJob = {
        ...rest,
        priority: request.priority ?? 0,
        maxParallelTasks: request.maxParallelTasks ?? -1,
        allowTaskPreemption: request.allowTaskPreemption ?? false,
        ...(request.constraints === undefined ? {} : { constraints: request.constraints }),
        metadata: request.metadata ?? [],
        onAllTasksComplete,
      };
      await this.changed(tx, account, job, updated, now);
      return withPoolInfo(updated, request.poolInfo);
    });
  }

  /** POST /jobs/{id}/disable: running tasks are requeued, terminated or waited for (lifecycle/jobs.ts `disabledJob`). */
  disable(account: string, jobId: string, request: JobDisableParameter, ifMatch: string | undefined, now: Date): Promise<StoredJob> {
    return this.mutate(account, jobId, ifMatch, now, async (job, tx) => {
      if (job.state === "disabled" || job.state === "disabling") return job;
      if (job.state !== "active") throw stateConflict(jobId, job.state);
      return disabledJob(tx, account, job.id ?? jobId, job, request.disableTasks, now);
    });
  }

  /** POST /jobs/{id}/enable: a disabled job is `active` again and its tasks can be scheduled. */
  enable(account: string, jobId: string, ifMatch: string | undefined, now: Date): Promise<StoredJob> {
    return this.mutate(account, jobId, ifMatch, now, (job, tx) => {
      if (job.state === "active" || job.state === "enabling") return job;
      if (job.state !== "disabled") throw stateConflict(jobId, job.state);
      return enabledJob(tx, account, job.id ?? jobId, job, now);
    });
  }

  /**
   * POST /jobs/{id}/terminate: the job's running tasks are killed (they complete as failed), active ones stay
   * active, and — with no job release task to run yet — the job is `completed` at once.
   */
  terminate(account: string, jobId: string, reason: string | undefined, ifMatch: string | undefined, now: Date): Promise<StoredJob> {
    return this.mutate(account, jobId, ifMatch, now, async (job, tx) => {
      if (job.state === "completed" || job.state === "terminating") throw stateConflict(jobId, job.state);
      return endedJob(tx, account, job.id ?? jobId, job, reason ?? defaultTerminateReason, now);
    });
  }
}

/**
 * Rules of PATCH and PUT on the job as it is: a completed or terminating job takes no changes, `poolInfo` changes
 * only while disabled, and `terminatejob` cannot go back to `noaction`.
 */
function checkChangeable(jobId: string, job: CloudJob, poolInfo: PoolInformation | undefined, onAllTasksComplete: string | undefined): void {
  if (job.state === "completed" || job.state === "terminating") throw stateConflict(jobId, job.state);
  if (poolInfo !== undefined && poolInfo.poolId?.toLowerCase() !== job.poolInfo?.poolId?.toLowerCase() && job.state !== "disabled") {
    throw serviceError("OperationInvalidForCurrentState", {
      message: `The pool of job '${jobId}' can be changed only while the job is disabled.`,
      values: propertyDetails("poolInfo", "poolInfo can be changed only while the job is disabled."),
    });
  }
  if (job.onAllTasksComplete === "terminatejob" && onAllTasksComplete === "noaction") {
    throw invalid("onAllTasksComplete", "onAllTasksComplete cannot be changed from terminatejob to noaction.");
  }
}

/** The job on `poolInfo` (when given), with `executionInfo.poolId` following a named pool (an auto pool stays). */
function withPoolInfo(job: CloudJob, poolInfo: PoolInformation | undefined): CloudJob {
  if (poolInfo === undefined) return job;
  if (poolInfo.poolId === undefined) return { ...job, poolInfo };
  return { ...job, poolInfo, executionInfo: { ...job.executionInfo, poolId: poolInfo.poolId } };
}
