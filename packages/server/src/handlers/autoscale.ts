/** Handlers of the pool autoscale operations and OpenBatch's history export: parse wire → service → wire. */
import type { PoolEnableAutoScaleParameter, PoolEvaluateAutoScaleParameter } from "@openbatch/protocol";
import type { AutoscaleService } from "../autoscale/autoscaleService.js";
import type { HandlerTable } from "../http/app.js";
import { checkConditions } from "../http/conditions.js";
import type { PoolService } from "../services/poolService.js";

export function autoscaleHandlers(pools: PoolService, autoscale: AutoscaleService): HandlerTable {
  return {
    Pool_EnableAutoScale: async ({ ctx, params, body }) => {
      const pool = await pools.get(ctx.account, params["poolId"] as string);
      checkConditions(ctx, pool, false);
      const updated = await autoscale.enable(ctx.account, pool.id, body as PoolEnableAutoScaleParameter, pool.eTag, ctx.now);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Pool_DisableAutoScale: async ({ ctx, params }) => {
      const pool = await pools.get(ctx.account, params["poolId"] as string);
      const updated = await autoscale.disable(ctx.account, pool.id, pool.eTag, ctx.now);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Pool_EvaluateAutoScale: async ({ ctx, params, body }) => {
      const poolId = params["poolId"] as string;
      const run = await autoscale.evaluate(ctx.account, poolId, (body as PoolEvaluateAutoScaleParameter).autoScaleFormula, ctx.now);
      const pool = await pools.get(ctx.account, poolId);
      return { body: run, version: pool, dataServiceId: pool.body.url ?? "" };
    },
    OpenBatch_GetAutoScaleHistory: async ({ ctx, params }) => {
      return { body: await autoscale.history(ctx.account, params["poolId"] as string, ctx.now) };
    },
  };
}
