/** Handlers of the Application group. */
import type { HandlerTable } from "../http/app.js";
import { entityResult, listResult } from "../http/results.js";
import { parseListOptions } from "../odata/listQuery.js";
import type { ApplicationService } from "../services/applicationService.js";

export function applicationHandlers(applications: ApplicationService): HandlerTable {
  return {
    Application_List: async ({ ctx }) => {
      const page = await applications.list(ctx.account, parseListOptions(ctx.query, {}));
      return listResult(ctx, "applications", page.items, page.nextKey);
    },
    Application_Get: async ({ ctx, params }) => {
      const application = await applications.get(ctx.account, params["applicationId"] as string);
      return entityResult(ctx, "applications", application.body, application);
    },
  };
}
