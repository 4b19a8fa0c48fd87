export {
  Type,
  batchEnum,
  batchEnumKind,
  model,
  Int32,
  Int64,
  Double,
  DateTime,
  Duration,
  AnyObject,
  StringMap,
  type Static,
  type TSchema,
  type BatchEnumSchema,
} from "./schema.js";
export { apiVersions, currentApiVersion, isApiVersion, apiVersionAtLeast, type ApiVersion } from "./apiVersions.js";
export {
  operations,
  extensionOperations,
  operationsById,
  acceptedQueryParameters,
  pathParameterNames,
  type HttpMethod,
  type OperationId,
  type OperationSpec,
} from "./operations.js";
export {
  queryParameters,
  isQueryParameterName,
  parseQueryParameters,
  parseQueryValue,
  type QueryParameterName,
  type QueryParameterType,
  type QueryParameterValue,
} from "./queryParameters.js";
export type { OperationRowOf, PathParameterNamesOf, PathParameters, QueryParameters, RequestBody } from "./operationTypes.js";
export { validateBody } from "./validate.js";
export { filterableProperties, type FilterableProperty, type FilterOperator, type FilterTarget } from "./filters.js";
export * from "./enums.js";
export * from "./models/index.js";
export {
  agentProtocolVersion,
  agentSyncPath,
  agentApplicationPackagePath,
  ApplicationPackageDeployment,
  AgentNodeReport,
  AgentSyncRequest,
  AgentSyncResponse,
  DesiredNode,
  DesiredNodeUser,
  DesiredUserAccount,
  NodeCertificateFile,
  NodeErrorReport,
  ProcessOutcome,
  ProcessUsage,
  TaskAssignment,
  TaskReport,
} from "./agentProtocol.js";
export {
  agentJoinPath,
  agentFilePollPath,
  agentFileReplyPath,
  agentFileStatusHeader,
  joinTokensAdminPath,
  providerMetadataKey,
  AgentJoinRequest,
  AgentJoinResponse,
  AgentFileRequest,
  AgentFilePollRequest,
  AgentFilePollResponse,
  JoinTokenCreateRequest,
  JoinTokenInfo,
} from "./agentRemote.js";
export { sharedKeySignedHeaders, sharedKeyStringToSign, type StringToSignInput } from "./sharedKey.js";
export { blobPropertyUploadHeaders, isSupportedUploadHeader, uploadMetadataHeaderPrefix, type BlobPropertyName } from "./uploadHeaders.js";
