/** Handlers of the JobSchedule group and Job_ListFromJobSchedule: parse wire → service → wire. No business rules here. */
import type { CloudJobSchedule } from "@openbatch/protocol";
import { checkConditions } from "../http/conditions.js";
import type { HandlerTable, OperationResult, RequestContext } from "../http/context.js";
import { entityResult, listResult, resourceUrl } from "../http/results.js";
import { parseListOptions, project } from "../odata/listQuery.js";
import { withVersion } from "../services/entityViews.js";
import { scheduleView, type JobScheduleService, type StoredJobSchedule } from "../services/jobScheduleService.js";
import { jobView, zeroJobStatistics } from "./job.js";

/** The schedule as the wire shows it, with `stats` only when `$expand=stats` asked for it (zeros: no statistics yet). */
function jobScheduleView(ctx: RequestContext, schedule: StoredJobSchedule, expandStats: boolean, select: readonly string[] | undefined): Partial<CloudJobSchedule> {
  const view: CloudJobSchedule = scheduleView(withVersion(schedule));
  if (expandStats) {
    view.stats = zeroJobStatistics(schedule.body.url, schedule.body.creationTime, ctx.now);
  }
  return project(view, select);
}

function changed(schedule: StoredJobSchedule): OperationResult {
  return { version: schedule, dataServiceId: schedule.body.url ?? "" };
}

export function jobScheduleHandlers(schedules: JobScheduleService) {
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
      return entityResult(ctx, "jobschedules", jobScheduleView(ctx, schedule, options.expandStats, options.select), schedule);
    },
    JobSchedule_Exists: async ({ ctx, params }) => {
      const schedule = await schedules.get(ctx.account, params.jobScheduleId);
      checkConditions(ctx, schedule, true);
      return { version: schedule };
    },
    JobSchedule_List: async ({ ctx, query }) => {
      const options = parseListOptions(query, { filterTarget: "jobSchedules" });
      const page = await schedules.list(ctx.account, options);
      return listResult(ctx, "jobschedules", page.items.map((schedule) => jobScheduleView(ctx, schedule, options.expandStats, options.select)), page.nextKey);
    },
    Job_ListFromJobSchedule: async ({ ctx, params, query }) => {
      const options = parseListOptions(query, { filterTarget: "jobsFromSchedule" });
      const page = await schedules.listJobs(ctx.account, params.jobScheduleId, options);
      return listResult(ctx, "jobs", page.items.map((job) => jobView(ctx, job, options.expandStats, options.select)), page.nextKey);
    },
    JobSchedule_Patch: async ({ ctx, params, body }) => {
      const schedule = await checked(ctx, params.jobScheduleId);
      return changed(await schedules.patch(ctx.account, schedule.id, body, schedule.eTag, ctx.now));
    },
    JobSchedule_Update: async ({ ctx, params, body }) => {
      const schedule = await checked(ctx, params.jobScheduleId);
      return changed(await schedules.update(ctx.account, schedule.id, body, schedule.eTag, ctx.now));
    },
    JobSchedule_Disable: async ({ ctx, params }) => {
      const schedule = await checked(ctx, params.jobScheduleId);
      return changed(await schedules.disable(ctx.account, schedule.id, schedule.eTag, ctx.now));
    },
    JobSchedule_Enable: async ({ ctx, params }) => {
      const schedule = await checked(ctx, params.jobScheduleId);
      return changed(await schedules.enable(ctx.account, schedule.id, schedule.eTag, ctx.now));
    },
    JobSchedule_Terminate: async ({ ctx, params }) => {
      const schedule = await checked(ctx, params.jobScheduleId);
      return changed(await schedules.terminate(ctx.account, schedule.id, schedule.eTag, ctx.now));
    },
    JobSchedule_Delete: async ({ ctx, params }) => {
      const schedule = await checked(ctx, params.jobScheduleId);
      await schedules.delete(ctx.account, schedule.id, schedule.eTag, ctx.now);
      return {};
    },
  } satisfies Partial<HandlerTable>;
}
