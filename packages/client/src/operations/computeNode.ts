/** ComputeNode group: nodes of a pool, their users, reboot/reimage, scheduling, remote login and service logs. */
import type {
  ComputeNode,
  ComputeNodeGetRemoteLoginSettingsResult,
  ComputeNodeRebootOption,
  ComputeNodeReimageOption,
  ComputeNodeUser,
  DisableComputeNodeSchedulingOption,
  NodeUpdateUserParameter,
  UploadBatchServiceLogsConfiguration,
  UploadBatchServiceLogsResult,
} from "../models.js";
import type { OperationContext } from "../operation.js";
import type { GetComputeNodeOptions, ListComputeNodesOptions, OperationOptions } from "../options.js";
import type { PagedAsyncIterableIterator } from "../paging.js";
import type { BatchOperationResult, WithResponse } from "../responses.js";
import { bodyResult, headersResult, listResult, opts, streamResult, type StreamedResult } from "./common.js";

export interface RebootComputeNodeOptions extends OperationOptions {
  /** What happens to running tasks. @default "requeue" (service default) */
  nodeRebootOption?: ComputeNodeRebootOption;
}

export interface ReimageComputeNodeOptions extends OperationOptions {
  /** What happens to running tasks. @default "requeue" (service default) */
  nodeReimageOption?: ComputeNodeReimageOption;
}

export interface DisableComputeNodeSchedulingOptions extends OperationOptions {
  /** What happens to running tasks. @default "requeue" (service default) */
  nodeDisableSchedulingOption?: DisableComputeNodeSchedulingOption;
}

export class ComputeNodeOperations {
  constructor(private readonly context: OperationContext) {}

  /** Adds a user account to a node (201). */
  addUser(poolId: string, nodeId: string, user: ComputeNodeUser, options?: OperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "ComputeNode_AddUser", { path: { poolId, nodeId }, body: user, options: opts(options) });
  }

  deleteUser(poolId: string, nodeId: string, userName: string, options?: OperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "ComputeNode_DeleteUser", { path: { poolId, nodeId, userName }, options: opts(options) });
  }

  /** Replaces the user's password, expiry and SSH key; absent ones are removed. */
  updateUser(poolId: string, nodeId: string, userName: string, nodeUpdateUserParameter: NodeUpdateUserParameter, options?: OperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "ComputeNode_UpdateUser", { path: { poolId, nodeId, userName }, body: nodeUpdateUserParameter, options: opts(options) });
  }

  get(poolId: string, nodeId: string, options?: GetComputeNodeOptions): Promise<WithResponse<ComputeNode>> {
    return bodyResult(this.context, "ComputeNode_Get", { path: { poolId, nodeId }, options: opts(options) });
  }

  /** Restarts a node (202). Not retried once it may have reached the service (a replay would reboot twice). */
  reboot(poolId: string, nodeId: string, options?: RebootComputeNodeOptions): Promise<BatchOperationResult> {
    const { nodeRebootOption, ...rest } = options ?? {};
    return headersResult(this.context, "ComputeNode_Reboot", {
      path: { poolId, nodeId },
      ...(nodeRebootOption === undefined ? {} : { body: { nodeRebootOption } }),
      options: opts(rest),
    });
  }

  /** Reinstalls a node's operating system (202). */
  reimage(poolId: string, nodeId: string, options?: ReimageComputeNodeOptions): Promise<BatchOperationResult> {
    const { nodeReimageOption, ...rest } = options ?? {};
    return headersResult(this.context, "ComputeNode_Reimage", {
      path: { poolId, nodeId },
      ...(nodeReimageOption === undefined ? {} : { body: { nodeReimageOption } }),
      options: opts(rest),
    });
  }

  disableScheduling(poolId: string, nodeId: string, options?: DisableComputeNodeSchedulingOptions): Promise<BatchOperationResult> {
    const { nodeDisableSchedulingOption, ...rest } = options ?? {};
    return headersResult(this.context, "ComputeNode_DisableScheduling", {
      path: { poolId, nodeId },
      ...(nodeDisableSchedulingOption === undefined ? {} : { body: { nodeDisableSchedulingOption } }),
      options: opts(rest),
    });
  }

  enableScheduling(poolId: string, nodeId: string, options?: OperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "ComputeNode_EnableScheduling", { path: { poolId, nodeId }, options: opts(options) });
  }

  /** The IP address and port for SSH/RDP to the node. */
  getRemoteLoginSettings(poolId: string, nodeId: string, options?: OperationOptions): Promise<WithResponse<ComputeNodeGetRemoteLoginSettingsResult>> {
    return bodyResult(this.context, "ComputeNode_GetRemoteLoginSettings", { path: { poolId, nodeId }, options: opts(options) });
  }

  /** The node's .rdp file, streamed (cloud service configuration pools only). */
  getRemoteDesktop(poolId: string, nodeId: string, options?: OperationOptions): Promise<StreamedResult> {
    return streamResult(this.context, "ComputeNode_GetRemoteDesktop", { path: { poolId, nodeId }, options: opts(options) });
  }

  /** Uploads the node's Batch service logs to a storage container. */
  uploadBatchServiceLogs(
    poolId: string,
    nodeId: string,
    uploadBatchServiceLogsConfiguration: UploadBatchServiceLogsConfiguration,
    options?: OperationOptions,
  ): Promise<WithResponse<UploadBatchServiceLogsResult>> {
    return bodyResult(this.context, "ComputeNode_UploadBatchServiceLogs", { path: { poolId, nodeId }, body: uploadBatchServiceLogsConfiguration, options: opts(options) });
  }

  list(poolId: string, options?: ListComputeNodesOptions): PagedAsyncIterableIterator<ComputeNode> {
    return listResult(this.context, "ComputeNode_List", { path: { poolId }, options: opts(options) });
  }
}
