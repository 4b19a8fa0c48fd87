/** Handlers of the JobSchedule group and Job_ListFromJobSchedule: parse wire → service → wire. No business rules here. */
import type { CloudJobSchedule } from "@openbatch/protocol";
import { checkConditions, conditionedETag } from "../http/conditions.js";
import type { HandlerTable, OperationResult, RequestContext } from "../http/context.js";
import { entityResult, listResult, resourceUrl } from "../http/results.js";
import { parseListOptions, project, type ListOptions } from "../odata/listQuery.js";
import { withVersion } from "../services/entityViews.js";
import { scheduleView, type JobScheduleService, type StoredJobSchedule } from "../services/jobScheduleService.js";
import type { StatisticsService } from "../services/statisticsService.js";
import { jobViews, wantsStats } from "./job.js";

/** The schedule as the wire shows it, with `stats` (the figures of its jobs) when the request asked for them. */
async function jobScheduleView(ctx: RequestContext, statistics: StatisticsService, schedule: StoredJobSchedule, options: ListOptions): Promise<Partial<CloudJobSchedule>> {
  const view: CloudJobSchedule = scheduleView(withVersion(schedule));
  if (wantsStats(options)) view.stats = await statistics.schedule(ctx.account, schedule.id, schedule.body.url ?? "", schedule.body.creationTime);
  return project(view, options.select);
}

function changed(schedule: StoredJobSchedule): OperationResult {
  return { version: schedule, dataServiceId: schedule.body.url ?? "" };
}

export function jobScheduleHandlers(schedules: JobScheduleService, statistics: StatisticsService) {
  /** The schedule, after the request's conditions (a write: unmet → 412). */
  const checked = async (ctx: RequestContext, scheduleId: string): Promise<StoredJobSchedule> => {
    const schedule = await schedules.get(ctx.account, scheduleId);
    checkConditions(ctx, schedule, false);
    return schedule;
  };
  return {
    JobSchedule_Add: async ({ ctx, body }) => {
      const url = resourceUrl(ctx, "jobschedules", body.id);
      const schedule = await schedules.add(ctx.account, body, url, ctx.now);
      return { version: schedule, dataServiceId: url };
    },
    JobSchedule_Get: async ({ ctx, params, query }) => {
      const schedule = await schedules.get(ctx.account, params.jobScheduleId);
      checkConditions(ctx, schedule, true);
      const options = parseListOptions(query, {});
      return entityResult(ctx, "jobschedules", await jobScheduleView(ctx, statistics, schedule, options), schedule);
    },
    JobSchedule_Exists: async ({ ctx, params }) => {
      const schedule = await schedules.get(ctx.account, params.jobScheduleId);
      checkConditions(ctx, schedule, true);
      return { version: schedule };
    },
    JobSchedule_List: async ({ ctx, query }) => {
      const options = parseListOptions(query, { filterTarget: "jobSchedules" });
      const page = await schedules.list(ctx.account, options);
      const views = await Promise.all(page.items.map((schedule) => jobScheduleView(ctx, statistics, schedule, options)));
      return listResult(ctx, "jobschedules", views, page.nextKey);
    },
    Job_ListFromJobSchedule: async ({ ctx, params, query }) => {
      const options = parseListOptions(query, { filterTarget: "jobsFromSchedule" });
      const page = await schedules.listJobs(ctx.account, params.jobScheduleId, options);
      return listResult(ctx, "jobs", await jobViews(ctx, statistics, page.items, options), page.nextKey);
    },
    JobSchedule_Patch: async ({ ctx, params, body }) => {
      const schedule = await checked(ctx, params.jobScheduleId);
      return changed(await schedules.patch(ctx.account, schedule.id, body, conditionedETag(ctx, schedule), ctx.now));
    },
    JobSchedule_Update: async ({ ctx, params, body }) => {
      const schedule = await checked(ctx, params.jobScheduleId);
      return changed(await schedules.update(ctx.account, schedule.id, body, conditionedETag(ctx, schedule), ctx.now));
    },
    JobSchedule_Disable: async ({ ctx, params }) => {
      const schedule = await checked(ctx, params.jobScheduleId);
      return changed(await schedules.disable(ctx.account, schedule.id, conditionedETag(ctx, schedule), ctx.now));
    },
    JobSchedule_Enable: async ({ ctx, params }) => {
      const schedule = await checked(ctx, params.jobScheduleId);
      return changed(await schedules.enable(ctx.account, schedule.id, conditionedETag(ctx, schedule), ctx.now));
    },
    JobSchedule_Terminate: async ({ ctx, params }) => {
      const schedule = await checked(ctx, params.jobScheduleId);
      return changed(await schedules.terminate(ctx.account, schedule.id, conditionedETag(ctx, schedule), ctx.now));
    },
    JobSchedule_Delete: async ({ ctx, params }) => {
      const schedule = await checked(ctx, params.jobScheduleId);
      await schedules.delete(ctx.account, schedule.id, conditionedETag(ctx, schedule), ctx.now);
      return {};
    },
  } satisfies Partial<HandlerTable>;
}
