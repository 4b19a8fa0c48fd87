/**
 * Wire models shared by several areas: metadata, environment, resource and output files, identities, package and
 * certificate references, container settings and the error body (rest-api.md §1.7, §4).
 */
import type { TObject } from "@sinclair/typebox";
import { Type, model, type Static } from "../schema.js";
import {
  AutoUserScope,
  CertificateStoreLocation,
  CertificateVisibility,
  ContainerHostDataPath,
  ContainerWorkingDirectory,
  ElevationLevel,
  OutputFileUploadCondition,
} from "../enums.js";
import { partialProperties } from "./util.js";

export const MetadataItem = model("MetadataItem", {
  name: Type.String(),
  value: Type.String(),
});
export type MetadataItem = Static<typeof MetadataItem>;

export const EnvironmentSetting = model("EnvironmentSetting", {
  name: Type.String(),
  value: Type.Optional(Type.String()),
});
export type EnvironmentSetting = Static<typeof EnvironmentSetting>;

/** Response-only (errors, failure details). */
export const NameValuePair = model(
  "NameValuePair",
  partialProperties({
    name: Type.String(),
    value: Type.String(),
  }),
);
export type NameValuePair = Static<typeof NameValuePair>;

export const ComputeNodeIdentityReference = model("ComputeNodeIdentityReference", {
  resourceId: Type.Optional(Type.String({ description: "ARM resource id of a user-assigned identity of the pool." })),
});
export type ComputeNodeIdentityReference = Static<typeof ComputeNodeIdentityReference>;

const resourceFileProperties = {
  autoStorageContainerName: Type.Optional(Type.String()),
  storageContainerUrl: Type.Optional(Type.String()),
  httpUrl: Type.Optional(Type.String()),
  blobPrefix: Type.Optional(Type.String()),
  filePath: Type.Optional(Type.String()),
  fileMode: Type.Optional(Type.String({ description: "Octal file mode (Linux only); default 0770." })),
  identityReference: Type.Optional(ComputeNodeIdentityReference),
};
export interface ResourceFileSchema extends TObject<typeof resourceFileProperties> {}
export const ResourceFile: ResourceFileSchema = model("ResourceFile", resourceFileProperties);
export type ResourceFile = Static<typeof ResourceFile>;

export const HttpHeader = model("HttpHeader", {
  name: Type.String(),
  value: Type.Optional(Type.String()),
});
export type HttpHeader = Static<typeof HttpHeader>;

export const OutputFileBlobContainerDestination = model("OutputFileBlobContainerDestination", {
  path: Type.Optional(Type.String()),
  containerUrl: Type.String(),
  identityReference: Type.Optional(ComputeNodeIdentityReference),
  uploadHeaders: Type.Optional(Type.Array(HttpHeader)),
});
export type OutputFileBlobContainerDestination = Static<typeof OutputFileBlobContainerDestination>;

export const OutputFileDestination = model("OutputFileDestination", {
  container: Type.Optional(OutputFileBlobContainerDestination),
});
export type OutputFileDestination = Static<typeof OutputFileDestination>;

export const OutputFileUploadOptions = model("OutputFileUploadOptions", {
  uploadCondition: OutputFileUploadCondition,
});
export type OutputFileUploadOptions = Static<typeof OutputFileUploadOptions>;

const outputFileProperties = {
  filePattern: Type.String(),
  destination: OutputFileDestination,
  uploadOptions: OutputFileUploadOptions,
};
export interface OutputFileSchema extends TObject<typeof outputFileProperties> {}
export const OutputFile: OutputFileSchema = model("OutputFile", outputFileProperties);
export type OutputFile = Static<typeof OutputFile>;

export const AutoUserSpecification = model("AutoUserSpecification", {
  scope: Type.Optional(AutoUserScope),
  elevationLevel: Type.Optional(ElevationLevel),
});
export type AutoUserSpecification = Static<typeof AutoUserSpecification>;

export const UserIdentity = model("UserIdentity", {
  username: Type.Optional(Type.String()),
  autoUser: Type.Optional(AutoUserSpecification),
});
export type UserIdentity = Static<typeof UserIdentity>;

export const ApplicationPackageReference = model("ApplicationPackageReference", {
  applicationId: Type.String(),
  version: Type.Optional(Type.String()),
});
export type ApplicationPackageReference = Static<typeof ApplicationPackageReference>;

export const CertificateReference = model("CertificateReference", {
  thumbprint: Type.String(),
  thumbprintAlgorithm: Type.String({ description: "Conventionally `sha1`." }),
  storeLocation: Type.Optional(CertificateStoreLocation),
  storeName: Type.Optional(Type.String({ description: "Windows certificate store; default `My`." })),
  visibility: Type.Optional(Type.Array(CertificateVisibility)),
});
export type CertificateReference = Static<typeof CertificateReference>;

export const ContainerRegistry = model("ContainerRegistry", {
  username: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
  registryServer: Type.Optional(Type.String({ description: "Default `docker.io`." })),
  identityReference: Type.Optional(ComputeNodeIdentityReference),
});
export type ContainerRegistry = Static<typeof ContainerRegistry>;

/** From api-version 2024-07-01.20.0, accepted ahead of it (docs/containers.md). */
export const ContainerHostBatchBindMountEntry = model("ContainerHostBatchBindMountEntry", {
  source: Type.Optional(ContainerHostDataPath),
  isReadOnly: Type.Optional(Type.Boolean()),
});
export type ContainerHostBatchBindMountEntry = Static<typeof ContainerHostBatchBindMountEntry>;

const taskContainerSettingsProperties = {
  containerRunOptions: Type.Optional(Type.String()),
  imageName: Type.String(),
  registry: Type.Optional(ContainerRegistry),
  workingDirectory: Type.Optional(ContainerWorkingDirectory),
  containerHostBatchBindMounts: Type.Optional(
    Type.Array(ContainerHostBatchBindMountEntry, {
      description: "The node directories mounted into the container (default: the whole node root). From api-version 2024-07-01.20.0.",
    }),
  ),
};
export interface TaskContainerSettingsSchema extends TObject<typeof taskContainerSettingsProperties> {}
export const TaskContainerSettings: TaskContainerSettingsSchema = model(
  "TaskContainerSettings",
  taskContainerSettingsProperties,
);
export type TaskContainerSettings = Static<typeof TaskContainerSettings>;

// ---- Error body (rest-api.md §1.7) -------------------------------------------------------------------------------

export const ErrorMessage = model(
  "ErrorMessage",
  partialProperties({
    lang: Type.String(),
    value: Type.String(),
  }),
);
export type ErrorMessage = Static<typeof ErrorMessage>;

export const BatchErrorDetail = model(
  "BatchErrorDetail",
  partialProperties({
    key: Type.String(),
    value: Type.String(),
  }),
);
export type BatchErrorDetail = Static<typeof BatchErrorDetail>;

export const BatchError = model(
  "BatchError",
  partialProperties({
    code: Type.String(),
    message: ErrorMessage,
    values: Type.Array(BatchErrorDetail),
  }),
);
export type BatchError = Static<typeof BatchError>;
