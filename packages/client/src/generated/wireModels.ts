// GENERATED from @openbatch/protocol by packages/client/scripts/generateWire.mjs — do not edit.
// Every wire model of the Batch data-plane API as a plain interface, and every enum.

// ---- Enums ----

/** The values of AccessScope in this API version. */
export const AccessScopeValues = ["job"] as const;
/** A value of AccessScope that this API version defines. */
export type KnownAccessScope = (typeof AccessScopeValues)[number];
/** AccessScope, open to values a newer service may send (any other string type-checks). */
export type AccessScope = KnownAccessScope | (string & {});

/** The values of AllocationState in this API version. */
export const AllocationStateValues = ["steady", "resizing", "stopping"] as const;
/** A value of AllocationState that this API version defines. */
export type KnownAllocationState = (typeof AllocationStateValues)[number];
/** AllocationState, open to values a newer service may send (any other string type-checks). */
export type AllocationState = KnownAllocationState | (string & {});

/** The values of AutoUserScope in this API version. */
export const AutoUserScopeValues = ["task", "pool"] as const;
/** A value of AutoUserScope that this API version defines. */
export type KnownAutoUserScope = (typeof AutoUserScopeValues)[number];
/** AutoUserScope, open to values a newer service may send (any other string type-checks). */
export type AutoUserScope = KnownAutoUserScope | (string & {});

/** The values of CachingType in this API version. */
export const CachingTypeValues = ["none", "readonly", "readwrite"] as const;
/** A value of CachingType that this API version defines. */
export type KnownCachingType = (typeof CachingTypeValues)[number];
/** CachingType, open to values a newer service may send (any other string type-checks). */
export type CachingType = KnownCachingType | (string & {});

/** The values of CertificateFormat in this API version. */
export const CertificateFormatValues = ["pfx", "cer"] as const;
/** A value of CertificateFormat that this API version defines. */
export type KnownCertificateFormat = (typeof CertificateFormatValues)[number];
/** CertificateFormat, open to values a newer service may send (any other string type-checks). */
export type CertificateFormat = KnownCertificateFormat | (string & {});

/** The values of CertificateState in this API version. */
export const CertificateStateValues = ["active", "deleting", "deletefailed"] as const;
/** A value of CertificateState that this API version defines. */
export type KnownCertificateState = (typeof CertificateStateValues)[number];
/** CertificateState, open to values a newer service may send (any other string type-checks). */
export type CertificateState = KnownCertificateState | (string & {});

/** The values of CertificateStoreLocation in this API version. */
export const CertificateStoreLocationValues = ["currentuser", "localmachine"] as const;
/** A value of CertificateStoreLocation that this API version defines. */
export type KnownCertificateStoreLocation = (typeof CertificateStoreLocationValues)[number];
/** CertificateStoreLocation, open to values a newer service may send (any other string type-checks). */
export type CertificateStoreLocation = KnownCertificateStoreLocation | (string & {});

/** The values of CertificateVisibility in this API version. */
export const CertificateVisibilityValues = ["starttask", "task", "remoteuser"] as const;
/** A value of CertificateVisibility that this API version defines. */
export type KnownCertificateVisibility = (typeof CertificateVisibilityValues)[number];
/** CertificateVisibility, open to values a newer service may send (any other string type-checks). */
export type CertificateVisibility = KnownCertificateVisibility | (string & {});

/** The values of ComputeNodeDeallocationOption in this API version. */
export const ComputeNodeDeallocationOptionValues = ["requeue", "terminate", "taskcompletion", "retaineddata"] as const;
/** A value of ComputeNodeDeallocationOption that this API version defines. */
export type KnownComputeNodeDeallocationOption = (typeof ComputeNodeDeallocationOptionValues)[number];
/** ComputeNodeDeallocationOption, open to values a newer service may send (any other string type-checks). */
export type ComputeNodeDeallocationOption = KnownComputeNodeDeallocationOption | (string & {});

/** The values of ComputeNodeFillType in this API version. */
export const ComputeNodeFillTypeValues = ["spread", "pack"] as const;
/** A value of ComputeNodeFillType that this API version defines. */
export type KnownComputeNodeFillType = (typeof ComputeNodeFillTypeValues)[number];
/** ComputeNodeFillType, open to values a newer service may send (any other string type-checks). */
export type ComputeNodeFillType = KnownComputeNodeFillType | (string & {});

/** The values of ComputeNodeRebootOption in this API version. */
export const ComputeNodeRebootOptionValues = ["requeue", "terminate", "taskcompletion", "retaineddata"] as const;
/** A value of ComputeNodeRebootOption that this API version defines. */
export type KnownComputeNodeRebootOption = (typeof ComputeNodeRebootOptionValues)[number];
/** ComputeNodeRebootOption, open to values a newer service may send (any other string type-checks). */
export type ComputeNodeRebootOption = KnownComputeNodeRebootOption | (string & {});

/** The values of ComputeNodeReimageOption in this API version. */
export const ComputeNodeReimageOptionValues = ["requeue", "terminate", "taskcompletion", "retaineddata"] as const;
/** A value of ComputeNodeReimageOption that this API version defines. */
export type KnownComputeNodeReimageOption = (typeof ComputeNodeReimageOptionValues)[number];
/** ComputeNodeReimageOption, open to values a newer service may send (any other string type-checks). */
export type ComputeNodeReimageOption = KnownComputeNodeReimageOption | (string & {});

/** The values of ComputeNodeState in this API version. */
export const ComputeNodeStateValues = ["idle", "rebooting", "reimaging", "running", "unusable", "creating", "starting", "waitingforstarttask", "starttaskfailed", "unknown", "leavingpool", "offline", "preempted", "upgradingos"] as const;
/** A value of ComputeNodeState that this API version defines. */
export type KnownComputeNodeState = (typeof ComputeNodeStateValues)[number];
/** ComputeNodeState, open to values a newer service may send (any other string type-checks). */
export type ComputeNodeState = KnownComputeNodeState | (string & {});

/** The values of ContainerHostDataPath in this API version. */
export const ContainerHostDataPathValues = ["Shared", "Startup", "VfsMounts", "Task", "JobPrep", "Applications"] as const;
/** A value of ContainerHostDataPath that this API version defines. */
export type KnownContainerHostDataPath = (typeof ContainerHostDataPathValues)[number];
/** ContainerHostDataPath, open to values a newer service may send (any other string type-checks). */
export type ContainerHostDataPath = KnownContainerHostDataPath | (string & {});

/** The values of ContainerType in this API version. */
export const ContainerTypeValues = ["dockerCompatible", "criCompatible"] as const;
/** A value of ContainerType that this API version defines. */
export type KnownContainerType = (typeof ContainerTypeValues)[number];
/** ContainerType, open to values a newer service may send (any other string type-checks). */
export type ContainerType = KnownContainerType | (string & {});

/** The values of ContainerWorkingDirectory in this API version. */
export const ContainerWorkingDirectoryValues = ["taskWorkingDirectory", "containerImageDefault"] as const;
/** A value of ContainerWorkingDirectory that this API version defines. */
export type KnownContainerWorkingDirectory = (typeof ContainerWorkingDirectoryValues)[number];
/** ContainerWorkingDirectory, open to values a newer service may send (any other string type-checks). */
export type ContainerWorkingDirectory = KnownContainerWorkingDirectory | (string & {});

/** The values of DependencyAction in this API version. */
export const DependencyActionValues = ["satisfy", "block"] as const;
/** A value of DependencyAction that this API version defines. */
export type KnownDependencyAction = (typeof DependencyActionValues)[number];
/** DependencyAction, open to values a newer service may send (any other string type-checks). */
export type DependencyAction = KnownDependencyAction | (string & {});

/** The values of DiffDiskPlacement in this API version. */
export const DiffDiskPlacementValues = ["CacheDisk"] as const;
/** A value of DiffDiskPlacement that this API version defines. */
export type KnownDiffDiskPlacement = (typeof DiffDiskPlacementValues)[number];
/** DiffDiskPlacement, open to values a newer service may send (any other string type-checks). */
export type DiffDiskPlacement = KnownDiffDiskPlacement | (string & {});

/** The values of DisableComputeNodeSchedulingOption in this API version. */
export const DisableComputeNodeSchedulingOptionValues = ["requeue", "terminate", "taskcompletion"] as const;
/** A value of DisableComputeNodeSchedulingOption that this API version defines. */
export type KnownDisableComputeNodeSchedulingOption = (typeof DisableComputeNodeSchedulingOptionValues)[number];
/** DisableComputeNodeSchedulingOption, open to values a newer service may send (any other string type-checks). */
export type DisableComputeNodeSchedulingOption = KnownDisableComputeNodeSchedulingOption | (string & {});

