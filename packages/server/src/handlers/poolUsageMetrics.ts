/**
 * Pool_ListUsageMetrics (`GET /poolusagemetrics`): parse the window and list options → the usage metrics service.
 *
 * `starttime` / `endtime` are ISO-8601 date-times (the pipeline parses them, protocol queryParameters.ts), and
 * starttime must be earlier than endtime; otherwise 400 InvalidQueryParameterValue naming the parameter (`endtime`
 * when the two are out of order). Azure's requirement
 * that they lie 2–2.5 hours in the past (its publication delay) does not apply: intervals are available as soon as
 * they end. Interval length and window rules: services/usageMetricsService.ts.
 */
import { serviceError } from "@openbatch/core";
import type { HandlerTable } from "../http/context.js";
import { listResult } from "../http/results.js";
import { parseListOptions } from "../odata/listQuery.js";
import type { UsageMetricsService } from "../services/usageMetricsService.js";

export function poolUsageMetricsHandlers(usage: UsageMetricsService) {
  return {
    Pool_ListUsageMetrics: async ({ ctx, query }) => {
      const options = parseListOptions(query, { filterTarget: "usageMetrics" });
      const { starttime: startTime, endtime: endTime } = query;
      if (startTime !== undefined && endTime !== undefined && startTime.getTime() >= endTime.getTime()) {
        const reason = "endtime must be later than starttime.";
        throw serviceError("InvalidQueryParameterValue", {
          message: `The value for the query parameter 'endtime' is invalid: ${reason}`,
          values: [
            { key: "QueryParameterName", value: "endtime" },
            { key: "QueryParameterValue", value: endTime.toISOString() },
            { key: "Reason", value: reason },
          ],
        });
      }
      const page = await usage.list(ctx.account, { now: ctx.now, startTime, endTime }, options);
      return listResult(ctx, "poolusagemetrics", page.items, page.nextKey);
    },
  } satisfies Partial<HandlerTable>;
}
