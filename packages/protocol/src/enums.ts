/**
 * Every enum of the Batch data-plane API 2024-02-01.19.0 (rest-api.md §5, §6). Values are the exact wire strings
 * (mostly lower-case; a few camel/Pascal-case). Validation accepts any casing (see `batchEnum`).
 *
 * `XValues` is the canonical value list, `X` the schema, `type X` the union of wire values.
 */
import { batchEnum, type Static } from "./schema.js";

export const AccessScopeValues = ["job"] as const;
export const AccessScope = batchEnum(AccessScopeValues);
export type AccessScope = Static<typeof AccessScope>;

export const AllocationStateValues = ["steady", "resizing", "stopping"] as const;
export const AllocationState = batchEnum(AllocationStateValues);
export type AllocationState = Static<typeof AllocationState>;

export const AutoUserScopeValues = ["task", "pool"] as const;
export const AutoUserScope = batchEnum(AutoUserScopeValues);
export type AutoUserScope = Static<typeof AutoUserScope>;

export const CachingTypeValues = ["none", "readonly", "readwrite"] as const;
export const CachingType = batchEnum(CachingTypeValues);
export type CachingType = Static<typeof CachingType>;

export const CertificateFormatValues = ["pfx", "cer"] as const;
export const CertificateFormat = batchEnum(CertificateFormatValues);
export type CertificateFormat = Static<typeof CertificateFormat>;

export const CertificateStateValues = ["active", "deleting", "deletefailed"] as const;
export const CertificateState = batchEnum(CertificateStateValues);
export type CertificateState = Static<typeof CertificateState>;

export const CertificateStoreLocationValues = ["currentuser", "localmachine"] as const;
export const CertificateStoreLocation = batchEnum(CertificateStoreLocationValues);
export type CertificateStoreLocation = Static<typeof CertificateStoreLocation>;

export const CertificateVisibilityValues = ["starttask", "task", "remoteuser"] as const;
export const CertificateVisibility = batchEnum(CertificateVisibilityValues);
export type CertificateVisibility = Static<typeof CertificateVisibility>;

/** Shared by ComputeNodeDeallocationOption, ComputeNodeRebootOption and ComputeNodeReimageOption. */
export const ComputeNodeDeallocationOptionValues = ["requeue", "terminate", "taskcompletion", "retaineddata"] as const;
export const ComputeNodeDeallocationOption = batchEnum(ComputeNodeDeallocationOptionValues);
export type ComputeNodeDeallocationOption = Static<typeof ComputeNodeDeallocationOption>;
export const ComputeNodeRebootOptionValues = ComputeNodeDeallocationOptionValues;
export const ComputeNodeRebootOption = batchEnum(ComputeNodeRebootOptionValues);
export type ComputeNodeRebootOption = Static<typeof ComputeNodeRebootOption>;
export const ComputeNodeReimageOptionValues = ComputeNodeDeallocationOptionValues;
export const ComputeNodeReimageOption = batchEnum(ComputeNodeReimageOptionValues);
export type ComputeNodeReimageOption = Static<typeof ComputeNodeReimageOption>;

export const ComputeNodeFillTypeValues = ["spread", "pack"] as const;
export const ComputeNodeFillType = batchEnum(ComputeNodeFillTypeValues);
export type ComputeNodeFillType = Static<typeof ComputeNodeFillType>;

/** `upgradingos` is new in 2024-02-01.19.0. */
export const ComputeNodeStateValues = [
  "idle",
  "rebooting",
  "reimaging",
  "running",
  "unusable",
  "creating",
  "starting",
  "waitingforstarttask",
  "starttaskfailed",
  "unknown",
  "leavingpool",
  "offline",
  "preempted",
  "upgradingos",
] as const;
export const ComputeNodeState = batchEnum(ComputeNodeStateValues);
export type ComputeNodeState = Static<typeof ComputeNodeState>;