/** The values of DisableJobOption in this API version. */
export const DisableJobOptionValues = ["requeue", "terminate", "wait"] as const;
/** A value of DisableJobOption that this API version defines. */
export type KnownDisableJobOption = (typeof DisableJobOptionValues)[number];
/** DisableJobOption, open to values a newer service may send (any other string type-checks). */
export type DisableJobOption = KnownDisableJobOption | (string & {});

/** The values of DiskEncryptionTarget in this API version. */
export const DiskEncryptionTargetValues = ["osdisk", "temporarydisk"] as const;
/** A value of DiskEncryptionTarget that this API version defines. */
export type KnownDiskEncryptionTarget = (typeof DiskEncryptionTargetValues)[number];
/** DiskEncryptionTarget, open to values a newer service may send (any other string type-checks). */
export type DiskEncryptionTarget = KnownDiskEncryptionTarget | (string & {});

/** The values of DynamicVNetAssignmentScope in this API version. */
export const DynamicVNetAssignmentScopeValues = ["none", "job"] as const;
/** A value of DynamicVNetAssignmentScope that this API version defines. */
export type KnownDynamicVNetAssignmentScope = (typeof DynamicVNetAssignmentScopeValues)[number];
/** DynamicVNetAssignmentScope, open to values a newer service may send (any other string type-checks). */
export type DynamicVNetAssignmentScope = KnownDynamicVNetAssignmentScope | (string & {});

/** The values of ElevationLevel in this API version. */
export const ElevationLevelValues = ["nonadmin", "admin"] as const;
/** A value of ElevationLevel that this API version defines. */
export type KnownElevationLevel = (typeof ElevationLevelValues)[number];
/** ElevationLevel, open to values a newer service may send (any other string type-checks). */
export type ElevationLevel = KnownElevationLevel | (string & {});

/** The values of ErrorCategory in this API version. */
export const ErrorCategoryValues = ["usererror", "servererror"] as const;
/** A value of ErrorCategory that this API version defines. */
export type KnownErrorCategory = (typeof ErrorCategoryValues)[number];
/** ErrorCategory, open to values a newer service may send (any other string type-checks). */
export type ErrorCategory = KnownErrorCategory | (string & {});

/** The values of IPAddressProvisioningType in this API version. */
export const IPAddressProvisioningTypeValues = ["batchmanaged", "usermanaged", "nopublicipaddresses"] as const;
/** A value of IPAddressProvisioningType that this API version defines. */
export type KnownIPAddressProvisioningType = (typeof IPAddressProvisioningTypeValues)[number];
/** IPAddressProvisioningType, open to values a newer service may send (any other string type-checks). */
export type IPAddressProvisioningType = KnownIPAddressProvisioningType | (string & {});

/** The values of InboundEndpointProtocol in this API version. */
export const InboundEndpointProtocolValues = ["tcp", "udp"] as const;
/** A value of InboundEndpointProtocol that this API version defines. */
export type KnownInboundEndpointProtocol = (typeof InboundEndpointProtocolValues)[number];
/** InboundEndpointProtocol, open to values a newer service may send (any other string type-checks). */
export type InboundEndpointProtocol = KnownInboundEndpointProtocol | (string & {});

/** The values of JobAction in this API version. */
export const JobActionValues = ["none", "disable", "terminate"] as const;
/** A value of JobAction that this API version defines. */
export type KnownJobAction = (typeof JobActionValues)[number];
/** JobAction, open to values a newer service may send (any other string type-checks). */
export type JobAction = KnownJobAction | (string & {});

/** The values of JobPreparationTaskState in this API version. */
export const JobPreparationTaskStateValues = ["running", "completed"] as const;
/** A value of JobPreparationTaskState that this API version defines. */
export type KnownJobPreparationTaskState = (typeof JobPreparationTaskStateValues)[number];
/** JobPreparationTaskState, open to values a newer service may send (any other string type-checks). */
export type JobPreparationTaskState = KnownJobPreparationTaskState | (string & {});

/** The values of JobReleaseTaskState in this API version. */
export const JobReleaseTaskStateValues = ["running", "completed"] as const;
/** A value of JobReleaseTaskState that this API version defines. */
export type KnownJobReleaseTaskState = (typeof JobReleaseTaskStateValues)[number];
/** JobReleaseTaskState, open to values a newer service may send (any other string type-checks). */
export type JobReleaseTaskState = KnownJobReleaseTaskState | (string & {});

/** The values of JobScheduleState in this API version. */
export const JobScheduleStateValues = ["active", "completed", "disabled", "terminating", "deleting"] as const;
/** A value of JobScheduleState that this API version defines. */
export type KnownJobScheduleState = (typeof JobScheduleStateValues)[number];
/** JobScheduleState, open to values a newer service may send (any other string type-checks). */
export type JobScheduleState = KnownJobScheduleState | (string & {});

/** The values of JobState in this API version. */
export const JobStateValues = ["active", "disabling", "disabled", "enabling", "terminating", "completed", "deleting"] as const;
/** A value of JobState that this API version defines. */
export type KnownJobState = (typeof JobStateValues)[number];
/** JobState, open to values a newer service may send (any other string type-checks). */
export type JobState = KnownJobState | (string & {});

/** The values of LoginMode in this API version. */
export const LoginModeValues = ["batch", "interactive"] as const;
/** A value of LoginMode that this API version defines. */
export type KnownLoginMode = (typeof LoginModeValues)[number];
/** LoginMode, open to values a newer service may send (any other string type-checks). */
export type LoginMode = KnownLoginMode | (string & {});

/** The values of NetworkSecurityGroupRuleAccess in this API version. */
export const NetworkSecurityGroupRuleAccessValues = ["allow", "deny"] as const;
/** A value of NetworkSecurityGroupRuleAccess that this API version defines. */
export type KnownNetworkSecurityGroupRuleAccess = (typeof NetworkSecurityGroupRuleAccessValues)[number];
/** NetworkSecurityGroupRuleAccess, open to values a newer service may send (any other string type-checks). */
export type NetworkSecurityGroupRuleAccess = KnownNetworkSecurityGroupRuleAccess | (string & {});

/** The values of NodeCommunicationMode in this API version. */
export const NodeCommunicationModeValues = ["default", "classic", "simplified"] as const;
/** A value of NodeCommunicationMode that this API version defines. */
export type KnownNodeCommunicationMode = (typeof NodeCommunicationModeValues)[number];
/** NodeCommunicationMode, open to values a newer service may send (any other string type-checks). */
export type NodeCommunicationMode = KnownNodeCommunicationMode | (string & {});

/** The values of NodePlacementPolicyType in this API version. */
export const NodePlacementPolicyTypeValues = ["regional", "zonal"] as const;
/** A value of NodePlacementPolicyType that this API version defines. */
export type KnownNodePlacementPolicyType = (typeof NodePlacementPolicyTypeValues)[number];
/** NodePlacementPolicyType, open to values a newer service may send (any other string type-checks). */
export type NodePlacementPolicyType = KnownNodePlacementPolicyType | (string & {});

/** The values of OSType in this API version. */
export const OSTypeValues = ["linux", "windows"] as const;
/** A value of OSType that this API version defines. */
export type KnownOSType = (typeof OSTypeValues)[number];
/** OSType, open to values a newer service may send (any other string type-checks). */
export type OSType = KnownOSType | (string & {});

/** The values of OnAllTasksComplete in this API version. */
export const OnAllTasksCompleteValues = ["noaction", "terminatejob"] as const;
/** A value of OnAllTasksComplete that this API version defines. */
export type KnownOnAllTasksComplete = (typeof OnAllTasksCompleteValues)[number];
/** OnAllTasksComplete, open to values a newer service may send (any other string type-checks). */
export type OnAllTasksComplete = KnownOnAllTasksComplete | (string & {});

/** The values of OnTaskFailure in this API version. */
export const OnTaskFailureValues = ["noaction", "performexitoptionsjobaction"] as const;
/** A value of OnTaskFailure that this API version defines. */
export type KnownOnTaskFailure = (typeof OnTaskFailureValues)[number];
/** OnTaskFailure, open to values a newer service may send (any other string type-checks). */
export type OnTaskFailure = KnownOnTaskFailure | (string & {});

/** The values of OutputFileUploadCondition in this API version. */
export const OutputFileUploadConditionValues = ["tasksuccess", "taskfailure", "taskcompletion"] as const;
/** A value of OutputFileUploadCondition that this API version defines. */
export type KnownOutputFileUploadCondition = (typeof OutputFileUploadConditionValues)[number];
/** OutputFileUploadCondition, open to values a newer service may send (any other string type-checks). */
export type OutputFileUploadCondition = KnownOutputFileUploadCondition | (string & {});

