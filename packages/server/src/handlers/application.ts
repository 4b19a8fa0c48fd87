/** Handlers of the Application group. */
import type { HandlerTable } from "../http/context.js";
import { entityResult, listResult } from "../http/results.js";
import { parseListOptions } from "../odata/listQuery.js";
import type { ApplicationService } from "../services/applicationService.js";

export function applicationHandlers(applications: ApplicationService) {
  return {
    Application_List: async ({ ctx, query }) => {
      const page = await applications.list(ctx.account, parseListOptions(query, {}));
      return listResult(ctx, "applications", page.items, page.nextKey);
    },
    Application_Get: async ({ ctx, params }) => {
      const application = await applications.get(ctx.account, params.applicationId);
      return entityResult(ctx, "applications", application.body, application);
    },
  } satisfies Partial<HandlerTable>;
}
