/**
 * Pool wire models (rest-api.md §4.1, §6): pool add/patch/update/resize/autoscale parameters, CloudPool, identity,
 * start task, upgrade policy, autoscale runs, statistics, usage metrics, node counts, supported images and
 * applications. The pool's VM, network, user and mount configuration is in poolConfiguration.ts.
 */
import type { TObject } from "@sinclair/typebox";
import { DateTime, Double, Duration, Int32, Int64, StringMap, Type, model, type Static } from "../schema.js";
import {
  AllocationState,
  ComputeNodeDeallocationOption,
  NodeCommunicationMode,
  OSType,
  PoolIdentityType,
  PoolState,
  UpgradeMode,
  VerificationType,
} from "../enums.js";
import {
  ApplicationPackageReference,
  CertificateReference,
  EnvironmentSetting,
  MetadataItem,
  NameValuePair,
  ResourceFile,
  TaskContainerSettings,
  UserIdentity,
} from "./common.js";
import {
  ImageReference,
  VirtualMachineConfiguration,
  CloudServiceConfiguration,
  NetworkConfiguration,
  TaskSchedulingPolicy,
  UserAccount,
  MountConfiguration,
} from "./poolConfiguration.js";
import { partialProperties } from "./util.js";

// ---- Identity (set through ARM only; response-only here) ---------------------------------------------------------

export const UserAssignedIdentity = model(
  "UserAssignedIdentity",
  partialProperties({
    resourceId: Type.String(),
    clientId: Type.String(),
    principalId: Type.String(),
  }),
);
export type UserAssignedIdentity = Static<typeof UserAssignedIdentity>;

export const BatchPoolIdentity = model(
  "BatchPoolIdentity",
  partialProperties({
    type: PoolIdentityType,
    userAssignedIdentities: Type.Array(UserAssignedIdentity),
  }),
);
export type BatchPoolIdentity = Static<typeof BatchPoolIdentity>;

// ---- Start task, upgrade policy ----------------------------------------------------------------------------------

const startTaskProperties = {
  commandLine: Type.String(),
  containerSettings: Type.Optional(TaskContainerSettings),
  resourceFiles: Type.Optional(Type.Array(ResourceFile)),
  environmentSettings: Type.Optional(Type.Array(EnvironmentSetting)),
  userIdentity: Type.Optional(UserIdentity),
  maxTaskRetryCount: Type.Optional(Int32({ description: "-1 = unlimited; default 0." })),
  waitForSuccess: Type.Optional(Type.Boolean({ description: "Default true." })),
};
export interface StartTaskSchema extends TObject<typeof startTaskProperties> {}
export const StartTask: StartTaskSchema = model("StartTask", startTaskProperties);
export type StartTask = Static<typeof StartTask>;

export const AutomaticOSUpgradePolicy = model("AutomaticOSUpgradePolicy", {
  disableAutomaticRollback: Type.Optional(Type.Boolean()),
  enableAutomaticOSUpgrade: Type.Optional(Type.Boolean()),
  useRollingUpgradePolicy: Type.Optional(Type.Boolean()),
  osRollingUpgradeDeferral: Type.Optional(Type.Boolean({ description: "Defer OS upgrades while tasks run." })),
});
export type AutomaticOSUpgradePolicy = Static<typeof AutomaticOSUpgradePolicy>;

export const RollingUpgradePolicy = model("RollingUpgradePolicy", {
  enableCrossZoneUpgrade: Type.Optional(Type.Boolean()),
  maxBatchInstancePercent: Type.Optional(Int32({ minimum: 5, maximum: 100 })),
  maxUnhealthyInstancePercent: Type.Optional(Int32({ minimum: 5, maximum: 100 })),
  maxUnhealthyUpgradedInstancePercent: Type.Optional(Int32({ minimum: 0, maximum: 100 })),
  pauseTimeBetweenBatches: Type.Optional(
    Type.String({ description: "An ISO-8601 duration, but a plain string in the spec (no format)." }),
  ),
  prioritizeUnhealthyInstances: Type.Optional(Type.Boolean()),
  rollbackFailedInstancesOnPolicyBreach: Type.Optional(Type.Boolean()),
});
export type RollingUpgradePolicy = Static<typeof RollingUpgradePolicy>;

export const UpgradePolicy = model("UpgradePolicy", {
  mode: UpgradeMode,
  automaticOSUpgradePolicy: Type.Optional(AutomaticOSUpgradePolicy),
  rollingUpgradePolicy: Type.Optional(RollingUpgradePolicy),
});
export type UpgradePolicy = Static<typeof UpgradePolicy>;

// ---- Autoscale, resize errors, statistics (response-only) --------------------------------------------------------

export const AutoScaleRunError = model(
  "AutoScaleRunError",
  partialProperties({
    code: Type.String(),
    message: Type.String(),
    values: Type.Array(NameValuePair),
  }),
);
export type AutoScaleRunError = Static<typeof AutoScaleRunError>;

