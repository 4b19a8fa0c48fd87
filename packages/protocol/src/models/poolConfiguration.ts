/**
 * Pool configuration wire models (rest-api.md §4.2, §6): virtual machine and cloud-service configuration, network
 * configuration, task scheduling policy, user accounts and mounts.
 */
import type { TObject } from "@sinclair/typebox";
import { AnyObject, Int32, Type, model, type Static } from "../schema.js";
import {
  CachingType,
  ComputeNodeFillType,
  ContainerType,
  DiffDiskPlacement,
  DiskEncryptionTarget,
  DynamicVNetAssignmentScope,
  ElevationLevel,
  InboundEndpointProtocol,
  IPAddressProvisioningType,
  LoginMode,
  NetworkSecurityGroupRuleAccess,
  NodePlacementPolicyType,
  SecurityTypes,
  StorageAccountType,
} from "../enums.js";
import {
  ComputeNodeIdentityReference,
  ContainerRegistry,
} from "./common.js";

// ---- Virtual machine configuration -------------------------------------------------------------------------------

export const ImageReference = model("ImageReference", {
  publisher: Type.Optional(Type.String()),
  offer: Type.Optional(Type.String()),
  sku: Type.Optional(Type.String()),
  version: Type.Optional(Type.String({ description: "Default `latest`." })),
  virtualMachineImageId: Type.Optional(Type.String()),
  exactVersion: Type.Optional(Type.String({ description: "Read-only: the resolved image version." })),
});
export type ImageReference = Static<typeof ImageReference>;

export const WindowsConfiguration = model("WindowsConfiguration", {
  enableAutomaticUpdates: Type.Optional(Type.Boolean()),
});
export type WindowsConfiguration = Static<typeof WindowsConfiguration>;

export const DataDisk = model("DataDisk", {
  lun: Int32({ minimum: 0, maximum: 63 }),
  caching: Type.Optional(CachingType),
  diskSizeGB: Int32(),
  storageAccountType: Type.Optional(StorageAccountType),
});
export type DataDisk = Static<typeof DataDisk>;

export const ContainerConfiguration = model("ContainerConfiguration", {
  type: ContainerType,
  containerImageNames: Type.Optional(Type.Array(Type.String())),
  containerRegistries: Type.Optional(Type.Array(ContainerRegistry)),
});
export type ContainerConfiguration = Static<typeof ContainerConfiguration>;

export const DiskEncryptionConfiguration = model("DiskEncryptionConfiguration", {
  targets: Type.Optional(Type.Array(DiskEncryptionTarget)),
});
export type DiskEncryptionConfiguration = Static<typeof DiskEncryptionConfiguration>;

export const NodePlacementConfiguration = model("NodePlacementConfiguration", {
  policy: Type.Optional(NodePlacementPolicyType),
});
export type NodePlacementConfiguration = Static<typeof NodePlacementConfiguration>;

export const VMExtension = model("VMExtension", {
  name: Type.String(),
  publisher: Type.String(),
  type: Type.String(),
  typeHandlerVersion: Type.Optional(Type.String()),
  autoUpgradeMinorVersion: Type.Optional(Type.Boolean()),
  settings: Type.Optional(AnyObject()),
  protectedSettings: Type.Optional(AnyObject()),
  provisionAfterExtensions: Type.Optional(Type.Array(Type.String())),
  enableAutomaticUpgrade: Type.Optional(Type.Boolean()),
});
export type VMExtension = Static<typeof VMExtension>;

export const DiffDiskSettings = model("DiffDiskSettings", {
  placement: Type.Optional(DiffDiskPlacement),
});
export type DiffDiskSettings = Static<typeof DiffDiskSettings>;

export const ManagedDisk = model("ManagedDisk", {
  storageAccountType: Type.Optional(StorageAccountType),
});
export type ManagedDisk = Static<typeof ManagedDisk>;

export const OSDisk = model("OSDisk", {
  ephemeralOSDiskSettings: Type.Optional(DiffDiskSettings),
  caching: Type.Optional(CachingType),
  managedDisk: Type.Optional(ManagedDisk),
  diskSizeGB: Type.Optional(Int32()),
  writeAcceleratorEnabled: Type.Optional(Type.Boolean()),
});
export type OSDisk = Static<typeof OSDisk>;

