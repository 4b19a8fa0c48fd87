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
import type { CloudJob, TaskAddParameter, TaskAddResult } from "@openbatch/protocol";
import { isStoreError, type JsonPage, type Store, type WriteTx } from "@openbatch/store";
import { recordEffect } from "../effects/transaction.js";
import { reactToTask } from "../lifecycle/jobs.js";
import { killTaskRuns, stopRun } from "../lifecycle/runs.js";
import { endedTask, insertTask, newTaskRecord, reactivatedTask } from "../lifecycle/tasks.js";
import type { ListOptions } from "../odata/listQuery.js";
import { jobNotFound, taskNotFound } from "../records/errors.js";
import { jobRef } from "../records/jobs.js";
import { taskRef, type StoredTask, type TaskRecord } from "../records/tasks.js";
import { clientWrite } from "./storeErrors.js";
import { checkOutputFiles, checkResourceFiles, type TaskFileRules } from "./taskFileSpecs.js";
import { checkContainerSettings, restrictedContainers, type ContainerPolicy } from "./containerRules.js";
import { checkUserIdentity } from "./specRules.js";

export { subtasksOf, taskView, type StoredTask, type TaskRecord } from "../records/tasks.js";

/** Why a job takes no new or reactivated tasks, or undefined when it does (semantics.md §2.5). */
function refuseAdd(job: CloudJob) {
  switch (job.state) {
    case "completed":
      return serviceError("JobCompleted", { message: `The job '${job.id}' is completed: tasks can no longer be added to it or reactivated in it.` });
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

export class TaskService {
  /** @param fileRules what resource files may use (auto-storage). @default no auto-storage account */
  constructor(
    private readonly store: Store,
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
    const job = await tx.get<CloudJob>(jobRef(account, jobId));
    if (job === undefined) throw jobNotFound(jobId);
    const refusal = refuseAdd(job.body);
    if (refusal !== undefined) throw refusal;
    return job.body;
  }

  async add(account: string, jobId: string, task: TaskAddParameter, url: string, now: Date): Promise<StoredTask> {
    return this.store.write(async (tx) => {
      const job = await this.activeJob(tx, account, jobId);
      this.checkTask(account, job, task);
      try {
        return await insertTask(tx, account, jobId, newTaskRecord(job, task, url, formatTimestamp(now)), now);
      } catch (error) {
        if (isStoreError(error, "conflict")) throw serviceError("TaskExists", { values: [{ key: "TaskId", value: task.id }] });
        throw error;
      }
    });
  }

  /** Adds up to 100 tasks in one transaction; each gets its own result (semantics.md §2.5). */
  async addCollection(account: string, jobId: string, tasks: readonly TaskAddParameter[], url: (taskId: string) => string, now: Date): Promise<TaskAddResult[]> {
    if (tasks.length > limits.tasksPerAddCollection) {
      throw serviceError("RequestBodyTooLarge", {
        message: `A task collection may hold at most ${limits.tasksPerAddCollection} tasks; this one has ${tasks.length}.`,
        values: [{ key: "MaxTasks", value: String(limits.tasksPerAddCollection) }],
      });
    }
    return this.store.write(async (tx) => {
      const job = await this.activeJob(tx, account, jobId);
      const time = formatTimestamp(now);
      const out: TaskAddResult[] = [];
      for (const task of tasks) {
        try {
          this.checkTask(account, job, task);
          const stored = await insertTask(tx, account, jobId, newTaskRecord(job, task, url(task.id), time), now);
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
  }

  async get(account: string, jobId: string, taskId: string): Promise<StoredTask> {
    const job = await this.store.read((tx) => tx.get(jobRef(account, jobId)));
    if (job === undefined) throw jobNotFound(jobId);
    const task = await this.store.read((tx) => tx.get<TaskRecord>(taskRef(account, jobId, taskId)));
    if (task === undefined) throw taskNotFound(taskId);
    return task;
  }

  async list(account: string, jobId: string, options: ListOptions): Promise<{ items: StoredTask[]; nextKey?: string }> {
    const job = await this.store.read((tx) => tx.get(jobRef(account, jobId)));
    if (job === undefined) throw jobNotFound(jobId);
    return this.store.read((tx) =>
      tx.list<TaskRecord>({ account, kind: "task", scope: jobId }, { limit: options.maxResults, afterKey: options.afterKey, filter: options.filter }),
    );
  }

  /** As `list`, the page as the tasks' wire JSON (the view of taskView, with its ETag), made by the store. */
  async listJson(account: string, jobId: string, options: ListOptions): Promise<JsonPage> {
    const job = await this.store.read((tx) => tx.get(jobRef(account, jobId)));
    if (job === undefined) throw jobNotFound(jobId);
    return this.store.read((tx) =>
      tx.listJson({ account, kind: "task", scope: jobId }, { limit: options.maxResults, afterKey: options.afterKey, filter: options.filter }, ["_ob"]),
    );
  }
}

/**
 * Task changes that reach a running process: terminate, delete, reactivate, update (semantics.md §2.3, §2.5).
 * A running task's process is killed through lifecycle/runs.ts; the task row moves on at once.
 */
export class TaskControl {
  constructor(private readonly store: Store) {}

  private change(account: string, jobId: string, taskId: string, ifMatch: string | undefined, apply: (tx: WriteTx, task: StoredTask) => Promise<void>): Promise<void> {
    return clientWrite(() =>
      this.store.write(async (tx) => {
        const task = await tx.get<TaskRecord>(taskRef(account, jobId, taskId));
        if (task === undefined) throw taskNotFound(taskId);
        if (ifMatch !== undefined && task.eTag !== ifMatch) throw serviceError("ConditionNotMet");
        await apply(tx, task);
      }),
    );
  }

  /** Terminate (204): the task completes now; a running process is killed. A completed task → 409 TaskCompleted. */
  terminate(account: string, jobId: string, taskId: string, ifMatch: string | undefined, now: Date): Promise<void> {
    return this.change(account, jobId, taskId, ifMatch, async (tx, task) => {
      if (task.body.state === "completed") throw serviceError("TaskCompleted", { values: [{ key: "TaskId", value: task.id }] });
      const message = "The task was terminated by a user request.";
      const stopped = await stopRun(tx, account, task.body, message, now);
      const terminated = endedTask(tx, account, jobId, stopped, message, formatTimestamp(now));
      await tx.replace(taskRef(account, jobId, taskId), terminated, now);
      await reactToTask(tx, account, jobId, terminated, now);
    });
  }

  /** Delete (200): the record goes at once, a running process is killed. */
  delete(account: string, jobId: string, taskId: string, ifMatch: string | undefined, now: Date): Promise<void> {
    return this.change(account, jobId, taskId, ifMatch, async (tx, task) => {
      await killTaskRuns(tx, account, task.body, now);
      await tx.delete(taskRef(account, jobId, taskId));
      // Its dependants and its job's parallel-task budget see it gone.
      recordEffect(tx, { kind: "wakeScheduler", account });
    });
  }

  /**
   * Reactivate (204): only a completed, failed task of a job that still runs tasks; it becomes active with its
   * retry count reset. In a completed, terminating or deleting job → 409 as adding a task is (semantics.md §2.5).
   */
  reactivate(account: string, jobId: string, taskId: string, ifMatch: string | undefined, now: Date): Promise<void> {
    return this.change(account, jobId, taskId, ifMatch, async (tx, task) => {
      const job = await tx.get<CloudJob>(jobRef(account, jobId));
      const refusal = job === undefined ? jobNotFound(jobId) : refuseAdd(job.body);
      if (refusal !== undefined) throw refusal;
      if (task.body.state !== "completed") throw serviceError("TaskNotCompleted", { values: [{ key: "TaskId", value: task.id }] });
      if (task.body.executionInfo?.result !== "failure") throw serviceError("TaskSucceeded", { values: [{ key: "TaskId", value: task.id }] });
      await tx.replace(taskRef(account, jobId, taskId), reactivatedTask(tx, account, jobId, task.body, formatTimestamp(now)), now);
    });
  }

  /** Update (PUT, 200): replaces the constraints; omitted ones take their defaults. */
  update(account: string, jobId: string, taskId: string, constraints: TaskRecord["constraints"], ifMatch: string | undefined, now: Date): Promise<void> {
    return this.change(account, jobId, taskId, ifMatch, async (tx, task) => {
      await tx.replace(taskRef(account, jobId, taskId), { ...task.body, constraints: { maxTaskRetryCount: 0, retentionTime: "P7D", ...constraints } }, now);
    });
  }
}