export const AutoScaleRun = model(
  "AutoScaleRun",
  partialProperties({
    timestamp: DateTime(),
    results: Type.String({ description: "`$Var=value;…` assignments of the final evaluation." }),
    error: AutoScaleRunError,
  }),
);
export type AutoScaleRun = Static<typeof AutoScaleRun>;

export const ResizeError = model(
  "ResizeError",
  partialProperties({
    code: Type.String(),
    message: Type.String(),
    values: Type.Array(NameValuePair),
  }),
);
export type ResizeError = Static<typeof ResizeError>;

export const UsageStatistics = model(
  "UsageStatistics",
  partialProperties({
    startTime: DateTime(),
    lastUpdateTime: DateTime(),
    dedicatedCoreTime: Duration(),
  }),
);
export type UsageStatistics = Static<typeof UsageStatistics>;

export const ResourceStatistics = model(
  "ResourceStatistics",
  partialProperties({
    startTime: DateTime(),
    lastUpdateTime: DateTime(),
    avgCPUPercentage: Double(),
    avgMemoryGiB: Double(),
    peakMemoryGiB: Double(),
    avgDiskGiB: Double(),
    peakDiskGiB: Double(),
    diskReadIOps: Int64(),
    diskWriteIOps: Int64(),
    diskReadGiB: Double(),
    diskWriteGiB: Double(),
    networkReadGiB: Double(),
    networkWriteGiB: Double(),
  }),
);
export type ResourceStatistics = Static<typeof ResourceStatistics>;

export const PoolStatistics = model(
  "PoolStatistics",
  partialProperties({
    url: Type.String(),
    startTime: DateTime(),
    lastUpdateTime: DateTime(),
    usageStats: UsageStatistics,
    resourceStats: ResourceStatistics,
  }),
);
export type PoolStatistics = Static<typeof PoolStatistics>;

// ---- Pools -------------------------------------------------------------------------------------------------------

/** Everything of PoolAddParameter except `id` (= PoolSpecification), in wire order. */
const poolSpecificationProperties = {
  displayName: Type.Optional(Type.String()),
  vmSize: Type.String(),
  cloudServiceConfiguration: Type.Optional(CloudServiceConfiguration),
  virtualMachineConfiguration: Type.Optional(VirtualMachineConfiguration),
  resizeTimeout: Type.Optional(Duration({ description: "Default PT15M, minimum PT5M." })),
  targetDedicatedNodes: Type.Optional(Int32()),
  targetLowPriorityNodes: Type.Optional(Int32()),
  enableAutoScale: Type.Optional(Type.Boolean()),
  autoScaleFormula: Type.Optional(Type.String()),
  autoScaleEvaluationInterval: Type.Optional(Duration({ description: "Default PT15M (PT5M–PT168H)." })),
  enableInterNodeCommunication: Type.Optional(Type.Boolean()),
  networkConfiguration: Type.Optional(NetworkConfiguration),
  startTask: Type.Optional(StartTask),
  certificateReferences: Type.Optional(Type.Array(CertificateReference)),
  applicationPackageReferences: Type.Optional(Type.Array(ApplicationPackageReference)),
  applicationLicenses: Type.Optional(Type.Array(Type.String())),
  taskSlotsPerNode: Type.Optional(Int32({ description: "Default 1." })),
  taskSchedulingPolicy: Type.Optional(TaskSchedulingPolicy),
  userAccounts: Type.Optional(Type.Array(UserAccount)),
  metadata: Type.Optional(Type.Array(MetadataItem)),
  mountConfiguration: Type.Optional(Type.Array(MountConfiguration)),
  targetNodeCommunicationMode: Type.Optional(NodeCommunicationMode),
  upgradePolicy: Type.Optional(UpgradePolicy),
  resourceTags: Type.Optional(StringMap()),
};

const poolAddProperties = {
  id: Type.String(),
  ...poolSpecificationProperties,
};

export const PoolAddParameter = model("PoolAddParameter", poolAddProperties);
export type PoolAddParameter = Static<typeof PoolAddParameter>;

export interface PoolSpecificationSchema extends TObject<typeof poolSpecificationProperties> {}
export const PoolSpecification: PoolSpecificationSchema = model("PoolSpecification", poolSpecificationProperties);
export type PoolSpecification = Static<typeof PoolSpecification>;

export const CloudPool = model("CloudPool", {
  ...partialProperties(poolAddProperties),
  ...partialProperties({
    url: Type.String(),
    eTag: Type.String(),
    lastModified: DateTime(),
    creationTime: DateTime(),
    state: PoolState,
    stateTransitionTime: DateTime(),
    allocationState: AllocationState,
    allocationStateTransitionTime: DateTime(),
    resizeErrors: Type.Array(ResizeError),
    currentDedicatedNodes: Int32(),
    currentLowPriorityNodes: Int32(),
    autoScaleRun: AutoScaleRun,
    stats: PoolStatistics,
    identity: BatchPoolIdentity,
    currentNodeCommunicationMode: NodeCommunicationMode,
  }),
});
export type CloudPool = Static<typeof CloudPool>;

