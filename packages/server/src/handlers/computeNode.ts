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
    ComputeNode_Get: async ({ ctx, params }) => {
      const node = await nodes.get(ctx.account, params["poolId"] as string, params["nodeId"] as string);
      const options = parseListOptions(ctx.query, {});
      return entityResult(ctx, "nodes", project(nodeView(node.body), options.select), node);
    },
  };
}