/** The values of PoolIdentityType in this API version. */
export const PoolIdentityTypeValues = ["UserAssigned", "None"] as const;
/** A value of PoolIdentityType that this API version defines. */
export type KnownPoolIdentityType = (typeof PoolIdentityTypeValues)[number];
/** PoolIdentityType, open to values a newer service may send (any other string type-checks). */
export type PoolIdentityType = KnownPoolIdentityType | (string & {});

/** The values of PoolLifetimeOption in this API version. */
export const PoolLifetimeOptionValues = ["jobschedule", "job"] as const;
/** A value of PoolLifetimeOption that this API version defines. */
export type KnownPoolLifetimeOption = (typeof PoolLifetimeOptionValues)[number];
/** PoolLifetimeOption, open to values a newer service may send (any other string type-checks). */
export type PoolLifetimeOption = KnownPoolLifetimeOption | (string & {});

/** The values of PoolState in this API version. */
export const PoolStateValues = ["active", "deleting"] as const;
/** A value of PoolState that this API version defines. */
export type KnownPoolState = (typeof PoolStateValues)[number];
/** PoolState, open to values a newer service may send (any other string type-checks). */
export type PoolState = KnownPoolState | (string & {});

/** The values of SchedulingState in this API version. */
export const SchedulingStateValues = ["enabled", "disabled"] as const;
/** A value of SchedulingState that this API version defines. */
export type KnownSchedulingState = (typeof SchedulingStateValues)[number];
/** SchedulingState, open to values a newer service may send (any other string type-checks). */
export type SchedulingState = KnownSchedulingState | (string & {});

/** The values of SecurityTypes in this API version. */
export const SecurityTypesValues = ["trustedLaunch"] as const;
/** A value of SecurityTypes that this API version defines. */
export type KnownSecurityTypes = (typeof SecurityTypesValues)[number];
/** SecurityTypes, open to values a newer service may send (any other string type-checks). */
export type SecurityTypes = KnownSecurityTypes | (string & {});

/** The values of StartTaskState in this API version. */
export const StartTaskStateValues = ["running", "completed"] as const;
/** A value of StartTaskState that this API version defines. */
export type KnownStartTaskState = (typeof StartTaskStateValues)[number];
/** StartTaskState, open to values a newer service may send (any other string type-checks). */
export type StartTaskState = KnownStartTaskState | (string & {});

/** The values of StatusLevelTypes in this API version. */
export const StatusLevelTypesValues = ["Error", "Info", "Warning"] as const;
/** A value of StatusLevelTypes that this API version defines. */
export type KnownStatusLevelTypes = (typeof StatusLevelTypesValues)[number];
/** StatusLevelTypes, open to values a newer service may send (any other string type-checks). */
export type StatusLevelTypes = KnownStatusLevelTypes | (string & {});

/** The values of StorageAccountType in this API version. */
export const StorageAccountTypeValues = ["standard_lrs", "premium_lrs", "standardssd_lrs"] as const;
/** A value of StorageAccountType that this API version defines. */
export type KnownStorageAccountType = (typeof StorageAccountTypeValues)[number];
/** StorageAccountType, open to values a newer service may send (any other string type-checks). */
export type StorageAccountType = KnownStorageAccountType | (string & {});

/** The values of SubtaskState in this API version. */
export const SubtaskStateValues = ["preparing", "running", "completed"] as const;
/** A value of SubtaskState that this API version defines. */
export type KnownSubtaskState = (typeof SubtaskStateValues)[number];
/** SubtaskState, open to values a newer service may send (any other string type-checks). */
export type SubtaskState = KnownSubtaskState | (string & {});

/** The values of TaskAddStatus in this API version. */
export const TaskAddStatusValues = ["success", "clienterror", "servererror"] as const;
/** A value of TaskAddStatus that this API version defines. */
export type KnownTaskAddStatus = (typeof TaskAddStatusValues)[number];
/** TaskAddStatus, open to values a newer service may send (any other string type-checks). */
export type TaskAddStatus = KnownTaskAddStatus | (string & {});

/** The values of TaskExecutionResult in this API version. */
export const TaskExecutionResultValues = ["success", "failure"] as const;
/** A value of TaskExecutionResult that this API version defines. */
export type KnownTaskExecutionResult = (typeof TaskExecutionResultValues)[number];
/** TaskExecutionResult, open to values a newer service may send (any other string type-checks). */
export type TaskExecutionResult = KnownTaskExecutionResult | (string & {});

/** The values of TaskState in this API version. */
export const TaskStateValues = ["active", "preparing", "running", "completed"] as const;
/** A value of TaskState that this API version defines. */
export type KnownTaskState = (typeof TaskStateValues)[number];
/** TaskState, open to values a newer service may send (any other string type-checks). */
export type TaskState = KnownTaskState | (string & {});

/** The values of UpgradeMode in this API version. */
export const UpgradeModeValues = ["automatic", "manual", "rolling"] as const;
/** A value of UpgradeMode that this API version defines. */
export type KnownUpgradeMode = (typeof UpgradeModeValues)[number];
/** UpgradeMode, open to values a newer service may send (any other string type-checks). */
export type UpgradeMode = KnownUpgradeMode | (string & {});

/** The values of VerificationType in this API version. */
export const VerificationTypeValues = ["verified", "unverified"] as const;
/** A value of VerificationType that this API version defines. */
export type KnownVerificationType = (typeof VerificationTypeValues)[number];
/** VerificationType, open to values a newer service may send (any other string type-checks). */
export type VerificationType = KnownVerificationType | (string & {});

// ---- Models ----