/** PATCH: a present property replaces the current value (an empty list clears it); absent ones are unchanged. */
export const PoolPatchParameter = model("PoolPatchParameter", {
  startTask: Type.Optional(StartTask),
  certificateReferences: Type.Optional(Type.Array(CertificateReference)),
  applicationPackageReferences: Type.Optional(Type.Array(ApplicationPackageReference)),
  metadata: Type.Optional(Type.Array(MetadataItem)),
  targetNodeCommunicationMode: Type.Optional(NodeCommunicationMode),
});
export type PoolPatchParameter = Static<typeof PoolPatchParameter>;

/** Full replace: an absent startTask is removed, an absent targetNodeCommunicationMode resets to `default`. */
export const PoolUpdatePropertiesParameter = model("PoolUpdatePropertiesParameter", {
  startTask: Type.Optional(StartTask),
  certificateReferences: Type.Array(CertificateReference),
  applicationPackageReferences: Type.Array(ApplicationPackageReference),
  metadata: Type.Array(MetadataItem),
  targetNodeCommunicationMode: Type.Optional(NodeCommunicationMode),
});
export type PoolUpdatePropertiesParameter = Static<typeof PoolUpdatePropertiesParameter>;

export const PoolResizeParameter = model("PoolResizeParameter", {
  targetDedicatedNodes: Type.Optional(Int32()),
  targetLowPriorityNodes: Type.Optional(Int32()),
  resizeTimeout: Type.Optional(Duration({ description: "Default PT15M." })),
  nodeDeallocationOption: Type.Optional(ComputeNodeDeallocationOption),
});
export type PoolResizeParameter = Static<typeof PoolResizeParameter>;

export const PoolEnableAutoScaleParameter = model("PoolEnableAutoScaleParameter", {
  autoScaleFormula: Type.Optional(Type.String()),
  autoScaleEvaluationInterval: Type.Optional(Duration()),
});
export type PoolEnableAutoScaleParameter = Static<typeof PoolEnableAutoScaleParameter>;

export const PoolEvaluateAutoScaleParameter = model("PoolEvaluateAutoScaleParameter", {
  autoScaleFormula: Type.String(),
});
export type PoolEvaluateAutoScaleParameter = Static<typeof PoolEvaluateAutoScaleParameter>;

export const NodeRemoveParameter = model("NodeRemoveParameter", {
  nodeList: Type.Array(Type.String()),
  resizeTimeout: Type.Optional(Duration({ description: "Default PT15M." })),
  nodeDeallocationOption: Type.Optional(ComputeNodeDeallocationOption),
});
export type NodeRemoveParameter = Static<typeof NodeRemoveParameter>;

// ---- Account-level listings (response-only) ----------------------------------------------------------------------

export const PoolUsageMetrics = model(
  "PoolUsageMetrics",
  partialProperties({
    poolId: Type.String(),
    startTime: DateTime(),
    endTime: DateTime(),
    vmSize: Type.String(),
    totalCoreHours: Double(),
  }),
);
export type PoolUsageMetrics = Static<typeof PoolUsageMetrics>;

/** Keys are camelCase (`waitingForStartTask`, `upgradingOS`) although node states are lower-case. */
export const NodeCounts = model(
  "NodeCounts",
  partialProperties({
    creating: Int32(),
    idle: Int32(),
    offline: Int32(),
    preempted: Int32(),
    rebooting: Int32(),
    reimaging: Int32(),
    running: Int32(),
    starting: Int32(),
    startTaskFailed: Int32(),
    leavingPool: Int32(),
    unknown: Int32(),
    unusable: Int32(),
    waitingForStartTask: Int32(),
    total: Int32(),
    upgradingOS: Int32(),
  }),
);
export type NodeCounts = Static<typeof NodeCounts>;

export const PoolNodeCounts = model(
  "PoolNodeCounts",
  partialProperties({
    poolId: Type.String(),
    dedicated: NodeCounts,
    lowPriority: NodeCounts,
  }),
);
export type PoolNodeCounts = Static<typeof PoolNodeCounts>;

export const ImageInformation = model(
  "ImageInformation",
  partialProperties({
    nodeAgentSKUId: Type.String(),
    imageReference: ImageReference,
    osType: OSType,
    capabilities: Type.Array(Type.String()),
    batchSupportEndOfLife: DateTime(),
    verificationType: VerificationType,
  }),
);
export type ImageInformation = Static<typeof ImageInformation>;

export const ApplicationSummary = model(
  "ApplicationSummary",
  partialProperties({
    id: Type.String(),
    displayName: Type.String(),
    versions: Type.Array(Type.String()),
  }),
);
export type ApplicationSummary = Static<typeof ApplicationSummary>;
