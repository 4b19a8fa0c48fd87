/**
 * Compute node wire models (rest-api.md §4.5): ComputeNode and its parts, node users, reboot/reimage/disable
 * scheduling parameters, remote login settings, service-log upload, VM extensions and node/task files.
 */
import { DateTime, Int32, Int64, Type, model, type Static } from "../schema.js";
import {
  ComputeNodeRebootOption,
  ComputeNodeReimageOption,
  ComputeNodeState,
  DisableComputeNodeSchedulingOption,
  InboundEndpointProtocol,
  SchedulingState,
  StartTaskState,
  StatusLevelTypes,
  TaskExecutionResult,
  TaskState,
} from "../enums.js";
import { CertificateReference, ComputeNodeIdentityReference, NameValuePair } from "./common.js";
import { StartTask } from "./pool.js";
import { ImageReference, VMExtension } from "./poolConfiguration.js";
import { TaskContainerExecutionInformation, TaskExecutionInformation, TaskFailureInformation } from "./task.js";
import { partialProperties } from "./util.js";

// ---- ComputeNode (entirely server-set) ---------------------------------------------------------------------------

export const TaskInformation = model(
  "TaskInformation",
  partialProperties({
    taskUrl: Type.String(),
    jobId: Type.String(),
    taskId: Type.String(),
    subtaskId: Int32(),
    taskState: TaskState,
    executionInfo: TaskExecutionInformation,
  }),
);
export type TaskInformation = Static<typeof TaskInformation>;

export const StartTaskInformation = model(
  "StartTaskInformation",
  partialProperties({
    state: StartTaskState,
    startTime: DateTime(),
    endTime: DateTime(),
    exitCode: Int32(),
    containerInfo: TaskContainerExecutionInformation,
    failureInfo: TaskFailureInformation,
    retryCount: Int32(),
    lastRetryTime: DateTime(),
    result: TaskExecutionResult,
  }),
);
export type StartTaskInformation = Static<typeof StartTaskInformation>;

export const ComputeNodeError = model(
  "ComputeNodeError",
  partialProperties({
    code: Type.String(),
    message: Type.String(),
    errorDetails: Type.Array(NameValuePair),
  }),
);
export type ComputeNodeError = Static<typeof ComputeNodeError>;

export const InboundEndpoint = model(
  "InboundEndpoint",
  partialProperties({
    name: Type.String(),
    protocol: InboundEndpointProtocol,
    publicIPAddress: Type.String(),
    publicFQDN: Type.String(),
    frontendPort: Int32(),
    backendPort: Int32(),
  }),
);
export type InboundEndpoint = Static<typeof InboundEndpoint>;

export const ComputeNodeEndpointConfiguration = model(
  "ComputeNodeEndpointConfiguration",
  partialProperties({
    inboundEndpoints: Type.Array(InboundEndpoint),
  }),
);
export type ComputeNodeEndpointConfiguration = Static<typeof ComputeNodeEndpointConfiguration>;

export const NodeAgentInformation = model(
  "NodeAgentInformation",
  partialProperties({
    version: Type.String(),
    lastUpdateTime: DateTime(),
  }),
);
export type NodeAgentInformation = Static<typeof NodeAgentInformation>;

export const VirtualMachineInfo = model(
  "VirtualMachineInfo",
  partialProperties({
    imageReference: ImageReference,
    scaleSetVmResourceId: Type.String(),
  }),
);
export type VirtualMachineInfo = Static<typeof VirtualMachineInfo>;

export const ComputeNode = model(
  "ComputeNode",
  partialProperties({
    id: Type.String(),
    url: Type.String(),
    state: ComputeNodeState,
    schedulingState: SchedulingState,
    stateTransitionTime: DateTime(),
    lastBootTime: DateTime(),
    allocationTime: DateTime(),
    ipAddress: Type.String(),
    affinityId: Type.String(),
    vmSize: Type.String(),
    totalTasksRun: Int32(),
    runningTasksCount: Int32(),
    runningTaskSlotsCount: Int32(),
    totalTasksSucceeded: Int32(),
    recentTasks: Type.Array(TaskInformation),
    startTask: StartTask,
    startTaskInfo: StartTaskInformation,
    certificateReferences: Type.Array(CertificateReference),
    errors: Type.Array(ComputeNodeError),
    isDedicated: Type.Boolean(),
    endpointConfiguration: ComputeNodeEndpointConfiguration,
    nodeAgentInfo: NodeAgentInformation,
    virtualMachineInfo: VirtualMachineInfo,
  }),
);
export type ComputeNode = Static<typeof ComputeNode>;

