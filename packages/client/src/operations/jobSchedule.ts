/** JobSchedule group. Note: enable/disable answer 204 here (jobs answer 202). */
import type { CloudJobSchedule, JobScheduleAddParameter, JobSchedulePatchParameter, JobScheduleUpdateParameter } from "../models.js";
import type { OperationContext } from "../operation.js";
import type { ConditionalOperationOptions, GetEntityOptions, ListEntitiesOptions, OperationOptions } from "../options.js";
import type { PagedAsyncIterableIterator } from "../paging.js";
import type { BatchOperationResult, WithResponse } from "../responses.js";
import { bodyResult, existsResult, headersResult, listResult, opts } from "./common.js";

export class JobScheduleOperations {
  constructor(private readonly context: OperationContext) {}

  exists(jobScheduleId: string, options?: ConditionalOperationOptions): Promise<boolean> {
    return existsResult(this.context, "JobSchedule_Exists", { path: { jobScheduleId }, options: opts(options) });
  }

  delete(jobScheduleId: string, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "JobSchedule_Delete", { path: { jobScheduleId }, options: opts(options) });
  }

  get(jobScheduleId: string, options?: GetEntityOptions): Promise<WithResponse<CloudJobSchedule>> {
    return bodyResult(this.context, "JobSchedule_Get", { path: { jobScheduleId }, options: opts(options) });
  }

  patch(jobScheduleId: string, jobSchedulePatchParameter: JobSchedulePatchParameter, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "JobSchedule_Patch", { path: { jobScheduleId }, body: jobSchedulePatchParameter, options: opts(options) });
  }

  update(jobScheduleId: string, jobScheduleUpdateParameter: JobScheduleUpdateParameter, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "JobSchedule_Update", { path: { jobScheduleId }, body: jobScheduleUpdateParameter, options: opts(options) });
  }

  disable(jobScheduleId: string, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "JobSchedule_Disable", { path: { jobScheduleId }, options: opts(options) });
  }

  enable(jobScheduleId: string, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "JobSchedule_Enable", { path: { jobScheduleId }, options: opts(options) });
  }

  terminate(jobScheduleId: string, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "JobSchedule_Terminate", { path: { jobScheduleId }, options: opts(options) });
  }

  add(cloudJobSchedule: JobScheduleAddParameter, options?: OperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "JobSchedule_Add", { body: cloudJobSchedule, options: opts(options) });
  }

  list(options?: ListEntitiesOptions): PagedAsyncIterableIterator<CloudJobSchedule> {
    return listResult(this.context, "JobSchedule_List", { options: opts(options) });
  }
}
