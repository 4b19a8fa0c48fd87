/**
 * Handlers of the ComputeNodeExtension group. Extensions come from the pool's `virtualMachineConfiguration`; the
 * local provider records them (they have no local effect), so each reports as provisioned when its node started.
 */
import { formatTimestamp, serviceError } from "@openbatch/core";
import type { NodeVMExtension, VMExtension } from "@openbatch/protocol";
import type { HandlerTable } from "../http/context.js";
import { entityResult, listResult } from "../http/results.js";
import { parseListOptions, project } from "../odata/listQuery.js";
import type { NodeService } from "../services/nodeService.js";
import type { PoolService } from "../services/poolService.js";

function view(extension: VMExtension, time: string): NodeVMExtension {
  return {
    provisioningState: "Succeeded",
    vmExtension: extension,
    instanceView: {
      name: extension.name,
      statuses: [{ code: "ProvisioningState/succeeded", displayStatus: "Provisioning succeeded", level: "Info", time }],
    },
  };
}

export function computeNodeExtensionHandlers(pools: PoolService, nodes: NodeService) {
  const extensionsOf = async (account: string, poolId: string, nodeId: string) => {
    const node = await nodes.get(account, poolId, nodeId);
    const pool = await pools.get(account, poolId);
    const time = node.body.lastBootTime ?? node.body.allocationTime ?? formatTimestamp(node.lastModified);
    return (pool.body.virtualMachineConfiguration?.extensions ?? []).map((extension) => view(extension, time));
  };
  return {
    ComputeNodeExtension_List: async ({ ctx, params, query }) => {
      const options = parseListOptions(query, {});
      const all = await extensionsOf(ctx.account, params.poolId, params.nodeId);
      const start = options.afterKey === undefined ? 0 : all.findIndex((e) => e.vmExtension?.name === options.afterKey) + 1;
      const page = all.slice(start, start + options.maxResults);
      const nextKey = start + options.maxResults < all.length ? page.at(-1)?.vmExtension?.name : undefined;
      return listResult(ctx, "extensions", page.map((e) => project(e, options.select)), nextKey);
    },
    ComputeNodeExtension_Get: async ({ ctx, params, query }) => {
      const name = params.extensionName;
      const extension = (await extensionsOf(ctx.account, params.poolId, params.nodeId)).find(
        (e) => e.vmExtension?.name.toLowerCase() === name.toLowerCase(),
      );
      if (extension === undefined) {
        throw serviceError("ResourceNotFound", { message: `The extension '${name}' is not on the node.`, values: [{ key: "ExtensionName", value: name }] });
      }
      return entityResult(ctx, "extensions", project(extension, parseListOptions(query, {}).select));
    },
  } satisfies Partial<HandlerTable>;
}
