/** Job group. */
import type {
  CloudJob,
  DisableJobOption,
  JobAddParameter,
  JobPatchParameter,
  JobPreparationAndReleaseTaskExecutionInformation,
  JobUpdateParameter,
  TaskCountsResult,
} from "../models.js";
import type { OperationContext } from "../operation.js";
import type {
  ConditionalOperationOptions,
  GetEntityOptions,
  ListEntitiesOptions,
  ListPreparationAndReleaseTaskStatusOptions,
  OperationOptions,
} from "../options.js";
import type { PagedAsyncIterableIterator } from "../paging.js";
import type { BatchOperationResult, WithResponse } from "../responses.js";
import { bodyResult, headersResult, listResult, opts } from "./common.js";

export interface JobTerminateOptions extends ConditionalOperationOptions {
  /** Recorded as the job's `executionInfo.terminateReason`. @default "UserTerminate" (set by the service) */
  terminateReason?: string;
}

export class JobOperations {
  constructor(private readonly context: OperationContext) {}

  /** Starts deleting a job and its tasks (202). */
  delete(jobId: string, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Job_Delete", { path: { jobId }, options: opts(options) });
  }

  get(jobId: string, options?: GetEntityOptions): Promise<WithResponse<CloudJob>> {
    return bodyResult(this.context, "Job_Get", { path: { jobId }, options: opts(options) });
  }

  /** Replaces the given properties; absent ones are unchanged. */
  patch(jobId: string, jobPatchParameter: JobPatchParameter, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Job_Patch", { path: { jobId }, body: jobPatchParameter, options: opts(options) });
  }

  /** Replaces the updatable properties wholesale; absent ones revert to defaults. */
  update(jobId: string, jobUpdateParameter: JobUpdateParameter, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Job_Update", { path: { jobId }, body: jobUpdateParameter, options: opts(options) });
  }

  /** Disables the job; `disableTasks` says what happens to its running tasks (202). */
  disable(jobId: string, disableTasks: DisableJobOption, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Job_Disable", { path: { jobId }, body: { disableTasks }, options: opts(options) });
  }

  enable(jobId: string, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Job_Enable", { path: { jobId }, options: opts(options) });
  }

  terminate(jobId: string, options?: JobTerminateOptions): Promise<BatchOperationResult> {
    const { terminateReason, ...rest } = options ?? {};
    return headersResult(this.context, "Job_Terminate", {
      path: { jobId },
      ...(terminateReason === undefined ? {} : { body: { terminateReason } }),
      options: opts(rest),
    });
  }

  /** Creates a job (201); `JobExists` (409) when the id is taken. */
  add(job: JobAddParameter, options?: OperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Job_Add", { body: job, options: opts(options) });
  }

  list(options?: ListEntitiesOptions): PagedAsyncIterableIterator<CloudJob> {
    return listResult(this.context, "Job_List", { options: opts(options) });
  }

  /** The jobs a job schedule created. */
  listFromJobSchedule(jobScheduleId: string, options?: ListEntitiesOptions): PagedAsyncIterableIterator<CloudJob> {
    return listResult(this.context, "Job_ListFromJobSchedule", { path: { jobScheduleId }, options: opts(options) });
  }

  /** Job preparation and release task status per node that ran them. */
  listPreparationAndReleaseTaskStatus(
    jobId: string,
    options?: ListPreparationAndReleaseTaskStatusOptions,
  ): PagedAsyncIterableIterator<JobPreparationAndReleaseTaskExecutionInformation> {
    return listResult(this.context, "Job_ListPreparationAndReleaseTaskStatus", { path: { jobId }, options: opts(options) });
  }

  /** Task and slot counts per state. */
  getTaskCounts(jobId: string, options?: OperationOptions): Promise<WithResponse<TaskCountsResult>> {
    return bodyResult(this.context, "Job_GetTaskCounts", { path: { jobId }, options: opts(options) });
  }
}