// ---- Node users and node operations ------------------------------------------------------------------------------

export const ComputeNodeUser = model("ComputeNodeUser", {
  name: Type.String(),
  isAdmin: Type.Optional(Type.Boolean({ description: "Default false." })),
  expiryTime: Type.Optional(DateTime({ description: "Default: now + 1 day." })),
  password: Type.Optional(Type.String({ description: "Required on Windows nodes." })),
  sshPublicKey: Type.Optional(Type.String({ description: "Linux nodes only." })),
});
export type ComputeNodeUser = Static<typeof ComputeNodeUser>;

/** PUT: an absent password or sshPublicKey is removed. */
export const NodeUpdateUserParameter = model("NodeUpdateUserParameter", {
  password: Type.Optional(Type.String()),
  expiryTime: Type.Optional(DateTime()),
  sshPublicKey: Type.Optional(Type.String()),
});
export type NodeUpdateUserParameter = Static<typeof NodeUpdateUserParameter>;

export const NodeRebootParameter = model("NodeRebootParameter", {
  nodeRebootOption: Type.Optional(ComputeNodeRebootOption),
});
export type NodeRebootParameter = Static<typeof NodeRebootParameter>;

export const NodeReimageParameter = model("NodeReimageParameter", {
  nodeReimageOption: Type.Optional(ComputeNodeReimageOption),
});
export type NodeReimageParameter = Static<typeof NodeReimageParameter>;

export const NodeDisableSchedulingParameter = model("NodeDisableSchedulingParameter", {
  nodeDisableSchedulingOption: Type.Optional(DisableComputeNodeSchedulingOption),
});
export type NodeDisableSchedulingParameter = Static<typeof NodeDisableSchedulingParameter>;

export const ComputeNodeGetRemoteLoginSettingsResult = model(
  "ComputeNodeGetRemoteLoginSettingsResult",
  partialProperties({
    remoteLoginIPAddress: Type.String(),
    remoteLoginPort: Int32(),
  }),
);
export type ComputeNodeGetRemoteLoginSettingsResult = Static<typeof ComputeNodeGetRemoteLoginSettingsResult>;

export const UploadBatchServiceLogsConfiguration = model("UploadBatchServiceLogsConfiguration", {
  containerUrl: Type.String(),
  startTime: DateTime(),
  endTime: Type.Optional(DateTime()),
  identityReference: Type.Optional(ComputeNodeIdentityReference),
});
export type UploadBatchServiceLogsConfiguration = Static<typeof UploadBatchServiceLogsConfiguration>;

export const UploadBatchServiceLogsResult = model(
  "UploadBatchServiceLogsResult",
  partialProperties({
    virtualDirectoryName: Type.String(),
    numberOfFilesUploaded: Int32(),
  }),
);
export type UploadBatchServiceLogsResult = Static<typeof UploadBatchServiceLogsResult>;

// ---- VM extensions (response-only) -------------------------------------------------------------------------------

export const InstanceViewStatus = model(
  "InstanceViewStatus",
  partialProperties({
    code: Type.String(),
    displayStatus: Type.String(),
    level: StatusLevelTypes,
    message: Type.String(),
    time: Type.String({ description: "A date-time, but a plain string in the spec." }),
  }),
);
export type InstanceViewStatus = Static<typeof InstanceViewStatus>;

export const VMExtensionInstanceView = model(
  "VMExtensionInstanceView",
  partialProperties({
    name: Type.String(),
    statuses: Type.Array(InstanceViewStatus),
    subStatuses: Type.Array(InstanceViewStatus),
  }),
);
export type VMExtensionInstanceView = Static<typeof VMExtensionInstanceView>;

export const NodeVMExtension = model(
  "NodeVMExtension",
  partialProperties({
    provisioningState: Type.String(),
    vmExtension: VMExtension,
    instanceView: VMExtensionInstanceView,
  }),
);
export type NodeVMExtension = Static<typeof NodeVMExtension>;

// ---- Files (response-only) ---------------------------------------------------------------------------------------

export const FileProperties = model(
  "FileProperties",
  partialProperties({
    creationTime: DateTime({ description: "Absent on Linux nodes." }),
    lastModified: DateTime(),
    contentLength: Int64(),
    contentType: Type.String(),
    fileMode: Type.String({ description: "Octal mode; Linux nodes only." }),
  }),
);
export type FileProperties = Static<typeof FileProperties>;

export const NodeFile = model(
  "NodeFile",
  partialProperties({
    name: Type.String(),
    url: Type.String(),
    isDirectory: Type.Boolean(),
    properties: FileProperties,
  }),
);
export type NodeFile = Static<typeof NodeFile>;
