/**
 * Pool_ListUsageMetrics (`GET /poolusagemetrics`): parse the window and list options → the usage metrics service.
 *
 * `starttime` / `endtime` must be ISO-8601 date-times, and starttime earlier than endtime; otherwise 400
 * InvalidQueryParameterValue naming the parameter (`endtime` when the two are out of order). Azure's requirement
 * that they lie 2–2.5 hours in the past (its publication delay) does not apply: intervals are available as soon as
 * they end. Interval length and window rules: services/usageMetricsService.ts.
 */
import { parseTimestamp, serviceError } from "@openbatch/core";
import type { HandlerTable } from "../http/app.js";
import { listResult } from "../http/results.js";
import { parseListOptions } from "../odata/listQuery.js";
import type { UsageMetricsService } from "../services/usageMetricsService.js";

function invalidTime(name: string, value: string, reason: string) {
  return serviceError("InvalidQueryParameterValue", {
    message: `The value for the query parameter '${name}' is invalid: ${reason}`,
    values: [
      { key: "QueryParameterName", value: name },
      { key: "QueryParameterValue", value },
      { key: "Reason", value: reason },
    ],
  });
}

function timeParameter(query: ReadonlyMap<string, string>, name: string): Date | undefined {
  const raw = query.get(name);
  if (raw === undefined) return undefined;
  const time = parseTimestamp(raw);
  if (time === undefined) throw invalidTime(name, raw, `${name} must be an ISO-8601 date-time, such as 2024-03-05T10:00:00Z.`);
  return time;
}

export function poolUsageMetricsHandlers(usage: UsageMetricsService): HandlerTable {
  return {
    Pool_ListUsageMetrics: async ({ ctx }) => {
      const options = parseListOptions(ctx.query, { filterTarget: "usageMetrics" });
      const startTime = timeParameter(ctx.query, "starttime");
      const endTime = timeParameter(ctx.query, "endtime");
      if (startTime !== undefined && endTime !== undefined && startTime.getTime() >= endTime.getTime()) {
        throw invalidTime("endtime", ctx.query.get("endtime") ?? "", "endtime must be later than starttime.");
      }
      const page = await usage.list(ctx.account, { now: ctx.now, startTime, endTime }, options);
      return listResult(ctx, "poolusagemetrics", page.items, page.nextKey);
    },
  };
}
