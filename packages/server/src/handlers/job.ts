/** Handlers of the Job group: parse wire → service → wire. No business rules here. */
import { idKey } from "@openbatch/core";
import type { CloudJob, JobStatistics } from "@openbatch/protocol";
import { checkConditions, conditionedETag } from "../http/conditions.js";
import type { HandlerTable, OperationResult, RequestContext } from "../http/context.js";
import { entityResult, listResult, resourceUrl } from "../http/results.js";
import { parseListOptions, project, type ListOptions } from "../odata/listQuery.js";
import { withVersion } from "../services/entityViews.js";
import type { JobService, StoredJob } from "../services/jobService.js";
import type { StatisticsService } from "../services/statisticsService.js";

/** Whether the request asks for statistics: `$expand=stats`, or `stats` among the `$select`ed properties. */
export function wantsStats(options: ListOptions): boolean {
  return options.expandStats || (options.select?.includes("stats") ?? false);
}

/** The job as the wire shows it, with `stats` when the request asked for them. */
export function jobView(job: StoredJob, stats: JobStatistics | undefined, select: readonly string[] | undefined): Partial<CloudJob> {
  const view: CloudJob = withVersion(job);
  if (stats !== undefined) view.stats = stats;
  return project(view, select);
}

/** The jobs as the wire shows them, with their statistics when the request asked for them. */
export async function jobViews(ctx: RequestContext, statistics: StatisticsService, jobs: readonly StoredJob[], options: ListOptions): Promise<Partial<CloudJob>[]> {
  const stats = wantsStats(options) ? await statistics.jobs(ctx.account, jobs) : undefined;
  return jobs.map((job) => jobView(job, stats?.get(idKey(job.id)), options.select));
}

function changed(job: StoredJob): OperationResult {
  return { version: job, dataServiceId: job.body.url ?? "" };
}

export function jobHandlers(jobs: JobService, statistics: StatisticsService) {
  /** The job, after the request's conditions (a write: unmet → 412). */
  const checked = async (ctx: RequestContext, jobId: string): Promise<StoredJob> => {
    const job = await jobs.get(ctx.account, jobId);
    checkConditions(ctx, job, false);
    return job;
  };
  return {
    Job_Add: async ({ ctx, body }) => {
      const url = resourceUrl(ctx, "jobs", body.id);
      const job = await jobs.add(ctx.account, body, url, ctx.now);
      return { version: job, dataServiceId: url };
    },
    Job_Get: async ({ ctx, params, query }) => {
      const job = await jobs.get(ctx.account, params.jobId);
      checkConditions(ctx, job, true);
      const options = parseListOptions(query, {});
      const [view] = await jobViews(ctx, statistics, [job], options);
      return entityResult(ctx, "jobs", view ?? {}, job);
    },
    Job_List: async ({ ctx, query }) => {
      const options = parseListOptions(query, { filterTarget: "jobs" });
      const page = await jobs.list(ctx.account, options);
      return listResult(ctx, "jobs", await jobViews(ctx, statistics, page.items, options), page.nextKey);
    },
    Job_ListPreparationAndReleaseTaskStatus: async ({ ctx, params, query }) => {
      const options = parseListOptions(query, { filterTarget: "preparationAndReleaseTaskStatus" });
      const page = await jobs.preparationAndReleaseStatus(ctx.account, params.jobId, options);
      const views = page.items.map(({ _ob: _runtime, ...view }) => project(view, options.select));
      return listResult(ctx, "jobpreparationandreleasetaskstatus", views, page.nextKey);
    },
    Job_GetAllLifetimeStatistics: async ({ ctx }) => {
      const url = resourceUrl(ctx, "lifetimejobstats");
      return entityResult(ctx, "jobstats", await statistics.lifetimeJobs(ctx.account, url, ctx.now));
    },
    Job_GetTaskCounts: async ({ ctx, params }) => ({ body: await jobs.taskCounts(ctx.account, params.jobId) }),
    Job_Patch: async ({ ctx, params, body }) => {
      const job = await checked(ctx, params.jobId);
      return changed(await jobs.patch(ctx.account, job.id, body, conditionedETag(ctx, job), ctx.now));
    },
    Job_Update: async ({ ctx, params, body }) => {
      const job = await checked(ctx, params.jobId);
      return changed(await jobs.update(ctx.account, job.id, body, conditionedETag(ctx, job), ctx.now));
    },
    Job_Disable: async ({ ctx, params, body }) => {
      const job = await checked(ctx, params.jobId);
      return changed(await jobs.disable(ctx.account, job.id, body, conditionedETag(ctx, job), ctx.now));
    },
    Job_Enable: async ({ ctx, params }) => {
      const job = await checked(ctx, params.jobId);
      return changed(await jobs.enable(ctx.account, job.id, conditionedETag(ctx, job), ctx.now));
    },
    Job_Terminate: async ({ ctx, params, body }) => {
      const job = await checked(ctx, params.jobId);
      const reason = body?.terminateReason;
      return changed(await jobs.terminate(ctx.account, job.id, reason, conditionedETag(ctx, job), ctx.now));
    },
    Job_Delete: async ({ ctx, params }) => {
      const job = await checked(ctx, params.jobId);
      await jobs.delete(ctx.account, job.body.id ?? job.id, conditionedETag(ctx, job), ctx.now);
      return {};
    },
  } satisfies Partial<HandlerTable>;
}