/** `criCompatible` is new in 2023-05-01.17.0; the spec marks the enum extensible. */
export const ContainerTypeValues = ["dockerCompatible", "criCompatible"] as const;
export const ContainerType = batchEnum(ContainerTypeValues);
export type ContainerType = Static<typeof ContainerType>;

/**
 * Which node directory a container task mounts (ContainerHostBatchBindMountEntry.source). From api-version
 * 2024-07-01.20.0; accepted ahead of it (docs/containers.md). Pascal-case on the wire.
 */
export const ContainerHostDataPathValues = ["Shared", "Startup", "VfsMounts", "Task", "JobPrep", "Applications"] as const;
export const ContainerHostDataPath = batchEnum(ContainerHostDataPathValues);
export type ContainerHostDataPath = Static<typeof ContainerHostDataPath>;

export const ContainerWorkingDirectoryValues = ["taskWorkingDirectory", "containerImageDefault"] as const;
export const ContainerWorkingDirectory = batchEnum(ContainerWorkingDirectoryValues);
export type ContainerWorkingDirectory = Static<typeof ContainerWorkingDirectory>;

export const DependencyActionValues = ["satisfy", "block"] as const;
export const DependencyAction = batchEnum(DependencyActionValues);
export type DependencyAction = Static<typeof DependencyAction>;

/** Pascal-case on the wire. */
export const DiffDiskPlacementValues = ["CacheDisk"] as const;
export const DiffDiskPlacement = batchEnum(DiffDiskPlacementValues);
export type DiffDiskPlacement = Static<typeof DiffDiskPlacement>;

export const DisableComputeNodeSchedulingOptionValues = ["requeue", "terminate", "taskcompletion"] as const;
export const DisableComputeNodeSchedulingOption = batchEnum(DisableComputeNodeSchedulingOptionValues);
export type DisableComputeNodeSchedulingOption = Static<typeof DisableComputeNodeSchedulingOption>;

export const DisableJobOptionValues = ["requeue", "terminate", "wait"] as const;
export const DisableJobOption = batchEnum(DisableJobOptionValues);
export type DisableJobOption = Static<typeof DisableJobOption>;

export const DiskEncryptionTargetValues = ["osdisk", "temporarydisk"] as const;
export const DiskEncryptionTarget = batchEnum(DiskEncryptionTargetValues);
export type DiskEncryptionTarget = Static<typeof DiskEncryptionTarget>;

export const DynamicVNetAssignmentScopeValues = ["none", "job"] as const;
export const DynamicVNetAssignmentScope = batchEnum(DynamicVNetAssignmentScopeValues);
export type DynamicVNetAssignmentScope = Static<typeof DynamicVNetAssignmentScope>;

export const ElevationLevelValues = ["nonadmin", "admin"] as const;
export const ElevationLevel = batchEnum(ElevationLevelValues);
export type ElevationLevel = Static<typeof ElevationLevel>;

export const ErrorCategoryValues = ["usererror", "servererror"] as const;
export const ErrorCategory = batchEnum(ErrorCategoryValues);
export type ErrorCategory = Static<typeof ErrorCategory>;

export const InboundEndpointProtocolValues = ["tcp", "udp"] as const;
export const InboundEndpointProtocol = batchEnum(InboundEndpointProtocolValues);
export type InboundEndpointProtocol = Static<typeof InboundEndpointProtocol>;

export const IPAddressProvisioningTypeValues = ["batchmanaged", "usermanaged", "nopublicipaddresses"] as const;
export const IPAddressProvisioningType = batchEnum(IPAddressProvisioningTypeValues);
export type IPAddressProvisioningType = Static<typeof IPAddressProvisioningType>;

export const JobActionValues = ["none", "disable", "terminate"] as const;
export const JobAction = batchEnum(JobActionValues);
export type JobAction = Static<typeof JobAction>;

