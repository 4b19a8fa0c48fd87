/**
 * @openbatch/client — a TypeScript client for Azure Batch and OpenBatch, API 2024-02-01.19.0.
 * Models and enums are generated from `@openbatch/protocol` into plain interfaces, with enums left open to values a
 * newer service sends (models.ts); `KnownX` types name the values of this API version, `XValues` list them.
 */
export { BatchServiceClient, clientVersion, type BatchServiceClientOptions } from "./batchServiceClient.js";
export {
  BatchSharedKeyCredential,
  TokenCache,
  batchScope,
  isTokenCredential,
  sharedKeyStringToSign,
  type AccessToken,
  type GetTokenOptions,
  type SignableRequest,
  type TokenCredential,
} from "./credentials.js";
export { BatchError, AbortError, isBatchError, errorFromResponse, type BatchErrorOptions, type BatchRawResponse } from "./batchError.js";
export {
  attachResponse,
  getResponse,
  parseBatchHeaders,
  parseFileHeaders,
  type BatchOperationResult,
  type BatchResponseHeaders,
  type BatchResponseInfo,
  type FileResponseHeaders,
  type WithResponse,
} from "./responses.js";
export { createPagedIterator, toArray, type BatchPage, type PageSettings, type PagedAsyncIterableIterator } from "./paging.js";
export {
  encodePathSegment,
  jsonContentType,
  operationUrl,
  retrySafety,
  type OperationCall,
  type OperationResponse,
  type PathParameters,
} from "./operation.js";
export { defaultRequestTimeoutInMs, retryDelayInMs, resolveRetryOptions, type RetryOptions, type ResolvedRetryOptions, type RetrySafety } from "./pipeline.js";
export {
  TransportError,
  chunksOf,
  discardBody,
  readText,
  splitUrl,
  type HttpTransport,
  type ResponseBodyStream,
  type TransportRequest,
  type TransportResponse,
} from "./transport.js";
export { NodeHttpTransport, type NodeHttpTransportOptions } from "#platform";
export { FetchHttpTransport } from "./transports/fetch.js";
export { SseParser, type SseMessage } from "./events/sseParser.js";
export type { EntityChange, WatchEvent, WatchOptions, WatchedKind } from "./events/watch.js";
export { CreateTasksError, type AddTaskCollectionOptions, type AddTaskCollectionProgress } from "./addTaskCollection.js";
export type * from "./options.js";
export type { FileDownload, StreamedResult, StreamedBody } from "./operations/common.js";
export type { FilePropertiesResult } from "./operations/file.js";
export type { JobTerminateOptions } from "./operations/job.js";
export type { RebootComputeNodeOptions, ReimageComputeNodeOptions, DisableComputeNodeSchedulingOptions } from "./operations/computeNode.js";
export { ApplicationOperations } from "./operations/application.js";
export { AccountOperations } from "./operations/account.js";
export { PoolOperations } from "./operations/pool.js";
export { JobOperations } from "./operations/job.js";
export { CertificateOperations } from "./operations/certificate.js";
export { FileOperations } from "./operations/file.js";
export { JobScheduleOperations } from "./operations/jobSchedule.js";
export { TaskOperations } from "./operations/task.js";
export { ComputeNodeOperations } from "./operations/computeNode.js";
export { ComputeNodeExtensionOperations } from "./operations/computeNodeExtension.js";
export { odataFilter, odataString, type FilterProperty, type FilterValue, type FilterValueOf, type ODataFilterBuilder } from "./odataFilter.js";
export { apiVersions, currentApiVersion, type FilterOperator, type FilterTarget, type OperationId } from "./generated/wireTable.js";
export {
  waitForPoolSteady,
  waitForNodesIdle,
  waitForTasksComplete,
  WaitFailedError,
  WaitTimeoutError,
  type NodesIdleProgress,
  type PoolSteadyProgress,
  type TasksCompleteProgress,
  type WaitForNodesIdleOptions,
  type WaitOptions,
} from "./waiters.js";
export * from "./models.js";
/** The Batch error body model (the class `BatchError` above takes the name). */
export type { BatchError as BatchErrorBody } from "./models.js";
