/**
 * Jobs: add, get, list, patch, update, disable, enable, terminate, delete — the stored side of the job lifecycle
 * (semantics.md §5.1). How jobs act on their running tasks (disable, end) lives in scheduling/jobReactions.ts.
 *
 * States (`state`): active ⇄ disabling → disabled → active, → completed, → (gone). Disable with `requeue` or
 * `terminate` is done at once (the tasks change state in the same transaction), with `wait` the job stays
 * `disabling` until its running tasks finish. Jobs and job schedules share one id namespace (semantics.md §1). A job
 * with no tasks is "all complete" (§3): `onAllTasksComplete: terminatejob` without a job manager ends it with
 * `AllTasksComplete`.
 */
import { assertValidId, formatTimestamp, limits, propertyDetails, serviceError } from "@openbatch/core";
import type {
  CloudTask,
  CloudJob, JobAddParameter, JobConstraints, JobDisableParameter, JobPatchParameter, JobSpecification, JobState, JobUpdateParameter, MetadataItem,
  PoolInformation, TaskCountsResult,
} from "@openbatch/protocol";
import { completeJob, transition } from "./jobStates.js";
import { disableJob, endedJob, endRunningTasks } from "../scheduling/jobReactions.js";
import { removeJobRecords, startReleases, type JobNodeRecord } from "../scheduling/jobPreparation.js";
import { isStoreError, type Store, type StoredEntity, type WriteTx } from "@openbatch/store";
import type { ListOptions } from "../odata/listQuery.js";
import { checkJobFiles, type TaskFileRules } from "./taskFileSpecs.js";
import { checkJobTaskSpecs } from "./specRules.js";
import { checkJobContainerSettings, restrictedContainers, type ContainerPolicy } from "./containerRules.js";
import { jobManagerTaskRecord } from "./taskService.js";
import type { AutoPoolOutcome, AutoPools } from "./autoPools.js";

export type StoredJob = StoredEntity<CloudJob>;

export const defaultTerminateReason = "UserTerminate";
export const allTasksCompleteReason = "AllTasksComplete";