/** Shared by JobPreparationTaskState, JobReleaseTaskState and StartTaskState. */
export const JobPreparationTaskStateValues = ["running", "completed"] as const;
export const JobPreparationTaskState = batchEnum(JobPreparationTaskStateValues);
export type JobPreparationTaskState = Static<typeof JobPreparationTaskState>;
export const JobReleaseTaskStateValues = JobPreparationTaskStateValues;
export const JobReleaseTaskState = batchEnum(JobReleaseTaskStateValues);
export type JobReleaseTaskState = Static<typeof JobReleaseTaskState>;
export const StartTaskStateValues = JobPreparationTaskStateValues;
export const StartTaskState = batchEnum(StartTaskStateValues);
export type StartTaskState = Static<typeof StartTaskState>;

export const JobScheduleStateValues = ["active", "completed", "disabled", "terminating", "deleting"] as const;
export const JobScheduleState = batchEnum(JobScheduleStateValues);
export type JobScheduleState = Static<typeof JobScheduleState>;

export const JobStateValues = [
  "active",
  "disabling",
  "disabled",
  "enabling",
  "terminating",
  "completed",
  "deleting",
] as const;
export const JobState = batchEnum(JobStateValues);
export type JobState = Static<typeof JobState>;

export const LoginModeValues = ["batch", "interactive"] as const;
export const LoginMode = batchEnum(LoginModeValues);
export type LoginMode = Static<typeof LoginMode>;

export const NetworkSecurityGroupRuleAccessValues = ["allow", "deny"] as const;
export const NetworkSecurityGroupRuleAccess = batchEnum(NetworkSecurityGroupRuleAccessValues);
export type NetworkSecurityGroupRuleAccess = Static<typeof NetworkSecurityGroupRuleAccess>;

export const NodeCommunicationModeValues = ["default", "classic", "simplified"] as const;
export const NodeCommunicationMode = batchEnum(NodeCommunicationModeValues);
export type NodeCommunicationMode = Static<typeof NodeCommunicationMode>;

export const NodePlacementPolicyTypeValues = ["regional", "zonal"] as const;
export const NodePlacementPolicyType = batchEnum(NodePlacementPolicyTypeValues);
export type NodePlacementPolicyType = Static<typeof NodePlacementPolicyType>;

export const OnAllTasksCompleteValues = ["noaction", "terminatejob"] as const;
export const OnAllTasksComplete = batchEnum(OnAllTasksCompleteValues);
export type OnAllTasksComplete = Static<typeof OnAllTasksComplete>;

export const OnTaskFailureValues = ["noaction", "performexitoptionsjobaction"] as const;
export const OnTaskFailure = batchEnum(OnTaskFailureValues);
export type OnTaskFailure = Static<typeof OnTaskFailure>;

export const OSTypeValues = ["linux", "windows"] as const;
export const OSType = batchEnum(OSTypeValues);
export type OSType = Static<typeof OSType>;

export const OutputFileUploadConditionValues = ["tasksuccess", "taskfailure", "taskcompletion"] as const;
export const OutputFileUploadCondition = batchEnum(OutputFileUploadConditionValues);
export type OutputFileUploadCondition = Static<typeof OutputFileUploadCondition>;

/** Pascal-case on the wire. */
export const PoolIdentityTypeValues = ["UserAssigned", "None"] as const;
export const PoolIdentityType = batchEnum(PoolIdentityTypeValues);
export type PoolIdentityType = Static<typeof PoolIdentityType>;

export const PoolLifetimeOptionValues = ["jobschedule", "job"] as const;
export const PoolLifetimeOption = batchEnum(PoolLifetimeOptionValues);
export type PoolLifetimeOption = Static<typeof PoolLifetimeOption>;

export const PoolStateValues = ["active", "deleting"] as const;
export const PoolState = batchEnum(PoolStateValues);
export type PoolState = Static<typeof PoolState>;

