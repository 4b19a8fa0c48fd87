/** Pool group. Conditional operations take `ifMatch` etc.; add/patch/resize answer no body, only headers. */
import type {
  AutoScaleRun,
  CloudPool,
  NodeRemoveParameter,
  PoolAddParameter,
  PoolEnableAutoScaleParameter,
  PoolPatchParameter,
  PoolResizeParameter,
  PoolUpdatePropertiesParameter,
  PoolUsageMetrics,
} from "../models.js";
import type { OperationContext } from "../operation.js";
import type {
  ConditionalOperationOptions,
  GetEntityOptions,
  ListEntitiesOptions,
  ListPoolUsageMetricsOptions,
  OperationOptions,
} from "../options.js";
import type { PagedAsyncIterableIterator } from "../paging.js";
import type { BatchOperationResult, WithResponse } from "../responses.js";
import { bodyResult, existsResult, headersResult, listResult, opts } from "./common.js";

export class PoolOperations {
  constructor(private readonly context: OperationContext) {}

  /** Usage metrics aggregated per pool and interval (`GET /poolusagemetrics`). */
  listUsageMetrics(options?: ListPoolUsageMetricsOptions): PagedAsyncIterableIterator<PoolUsageMetrics> {
    return listResult(this.context, "Pool_ListUsageMetrics", { options: opts(options) });
  }

  /** Creates a pool (201); `PoolExists` (409) when the id is taken. Not retried once it may have reached the service. */
  add(pool: PoolAddParameter, options?: OperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Pool_Add", { body: pool, options: opts(options) });
  }

  /** Lists pools (`$filter`, `$select`, `$expand=stats`, `maxResults`). */
  list(options?: ListEntitiesOptions): PagedAsyncIterableIterator<CloudPool> {
    return listResult(this.context, "Pool_List", { options: opts(options) });
  }

  /** Starts deleting a pool (202); it stays visible in state `deleting` for a while. */
  delete(poolId: string, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Pool_Delete", { path: { poolId }, options: opts(options) });
  }

  /** True when the pool exists (HEAD 200), false on 404. */
  exists(poolId: string, options?: ConditionalOperationOptions): Promise<boolean> {
    return existsResult(this.context, "Pool_Exists", { path: { poolId }, options: opts(options) });
  }

  /** Gets a pool; `PoolNotFound` (404) when absent. */
  get(poolId: string, options?: GetEntityOptions): Promise<WithResponse<CloudPool>> {
    return bodyResult(this.context, "Pool_Get", { path: { poolId }, options: opts(options) });
  }

  /** Replaces the given properties; absent ones are unchanged. */
  patch(poolId: string, poolPatchParameter: PoolPatchParameter, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Pool_Patch", { path: { poolId }, body: poolPatchParameter, options: opts(options) });
  }

  disableAutoScale(poolId: string, options?: OperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Pool_DisableAutoScale", { path: { poolId }, options: opts(options) });
  }

  enableAutoScale(poolId: string, parameters: PoolEnableAutoScaleParameter, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Pool_EnableAutoScale", { path: { poolId }, body: parameters, options: opts(options) });
  }

  /** Evaluates an autoscale formula against the pool without applying it. */
  evaluateAutoScale(poolId: string, autoScaleFormula: string, options?: OperationOptions): Promise<WithResponse<AutoScaleRun>> {
    return bodyResult(this.context, "Pool_EvaluateAutoScale", { path: { poolId }, body: { autoScaleFormula }, options: opts(options) });
  }

  /** Changes the target node counts (202). */
  resize(poolId: string, poolResizeParameter: PoolResizeParameter, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Pool_Resize", { path: { poolId }, body: poolResizeParameter, options: opts(options) });
  }

  stopResize(poolId: string, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Pool_StopResize", { path: { poolId }, options: opts(options) });
  }

  /** Replaces the updatable properties wholesale (204); absent ones are cleared. */
  updateProperties(poolId: string, poolUpdatePropertiesParameter: PoolUpdatePropertiesParameter, options?: OperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Pool_UpdateProperties", { path: { poolId }, body: poolUpdatePropertiesParameter, options: opts(options) });
  }

  /** Removes up to 100 nodes (202). */
  removeNodes(poolId: string, nodeRemoveParameter: NodeRemoveParameter, options?: ConditionalOperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Pool_RemoveNodes", { path: { poolId }, body: nodeRemoveParameter, options: opts(options) });
  }
}
