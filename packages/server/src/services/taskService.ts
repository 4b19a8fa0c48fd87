/**
 * Tasks: add, add collection, get, list, delete — the stored side of the task lifecycle. A task is a row
 * (`kind = task`, scope = its job) holding the wire CloudTask and, under `_ob`, the server's bookkeeping: its
 * scheduling sequence, the slots it needs, and the assignment (node and attempt) while it runs. `_ob` never leaves
 * the server.
 *
 * States (semantics.md §2.1): active (added, retrying, requeued) → running (placed on a node by the plan applier)
 * → completed (by the agent's report: success, or failure with retries exhausted); delete removes the row and kills
 * a running process.
 */
import { assertValidId, formatTimestamp, limits, propertyDetails, serviceError } from "@openbatch/core";
import type { CloudJob, CloudTask, TaskAddParameter, TaskAddResult } from "@openbatch/protocol";
import { isStoreError, type JsonPage, type Store, type StoredEntity, type WriteTx } from "@openbatch/store";
import type { ListOptions } from "../odata/listQuery.js";
import { reactToTask } from "../scheduling/jobReactions.js";
import type { ResolvedExitOptions } from "../scheduling/exitOptions.js";
import { stopRun, type MultiInstanceRuntime } from "../scheduling/multiInstance.js";
import { endedTask, killTaskRuns } from "../scheduling/taskEnding.js";
import { checkOutputFiles, checkResourceFiles, type TaskFileRules } from "./taskFileSpecs.js";
import { checkContainerSettings, restrictedContainers, type ContainerPolicy } from "./containerRules.js";
import { checkUserIdentity } from "./specRules.js";

export interface TaskAssignmentRecord {
  assignmentId: string;
  nodeId: string;
  poolId: string;
  attempt: number;
  kill?: boolean;
}

export interface TaskRuntime {
  /** Scheduling order within the job (add order). */
  sequence: number;
  /** Attempts started so far (retries and requeues included). */
  attempts: number;
  assignment?: TaskAssignmentRecord;
  /** Set on a job's job manager task: the settings CloudTask has no field for. */
  jobManager?: { killJobOnCompletion: boolean; runExclusive: boolean; allowLowPriorityNode: boolean };
  /** The instances of the latest multi-instance run (multiInstance.ts). */
  multiInstance?: MultiInstanceRuntime;
  /** When the completed task's directory may be removed (its retention ends); see scheduling/deadlines.ts. */
  filesExpireAt?: string;
  /** Its directory was removed after its retention: file operations answer TaskFilesCleanedup. */
  filesCleanedUp?: boolean;
  /** The exit options chosen when the task completed (exit conditions, §3); cleared by reactivate. */
  exitOptions?: ResolvedExitOptions;
  /** Runs lost to an agent restart and run again (recovery retries, semantics.md §2.2); never shown. */
  recoveries?: number;
}

export type TaskRecord = CloudTask & { id: string; _ob: TaskRuntime };
export type StoredTask = StoredEntity<TaskRecord>;

function withoutExitOptions(runtime: TaskRuntime): TaskRuntime {
  const { exitOptions: _chosen, filesExpireAt: _expiry, ...rest } = runtime;
  return rest;
}

export function taskView(task: TaskRecord): CloudTask {
  const { _ob: _runtime, ...view } = task;
  return view;
}

export function taskNotFound(taskId: string) {
  return serviceError("TaskNotFound", { message: `The specified task '${taskId}' does not exist.`, values: [{ key: "TaskId", value: taskId }] });
}

function jobNotFound(jobId: string) {
  return serviceError("JobNotFound", { message: `The specified job '${jobId}' does not exist.`, values: [{ key: "JobId", value: jobId }] });
}

/** Why a job takes no new tasks, or undefined when it does (semantics.md §2.5). */
function refuseAdd(job: CloudJob) {
  switch (job.state) {
    case "completed":
      return serviceError("JobCompleted", { message: `The job '${job.id}' is completed; it takes no new tasks.` });
    case "terminating":
      return serviceError("JobBeingTerminated", { message: `The job '${job.id}' is being terminated.` });
    case "deleting":
      return serviceError("JobBeingDeleted", { message: `The job '${job.id}' is being deleted.` });
    default:
      return undefined;
  }
}

