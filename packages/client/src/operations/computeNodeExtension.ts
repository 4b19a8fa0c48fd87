/** ComputeNodeExtension group: VM extensions installed on a node. */
import type { NodeVMExtension } from "../models.js";
import type { OperationContext } from "../operation.js";
import type { ListExtensionsOptions, GetComputeNodeOptions } from "../options.js";
import type { PagedAsyncIterableIterator } from "../paging.js";
import type { WithResponse } from "../responses.js";
import { bodyResult, listResult, opts } from "./common.js";

export class ComputeNodeExtensionOperations {
  constructor(private readonly context: OperationContext) {}

  get(poolId: string, nodeId: string, extensionName: string, options?: GetComputeNodeOptions): Promise<WithResponse<NodeVMExtension>> {
    return bodyResult(this.context, "ComputeNodeExtension_Get", { path: { poolId, nodeId, extensionName }, options: opts(options) });
  }

  list(poolId: string, nodeId: string, options?: ListExtensionsOptions): PagedAsyncIterableIterator<NodeVMExtension> {
    return listResult(this.context, "ComputeNodeExtension_List", { path: { poolId, nodeId }, options: opts(options) });
  }
}
