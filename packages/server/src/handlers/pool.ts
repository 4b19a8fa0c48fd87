/** Handlers of the Pool group: parse wire → service → wire. No business rules here. */
import { formatTimestamp } from "@openbatch/core";
import type { CloudPool, NodeRemoveParameter, PoolAddParameter, PoolPatchParameter, PoolResizeParameter, PoolUpdatePropertiesParameter } from "@openbatch/protocol";
import type { HandlerTable } from "../http/app.js";
import { checkConditions } from "../http/conditions.js";
import type { RequestContext } from "../http/context.js";
import { entityResult, listResult, resourceUrl } from "../http/results.js";
import { parseListOptions, project } from "../odata/listQuery.js";
import { withVersion } from "../services/entityViews.js";
import type { PoolService, StoredPool } from "../services/poolService.js";
import { checkEvaluationInterval, checkFormula, type AutoscaleService } from "../autoscale/autoscaleService.js";

/** The pool as the wire shows it, with `stats` only when `$expand=stats` asked for it. */
function poolView(ctx: RequestContext, pool: StoredPool, expandStats: boolean, select: readonly string[] | undefined): Partial<CloudPool> {
  const view: CloudPool = withVersion(pool);
  if (expandStats) {
    view.stats = { url: `${pool.body.url ?? ""}/stats`, startTime: pool.body.creationTime, lastUpdateTime: formatTimestamp(ctx.now) };
  }
  return project(view, select);
}

export function poolHandlers(pools: PoolService, autoscale: AutoscaleService): HandlerTable {
  /** The pool, after the request's conditions (a write: unmet → 412). */
  const checked = async (ctx: RequestContext, poolId: string): Promise<StoredPool> => {
    const pool = await pools.get(ctx.account, poolId);
    checkConditions(ctx, pool, false);
    return pool;
  };
  return {
    Pool_Add: async ({ ctx, body }) => {
      const request = body as PoolAddParameter;
      const url = resourceUrl(ctx, "pools", request.id);
      if (request.enableAutoScale === true && request.autoScaleFormula !== undefined) checkFormula(request.autoScaleFormula);
      if (request.autoScaleEvaluationInterval !== undefined) checkEvaluationInterval(request.autoScaleEvaluationInterval);
      const pool = await pools.add(ctx.account, request, url, ctx.now);
      // An autoscale pool is sized by its formula from the start (semantics.md §7.1).
      if (pool.body.enableAutoScale === true) await autoscale.evaluateNow(ctx.account, pool.id, ctx.now);
      return { version: pool, dataServiceId: url };
    },
    Pool_Get: async ({ ctx, params }) => {
      const pool = await pools.get(ctx.account, params["poolId"] as string);
      checkConditions(ctx, pool, true);
      const options = parseListOptions(ctx.query, {});
      return entityResult(ctx, "pools", poolView(ctx, pool, options.expandStats, options.select), pool);
    },
    Pool_Exists: async ({ ctx, params }) => {
      const pool = await pools.get(ctx.account, params["poolId"] as string);
      checkConditions(ctx, pool, true);
      return { version: pool };
    },
    Pool_List: async ({ ctx }) => {
      const options = parseListOptions(ctx.query, { filterTarget: "pools" });
      const page = await pools.list(ctx.account, options);
      return listResult(ctx, "pools", page.items.map((pool) => poolView(ctx, pool, options.expandStats, options.select)), page.nextKey);
    },
    Pool_Resize: async ({ ctx, params, body }) => {
      const pool = await checked(ctx, params["poolId"] as string);
      const updated = await pools.resize(ctx.account, pool.id, body as PoolResizeParameter, pool.eTag, ctx.now);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Pool_StopResize: async ({ ctx, params }) => {
      const pool = await checked(ctx, params["poolId"] as string);
      const updated = await pools.stopResize(ctx.account, pool.id, pool.eTag, ctx.now);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Pool_RemoveNodes: async ({ ctx, params, body }) => {
      const pool = await checked(ctx, params["poolId"] as string);
      const updated = await pools.removeNodes(ctx.account, pool.id, body as NodeRemoveParameter, pool.eTag, ctx.now);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Pool_Patch: async ({ ctx, params, body }) => {
      const pool = await checked(ctx, params["poolId"] as string);
      const updated = await pools.patch(ctx.account, pool.id, body as PoolPatchParameter, pool.eTag, ctx.now);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Pool_UpdateProperties: async ({ ctx, params, body }) => {
      const pool = await checked(ctx, params["poolId"] as string);
      const updated = await pools.updateProperties(ctx.account, pool.id, body as PoolUpdatePropertiesParameter, pool.eTag, ctx.now);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Pool_Delete: async ({ ctx, params }) => {
      const pool = await pools.get(ctx.account, params["poolId"] as string);
      checkConditions(ctx, pool, false);
      await pools.delete(ctx.account, pool.body.id ?? pool.id, pool.eTag, ctx.now);
      return {};
    },
  };
}
