/** Task group, including the bulk `addCollection`. */
import type {
  CloudTask,
  CloudTaskListSubtasksResult,
  TaskAddCollectionResult,
  TaskAddParameter,
  TaskUpdateParameter,
} from "../models.js";
import { addTaskCollection, type AddTaskCollectionOptions } from "../addTaskCollection.js";
import type { OperationContext } from "../operation.js";
import type { ConditionalOperationOptions, GetEntityOptions, ListEntitiesOptions, ListSubtasksOptions, OperationOptions } from "../options.js";
import type { PagedAsyncIterableIterator } from "../paging.js";
import type { ResolvedRetryOptions } from "../pipeline.js";
import type { BatchOperationResult, WithResponse } from "../responses.js";
import { bodyResult, headersResult, listResult, opts } from "./common.js";

export class TaskOperations {
  constructor(
    private readonly context: OperationContext,
    private readonly retryOptions: ResolvedRetryOptions,
  ) {}

  /** Adds one task (201); `TaskExists` (409) when the id is taken in the job. */
  add(jobId: string, task: TaskAddParameter, options?: OperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Task_Add", { path: { jobId }, body: task, options: opts(options) });
  }

  list(jobId: string, options?: ListEntitiesOptions): PagedAsyncIterableIterator<CloudTask> {
    return listResult(this.context, "Task_List", { path: { jobId }, options: opts(options) });
  }

  /**
   * Adds any number of tasks, 100 per request, splitting requests the service finds too large and retrying server
   * errors with back-off (see addTaskCollection.ts for the exact rules). Resolves to one result per task, in input
   * order; throws `CreateTasksError` when any task failed or could not be submitted.
   */
  addCollection(jobId: string, tasks: readonly TaskAddParameter[], options?: AddTaskCollectionOptions): Promise<TaskAddCollectionResult> {
    return addTaskCollection(this.context, this.retryOptions, jobId, tasks, options);
  }

  /** Deletes a task and its files (200). */
  delete(jobId: string, taskId: string, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Task_Delete", { path: { jobId, taskId }, options: opts(options) });
  }

  get(jobId: string, taskId: string, options?: GetEntityOptions): Promise<WithResponse<CloudTask>> {
    return bodyResult(this.context, "Task_Get", { path: { jobId, taskId }, options: opts(options) });
  }

  /** Replaces the task's constraints; an empty parameter restores the defaults. */
  update(jobId: string, taskId: string, taskUpdateParameter: TaskUpdateParameter = {}, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Task_Update", { path: { jobId, taskId }, body: taskUpdateParameter, options: opts(options) });
  }

  /** The subtasks of a multi-instance task (not paged). */
  listSubtasks(jobId: string, taskId: string, options?: ListSubtasksOptions): Promise<WithResponse<CloudTaskListSubtasksResult>> {
    return bodyResult(this.context, "Task_ListSubtasks", { path: { jobId, taskId }, options: opts(options) });
  }

  /** Terminates a running task (204). */
  terminate(jobId: string, taskId: string, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Task_Terminate", { path: { jobId, taskId }, options: opts(options) });
  }

  /** Makes a failed task eligible to run again (204). */
  reactivate(jobId: string, taskId: string, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Task_Reactivate", { path: { jobId, taskId }, options: opts(options) });
  }
}