function jobNotFound(jobId: string) {
  return serviceError("JobNotFound", { message: `The specified job '${jobId}' does not exist.`, values: [{ key: "JobId", value: jobId }] });
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

/**
 * Stores a new job (checked by the caller) in `tx`; a job with `terminatejob`, no job manager and so no task is
 * complete at once. Job schedules make their jobs through here too, so theirs are ordinary jobs.
 */
export async function insertJob(tx: WriteTx, account: string, job: JobAddParameter, url: string, now: Date, autoPool?: AutoPoolOutcome): Promise<StoredJob> {
  const time = formatTimestamp(now);
  let body = newJob(job, url, time);
  if (autoPool !== undefined && "poolId" in autoPool) body = { ...body, executionInfo: { ...body.executionInfo, poolId: autoPool.poolId } };
  if (autoPool !== undefined && "schedulingError" in autoPool) {
    const completed = transition(body, "completed", time);
    return tx.insert({ account, kind: "job", scope: "", id: job.id }, { ...completed, executionInfo: { startTime: time, endTime: time, schedulingError: autoPool.schedulingError } }, now);
  }
  if (body.onAllTasksComplete === "terminatejob" && body.jobManagerTask === undefined) {
    body = completeJob({ ...body }, allTasksCompleteReason, time);
  }
  const manager = jobManagerTaskRecord(body, url, time);
  if (manager !== undefined) await tx.insert({ account, kind: "task", scope: job.id, id: manager.id }, manager, now);
  return tx.insert({ account, kind: "job", scope: "", id: job.id }, body, now);
}

/** How the job service tells the rest of the server what it changed. */
export interface JobServiceHooks {
  /** A pool's agents must wake: their desired tasks changed (a job's tasks killed, release tasks started). */
  readonly onPoolChanged?: (account: string, poolId: string) => void;
  /** Tasks may be placeable now (a job enabled). */
  readonly onSchedulable?: (account: string) => void;
  /** A job was added, changed state or was deleted: its job schedule may make its next job, its deadline moved. */
  readonly onJobChanged?: (account: string) => void;
  /** Makes and removes auto pools; without it jobs with an autoPoolSpecification are refused. */
  readonly autoPools?: AutoPools;
}

export class JobService {
  private readonly onPoolChanged: (account: string, poolId: string) => void;
  private readonly onSchedulable: (account: string) => void;
  private readonly onJobChanged: (account: string) => void;
  private readonly autoPools: AutoPools | undefined;

  constructor(
    private readonly store: Store,
    hooks: JobServiceHooks = {},
    /** What resource files may use (auto-storage). @default no auto-storage account */
    private readonly fileRules: TaskFileRules = { autoStorageConfigured: false },
    /** Which accounts may use every containerRunOptions (containerRules.ts). @default none */
    private readonly containerPolicy: ContainerPolicy = restrictedContainers,
  ) {
    this.onPoolChanged = hooks.onPoolChanged ?? (() => {});
    this.onSchedulable = hooks.onSchedulable ?? (() => {});
    this.onJobChanged = hooks.onJobChanged ?? (() => {});
    this.autoPools = hooks.autoPools;
  }

  async add(account: string, job: JobAddParameter, url: string, now: Date): Promise<StoredJob> {
    checkJobRules(job);
    checkJobFiles(job, this.fileRules);
    checkJobContainerSettings(job, account, this.containerPolicy);
    const autoPool = await this.makeAutoPool(account, job, url, now);
    try {
      const stored = await this.store.write(async (tx) => {
        const schedule = await tx.get({ account, kind: "jobSchedule", scope: "", id: job.id });
        if (schedule !== undefined) {
          throw serviceError("JobScheduleWithSameIdExists", {
            message: `A job schedule with the id '${job.id}' exists; jobs and job schedules share one id namespace.`,
            values: [{ key: "JobId", value: job.id }],
          });
        }
        return insertJob(tx, account, job, url, now, autoPool);
      });
      this.onJobChanged(account);
      return stored;
    } catch (error) {
      if (autoPool !== undefined && "poolId" in autoPool) await this.autoPools?.release(account, { poolInfo: job.poolInfo, executionInfo: { poolId: autoPool.poolId } }, now);
      if (isStoreError(error, "conflict")) {
        throw serviceError("JobExists", { message: `The specified job '${job.id}' already exists.`, values: [{ key: "JobId", value: job.id }] });
      }
      throw error;
    }
  }

  /** The job's auto pool, made before the job is stored (a job id already taken makes none). */
  private async makeAutoPool(account: string, job: JobAddParameter, url: string, now: Date): Promise<AutoPoolOutcome | undefined> {
    const spec = job.poolInfo.autoPoolSpecification;
    if (spec === undefined) return undefined;
    if (this.autoPools === undefined) throw invalid("poolInfo.autoPoolSpecification", "This server makes no auto pools.");
    const taken = await this.store.read(async (tx) => (await tx.get({ account, kind: "job", scope: "", id: job.id })) ?? (await tx.get({ account, kind: "jobSchedule", scope: "", id: job.id })));
    if (taken !== undefined) throw serviceError("JobExists", { message: `The specified job '${job.id}' already exists.`, values: [{ key: "JobId", value: job.id }] });
    return this.autoPools.create(account, spec, url.slice(0, url.lastIndexOf("/jobs/")), now);
  }

  /** The job, or 404 JobNotFound. */
  async get(account: string, jobId: string): Promise<StoredJob> {
    const job = await this.store.read((tx) => tx.get<CloudJob>({ account, kind: "job", scope: "", id: jobId }));
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
    const groups = await this.store.read((tx) =>
      tx.tally({ account, kind: "task", scope: jobId }, [{ path: ["state"], kind: "enum" }, { path: ["executionInfo", "result"], kind: "enum" }], { path: ["requiredSlots"], default: 1 }),
    );
    for (const { values: [state, result], count, weight } of groups) {
      const keys: (keyof typeof taskCounts)[] =
        state === "completed" ? ["completed", result === "failure" ? "failed" : "succeeded"] : state === "active" ? ["active"] : ["running"];
      for (const key of keys) {
        taskCounts[key] += count;
        taskSlotCounts[key] += weight;
      }
    }
    return { taskCounts, taskSlotCounts };
  }

  /**
   * Deletes the job and its tasks at once, killing running ones; a job still active with a release task to run is
   * `deleting` until the releases end (jobPreparation.ts removes it then).
   */
  async delete(account: string, jobId: string, ifMatch: string, now: Date): Promise<void> {
    try {
      let removed: CloudJob | undefined;
      const pools = await this.store.write(async (tx) => {
        const ref = { account, kind: "job" as const, scope: "", id: jobId };
        const job = await tx.get<CloudJob>(ref);
        if (job === undefined) throw jobNotFound(jobId);
        if (job.body.state === "deleting") throw stateConflict(jobId, "deleting");
        removed = undefined;
        const touched = await endRunningTasks(tx, account, job.body.id ?? jobId, now, "The task was deleted with its job.");
        // Release tasks run when a job still active is deleted, not again after it ended (semantics.md §5.1).
        const ended = job.body.state === "completed" || job.body.state === "terminating";
        const releasing = ended ? new Set<string>() : await startReleases(tx, account, job.body.id ?? jobId, job.body, now);
        if (releasing.size > 0) {
          await tx.deleteAll({ account, kind: "task", scope: jobId });
          await tx.replace(ref, transition(job.body, "deleting", formatTimestamp(now)), now, { ifMatch });
          return new Set([...touched, ...releasing]);
        }
        await removeJobRecords(tx, account, jobId);
        await tx.delete(ref, { ifMatch });
        removed = job.body;
        return touched;
      });
      for (const poolId of pools) this.onPoolChanged(account, poolId);
      if (removed !== undefined) await this.autoPools?.release(account, removed, now);
      this.onJobChanged(account);
    } catch (error) {
      if (isStoreError(error, "notFound")) throw jobNotFound(jobId);
      if (isStoreError(error, "preconditionFailed")) throw serviceError("ConditionNotMet");
      throw error;
    }
  }

  /**
   * Changes a job in one transaction: `ifMatch` is the ETag the caller's conditions were checked against, so the
   * change applies only to that version. Returning the job unchanged writes nothing.
   */
  private async mutate(
    account: string,
    jobId: string,
    ifMatch: string,
    now: Date,
    change: (job: CloudJob, tx: WriteTx) => Promise<CloudJob> | CloudJob,
  ): Promise<StoredJob> {
    try {
      const stored = await this.store.write(async (tx) => {
        const ref = { account, kind: "job" as const, scope: "", id: jobId };
        const job = await tx.get<CloudJob>(ref);
        if (job === undefined) throw jobNotFound(jobId);
        if (job.body.state === "deleting") throw stateConflict(jobId, "deleting");
        const changed = await change(job.body, tx);
        if (changed === job.body) {
          if (job.eTag !== ifMatch) throw serviceError("ConditionNotMet");
          return job;
        }
        return tx.replace(ref, await this.settle(account, jobId, changed, tx, now), now, { ifMatch });
      });
      this.onJobChanged(account);
      return stored;
    } catch (error) {
      if (isStoreError(error, "preconditionFailed")) throw serviceError("ConditionNotMet");
      throw error;
    }
  }

  /** An active job with `terminatejob` and no unfinished task (its job manager is one) is all complete: it ends at once. */
  private async settle(account: string, jobId: string, job: CloudJob, tx: WriteTx, now: Date): Promise<CloudJob> {
    if (job.state !== "active" || job.onAllTasksComplete !== "terminatejob") return job;
    const unfinished = await tx.count({ account, kind: "task", scope: jobId }, { op: "ne", path: ["state"], kind: "enum", value: "completed" });
    return unfinished === 0 ? completeJob(job, allTasksCompleteReason, formatTimestamp(now)) : job;
  }

  /** PATCH /jobs/{id}: replaces only the properties given. */
  patch(account: string, jobId: string, request: JobPatchParameter, ifMatch: string, now: Date): Promise<StoredJob> {
    checkPriority(request.priority);
    checkMaxParallelTasks(request.maxParallelTasks);
    checkConstraints(request.constraints);
    checkMetadata(request.metadata);
    if (request.poolInfo !== undefined) checkPoolInfo(request.poolInfo, "job");
    return this.mutate(account, jobId, ifMatch, now, (job) => {
      checkChangeable(jobId, job, request.poolInfo, request.onAllTasksComplete);
      const updated: CloudJob = { ...job };
      for (const [key, value] of Object.entries(request)) {
        if (value !== undefined) (updated as Record<string, unknown>)[key] = value;
      }
      return withPoolInfo(updated, request.poolInfo);
    });
  }

  /** PUT /jobs/{id}: replaces every updatable property; absent ones reset to their defaults. */
  update(account: string, jobId: string, request: JobUpdateParameter, ifMatch: string, now: Date): Promise<StoredJob> {
    checkPriority(request.priority);
    checkMaxParallelTasks(request.maxParallelTasks);
    checkConstraints(request.constraints);
    checkMetadata(request.metadata);
    checkPoolInfo(request.poolInfo, "job");
    const onAllTasksComplete = request.onAllTasksComplete ?? "noaction";
    return this.mutate(account, jobId, ifMatch, now, (job) => {
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
      return withPoolInfo(updated, request.poolInfo);
    });
  }

  /** POST /jobs/{id}/disable: running tasks are requeued, terminated or waited for (jobReactions.ts `disableJob`). */
  async disable(account: string, jobId: string, request: JobDisableParameter, ifMatch: string, now: Date): Promise<StoredJob> {
    let pools = new Set<string>();
    const stored = await this.mutate(account, jobId, ifMatch, now, async (job, tx) => {
      if (job.state === "disabled" || job.state === "disabling") return job;
      if (job.state !== "active") throw stateConflict(jobId, job.state);
      const disabled = await disableJob(tx, account, job.id ?? jobId, job, request.disableTasks, now);
      pools = disabled.pools;
      return disabled.job;
    });
    for (const poolId of pools) this.onPoolChanged(account, poolId);
    return stored;
  }

  /** POST /jobs/{id}/enable: a disabled job is `active` again and its tasks can be scheduled. */
  async enable(account: string, jobId: string, ifMatch: string, now: Date): Promise<StoredJob> {
    const stored = await this.mutate(account, jobId, ifMatch, now, (job) => {
      if (job.state === "active" || job.state === "enabling") return job;
      if (job.state !== "disabled") throw stateConflict(jobId, job.state);
      return transition(job, "active", formatTimestamp(now));
    });
    this.onSchedulable(account);
    return stored;
  }

  /**
   * POST /jobs/{id}/terminate: the job's running tasks are killed (they complete as failed), active ones stay
   * active, and — with no job release task to run yet — the job is `completed` at once.
   */
  async terminate(account: string, jobId: string, reason: string | undefined, ifMatch: string, now: Date): Promise<StoredJob> {
    let pools = new Set<string>();
    const stored = await this.mutate(account, jobId, ifMatch, now, async (job, tx) => {
      if (job.state === "completed" || job.state === "terminating") throw stateConflict(jobId, job.state);
      const ended = await endedJob(tx, account, job.id ?? jobId, job, reason ?? defaultTerminateReason, now);
      pools = ended.pools;
      return ended.job;
    });
    for (const poolId of pools) this.onPoolChanged(account, poolId);
    return stored;
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