/** A job action in the exit conditions needs a job that performs them (semantics.md §3). */
function checkExitConditions(job: CloudJob, conditions: TaskAddParameter["exitConditions"]): void {
  if (conditions === undefined || job.onTaskFailure === "performexitoptionsjobaction") return;
  const options = [
    ...(conditions.exitCodes ?? []).map((mapping, index) => [`exitConditions.exitCodes[${index}].exitOptions.jobAction`, mapping.exitOptions] as const),
    ...(conditions.exitCodeRanges ?? []).map((range, index) => [`exitConditions.exitCodeRanges[${index}].exitOptions.jobAction`, range.exitOptions] as const),
    ["exitConditions.preProcessingError.jobAction", conditions.preProcessingError] as const,
    ["exitConditions.fileUploadError.jobAction", conditions.fileUploadError] as const,
    ["exitConditions.default.jobAction", conditions.default] as const,
  ];
  const named = options.find(([, exitOptions]) => exitOptions?.jobAction !== undefined);
  if (named !== undefined) {
    const reason = "A jobAction needs the job's onTaskFailure to be performExitOptionsJobAction.";
    throw serviceError("InvalidPropertyValue", { message: reason, values: propertyDetails(named[0], reason) });
  }
}

let sequenceSeed = 0;

/** A task as added: active, with its defaults filled in and the job's retry count when it sets none. */
export function newTaskRecord(job: CloudJob, task: TaskAddParameter, url: string, time: string, runtime: Partial<TaskRuntime> = {}): TaskRecord {
  const constraints = {
    maxTaskRetryCount: job.constraints?.maxTaskRetryCount ?? 0,
    retentionTime: "P7D",
    ...task.constraints,
  };
  return {
    ...task,
    url,
    creationTime: time,
    state: "active",
    stateTransitionTime: time,
    constraints,
    requiredSlots: task.requiredSlots ?? 1,
    executionInfo: { retryCount: 0, requeueCount: 0 },
    _ob: { sequence: Date.parse(time) * 1000 + (sequenceSeed++ % 1000), attempts: 0, ...runtime },
  };
}

/**
 * The job manager task (semantics.md §5.2) as the job's first task: an ordinary task row whose `_ob.jobManager`
 * keeps what CloudTask has no field for.
 */
export function jobManagerTaskRecord(job: CloudJob, jobUrl: string, time: string): TaskRecord | undefined {
  const manager = job.jobManagerTask;
  if (manager === undefined) return undefined;
  const { killJobOnCompletion, runExclusive, allowLowPriorityNode, ...task } = manager;
  const jobManager = { killJobOnCompletion: killJobOnCompletion ?? true, runExclusive: runExclusive ?? true, allowLowPriorityNode: allowLowPriorityNode ?? true };
  return newTaskRecord(job, task, `${jobUrl}/tasks/${encodeURIComponent(task.id)}`, time, { jobManager });
}

export class TaskService {
  /**
   * @param onAdded wakes the scheduling loop after tasks were committed.
   * @param fileRules what resource files may use (auto-storage). @default no auto-storage account
   */
  constructor(
    private readonly store: Store,
    private readonly onAdded: (account: string) => void = () => {},
    private readonly fileRules: TaskFileRules = { autoStorageConfigured: false },
    /** Which accounts may use every containerRunOptions (containerRules.ts). @default none */
    private readonly containerPolicy: ContainerPolicy = restrictedContainers,
  ) {}

  private checkTask(account: string, job: CloudJob, task: TaskAddParameter): void {
    assertValidId(task.id, "id");
    const prep = job.jobPreparationTask === undefined ? undefined : (job.jobPreparationTask.id ?? "jobpreparation");
    const release = job.jobReleaseTask === undefined ? undefined : (job.jobReleaseTask.id ?? "jobrelease");
    if (prep !== undefined && prep.toLowerCase() === task.id.toLowerCase()) {
      throw serviceError("TaskIdSameAsJobPreparationTask", { values: [{ key: "TaskId", value: task.id }] });
    }
    if (release !== undefined && release.toLowerCase() === task.id.toLowerCase()) {
      throw serviceError("TaskIdSameAsJobReleaseTask", { values: [{ key: "TaskId", value: task.id }] });
    }
    if (task.dependsOn !== undefined && job.usesTaskDependencies !== true) {
      throw serviceError("TaskDependenciesNotSpecifiedOnJob", { values: propertyDetails("dependsOn") });
    }
    const parentIds = task.dependsOn?.taskIds ?? [];
    if (parentIds.reduce((length, id) => length + id.length, 0) > limits.dependencyIdsMaxChars) {
      throw serviceError("TaskDependencyListTooLong", { values: propertyDetails("dependsOn.taskIds") });
    }
    if (parentIds.some((id) => id.toLowerCase() === task.id.toLowerCase())) {
      throw serviceError("InvalidPropertyValue", {
        message: "A task cannot depend on itself.",
        values: propertyDetails("dependsOn.taskIds", "A task cannot depend on itself.", task.id),
      });
    }
    checkExitConditions(job, task.exitConditions);
    checkUserIdentity(task.userIdentity, "userIdentity");
    checkContainerSettings(task.containerSettings, "containerSettings", account, this.containerPolicy);
    const instances = task.multiInstanceSettings?.numberOfInstances;
    if (instances !== undefined && instances < 1) {
      throw serviceError("InvalidPropertyValue", { message: "numberOfInstances must be at least 1.", values: propertyDetails("multiInstanceSettings.numberOfInstances") });
    }
    if (task.multiInstanceSettings !== undefined && task.requiredSlots !== undefined && task.requiredSlots !== 1) {
      throw serviceError("InvalidPropertyValue", { message: "A multi-instance task uses one slot per node: requiredSlots must be 1.", values: propertyDetails("requiredSlots") });
    }
    if (task.requiredSlots !== undefined && task.requiredSlots < 1) {
      throw serviceError("InvalidPropertyValue", { message: "requiredSlots must be at least 1.", values: propertyDetails("requiredSlots") });
    }
    checkResourceFiles(task.resourceFiles, "resourceFiles", this.fileRules);
    checkResourceFiles(task.multiInstanceSettings?.commonResourceFiles, "multiInstanceSettings.commonResourceFiles", this.fileRules);
    checkOutputFiles(task.outputFiles, "outputFiles");
  }

