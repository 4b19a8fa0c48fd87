/** Handlers of the ComputeNode group. */
import type { HandlerTable } from "../http/app.js";
import { entityResult, listResult } from "../http/results.js";
import { parseListOptions, project } from "../odata/listQuery.js";
import { nodeView, type NodeService } from "../services/nodeService.js";

export function computeNodeHandlers(nodes: NodeService): HandlerTable {
  return {
    ComputeNode_List: async ({ ctx, params }) => {
      const options = parseListOptions(ctx.query, { filterTarget: "nodes" });
      const page = await nodes.list(ctx.account, params["poolId"] as string, options);
      return listResult(ctx, "nodes", page.items.map((node) => project(nodeView(node.body), options.select)), page.nextKey);
    },
    ComputeNode_Reboot: async ({ ctx, params }) => {
      const node = await nodes.restart(ctx.account, params["poolId"] as string, params["nodeId"] as string, "reboot", ctx.now);
      return { version: node, dataServiceId: node.body.url ?? "" };
    },
    ComputeNode_Reimage: async ({ ctx, params }) => {
      const node = await nodes.restart(ctx.account, params["poolId"] as string, params["nodeId"] as string, "reimage", ctx.now);
      return { version: node, dataServiceId: node.body.url ?? "" };
    },
    ComputeNode_DisableScheduling: async ({ ctx, params }) => {
      const node = await nodes.disableScheduling(ctx.account, params["poolId"] as string, params["nodeId"] as string, ctx.now);
      return { version: node, dataServiceId: node.body.url ?? "" };
    },
    ComputeNode_EnableScheduling: async ({ ctx, params }) => {
      const node = await nodes.enableScheduling(ctx.account, params["poolId"] as string, params["nodeId"] as string, ctx.now);
      return { version: node, dataServiceId: node.body.url ?? "" };
    },
    ComputeNode_Get: async ({ ctx, params }) => {
      const node = await nodes.get(ctx.account, params["poolId"] as string, params["nodeId"] as string);
      const options = parseListOptions(ctx.query, {});
      return entityResult(ctx, "nodes", project(nodeView(node.body), options.select), node);
    },
  };
}