export const UefiSettings = model("UefiSettings", {
  secureBootEnabled: Type.Optional(Type.Boolean()),
  vTpmEnabled: Type.Optional(Type.Boolean()),
});
export type UefiSettings = Static<typeof UefiSettings>;

export const SecurityProfile = model("SecurityProfile", {
  securityType: Type.Optional(SecurityTypes),
  encryptionAtHost: Type.Optional(Type.Boolean()),
  uefiSettings: Type.Optional(UefiSettings),
});
export type SecurityProfile = Static<typeof SecurityProfile>;

export const ServiceArtifactReference = model("ServiceArtifactReference", {
  id: Type.String({
    description: "ARM id: …/providers/Microsoft.Compute/galleries/{g}/serviceArtifacts/{a}/vmArtifactsProfiles/{p}",
  }),
});
export type ServiceArtifactReference = Static<typeof ServiceArtifactReference>;

const virtualMachineConfigurationProperties = {
  imageReference: ImageReference,
  nodeAgentSKUId: Type.String(),
  windowsConfiguration: Type.Optional(WindowsConfiguration),
  dataDisks: Type.Optional(Type.Array(DataDisk)),
  licenseType: Type.Optional(Type.String({ description: "`Windows_Server` or `Windows_Client`." })),
  containerConfiguration: Type.Optional(ContainerConfiguration),
  diskEncryptionConfiguration: Type.Optional(DiskEncryptionConfiguration),
  nodePlacementConfiguration: Type.Optional(NodePlacementConfiguration),
  extensions: Type.Optional(Type.Array(VMExtension)),
  osDisk: Type.Optional(OSDisk),
  securityProfile: Type.Optional(SecurityProfile),
  serviceArtifactReference: Type.Optional(ServiceArtifactReference),
};
export interface VirtualMachineConfigurationSchema extends TObject<typeof virtualMachineConfigurationProperties> {}
export const VirtualMachineConfiguration: VirtualMachineConfigurationSchema = model(
  "VirtualMachineConfiguration",
  virtualMachineConfigurationProperties,
);
export type VirtualMachineConfiguration = Static<typeof VirtualMachineConfiguration>;

export const CloudServiceConfiguration = model("CloudServiceConfiguration", {
  osFamily: Type.String(),
  osVersion: Type.Optional(Type.String({ description: "Default `*` (latest)." })),
});
export type CloudServiceConfiguration = Static<typeof CloudServiceConfiguration>;

// ---- Network configuration ---------------------------------------------------------------------------------------

export const NetworkSecurityGroupRule = model("NetworkSecurityGroupRule", {
  priority: Int32({ minimum: 150, maximum: 4096 }),
  access: NetworkSecurityGroupRuleAccess,
  sourceAddressPrefix: Type.String(),
  sourcePortRanges: Type.Optional(Type.Array(Type.String())),
});
export type NetworkSecurityGroupRule = Static<typeof NetworkSecurityGroupRule>;

export const InboundNATPool = model("InboundNATPool", {
  name: Type.String(),
  protocol: InboundEndpointProtocol,
  backendPort: Int32(),
  frontendPortRangeStart: Int32(),
  frontendPortRangeEnd: Int32(),
  networkSecurityGroupRules: Type.Optional(Type.Array(NetworkSecurityGroupRule)),
});
export type InboundNATPool = Static<typeof InboundNATPool>;

export const PoolEndpointConfiguration = model("PoolEndpointConfiguration", {
  inboundNATPools: Type.Array(InboundNATPool),
});
export type PoolEndpointConfiguration = Static<typeof PoolEndpointConfiguration>;

export const PublicIPAddressConfiguration = model("PublicIPAddressConfiguration", {
  provision: Type.Optional(IPAddressProvisioningType),
  ipAddressIds: Type.Optional(Type.Array(Type.String())),
});
export type PublicIPAddressConfiguration = Static<typeof PublicIPAddressConfiguration>;

