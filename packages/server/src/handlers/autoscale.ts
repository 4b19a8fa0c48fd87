/** Handlers of the pool autoscale operations and OpenBatch's history export: parse wire → service → wire. */
import type { AutoscaleService } from "../autoscale/autoscaleService.js";
import { checkConditions, conditionedETag } from "../http/conditions.js";
import type { HandlerTable } from "../http/context.js";
import type { PoolService } from "../services/poolService.js";

export function autoscaleHandlers(pools: PoolService, autoscale: AutoscaleService) {
  return {
    Pool_EnableAutoScale: async ({ ctx, params, body }) => {
      const pool = await pools.get(ctx.account, params.poolId);
      checkConditions(ctx, pool, false);
      const updated = await autoscale.enable(ctx.account, pool.id, body, conditionedETag(ctx, pool), ctx.now);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Pool_DisableAutoScale: async ({ ctx, params }) => {
      const pool = await pools.get(ctx.account, params.poolId);
      const updated = await autoscale.disable(ctx.account, pool.id, conditionedETag(ctx, pool), ctx.now);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Pool_EvaluateAutoScale: async ({ ctx, params, body }) => {
      const run = await autoscale.evaluate(ctx.account, params.poolId, body.autoScaleFormula, ctx.now);
      const pool = await pools.get(ctx.account, params.poolId);
      return { body: run, version: pool, dataServiceId: pool.body.url ?? "" };
    },
    OpenBatch_GetAutoScaleHistory: async ({ ctx, params }) => {
      return { body: await autoscale.history(ctx.account, params.poolId, ctx.now) };
    },
  } satisfies Partial<HandlerTable>;
}
