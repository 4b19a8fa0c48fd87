/** Handlers of the Pool group: parse wire → service → wire. No business rules here. */
import { idKey } from "@openbatch/core";
import type { CloudPool } from "@openbatch/protocol";
import { checkConditions, conditionedETag } from "../http/conditions.js";
import type { HandlerTable, RequestContext } from "../http/context.js";
import { entityResult, listResult, resourceUrl } from "../http/results.js";
import { parseListOptions, project, type ListOptions } from "../odata/listQuery.js";
import { withVersion } from "../services/entityViews.js";
import type { PoolService, StoredPool } from "../services/poolService.js";
import type { StatisticsService } from "../services/statisticsService.js";
import { wantsStats } from "./job.js";
import { checkEvaluationInterval, checkFormula, type AutoscaleService } from "../autoscale/autoscaleService.js";

/** The pools as the wire shows them, with their statistics when the request asked for them. */
async function poolViews(ctx: RequestContext, statistics: StatisticsService, pools: readonly StoredPool[], options: ListOptions): Promise<Partial<CloudPool>[]> {
  const stats = wantsStats(options) ? await statistics.pools(ctx.account, pools, ctx.now) : undefined;
  return pools.map((pool) => {
    const view: CloudPool = withVersion(pool);
    const poolStats = stats?.get(idKey(pool.id));
    if (poolStats !== undefined) view.stats = poolStats;
    return project(view, options.select);
  });
}

export function poolHandlers(pools: PoolService, autoscale: AutoscaleService, statistics: StatisticsService) {
  /** The pool, after the request's conditions (a write: unmet → 412). */
  const checked = async (ctx: RequestContext, poolId: string): Promise<StoredPool> => {
    const pool = await pools.get(ctx.account, poolId);
    checkConditions(ctx, pool, false);
    return pool;
  };
  return {
    Pool_Add: async ({ ctx, body }) => {
      const url = resourceUrl(ctx, "pools", body.id);
      if (body.enableAutoScale === true && body.autoScaleFormula !== undefined) checkFormula(body.autoScaleFormula);
      if (body.autoScaleEvaluationInterval !== undefined) checkEvaluationInterval(body.autoScaleEvaluationInterval);
      const pool = await pools.add(ctx.account, body, url, ctx.now);
      // An autoscale pool is sized by its formula from the start (semantics.md §7.1).
      if (pool.body.enableAutoScale === true) await autoscale.evaluateNow(ctx.account, pool.id, ctx.now);
      return { version: pool, dataServiceId: url };
    },
    Pool_Get: async ({ ctx, params, query }) => {
      const pool = await pools.get(ctx.account, params.poolId);
      checkConditions(ctx, pool, true);
      const options = parseListOptions(query, {});
      const [view] = await poolViews(ctx, statistics, [pool], options);
      return entityResult(ctx, "pools", view ?? {}, pool);
    },
    Pool_Exists: async ({ ctx, params }) => {
      const pool = await pools.get(ctx.account, params.poolId);
      checkConditions(ctx, pool, true);
      return { version: pool };
    },
    Pool_List: async ({ ctx, query }) => {
      const options = parseListOptions(query, { filterTarget: "pools" });
      const page = await pools.list(ctx.account, options);
      return listResult(ctx, "pools", await poolViews(ctx, statistics, page.items, options), page.nextKey);
    },
    Pool_GetAllLifetimeStatistics: async ({ ctx }) => {
      const url = resourceUrl(ctx, "lifetimepoolstats");
      return entityResult(ctx, "poolstats", await statistics.lifetimePools(ctx.account, url, ctx.now));
    },
    Pool_Resize: async ({ ctx, params, body }) => {
      const pool = await checked(ctx, params.poolId);
      const updated = await pools.resize(ctx.account, pool.id, body, conditionedETag(ctx, pool), ctx.now);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Pool_StopResize: async ({ ctx, params }) => {
      const pool = await checked(ctx, params.poolId);
      const updated = await pools.stopResize(ctx.account, pool.id, conditionedETag(ctx, pool), ctx.now);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Pool_RemoveNodes: async ({ ctx, params, body }) => {
      const pool = await checked(ctx, params.poolId);
      const updated = await pools.removeNodes(ctx.account, pool.id, body, conditionedETag(ctx, pool), ctx.now);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Pool_Patch: async ({ ctx, params, body }) => {
      const pool = await checked(ctx, params.poolId);
      const updated = await pools.patch(ctx.account, pool.id, body, conditionedETag(ctx, pool), ctx.now);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Pool_UpdateProperties: async ({ ctx, params, body }) => {
      const pool = await checked(ctx, params.poolId);
      const updated = await pools.updateProperties(ctx.account, pool.id, body, conditionedETag(ctx, pool), ctx.now);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Pool_Delete: async ({ ctx, params }) => {
      const pool = await pools.get(ctx.account, params.poolId);
      checkConditions(ctx, pool, false);
      await pools.delete(ctx.account, pool.body.id ?? pool.id, conditionedETag(ctx, pool), ctx.now);
      return {};
    },
  } satisfies Partial<HandlerTable>;
}
