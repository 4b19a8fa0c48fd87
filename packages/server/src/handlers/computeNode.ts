/** Handlers of the ComputeNode group. */
import type { HandlerTable } from "../http/app.js";
import { entityResult, listResult } from "../http/results.js";
import { parseListOptions, project } from "../odata/listQuery.js";
import { serviceError } from "@openbatch/core";
import type { ComputeNodeUser, NodeDisableSchedulingParameter, NodeRebootParameter, NodeReimageParameter, NodeUpdateUserParameter } from "@openbatch/protocol";
import { nodeView, type NodeService, type NodeUsers } from "../services/nodeService.js";

export function computeNodeHandlers(nodes: NodeService, users: NodeUsers): HandlerTable {
  return {
    ComputeNode_AddUser: async ({ ctx, params, body }) => {
      const node = await users.add(ctx.account, params["poolId"] as string, params["nodeId"] as string, body as ComputeNodeUser, ctx.now);
      return { version: node, dataServiceId: `${node.body.url ?? ""}/users/${encodeURIComponent((body as ComputeNodeUser).name)}` };
    },
    ComputeNode_UpdateUser: async ({ ctx, params, body }) => {
      const node = await users.update(ctx.account, params["poolId"] as string, params["nodeId"] as string, params["userName"] as string, body as NodeUpdateUserParameter, ctx.now);
      return { version: node, dataServiceId: `${node.body.url ?? ""}/users/${encodeURIComponent(params["userName"] as string)}` };
    },
    ComputeNode_DeleteUser: async ({ ctx, params }) => {
      await users.delete(ctx.account, params["poolId"] as string, params["nodeId"] as string, params["userName"] as string, ctx.now);
      return {};
    },
    OpenBatch_PreemptNode: async ({ ctx, params }) => {
      const raw = ctx.query.get("recoverafterseconds") ?? "30";
      if (!/^\d{1,5}$/.test(raw) || Number(raw) > 86_400) {
        throw serviceError("InvalidQueryParameterValue", {
          message: "recoverafterseconds must be a whole number of seconds between 0 and 86400.",
          values: [{ key: "QueryParameterName", value: "recoverafterseconds" }, { key: "QueryParameterValue", value: raw }],
        });
      }
      await nodes.preempt(ctx.account, params["poolId"] as string, params["nodeId"] as string, Number(raw), ctx.now);
      return {};
    },
    ComputeNode_GetRemoteLoginSettings: async ({ ctx, params }) => {
      const node = await nodes.get(ctx.account, params["poolId"] as string, params["nodeId"] as string);
      // Local nodes live on the agent's host: log in there (port 22), where node users are OS accounts when its agent runs as root.
      return { body: { remoteLoginIPAddress: node.body.ipAddress ?? "127.0.0.1", remoteLoginPort: 22 }, version: node };
    },
    ComputeNode_GetRemoteDesktop: async ({ ctx, params }) => {
      await nodes.get(ctx.account, params["poolId"] as string, params["nodeId"] as string);
      throw serviceError("OperationNotValidOnNode", {
        message: "Remote Desktop files exist only for nodes of cloud service configuration pools; use get remote login settings.",
      });
    },
    ComputeNode_List: async ({ ctx, params }) => {
      const options = parseListOptions(ctx.query, { filterTarget: "nodes" });
      const page = await nodes.list(ctx.account, params["poolId"] as string, options);
      return listResult(ctx, "nodes", page.items.map((node) => project(nodeView(node.body), options.select)), page.nextKey);
    },
    ComputeNode_Reboot: async ({ ctx, params, body }) => {
      const option = (body as NodeRebootParameter | undefined)?.nodeRebootOption ?? "requeue";
      const node = await nodes.restart(ctx.account, params["poolId"] as string, params["nodeId"] as string, "reboot", ctx.now, option);
      return { version: node, dataServiceId: node.body.url ?? "" };
    },
    ComputeNode_Reimage: async ({ ctx, params, body }) => {
      const option = (body as NodeReimageParameter | undefined)?.nodeReimageOption ?? "requeue";
      const node = await nodes.restart(ctx.account, params["poolId"] as string, params["nodeId"] as string, "reimage", ctx.now, option);
      return { version: node, dataServiceId: node.body.url ?? "" };
    },
    ComputeNode_DisableScheduling: async ({ ctx, params, body }) => {
      const option = (body as NodeDisableSchedulingParameter | undefined)?.nodeDisableSchedulingOption ?? "requeue";
      const node = await nodes.disableScheduling(ctx.account, params["poolId"] as string, params["nodeId"] as string, ctx.now, option);
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