/** Every wire model by its name, as the operation table names request and response bodies. */
export interface WireModelsByName {
  AffinityInformation: AffinityInformation;
  ApplicationPackageReference: ApplicationPackageReference;
  ApplicationSummary: ApplicationSummary;
  AuthenticationTokenSettings: AuthenticationTokenSettings;
  AutoPoolSpecification: AutoPoolSpecification;
  AutoScaleRun: AutoScaleRun;
  AutoScaleRunError: AutoScaleRunError;
  AutoUserSpecification: AutoUserSpecification;
  AutomaticOSUpgradePolicy: AutomaticOSUpgradePolicy;
  AzureBlobFileSystemConfiguration: AzureBlobFileSystemConfiguration;
  AzureFileShareConfiguration: AzureFileShareConfiguration;
  BatchError: BatchError;
  BatchErrorDetail: BatchErrorDetail;
  BatchPoolIdentity: BatchPoolIdentity;
  CIFSMountConfiguration: CIFSMountConfiguration;
  Certificate: Certificate;
  CertificateAddParameter: CertificateAddParameter;
  CertificateReference: CertificateReference;
  CloudJob: CloudJob;
  CloudJobSchedule: CloudJobSchedule;
  CloudPool: CloudPool;
  CloudServiceConfiguration: CloudServiceConfiguration;
  CloudTask: CloudTask;
  CloudTaskListSubtasksResult: CloudTaskListSubtasksResult;
  ComputeNode: ComputeNode;
  ComputeNodeEndpointConfiguration: ComputeNodeEndpointConfiguration;
  ComputeNodeError: ComputeNodeError;
  ComputeNodeGetRemoteLoginSettingsResult: ComputeNodeGetRemoteLoginSettingsResult;
  ComputeNodeIdentityReference: ComputeNodeIdentityReference;
  ComputeNodeInformation: ComputeNodeInformation;
  ComputeNodeUser: ComputeNodeUser;
  ContainerConfiguration: ContainerConfiguration;
  ContainerHostBatchBindMountEntry: ContainerHostBatchBindMountEntry;
  ContainerRegistry: ContainerRegistry;
  DataDisk: DataDisk;
  DeleteCertificateError: DeleteCertificateError;
  DiffDiskSettings: DiffDiskSettings;
  DiskEncryptionConfiguration: DiskEncryptionConfiguration;
  EnvironmentSetting: EnvironmentSetting;
  ErrorMessage: ErrorMessage;
  ExitCodeMapping: ExitCodeMapping;
  ExitCodeRangeMapping: ExitCodeRangeMapping;
  ExitConditions: ExitConditions;
  ExitOptions: ExitOptions;
  FileProperties: FileProperties;
  HttpHeader: HttpHeader;
  ImageInformation: ImageInformation;
  ImageReference: ImageReference;
  InboundEndpoint: InboundEndpoint;
  InboundNATPool: InboundNATPool;
  InstanceViewStatus: InstanceViewStatus;
  JobAddParameter: JobAddParameter;
  JobConstraints: JobConstraints;
  JobDisableParameter: JobDisableParameter;
  JobExecutionInformation: JobExecutionInformation;
  JobManagerTask: JobManagerTask;
  JobNetworkConfiguration: JobNetworkConfiguration;
  JobPatchParameter: JobPatchParameter;
  JobPreparationAndReleaseTaskExecutionInformation: JobPreparationAndReleaseTaskExecutionInformation;
  JobPreparationTask: JobPreparationTask;
  JobPreparationTaskExecutionInformation: JobPreparationTaskExecutionInformation;
  JobReleaseTask: JobReleaseTask;
  JobReleaseTaskExecutionInformation: JobReleaseTaskExecutionInformation;
  JobScheduleAddParameter: JobScheduleAddParameter;
  JobScheduleExecutionInformation: JobScheduleExecutionInformation;
  JobSchedulePatchParameter: JobSchedulePatchParameter;
  JobScheduleStatistics: JobScheduleStatistics;
  JobScheduleUpdateParameter: JobScheduleUpdateParameter;
  JobSchedulingError: JobSchedulingError;
  JobSpecification: JobSpecification;
  JobStatistics: JobStatistics;
  JobTerminateParameter: JobTerminateParameter;
  JobUpdateParameter: JobUpdateParameter;
  LinuxUserConfiguration: LinuxUserConfiguration;
  ManagedDisk: ManagedDisk;
  MetadataItem: MetadataItem;
  MountConfiguration: MountConfiguration;
  MultiInstanceSettings: MultiInstanceSettings;
  NFSMountConfiguration: NFSMountConfiguration;
  NameValuePair: NameValuePair;
  NetworkConfiguration: NetworkConfiguration;
  NetworkSecurityGroupRule: NetworkSecurityGroupRule;
  NodeAgentInformation: NodeAgentInformation;
  NodeCounts: NodeCounts;
  NodeDisableSchedulingParameter: NodeDisableSchedulingParameter;
  NodeFile: NodeFile;
  NodePlacementConfiguration: NodePlacementConfiguration;
  NodeRebootParameter: NodeRebootParameter;
  NodeReimageParameter: NodeReimageParameter;
  NodeRemoveParameter: NodeRemoveParameter;
  NodeUpdateUserParameter: NodeUpdateUserParameter;
  NodeVMExtension: NodeVMExtension;
  OSDisk: OSDisk;
  OutputFile: OutputFile;
  OutputFileBlobContainerDestination: OutputFileBlobContainerDestination;
  OutputFileDestination: OutputFileDestination;
  OutputFileUploadOptions: OutputFileUploadOptions;
  PoolAddParameter: PoolAddParameter;
  PoolEnableAutoScaleParameter: PoolEnableAutoScaleParameter;
  PoolEndpointConfiguration: PoolEndpointConfiguration;
  PoolEvaluateAutoScaleParameter: PoolEvaluateAutoScaleParameter;
  PoolInformation: PoolInformation;
  PoolNodeCounts: PoolNodeCounts;
  PoolPatchParameter: PoolPatchParameter;
  PoolResizeParameter: PoolResizeParameter;
  PoolSpecification: PoolSpecification;
  PoolStatistics: PoolStatistics;
  PoolUpdatePropertiesParameter: PoolUpdatePropertiesParameter;
  PoolUsageMetrics: PoolUsageMetrics;
  PublicIPAddressConfiguration: PublicIPAddressConfiguration;
  RecentJob: RecentJob;
  ResizeError: ResizeError;
  ResourceFile: ResourceFile;
  ResourceStatistics: ResourceStatistics;
  RollingUpgradePolicy: RollingUpgradePolicy;
  Schedule: Schedule;
  SecurityProfile: SecurityProfile;
  ServiceArtifactReference: ServiceArtifactReference;
  StartTask: StartTask;
  StartTaskInformation: StartTaskInformation;
  SubtaskInformation: SubtaskInformation;
  TaskAddCollectionParameter: TaskAddCollectionParameter;
  TaskAddCollectionResult: TaskAddCollectionResult;
  TaskAddParameter: TaskAddParameter;
  TaskAddResult: TaskAddResult;
  TaskConstraints: TaskConstraints;
  TaskContainerExecutionInformation: TaskContainerExecutionInformation;
  TaskContainerSettings: TaskContainerSettings;
  TaskCounts: TaskCounts;
  TaskCountsResult: TaskCountsResult;
  TaskDependencies: TaskDependencies;
  TaskExecutionInformation: TaskExecutionInformation;
  TaskFailureInformation: TaskFailureInformation;
  TaskIdRange: TaskIdRange;
  TaskInformation: TaskInformation;
  TaskSchedulingPolicy: TaskSchedulingPolicy;
  TaskSlotCounts: TaskSlotCounts;
  TaskStatistics: TaskStatistics;
  TaskUpdateParameter: TaskUpdateParameter;
  UefiSettings: UefiSettings;
  UpgradePolicy: UpgradePolicy;
  UploadBatchServiceLogsConfiguration: UploadBatchServiceLogsConfiguration;
  UploadBatchServiceLogsResult: UploadBatchServiceLogsResult;
  UsageStatistics: UsageStatistics;
  UserAccount: UserAccount;
  UserAssignedIdentity: UserAssignedIdentity;
  UserIdentity: UserIdentity;
  VMExtension: VMExtension;
  VMExtensionInstanceView: VMExtensionInstanceView;
  VirtualMachineConfiguration: VirtualMachineConfiguration;
  VirtualMachineInfo: VirtualMachineInfo;
  WindowsConfiguration: WindowsConfiguration;
  WindowsUserConfiguration: WindowsUserConfiguration;
}

export interface AffinityInformation {
  affinityId: string;
}

export interface ApplicationPackageReference {
  applicationId: string;
  version?: string;
}

export interface ApplicationSummary {
  id?: string;
  displayName?: string;
  versions?: string[];
}

export interface AuthenticationTokenSettings {
  access?: AccessScope[];
}

export interface AutoPoolSpecification {
  autoPoolIdPrefix?: string;
  poolLifetimeOption: PoolLifetimeOption;
  keepAlive?: boolean;
  pool?: PoolSpecification;
}

export interface AutoScaleRun {
  timestamp?: string;
  /** `$Var=value;…` assignments of the final evaluation. */
  results?: string;
  error?: AutoScaleRunError;
}

export interface AutoScaleRunError {
  code?: string;
  message?: string;
  values?: NameValuePair[];
}

export interface AutoUserSpecification {
  scope?: AutoUserScope;
  elevationLevel?: ElevationLevel;
}

export interface AutomaticOSUpgradePolicy {
  disableAutomaticRollback?: boolean;
  enableAutomaticOSUpgrade?: boolean;
  useRollingUpgradePolicy?: boolean;
  /** Defer OS upgrades while tasks run. */
  osRollingUpgradeDeferral?: boolean;
}

export interface AzureBlobFileSystemConfiguration {
  accountName: string;
  containerName: string;
  accountKey?: string;
  sasKey?: string;
  blobfuseOptions?: string;
  relativeMountPath: string;
  identityReference?: ComputeNodeIdentityReference;
}

export interface AzureFileShareConfiguration {
  accountName: string;
  azureFileUrl: string;
  accountKey: string;
  relativeMountPath: string;
  mountOptions?: string;
}

export interface BatchError {
  code?: string;
  message?: ErrorMessage;
  values?: BatchErrorDetail[];
}

export interface BatchErrorDetail {
  key?: string;
  value?: string;
}

export interface BatchPoolIdentity {
  type?: PoolIdentityType;
  userAssignedIdentities?: UserAssignedIdentity[];
}

export interface CIFSMountConfiguration {
  username: string;
  source: string;
  relativeMountPath: string;
  mountOptions?: string;
  password: string;
}

export interface Certificate {
  thumbprint?: string;
  thumbprintAlgorithm?: string;
  url?: string;
  state?: CertificateState;
  stateTransitionTime?: string;
  previousState?: CertificateState;
  previousStateTransitionTime?: string;
  /** Base64 public part of the certificate. */
  publicData?: string;
  deleteCertificateError?: DeleteCertificateError;
}

export interface CertificateAddParameter {
  thumbprint: string;
  /** Conventionally `sha1`. */
  thumbprintAlgorithm: string;
  /** Base64 certificate content (pfx or cer). */
  data: string;
  certificateFormat?: CertificateFormat;
  /** Required for pfx, forbidden for cer. */
  password?: string;
}

export interface CertificateReference {
  thumbprint: string;
  /** Conventionally `sha1`. */
  thumbprintAlgorithm: string;
  storeLocation?: CertificateStoreLocation;
  /** Windows certificate store; default `My`. */
  storeName?: string;
  visibility?: CertificateVisibility[];
}