const networkConfigurationProperties = {
  subnetId: Type.Optional(Type.String()),
  dynamicVNetAssignmentScope: Type.Optional(DynamicVNetAssignmentScope),
  endpointConfiguration: Type.Optional(PoolEndpointConfiguration),
  publicIPAddressConfiguration: Type.Optional(PublicIPAddressConfiguration),
  enableAcceleratedNetworking: Type.Optional(Type.Boolean()),
};
export interface NetworkConfigurationSchema extends TObject<typeof networkConfigurationProperties> {}
export const NetworkConfiguration: NetworkConfigurationSchema = model(
  "NetworkConfiguration",
  networkConfigurationProperties,
);
export type NetworkConfiguration = Static<typeof NetworkConfiguration>;

// ---- Scheduling, user accounts, mounts ---------------------------------------------------------------------------

export const TaskSchedulingPolicy = model("TaskSchedulingPolicy", {
  nodeFillType: ComputeNodeFillType,
});
export type TaskSchedulingPolicy = Static<typeof TaskSchedulingPolicy>;

export const LinuxUserConfiguration = model("LinuxUserConfiguration", {
  uid: Type.Optional(Int32()),
  gid: Type.Optional(Int32()),
  sshPrivateKey: Type.Optional(Type.String()),
});
export type LinuxUserConfiguration = Static<typeof LinuxUserConfiguration>;

export const WindowsUserConfiguration = model("WindowsUserConfiguration", {
  loginMode: Type.Optional(LoginMode),
});
export type WindowsUserConfiguration = Static<typeof WindowsUserConfiguration>;

const userAccountProperties = {
  name: Type.String(),
  password: Type.String(),
  elevationLevel: Type.Optional(ElevationLevel),
  linuxUserConfiguration: Type.Optional(LinuxUserConfiguration),
  windowsUserConfiguration: Type.Optional(WindowsUserConfiguration),
};
export interface UserAccountSchema extends TObject<typeof userAccountProperties> {}
export const UserAccount: UserAccountSchema = model("UserAccount", userAccountProperties);
export type UserAccount = Static<typeof UserAccount>;

export const AzureBlobFileSystemConfiguration = model("AzureBlobFileSystemConfiguration", {
  accountName: Type.String(),
  containerName: Type.String(),
  accountKey: Type.Optional(Type.String()),
  sasKey: Type.Optional(Type.String()),
  blobfuseOptions: Type.Optional(Type.String()),
  relativeMountPath: Type.String(),
  identityReference: Type.Optional(ComputeNodeIdentityReference),
});
export type AzureBlobFileSystemConfiguration = Static<typeof AzureBlobFileSystemConfiguration>;

export const NFSMountConfiguration = model("NFSMountConfiguration", {
  source: Type.String(),
  relativeMountPath: Type.String(),
  mountOptions: Type.Optional(Type.String()),
});
export type NFSMountConfiguration = Static<typeof NFSMountConfiguration>;

export const CIFSMountConfiguration = model("CIFSMountConfiguration", {
  username: Type.String(),
  source: Type.String(),
  relativeMountPath: Type.String(),
  mountOptions: Type.Optional(Type.String()),
  password: Type.String(),
});
export type CIFSMountConfiguration = Static<typeof CIFSMountConfiguration>;

export const AzureFileShareConfiguration = model("AzureFileShareConfiguration", {
  accountName: Type.String(),
  azureFileUrl: Type.String(),
  accountKey: Type.String(),
  relativeMountPath: Type.String(),
  mountOptions: Type.Optional(Type.String()),
});
export type AzureFileShareConfiguration = Static<typeof AzureFileShareConfiguration>;

const mountConfigurationProperties = {
  azureBlobFileSystemConfiguration: Type.Optional(AzureBlobFileSystemConfiguration),
  nfsMountConfiguration: Type.Optional(NFSMountConfiguration),
  cifsMountConfiguration: Type.Optional(CIFSMountConfiguration),
  azureFileShareConfiguration: Type.Optional(AzureFileShareConfiguration),
};
export interface MountConfigurationSchema extends TObject<typeof mountConfigurationProperties> {}
export const MountConfiguration: MountConfigurationSchema = model("MountConfiguration", mountConfigurationProperties);
export type MountConfiguration = Static<typeof MountConfiguration>;
