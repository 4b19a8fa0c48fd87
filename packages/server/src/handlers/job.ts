/** Handlers of the Job group: parse wire → service → wire. No business rules here. */
import { formatTimestamp } from "@openbatch/core";
import type { CloudJob, JobStatistics } from "@openbatch/protocol";
import { checkConditions } from "../http/conditions.js";
import type { HandlerTable, OperationResult, RequestContext } from "../http/context.js";
import { entityResult, listResult, resourceUrl } from "../http/results.js";
import { parseListOptions, project } from "../odata/listQuery.js";
import { withVersion } from "../services/entityViews.js";
import type { JobService, StoredJob } from "../services/jobService.js";

/** Statistics with every figure zero (no statistics are gathered yet), as jobs and job schedules show them. */
export function zeroJobStatistics(url: string | undefined, startTime: string | undefined, now: Date): JobStatistics {
  return {
    url: `${url ?? ""}/stats`,
    startTime,
    lastUpdateTime: formatTimestamp(now),
    userCPUTime: "PT0S",
    kernelCPUTime: "PT0S",
    wallClockTime: "PT0S",
    readIOps: 0,
    writeIOps: 0,
    readIOGiB: 0,
    writeIOGiB: 0,
    numSucceededTasks: 0,
    numFailedTasks: 0,
    numTaskRetries: 0,
    waitTime: "PT0S",
  };
}

/** The job as the wire shows it, with `stats` only when `$expand=stats` asked for it (zeros until tasks run). */
export function jobView(ctx: RequestContext, job: StoredJob, expandStats: boolean, select: readonly string[] | undefined): Partial<CloudJob> {
  const view: CloudJob = withVersion(job);
  if (expandStats) {
    view.stats = zeroJobStatistics(job.body.url, job.body.creationTime, ctx.now);
  }
  return project(view, select);
}

function changed(job: StoredJob): OperationResult {
  return { version: job, dataServiceId: job.body.url ?? "" };
}

export function jobHandlers(jobs: JobService) {
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
      return entityResult(ctx, "jobs", jobView(ctx, job, options.expandStats, options.select), job);
    },
    Job_List: async ({ ctx, query }) => {
      const options = parseListOptions(query, { filterTarget: "jobs" });
      const page = await jobs.list(ctx.account, options);
      return listResult(ctx, "jobs", page.items.map((job) => jobView(ctx, job, options.expandStats, options.select)), page.nextKey);
    },
    Job_ListPreparationAndReleaseTaskStatus: async ({ ctx, params, query }) => {
      const options = parseListOptions(query, { filterTarget: "preparationAndReleaseTaskStatus" });
      const page = await jobs.preparationAndReleaseStatus(ctx.account, params.jobId, options);
      const views = page.items.map(({ _ob: _runtime, ...view }) => project(view, options.select));
      return listResult(ctx, "jobpreparationandreleasetaskstatus", views, page.nextKey);
    },
    Job_GetTaskCounts: async ({ ctx, params }) => ({ body: await jobs.taskCounts(ctx.account, params.jobId) }),
    Job_Patch: async ({ ctx, params, body }) => {
      const job = await checked(ctx, params.jobId);
      return changed(await jobs.patch(ctx.account, job.id, body, job.eTag, ctx.now));
    },
    Job_Update: async ({ ctx, params, body }) => {
      const job = await checked(ctx, params.jobId);
      return changed(await jobs.update(ctx.account, job.id, body, job.eTag, ctx.now));
    },
    Job_Disable: async ({ ctx, params, body }) => {
      const job = await checked(ctx, params.jobId);
      return changed(await jobs.disable(ctx.account, job.id, body, job.eTag, ctx.now));
    },
    Job_Enable: async ({ ctx, params }) => {
      const job = await checked(ctx, params.jobId);
      return changed(await jobs.enable(ctx.account, job.id, job.eTag, ctx.now));
    },
    Job_Terminate: async ({ ctx, params, body }) => {
      const job = await checked(ctx, params.jobId);
      const reason = body?.terminateReason;
      return changed(await jobs.terminate(ctx.account, job.id, reason, job.eTag, ctx.now));
    },
    Job_Delete: async ({ ctx, params }) => {
      const job = await checked(ctx, params.jobId);
      await jobs.delete(ctx.account, job.body.id ?? job.id, job.eTag, ctx.now);
      return {};
    },
  } satisfies Partial<HandlerTable>;
}