export interface CloudJob {
  id?: string;
  displayName?: string;
  /** -1000…1000; default 0. */
  priority?: number;
  /** -1 = unlimited (default), else > 0. */
  maxParallelTasks?: number;
  allowTaskPreemption?: boolean;
  constraints?: JobConstraints;
  jobManagerTask?: JobManagerTask;
  jobPreparationTask?: JobPreparationTask;
  jobReleaseTask?: JobReleaseTask;
  commonEnvironmentSettings?: EnvironmentSetting[];
  poolInfo?: PoolInformation;
  onAllTasksComplete?: OnAllTasksComplete;
  onTaskFailure?: OnTaskFailure;
  metadata?: MetadataItem[];
  usesTaskDependencies?: boolean;
  networkConfiguration?: JobNetworkConfiguration;
  url?: string;
  eTag?: string;
  lastModified?: string;
  creationTime?: string;
  state?: JobState;
  stateTransitionTime?: string;
  previousState?: JobState;
  previousStateTransitionTime?: string;
  executionInfo?: JobExecutionInformation;
  stats?: JobStatistics;
}

export interface CloudJobSchedule {
  id?: string;
  displayName?: string;
  schedule?: Schedule;
  jobSpecification?: JobSpecification;
  metadata?: MetadataItem[];
  url?: string;
  eTag?: string;
  lastModified?: string;
  creationTime?: string;
  state?: JobScheduleState;
  stateTransitionTime?: string;
  previousState?: JobScheduleState;
  previousStateTransitionTime?: string;
  executionInfo?: JobScheduleExecutionInformation;
  stats?: JobScheduleStatistics;
}

export interface CloudPool {
  id?: string;
  displayName?: string;
  vmSize?: string;
  cloudServiceConfiguration?: CloudServiceConfiguration;
  virtualMachineConfiguration?: VirtualMachineConfiguration;
  /** Default PT15M, minimum PT5M. */
  resizeTimeout?: string;
  targetDedicatedNodes?: number;
  targetLowPriorityNodes?: number;
  enableAutoScale?: boolean;
  autoScaleFormula?: string;
  /** Default PT15M (PT5M–PT168H). */
  autoScaleEvaluationInterval?: string;
  enableInterNodeCommunication?: boolean;
  networkConfiguration?: NetworkConfiguration;
  startTask?: StartTask;
  certificateReferences?: CertificateReference[];
  applicationPackageReferences?: ApplicationPackageReference[];
  applicationLicenses?: string[];
  /** Default 1. */
  taskSlotsPerNode?: number;
  taskSchedulingPolicy?: TaskSchedulingPolicy;
  userAccounts?: UserAccount[];
  metadata?: MetadataItem[];
  mountConfiguration?: MountConfiguration[];
  targetNodeCommunicationMode?: NodeCommunicationMode;
  upgradePolicy?: UpgradePolicy;
  resourceTags?: Record<string, string>;
  url?: string;
  eTag?: string;
  lastModified?: string;
  creationTime?: string;
  state?: PoolState;
  stateTransitionTime?: string;
  allocationState?: AllocationState;
  allocationStateTransitionTime?: string;
  resizeErrors?: ResizeError[];
  currentDedicatedNodes?: number;
  currentLowPriorityNodes?: number;
  autoScaleRun?: AutoScaleRun;
  stats?: PoolStatistics;
  identity?: BatchPoolIdentity;
  currentNodeCommunicationMode?: NodeCommunicationMode;
}

export interface CloudServiceConfiguration {
  osFamily: string;
  /** Default `*` (latest). */
  osVersion?: string;
}

export interface CloudTask {
  id?: string;
  displayName?: string;
  commandLine?: string;
  containerSettings?: TaskContainerSettings;
  exitConditions?: ExitConditions;
  resourceFiles?: ResourceFile[];
  outputFiles?: OutputFile[];
  environmentSettings?: EnvironmentSetting[];
  affinityInfo?: AffinityInformation;
  constraints?: TaskConstraints;
  /** Scheduling slots the task needs; default 1. */
  requiredSlots?: number;
  userIdentity?: UserIdentity;
  multiInstanceSettings?: MultiInstanceSettings;
  dependsOn?: TaskDependencies;
  applicationPackageReferences?: ApplicationPackageReference[];
  authenticationTokenSettings?: AuthenticationTokenSettings;
  url?: string;
  eTag?: string;
  lastModified?: string;
  creationTime?: string;
  state?: TaskState;
  stateTransitionTime?: string;
  previousState?: TaskState;
  previousStateTransitionTime?: string;
  executionInfo?: TaskExecutionInformation;
  nodeInfo?: ComputeNodeInformation;
  stats?: TaskStatistics;
}

export interface CloudTaskListSubtasksResult {
  value?: SubtaskInformation[];
}

export interface ComputeNode {
  id?: string;
  url?: string;
  state?: ComputeNodeState;
  schedulingState?: SchedulingState;
  stateTransitionTime?: string;
  lastBootTime?: string;
  allocationTime?: string;
  ipAddress?: string;
  affinityId?: string;
  vmSize?: string;
  totalTasksRun?: number;
  runningTasksCount?: number;
  runningTaskSlotsCount?: number;
  totalTasksSucceeded?: number;
  recentTasks?: TaskInformation[];
  startTask?: StartTask;
  startTaskInfo?: StartTaskInformation;
  certificateReferences?: CertificateReference[];
  errors?: ComputeNodeError[];
  isDedicated?: boolean;
  endpointConfiguration?: ComputeNodeEndpointConfiguration;
  nodeAgentInfo?: NodeAgentInformation;
  virtualMachineInfo?: VirtualMachineInfo;
}

export interface ComputeNodeEndpointConfiguration {
  inboundEndpoints?: InboundEndpoint[];
}

export interface ComputeNodeError {
  code?: string;
  message?: string;
  errorDetails?: NameValuePair[];
}

export interface ComputeNodeGetRemoteLoginSettingsResult {
  remoteLoginIPAddress?: string;
  remoteLoginPort?: number;
}

export interface ComputeNodeIdentityReference {
  /** ARM resource id of a user-assigned identity of the pool. */
  resourceId?: string;
}

export interface ComputeNodeInformation {
  affinityId?: string;
  nodeUrl?: string;
  poolId?: string;
  nodeId?: string;
  taskRootDirectory?: string;
  taskRootDirectoryUrl?: string;
}

export interface ComputeNodeUser {
  name: string;
  /** Default false. */
  isAdmin?: boolean;
  /** Default: now + 1 day. */
  expiryTime?: string;
  /** Required on Windows nodes. */
  password?: string;
  /** Linux nodes only. */
  sshPublicKey?: string;
}

export interface ContainerConfiguration {
  type: ContainerType;
  containerImageNames?: string[];
  containerRegistries?: ContainerRegistry[];
}

export interface ContainerHostBatchBindMountEntry {
  source?: ContainerHostDataPath;
  isReadOnly?: boolean;
}

export interface ContainerRegistry {
  username?: string;
  password?: string;
  /** Default `docker.io`. */
  registryServer?: string;
  identityReference?: ComputeNodeIdentityReference;
}

export interface DataDisk {
  lun: number;
  caching?: CachingType;
  diskSizeGB: number;
  storageAccountType?: StorageAccountType;
}

export interface DeleteCertificateError {
  code?: string;
  message?: string;
  values?: NameValuePair[];
}

export interface DiffDiskSettings {
  placement?: DiffDiskPlacement;
}

export interface DiskEncryptionConfiguration {
  targets?: DiskEncryptionTarget[];
}

export interface EnvironmentSetting {
  name: string;
  value?: string;
}

export interface ErrorMessage {
  lang?: string;
  value?: string;
}

export interface ExitCodeMapping {
  code: number;
  exitOptions: ExitOptions;
}

export interface ExitCodeRangeMapping {
  start: number;
  end: number;
  exitOptions: ExitOptions;
}

export interface ExitConditions {
  exitCodes?: ExitCodeMapping[];
  exitCodeRanges?: ExitCodeRangeMapping[];
  preProcessingError?: ExitOptions;
  fileUploadError?: ExitOptions;
  default?: ExitOptions;
}

export interface ExitOptions {
  jobAction?: JobAction;
  dependencyAction?: DependencyAction;
}

export interface FileProperties {
  /** Absent on Linux nodes. */
  creationTime?: string;
  lastModified?: string;
  contentLength?: number;
  contentType?: string;
  /** Octal mode; Linux nodes only. */
  fileMode?: string;
}

export interface HttpHeader {
  name: string;
  value?: string;
}

export interface ImageInformation {
  nodeAgentSKUId?: string;
  imageReference?: ImageReference;
  osType?: OSType;
  capabilities?: string[];
  batchSupportEndOfLife?: string;
  verificationType?: VerificationType;
}