  private async activeJob(tx: WriteTx, account: string, jobId: string): Promise<CloudJob> {
    const job = await tx.get<CloudJob>({ account, kind: "job", scope: "", id: jobId });
    if (job === undefined) throw jobNotFound(jobId);
    const refusal = refuseAdd(job.body);
    if (refusal !== undefined) throw refusal;
    return job.body;
  }

  async add(account: string, jobId: string, task: TaskAddParameter, url: string, now: Date): Promise<StoredTask> {
    const stored = await this.store.write(async (tx) => {
      const job = await this.activeJob(tx, account, jobId);
      this.checkTask(account, job, task);
      try {
        return await tx.insert({ account, kind: "task", scope: jobId, id: task.id }, newTaskRecord(job, task, url, formatTimestamp(now)), now);
      } catch (error) {
        if (isStoreError(error, "conflict")) throw serviceError("TaskExists", { values: [{ key: "TaskId", value: task.id }] });
        throw error;
      }
    });
    this.onAdded(account);
    return stored;
  }

  /** Adds up to 100 tasks in one transaction; each gets its own result (semantics.md §2.5). */
  async addCollection(account: string, jobId: string, tasks: readonly TaskAddParameter[], url: (taskId: string) => string, now: Date): Promise<TaskAddResult[]> {
    if (tasks.length > limits.tasksPerAddCollection) {
      throw serviceError("RequestBodyTooLarge", {
        message: `A task collection may hold at most ${limits.tasksPerAddCollection} tasks; this one has ${tasks.length}.`,
        values: [{ key: "MaxTasks", value: String(limits.tasksPerAddCollection) }],
      });
    }
    const results = await this.store.write(async (tx) => {
      const job = await this.activeJob(tx, account, jobId);
      const time = formatTimestamp(now);
      const out: TaskAddResult[] = [];
      for (const task of tasks) {
        try {
          this.checkTask(account, job, task);
          const stored = await tx.insert({ account, kind: "task", scope: jobId, id: task.id }, newTaskRecord(job, task, url(task.id), time), now);
          out.push({ status: "success", taskId: task.id, eTag: stored.eTag, lastModified: time, location: url(task.id) });
        } catch (error) {
          const failure = isStoreError(error, "conflict") ? serviceError("TaskExists", { values: [{ key: "TaskId", value: task.id }] }) : error;
          if (!(failure instanceof Error) || !("code" in failure)) throw error;
          const batch = failure as Error & { code: string; values?: { key: string; value: string }[] };
          out.push({
            status: "clienterror",
            taskId: task.id,
            error: { code: batch.code, message: { lang: "en-US", value: batch.message }, ...(batch.values === undefined || batch.values.length === 0 ? {} : { values: batch.values }) },
          });
        }
      }
      return out;
    });
    if (results.some((result) => result.status === "success")) this.onAdded(account);
    return results;
  }

  async get(account: string, jobId: string, taskId: string): Promise<StoredTask> {
    const job = await this.store.read((tx) => tx.get({ account, kind: "job", scope: "", id: jobId }));
    if (job === undefined) throw jobNotFound(jobId);
    const task = await this.store.read((tx) => tx.get<TaskRecord>({ account, kind: "task", scope: jobId, id: taskId }));
    if (task === undefined) throw taskNotFound(taskId);
    return task;
  }

  async list(account: string, jobId: string, options: ListOptions): Promise<{ items: StoredTask[]; nextKey?: string }> {
    const job = await this.store.read((tx) => tx.get({ account, kind: "job", scope: "", id: jobId }));
    if (job === undefined) throw jobNotFound(jobId);
    return this.store.read((tx) =>
      tx.list<TaskRecord>({ account, kind: "task", scope: jobId }, { limit: options.maxResults, afterKey: options.afterKey, filter: options.filter }),
    );
  }

