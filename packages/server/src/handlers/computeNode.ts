/** Handlers of the ComputeNode group. */
import { serviceError } from "@openbatch/core";
import type { HandlerTable } from "../http/context.js";
import { entityResult, listResult } from "../http/results.js";
import { parseListOptions, project } from "../odata/listQuery.js";
import { nodeView, type NodeService, type NodeUsers } from "../services/nodeService.js";

/** The longest preemption OpenBatch_PreemptNode accepts, in seconds (a day). */
const maxRecoverAfterSeconds = 86_400;

export function computeNodeHandlers(nodes: NodeService, users: NodeUsers) {
  return {
    ComputeNode_AddUser: async ({ ctx, params, body }) => {
      const node = await users.add(ctx.account, params.poolId, params.nodeId, body, ctx.now);
      return { version: node, dataServiceId: `${node.body.url ?? ""}/users/${encodeURIComponent(body.name)}` };
    },
    ComputeNode_UpdateUser: async ({ ctx, params, body }) => {
      const node = await users.update(ctx.account, params.poolId, params.nodeId, params.userName, body, ctx.now);
      return { version: node, dataServiceId: `${node.body.url ?? ""}/users/${encodeURIComponent(params.userName)}` };
    },
    ComputeNode_DeleteUser: async ({ ctx, params }) => {
      await users.delete(ctx.account, params.poolId, params.nodeId, params.userName, ctx.now);
      return {};
    },
    OpenBatch_PreemptNode: async ({ ctx, params, query }) => {
      const recoverAfterSeconds = query.recoverafterseconds ?? 30;
      if (recoverAfterSeconds > maxRecoverAfterSeconds) {
        throw serviceError("InvalidQueryParameterValue", {
          message: `recoverafterseconds must be a whole number of seconds between 0 and ${maxRecoverAfterSeconds}.`,
          values: [{ key: "QueryParameterName", value: "recoverafterseconds" }, { key: "QueryParameterValue", value: String(recoverAfterSeconds) }],
        });
      }
      await nodes.preempt(ctx.account, params.poolId, params.nodeId, recoverAfterSeconds, ctx.now);
      return {};
    },
    ComputeNode_GetRemoteLoginSettings: async ({ ctx, params }) => {
      const node = await nodes.get(ctx.account, params.poolId, params.nodeId);
      // Local nodes live on the agent's host: log in there (port 22), where node users are OS accounts when its agent runs as root.
      return { body: { remoteLoginIPAddress: node.body.ipAddress ?? "127.0.0.1", remoteLoginPort: 22 }, version: node };
    },
    ComputeNode_GetRemoteDesktop: async ({ ctx, params }) => {
      await nodes.get(ctx.account, params.poolId, params.nodeId);
      throw serviceError("OperationNotValidOnNode", {
        message: "Remote Desktop files exist only for nodes of cloud service configuration pools; use get remote login settings.",
      });
    },
    ComputeNode_List: async ({ ctx, params, query }) => {
      const options = parseListOptions(query, { filterTarget: "nodes" });
      const page = await nodes.list(ctx.account, params.poolId, options);
      return listResult(ctx, "nodes", page.items.map((node) => project(nodeView(node.body), options.select)), page.nextKey);
    },
    ComputeNode_Reboot: async ({ ctx, params, body }) => {
      const option = body?.nodeRebootOption ?? "requeue";
      const node = await nodes.restart(ctx.account, params.poolId, params.nodeId, "reboot", ctx.now, option);
      return { version: node, dataServiceId: node.body.url ?? "" };
    },
    ComputeNode_Reimage: async ({ ctx, params, body }) => {
      const option = body?.nodeReimageOption ?? "requeue";
      const node = await nodes.restart(ctx.account, params.poolId, params.nodeId, "reimage", ctx.now, option);
      return { version: node, dataServiceId: node.body.url ?? "" };
    },
    ComputeNode_DisableScheduling: async ({ ctx, params, body }) => {
      const option = body?.nodeDisableSchedulingOption ?? "requeue";
      const node = await nodes.disableScheduling(ctx.account, params.poolId, params.nodeId, ctx.now, option);
      return { version: node, dataServiceId: node.body.url ?? "" };
    },
    ComputeNode_EnableScheduling: async ({ ctx, params }) => {
      const node = await nodes.enableScheduling(ctx.account, params.poolId, params.nodeId, ctx.now);
      return { version: node, dataServiceId: node.body.url ?? "" };
    },
    ComputeNode_Get: async ({ ctx, params, query }) => {
      const node = await nodes.get(ctx.account, params.poolId, params.nodeId);
      const options = parseListOptions(query, {});
      return entityResult(ctx, "nodes", project(nodeView(node.body), options.select), node);
    },
  } satisfies Partial<HandlerTable>;
}