export interface ImageReference {
  publisher?: string;
  offer?: string;
  sku?: string;
  /** Default `latest`. */
  version?: string;
  virtualMachineImageId?: string;
  /** Read-only: the resolved image version. */
  exactVersion?: string;
}

export interface InboundEndpoint {
  name?: string;
  protocol?: InboundEndpointProtocol;
  publicIPAddress?: string;
  publicFQDN?: string;
  frontendPort?: number;
  backendPort?: number;
}

export interface InboundNATPool {
  name: string;
  protocol: InboundEndpointProtocol;
  backendPort: number;
  frontendPortRangeStart: number;
  frontendPortRangeEnd: number;
  networkSecurityGroupRules?: NetworkSecurityGroupRule[];
}

export interface InstanceViewStatus {
  code?: string;
  displayStatus?: string;
  level?: StatusLevelTypes;
  message?: string;
  /** A date-time, but a plain string in the spec. */
  time?: string;
}

export interface JobAddParameter {
  id: string;
  displayName?: string;
  /** -1000…1000; default 0. */
  priority?: number;
  /** -1 = unlimited (default), else > 0. */
  maxParallelTasks?: number;
  allowTaskPreemption?: boolean;
  constraints?: JobConstraints;
  jobManagerTask?: JobManagerTask;
  jobPreparationTask?: JobPreparationTask;
  jobReleaseTask?: JobReleaseTask;
  commonEnvironmentSettings?: EnvironmentSetting[];
  poolInfo: PoolInformation;
  onAllTasksComplete?: OnAllTasksComplete;
  onTaskFailure?: OnTaskFailure;
  metadata?: MetadataItem[];
  usesTaskDependencies?: boolean;
  networkConfiguration?: JobNetworkConfiguration;
}

export interface JobConstraints {
  /** Default: unlimited. */
  maxWallClockTime?: string;
  /** -1 = unlimited; default 0. */
  maxTaskRetryCount?: number;
}

export interface JobDisableParameter {
  disableTasks: DisableJobOption;
}

export interface JobExecutionInformation {
  startTime?: string;
  endTime?: string;
  poolId?: string;
  schedulingError?: JobSchedulingError;
  terminateReason?: string;
}

export interface JobManagerTask {
  id: string;
  displayName?: string;
  commandLine: string;
  containerSettings?: TaskContainerSettings;
  resourceFiles?: ResourceFile[];
  outputFiles?: OutputFile[];
  environmentSettings?: EnvironmentSetting[];
  constraints?: TaskConstraints;
  /** Default 1. */
  requiredSlots?: number;
  /** Default true. */
  killJobOnCompletion?: boolean;
  userIdentity?: UserIdentity;
  /** Default true. */
  runExclusive?: boolean;
  applicationPackageReferences?: ApplicationPackageReference[];
  authenticationTokenSettings?: AuthenticationTokenSettings;
  /** Default true. */
  allowLowPriorityNode?: boolean;
}

export interface JobNetworkConfiguration {
  subnetId: string;
}

export interface JobPatchParameter {
  /** -1000…1000; default 0. */
  priority?: number;
  maxParallelTasks?: number;
  allowTaskPreemption?: boolean;
  onAllTasksComplete?: OnAllTasksComplete;
  constraints?: JobConstraints;
  poolInfo?: PoolInformation;
  metadata?: MetadataItem[];
}

export interface JobPreparationAndReleaseTaskExecutionInformation {
  poolId?: string;
  nodeId?: string;
  nodeUrl?: string;
  jobPreparationTaskExecutionInfo?: JobPreparationTaskExecutionInformation;
  jobReleaseTaskExecutionInfo?: JobReleaseTaskExecutionInformation;
}

export interface JobPreparationTask {
  /** Default `jobpreparation`. */
  id?: string;
  commandLine: string;
  containerSettings?: TaskContainerSettings;
  resourceFiles?: ResourceFile[];
  environmentSettings?: EnvironmentSetting[];
  constraints?: TaskConstraints;
  /** Default true. */
  waitForSuccess?: boolean;
  userIdentity?: UserIdentity;
  /** Default true. */
  rerunOnNodeRebootAfterSuccess?: boolean;
}

export interface JobPreparationTaskExecutionInformation {
  startTime?: string;
  endTime?: string;
  state?: JobPreparationTaskState;
  taskRootDirectory?: string;
  taskRootDirectoryUrl?: string;
  exitCode?: number;
  containerInfo?: TaskContainerExecutionInformation;
  failureInfo?: TaskFailureInformation;
  retryCount?: number;
  lastRetryTime?: string;
  result?: TaskExecutionResult;
}

export interface JobReleaseTask {
  /** Default `jobrelease`. */
  id?: string;
  commandLine: string;
  containerSettings?: TaskContainerSettings;
  resourceFiles?: ResourceFile[];
  environmentSettings?: EnvironmentSetting[];
  /** Default PT15M. */
  maxWallClockTime?: string;
  /** Default P7D. */
  retentionTime?: string;
  userIdentity?: UserIdentity;
}

export interface JobReleaseTaskExecutionInformation {
  startTime?: string;
  endTime?: string;
  state?: JobPreparationTaskState;
  taskRootDirectory?: string;
  taskRootDirectoryUrl?: string;
  exitCode?: number;
  containerInfo?: TaskContainerExecutionInformation;
  failureInfo?: TaskFailureInformation;
  result?: TaskExecutionResult;
}

export interface JobScheduleAddParameter {
  id: string;
  displayName?: string;
  schedule: Schedule;
  jobSpecification: JobSpecification;
  metadata?: MetadataItem[];
}

export interface JobScheduleExecutionInformation {
  nextRunTime?: string;
  recentJob?: RecentJob;
  endTime?: string;
}

export interface JobSchedulePatchParameter {
  schedule?: Schedule;
  jobSpecification?: JobSpecification;
  metadata?: MetadataItem[];
}

export interface JobScheduleStatistics {
  url?: string;
  startTime?: string;
  lastUpdateTime?: string;
  userCPUTime?: string;
  kernelCPUTime?: string;
  wallClockTime?: string;
  readIOps?: number;
  writeIOps?: number;
  readIOGiB?: number;
  writeIOGiB?: number;
  numSucceededTasks?: number;
  numFailedTasks?: number;
  numTaskRetries?: number;
  waitTime?: string;
}

export interface JobScheduleUpdateParameter {
  schedule: Schedule;
  jobSpecification: JobSpecification;
  metadata?: MetadataItem[];
}

export interface JobSchedulingError {
  category?: ErrorCategory;
  code?: string;
  message?: string;
  details?: NameValuePair[];
}

export interface JobSpecification {
  displayName?: string;
  /** -1000…1000; default 0. */
  priority?: number;
  /** -1 = unlimited (default), else > 0. */
  maxParallelTasks?: number;
  allowTaskPreemption?: boolean;
  constraints?: JobConstraints;
  jobManagerTask?: JobManagerTask;
  jobPreparationTask?: JobPreparationTask;
  jobReleaseTask?: JobReleaseTask;
  commonEnvironmentSettings?: EnvironmentSetting[];
  poolInfo: PoolInformation;
  onAllTasksComplete?: OnAllTasksComplete;
  onTaskFailure?: OnTaskFailure;
  metadata?: MetadataItem[];
  usesTaskDependencies?: boolean;
  networkConfiguration?: JobNetworkConfiguration;
}

export interface JobStatistics {
  url?: string;
  startTime?: string;
  lastUpdateTime?: string;
  userCPUTime?: string;
  kernelCPUTime?: string;
  wallClockTime?: string;
  readIOps?: number;
  writeIOps?: number;
  readIOGiB?: number;
  writeIOGiB?: number;
  numSucceededTasks?: number;
  numFailedTasks?: number;
  numTaskRetries?: number;
  waitTime?: string;
}

export interface JobTerminateParameter {
  /** Default `UserTerminate`. */
  terminateReason?: string;
}

export interface JobUpdateParameter {
  /** -1000…1000; default 0. */
  priority?: number;
  maxParallelTasks?: number;
  allowTaskPreemption?: boolean;
  constraints?: JobConstraints;
  poolInfo: PoolInformation;
  metadata?: MetadataItem[];
  onAllTasksComplete?: OnAllTasksComplete;
}

export interface LinuxUserConfiguration {
  uid?: number;
  gid?: number;
  sshPrivateKey?: string;
}

export interface ManagedDisk {
  storageAccountType?: StorageAccountType;
}

export interface MetadataItem {
  name: string;
  value: string;
}