  /** As `list`, the page as the tasks' wire JSON (the view of taskView, with its ETag), made by the store. */
  async listJson(account: string, jobId: string, options: ListOptions): Promise<JsonPage> {
    const job = await this.store.read((tx) => tx.get({ account, kind: "job", scope: "", id: jobId }));
    if (job === undefined) throw jobNotFound(jobId);
    return this.store.read((tx) =>
      tx.listJson({ account, kind: "task", scope: jobId }, { limit: options.maxResults, afterKey: options.afterKey, filter: options.filter }, ["_ob"]),
    );
  }
}

/**
 * Task changes that reach a running process: terminate, delete, reactivate, update (semantics.md §2.3, §2.5).
 * A running task's process is killed through scheduling/taskEnding.ts; the task row moves on at once.
 */
export class TaskControl {
  constructor(
    private readonly store: Store,
    /** Wakes the pool's agents (a kill) and the scheduling loop (an active task again). */
    private readonly onChanged: (account: string, poolId: string | undefined) => void = () => {},
  ) {}

  private async change(account: string, jobId: string, taskId: string, ifMatch: string | undefined, now: Date, apply: (tx: WriteTx, task: StoredTask) => Promise<string | undefined>) {
    try {
      const poolId = await this.store.write(async (tx) => {
        const task = await tx.get<TaskRecord>({ account, kind: "task", scope: jobId, id: taskId });
        if (task === undefined) throw taskNotFound(taskId);
        if (ifMatch !== undefined && task.eTag !== ifMatch) throw serviceError("ConditionNotMet");
        return apply(tx, task);
      });
      this.onChanged(account, poolId);
    } catch (error) {
      if (isStoreError(error, "preconditionFailed")) throw serviceError("ConditionNotMet");
      throw error;
    }
  }

  /** Terminate (204): the task completes now; a running process is killed. A completed task → 409 TaskCompleted. */
  terminate(account: string, jobId: string, taskId: string, ifMatch: string | undefined, now: Date): Promise<void> {
    return this.change(account, jobId, taskId, ifMatch, now, async (tx, task) => {
      if (task.body.state === "completed") throw serviceError("TaskCompleted", { values: [{ key: "TaskId", value: task.id }] });
      const message = "The task was terminated by a user request.";
      const stopped = await stopRun(tx, account, task.body, message, now);
      const terminated = endedTask(stopped.task, message, formatTimestamp(now));
      await tx.replace({ account, kind: "task", scope: jobId, id: taskId }, terminated, now);
      await reactToTask(tx, account, jobId, terminated, now);
      return stopped.poolId;
    });
  }

  /** Delete (200): the record goes at once, a running process is killed. */
  delete(account: string, jobId: string, taskId: string, ifMatch: string | undefined, now: Date): Promise<void> {
    return this.change(account, jobId, taskId, ifMatch, now, async (tx, task) => {
      const poolId = await killTaskRuns(tx, account, task.body, now);
      await tx.delete({ account, kind: "task", scope: jobId, id: taskId });
      return poolId;
    });
  }

  /** Reactivate (204): only a completed, failed task; it becomes active with its retry count reset. */
  reactivate(account: string, jobId: string, taskId: string, ifMatch: string | undefined, now: Date): Promise<void> {
    return this.change(account, jobId, taskId, ifMatch, now, async (tx, task) => {
      if (task.body.state !== "completed") throw serviceError("TaskNotCompleted", { values: [{ key: "TaskId", value: task.id }] });
      if (task.body.executionInfo?.result !== "failure") throw serviceError("TaskSucceeded", { values: [{ key: "TaskId", value: task.id }] });
      const time = formatTimestamp(now);
      const { exitCode: _exit, failureInfo: _failure, result: _result, endTime: _end, ...info } = task.body.executionInfo ?? {};
      await tx.replace({ account, kind: "task", scope: jobId, id: taskId }, {
        ...task.body,
        state: "active",
        previousState: "completed",
        previousStateTransitionTime: task.body.stateTransitionTime,
        stateTransitionTime: time,
        executionInfo: { ...info, retryCount: 0, requeueCount: info.requeueCount ?? 0 },
        _ob: withoutExitOptions(task.body._ob),
      }, now);
      return "";
    });
  }

  /** Update (PUT, 200): replaces the constraints; omitted ones take their defaults. */
  update(account: string, jobId: string, taskId: string, constraints: TaskRecord["constraints"], ifMatch: string | undefined, now: Date): Promise<void> {
    return this.change(account, jobId, taskId, ifMatch, now, async (tx, task) => {
      await tx.replace({ account, kind: "task", scope: jobId, id: taskId }, {
        ...task.body,
        constraints: { maxTaskRetryCount: 0, retentionTime: "P7D", ...constraints },
      }, now);
      return undefined;
    });
  }
}
