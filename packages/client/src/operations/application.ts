/** Application group: the applications (and versions) that pools and tasks can reference as packages. */
import type { ApplicationSummary } from "../models.js";
import type { OperationContext } from "../operation.js";
import type { GetApplicationOptions, ListApplicationsOptions } from "../options.js";
import type { PagedAsyncIterableIterator } from "../paging.js";
import type { WithResponse } from "../responses.js";
import { bodyResult, listResult, opts } from "./common.js";

export class ApplicationOperations {
  constructor(private readonly context: OperationContext) {}

  /** Lists the account's applications (`GET /applications`). */
  list(options?: ListApplicationsOptions): PagedAsyncIterableIterator<ApplicationSummary> {
    return listResult(this.context, "Application_List", { options: opts(options) });
  }

  /** Gets one application; `ApplicationNotFound` (404) when absent. */
  get(applicationId: string, options?: GetApplicationOptions): Promise<WithResponse<ApplicationSummary>> {
    return bodyResult(this.context, "Application_Get", { path: { applicationId }, options: opts(options) });
  }
}