export const SchedulingStateValues = ["enabled", "disabled"] as const;
export const SchedulingState = batchEnum(SchedulingStateValues);
export type SchedulingState = Static<typeof SchedulingState>;

/** New in 2023-11-01.18.0. */
export const SecurityTypesValues = ["trustedLaunch"] as const;
export const SecurityTypes = batchEnum(SecurityTypesValues);
export type SecurityTypes = Static<typeof SecurityTypes>;

/** Pascal-case on the wire. */
export const StatusLevelTypesValues = ["Error", "Info", "Warning"] as const;
export const StatusLevelTypes = batchEnum(StatusLevelTypesValues);
export type StatusLevelTypes = Static<typeof StatusLevelTypes>;

/** `standardssd_lrs` is new in 2023-11-01.18.0. */
export const StorageAccountTypeValues = ["standard_lrs", "premium_lrs", "standardssd_lrs"] as const;
export const StorageAccountType = batchEnum(StorageAccountTypeValues);
export type StorageAccountType = Static<typeof StorageAccountType>;

export const SubtaskStateValues = ["preparing", "running", "completed"] as const;
export const SubtaskState = batchEnum(SubtaskStateValues);
export type SubtaskState = Static<typeof SubtaskState>;

export const TaskAddStatusValues = ["success", "clienterror", "servererror"] as const;
export const TaskAddStatus = batchEnum(TaskAddStatusValues);
export type TaskAddStatus = Static<typeof TaskAddStatus>;

export const TaskExecutionResultValues = ["success", "failure"] as const;
export const TaskExecutionResult = batchEnum(TaskExecutionResultValues);
export type TaskExecutionResult = Static<typeof TaskExecutionResult>;

export const TaskStateValues = ["active", "preparing", "running", "completed"] as const;
export const TaskState = batchEnum(TaskStateValues);
export type TaskState = Static<typeof TaskState>;

/** New in 2024-02-01.19.0. */
export const UpgradeModeValues = ["automatic", "manual", "rolling"] as const;
export const UpgradeMode = batchEnum(UpgradeModeValues);
export type UpgradeMode = Static<typeof UpgradeMode>;

export const VerificationTypeValues = ["verified", "unverified"] as const;
export const VerificationType = batchEnum(VerificationTypeValues);
export type VerificationType = Static<typeof VerificationType>;

/** Every enum schema by name. */
export const wireEnums = {
  AccessScope,
  AllocationState,
  AutoUserScope,
  CachingType,
  CertificateFormat,
  CertificateState,
  CertificateStoreLocation,
  CertificateVisibility,
  ComputeNodeDeallocationOption,
  ComputeNodeRebootOption,
  ComputeNodeReimageOption,
  ComputeNodeFillType,
  ComputeNodeState,
  ContainerHostDataPath,
  ContainerType,
  ContainerWorkingDirectory,
  DependencyAction,
  DiffDiskPlacement,
  DisableComputeNodeSchedulingOption,
  DisableJobOption,
  DiskEncryptionTarget,
  DynamicVNetAssignmentScope,
  ElevationLevel,
  ErrorCategory,
  InboundEndpointProtocol,
  IPAddressProvisioningType,
  JobAction,
  JobPreparationTaskState,
  JobReleaseTaskState,
  StartTaskState,
  JobScheduleState,
  JobState,
  LoginMode,
  NetworkSecurityGroupRuleAccess,
  NodeCommunicationMode,
  NodePlacementPolicyType,
  OnAllTasksComplete,
  OnTaskFailure,
  OSType,
  OutputFileUploadCondition,
  PoolIdentityType,
  PoolLifetimeOption,
  PoolState,
  SchedulingState,
  SecurityTypes,
  StatusLevelTypes,
  StorageAccountType,
  SubtaskState,
  TaskAddStatus,
  TaskExecutionResult,
  TaskState,
  UpgradeMode,
  VerificationType,
} as const;