export interface MountConfiguration {
  azureBlobFileSystemConfiguration?: AzureBlobFileSystemConfiguration;
  nfsMountConfiguration?: NFSMountConfiguration;
  cifsMountConfiguration?: CIFSMountConfiguration;
  azureFileShareConfiguration?: AzureFileShareConfiguration;
}

export interface MultiInstanceSettings {
  /** Default 1. */
  numberOfInstances?: number;
  coordinationCommandLine: string;
  commonResourceFiles?: ResourceFile[];
}

export interface NFSMountConfiguration {
  source: string;
  relativeMountPath: string;
  mountOptions?: string;
}

export interface NameValuePair {
  name?: string;
  value?: string;
}

export interface NetworkConfiguration {
  subnetId?: string;
  dynamicVNetAssignmentScope?: DynamicVNetAssignmentScope;
  endpointConfiguration?: PoolEndpointConfiguration;
  publicIPAddressConfiguration?: PublicIPAddressConfiguration;
  enableAcceleratedNetworking?: boolean;
}

export interface NetworkSecurityGroupRule {
  priority: number;
  access: NetworkSecurityGroupRuleAccess;
  sourceAddressPrefix: string;
  sourcePortRanges?: string[];
}

export interface NodeAgentInformation {
  version?: string;
  lastUpdateTime?: string;
}

export interface NodeCounts {
  creating?: number;
  idle?: number;
  offline?: number;
  preempted?: number;
  rebooting?: number;
  reimaging?: number;
  running?: number;
  starting?: number;
  startTaskFailed?: number;
  leavingPool?: number;
  unknown?: number;
  unusable?: number;
  waitingForStartTask?: number;
  total?: number;
  upgradingOS?: number;
}

export interface NodeDisableSchedulingParameter {
  nodeDisableSchedulingOption?: DisableComputeNodeSchedulingOption;
}

export interface NodeFile {
  name?: string;
  url?: string;
  isDirectory?: boolean;
  properties?: FileProperties;
}

export interface NodePlacementConfiguration {
  policy?: NodePlacementPolicyType;
}

export interface NodeRebootParameter {
  nodeRebootOption?: ComputeNodeRebootOption;
}

export interface NodeReimageParameter {
  nodeReimageOption?: ComputeNodeReimageOption;
}

export interface NodeRemoveParameter {
  nodeList: string[];
  /** Default PT15M. */
  resizeTimeout?: string;
  nodeDeallocationOption?: ComputeNodeDeallocationOption;
}

export interface NodeUpdateUserParameter {
  password?: string;
  expiryTime?: string;
  sshPublicKey?: string;
}

export interface NodeVMExtension {
  provisioningState?: string;
  vmExtension?: VMExtension;
  instanceView?: VMExtensionInstanceView;
}

export interface OSDisk {
  ephemeralOSDiskSettings?: DiffDiskSettings;
  caching?: CachingType;
  managedDisk?: ManagedDisk;
  diskSizeGB?: number;
  writeAcceleratorEnabled?: boolean;
}

export interface OutputFile {
  filePattern: string;
  destination: OutputFileDestination;
  uploadOptions: OutputFileUploadOptions;
}

export interface OutputFileBlobContainerDestination {
  path?: string;
  containerUrl: string;
  identityReference?: ComputeNodeIdentityReference;
  uploadHeaders?: HttpHeader[];
}

export interface OutputFileDestination {
  container?: OutputFileBlobContainerDestination;
}

export interface OutputFileUploadOptions {
  uploadCondition: OutputFileUploadCondition;
}

export interface PoolAddParameter {
  id: string;
  displayName?: string;
  vmSize: string;
  cloudServiceConfiguration?: CloudServiceConfiguration;
  virtualMachineConfiguration?: VirtualMachineConfiguration;
  /** Default PT15M, minimum PT5M. */
  resizeTimeout?: string;
  targetDedicatedNodes?: number;
  targetLowPriorityNodes?: number;
  enableAutoScale?: boolean;
  autoScaleFormula?: string;
  /** Default PT15M (PT5M–PT168H). */
  autoScaleEvaluationInterval?: string;
  enableInterNodeCommunication?: boolean;
  networkConfiguration?: NetworkConfiguration;
  startTask?: StartTask;
  certificateReferences?: CertificateReference[];
  applicationPackageReferences?: ApplicationPackageReference[];
  applicationLicenses?: string[];
  /** Default 1. */
  taskSlotsPerNode?: number;
  taskSchedulingPolicy?: TaskSchedulingPolicy;
  userAccounts?: UserAccount[];
  metadata?: MetadataItem[];
  mountConfiguration?: MountConfiguration[];
  targetNodeCommunicationMode?: NodeCommunicationMode;
  upgradePolicy?: UpgradePolicy;
  resourceTags?: Record<string, string>;
}

export interface PoolEnableAutoScaleParameter {
  autoScaleFormula?: string;
  autoScaleEvaluationInterval?: string;
}

export interface PoolEndpointConfiguration {
  inboundNATPools: InboundNATPool[];
}

export interface PoolEvaluateAutoScaleParameter {
  autoScaleFormula: string;
}

export interface PoolInformation {
  poolId?: string;
  autoPoolSpecification?: AutoPoolSpecification;
}

export interface PoolNodeCounts {
  poolId?: string;
  dedicated?: NodeCounts;
  lowPriority?: NodeCounts;
}

export interface PoolPatchParameter {
  startTask?: StartTask;
  certificateReferences?: CertificateReference[];
  applicationPackageReferences?: ApplicationPackageReference[];
  metadata?: MetadataItem[];
  targetNodeCommunicationMode?: NodeCommunicationMode;
}

export interface PoolResizeParameter {
  targetDedicatedNodes?: number;
  targetLowPriorityNodes?: number;
  /** Default PT15M. */
  resizeTimeout?: string;
  nodeDeallocationOption?: ComputeNodeDeallocationOption;
}

export interface PoolSpecification {
  displayName?: string;
  vmSize: string;
  cloudServiceConfiguration?: CloudServiceConfiguration;
  virtualMachineConfiguration?: VirtualMachineConfiguration;
  /** Default PT15M, minimum PT5M. */
  resizeTimeout?: string;
  targetDedicatedNodes?: number;
  targetLowPriorityNodes?: number;
  enableAutoScale?: boolean;
  autoScaleFormula?: string;
  /** Default PT15M (PT5M–PT168H). */
  autoScaleEvaluationInterval?: string;
  enableInterNodeCommunication?: boolean;
  networkConfiguration?: NetworkConfiguration;
  startTask?: StartTask;
  certificateReferences?: CertificateReference[];
  applicationPackageReferences?: ApplicationPackageReference[];
  applicationLicenses?: string[];
  /** Default 1. */
  taskSlotsPerNode?: number;
  taskSchedulingPolicy?: TaskSchedulingPolicy;
  userAccounts?: UserAccount[];
  metadata?: MetadataItem[];
  mountConfiguration?: MountConfiguration[];
  targetNodeCommunicationMode?: NodeCommunicationMode;
  upgradePolicy?: UpgradePolicy;
  resourceTags?: Record<string, string>;
}

export interface PoolStatistics {
  url?: string;
  startTime?: string;
  lastUpdateTime?: string;
  usageStats?: UsageStatistics;
  resourceStats?: ResourceStatistics;
}

export interface PoolUpdatePropertiesParameter {
  startTask?: StartTask;
  certificateReferences: CertificateReference[];
  applicationPackageReferences: ApplicationPackageReference[];
  metadata: MetadataItem[];
  targetNodeCommunicationMode?: NodeCommunicationMode;
}

export interface PoolUsageMetrics {
  poolId?: string;
  startTime?: string;
  endTime?: string;
  vmSize?: string;
  totalCoreHours?: number;
}

export interface PublicIPAddressConfiguration {
  provision?: IPAddressProvisioningType;
  ipAddressIds?: string[];
}

export interface RecentJob {
  id?: string;
  url?: string;
}

export interface ResizeError {
  code?: string;
  message?: string;
  values?: NameValuePair[];
}

export interface ResourceFile {
  autoStorageContainerName?: string;
  storageContainerUrl?: string;
  httpUrl?: string;
  blobPrefix?: string;
  filePath?: string;
  /** Octal file mode (Linux only); default 0770. */
  fileMode?: string;
  identityReference?: ComputeNodeIdentityReference;
}

export interface ResourceStatistics {
  startTime?: string;
  lastUpdateTime?: string;
  avgCPUPercentage?: number;
  avgMemoryGiB?: number;
  peakMemoryGiB?: number;
  avgDiskGiB?: number;
  peakDiskGiB?: number;
  diskReadIOps?: number;
  diskWriteIOps?: number;
  diskReadGiB?: number;
  diskWriteGiB?: number;
  networkReadGiB?: number;
  networkWriteGiB?: number;
}

export interface RollingUpgradePolicy {
  enableCrossZoneUpgrade?: boolean;
  maxBatchInstancePercent?: number;
  maxUnhealthyInstancePercent?: number;
  maxUnhealthyUpgradedInstancePercent?: number;
  /** An ISO-8601 duration, but a plain string in the spec (no format). */
  pauseTimeBetweenBatches?: string;
  prioritizeUnhealthyInstances?: boolean;
  rollbackFailedInstancesOnPolicyBreach?: boolean;
}

export interface Schedule {
  doNotRunUntil?: string;
  doNotRunAfter?: string;
  /** At least 1 minute; default: unlimited. */
  startWindow?: string;
  /** At least 1 minute; absent = a single job. */
  recurrenceInterval?: string;
}

export interface SecurityProfile {
  securityType?: SecurityTypes;
  encryptionAtHost?: boolean;
  uefiSettings?: UefiSettings;
}

export interface ServiceArtifactReference {
  /** ARM id: …/providers/Microsoft.Compute/galleries/{g}/serviceArtifacts/{a}/vmArtifactsProfiles/{p} */
  id: string;
}

export interface StartTask {
  commandLine: string;
  containerSettings?: TaskContainerSettings;
  resourceFiles?: ResourceFile[];
  environmentSettings?: EnvironmentSetting[];
  userIdentity?: UserIdentity;
  /** -1 = unlimited; default 0. */
  maxTaskRetryCount?: number;
  /** Default true. */
  waitForSuccess?: boolean;
}

export interface StartTaskInformation {
  state?: JobPreparationTaskState;
  startTime?: string;
  endTime?: string;
  exitCode?: number;
  containerInfo?: TaskContainerExecutionInformation;
  failureInfo?: TaskFailureInformation;
  retryCount?: number;
  lastRetryTime?: string;
  result?: TaskExecutionResult;
}

export interface SubtaskInformation {
  id?: number;
  nodeInfo?: ComputeNodeInformation;
  startTime?: string;
  endTime?: string;
  exitCode?: number;
  containerInfo?: TaskContainerExecutionInformation;
  failureInfo?: TaskFailureInformation;
  state?: SubtaskState;
  stateTransitionTime?: string;
  previousState?: SubtaskState;
  previousStateTransitionTime?: string;
  result?: TaskExecutionResult;
}

export interface TaskAddCollectionParameter {
  value: TaskAddParameter[];
}

export interface TaskAddCollectionResult {
  value?: TaskAddResult[];
}

export interface TaskAddParameter {
  id: string;
  displayName?: string;
  commandLine: string;
  containerSettings?: TaskContainerSettings;
  exitConditions?: ExitConditions;
  resourceFiles?: ResourceFile[];
  outputFiles?: OutputFile[];
  environmentSettings?: EnvironmentSetting[];
  affinityInfo?: AffinityInformation;
  constraints?: TaskConstraints;
  /** Scheduling slots the task needs; default 1. */
  requiredSlots?: number;
  userIdentity?: UserIdentity;
  multiInstanceSettings?: MultiInstanceSettings;
  dependsOn?: TaskDependencies;
  applicationPackageReferences?: ApplicationPackageReference[];
  authenticationTokenSettings?: AuthenticationTokenSettings;
}

export interface TaskAddResult {
  status?: TaskAddStatus;
  taskId?: string;
  eTag?: string;
  lastModified?: string;
  location?: string;
  error?: BatchError;
}

export interface TaskConstraints {
  /** Default: unlimited. */
  maxWallClockTime?: string;
  /** How long the task directory is kept; default P7D. */
  retentionTime?: string;
  /** -1 = unlimited; default: the job's maxTaskRetryCount. */
  maxTaskRetryCount?: number;
}

export interface TaskContainerExecutionInformation {
  containerId?: string;
  /** Docker's container state. */
  state?: string;
  /** Docker's error text. */
  error?: string;
}

export interface TaskContainerSettings {
  containerRunOptions?: string;
  imageName: string;
  registry?: ContainerRegistry;
  workingDirectory?: ContainerWorkingDirectory;
  /** The node directories mounted into the container (default: the whole node root). From api-version 2024-07-01.20.0. */
  containerHostBatchBindMounts?: ContainerHostBatchBindMountEntry[];
}

export interface TaskCounts {
  active?: number;
  running?: number;
  completed?: number;
  succeeded?: number;
  failed?: number;
}

export interface TaskCountsResult {
  taskCounts?: TaskCounts;
  taskSlotCounts?: TaskSlotCounts;
}

export interface TaskDependencies {
  taskIds?: string[];
  taskIdRanges?: TaskIdRange[];
}

export interface TaskExecutionInformation {
  startTime?: string;
  endTime?: string;
  exitCode?: number;
  containerInfo?: TaskContainerExecutionInformation;
  failureInfo?: TaskFailureInformation;
  retryCount?: number;
  lastRetryTime?: string;
  requeueCount?: number;
  lastRequeueTime?: string;
  result?: TaskExecutionResult;
}

export interface TaskFailureInformation {
  category?: ErrorCategory;
  code?: string;
  message?: string;
  details?: NameValuePair[];
}

export interface TaskIdRange {
  start: number;
  end: number;
}

export interface TaskInformation {
  taskUrl?: string;
  jobId?: string;
  taskId?: string;
  subtaskId?: number;
  taskState?: TaskState;
  executionInfo?: TaskExecutionInformation;
}

export interface TaskSchedulingPolicy {
  nodeFillType: ComputeNodeFillType;
}

export interface TaskSlotCounts {
  active?: number;
  running?: number;
  completed?: number;
  succeeded?: number;
  failed?: number;
}

export interface TaskStatistics {
  url?: string;
  startTime?: string;
  lastUpdateTime?: string;
  userCPUTime?: string;
  kernelCPUTime?: string;
  wallClockTime?: string;
  readIOps?: number;
  writeIOps?: number;
  readIOGiB?: number;
  writeIOGiB?: number;
  waitTime?: string;
}

export interface TaskUpdateParameter {
  constraints?: TaskConstraints;
}

export interface UefiSettings {
  secureBootEnabled?: boolean;
  vTpmEnabled?: boolean;
}

export interface UpgradePolicy {
  mode: UpgradeMode;
  automaticOSUpgradePolicy?: AutomaticOSUpgradePolicy;
  rollingUpgradePolicy?: RollingUpgradePolicy;
}

export interface UploadBatchServiceLogsConfiguration {
  containerUrl: string;
  startTime: string;
  endTime?: string;
  identityReference?: ComputeNodeIdentityReference;
}

export interface UploadBatchServiceLogsResult {
  virtualDirectoryName?: string;
  numberOfFilesUploaded?: number;
}

export interface UsageStatistics {
  startTime?: string;
  lastUpdateTime?: string;
  dedicatedCoreTime?: string;
}

export interface UserAccount {
  name: string;
  password: string;
  elevationLevel?: ElevationLevel;
  linuxUserConfiguration?: LinuxUserConfiguration;
  windowsUserConfiguration?: WindowsUserConfiguration;
}

export interface UserAssignedIdentity {
  resourceId?: string;
  clientId?: string;
  principalId?: string;
}

export interface UserIdentity {
  username?: string;
  autoUser?: AutoUserSpecification;
}

export interface VMExtension {
  name: string;
  publisher: string;
  type: string;
  typeHandlerVersion?: string;
  autoUpgradeMinorVersion?: boolean;
  settings?: Record<string, unknown>;
  protectedSettings?: Record<string, unknown>;
  provisionAfterExtensions?: string[];
  enableAutomaticUpgrade?: boolean;
}

export interface VMExtensionInstanceView {
  name?: string;
  statuses?: InstanceViewStatus[];
  subStatuses?: InstanceViewStatus[];
}

export interface VirtualMachineConfiguration {
  imageReference: ImageReference;
  nodeAgentSKUId: string;
  windowsConfiguration?: WindowsConfiguration;
  dataDisks?: DataDisk[];
  /** `Windows_Server` or `Windows_Client`. */
  licenseType?: string;
  containerConfiguration?: ContainerConfiguration;
  diskEncryptionConfiguration?: DiskEncryptionConfiguration;
  nodePlacementConfiguration?: NodePlacementConfiguration;
  extensions?: VMExtension[];
  osDisk?: OSDisk;
  securityProfile?: SecurityProfile;
  serviceArtifactReference?: ServiceArtifactReference;
}

export interface VirtualMachineInfo {
  imageReference?: ImageReference;
  scaleSetVmResourceId?: string;
}

export interface WindowsConfiguration {
  enableAutomaticUpdates?: boolean;
}

export interface WindowsUserConfiguration {
  loginMode?: LoginMode;
}
