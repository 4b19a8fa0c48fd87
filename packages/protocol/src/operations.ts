/**
 * The operation table: every operation of the Batch data-plane API (rest-api.md §3), once. The server registers its
 * routes from it, the support matrix is generated from it, and the client builds requests from it.
 *
 * - `path` is the URL template; `{name}` segments are percent-encoded path parameters.
 * - `status` is the only success status the official SDKs accept: return exactly it.
 * - `conditions`: "all" = If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since; "dates" = only the two
 *   date conditions; "none" = none.
 * - `query`: the operation-specific query options, declared with their types in queryParameters.ts (api-version
 *   and timeout are on every operation, `$skiptoken` on every paged one).
 * - `requestBody`: the wire model the body is validated against (models/index.ts `wireModels`).
 * - `responseHeaders`: C client-request-id, R request-id, E ETag, L Last-Modified, D DataServiceId, F file headers.
 * - `removedIn`: the first api-version that no longer has the operation.
 */
import type { WireModelName } from "./models/index.js";
import type { QueryParameterName } from "./queryParameters.js";

export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface OperationSpec {
  readonly operationId: string;
  readonly method: HttpMethod;
  readonly path: string;
  readonly status: number;
  readonly conditions: "all" | "dates" | "none";
  readonly query: readonly QueryParameterName[];
  readonly responseHeaders: string;
  readonly requestBody?: WireModelName;
  readonly requestBodyOptional?: boolean;
  readonly responseBody?: string;
  readonly paged?: boolean;
  readonly removedIn?: string;
}

export const operations = [
  { operationId: "Application_List", method: "GET", path: "/applications", status: 200, conditions: "none", query: ["maxresults"], responseHeaders: "CREL", responseBody: "ApplicationSummary", paged: true },
  { operationId: "Application_Get", method: "GET", path: "/applications/{applicationId}", status: 200, conditions: "none", query: [], responseHeaders: "CREL", responseBody: "ApplicationSummary" },
  { operationId: "Account_ListSupportedImages", method: "GET", path: "/supportedimages", status: 200, conditions: "none", query: ["$filter", "maxresults"], responseHeaders: "CREL", responseBody: "ImageInformation", paged: true },
  { operationId: "Account_ListPoolNodeCounts", method: "GET", path: "/nodecounts", status: 200, conditions: "none", query: ["$filter", "maxresults"], responseHeaders: "CR", responseBody: "PoolNodeCounts", paged: true },
  { operationId: "Pool_ListUsageMetrics", method: "GET", path: "/poolusagemetrics", status: 200, conditions: "none", query: ["$filter", "maxresults", "starttime", "endtime"], responseHeaders: "CREL", responseBody: "PoolUsageMetrics", paged: true },
  { operationId: "Pool_GetAllLifetimeStatistics", method: "GET", path: "/lifetimepoolstats", status: 200, conditions: "none", query: [], responseHeaders: "CREL", responseBody: "PoolStatistics", removedIn: "2023-05-01.17.0" },
  { operationId: "Pool_Add", method: "POST", path: "/pools", status: 201, conditions: "none", query: [], responseHeaders: "CRELD", requestBody: "PoolAddParameter" },
  { operationId: "Pool_List", method: "GET", path: "/pools", status: 200, conditions: "none", query: ["$filter", "$select", "$expand", "maxresults"], responseHeaders: "CREL", responseBody: "CloudPool", paged: true },
  { operationId: "Pool_Delete", method: "DELETE", path: "/pools/{poolId}", status: 202, conditions: "all", query: [], responseHeaders: "CR" },
  { operationId: "Pool_Exists", method: "HEAD", path: "/pools/{poolId}", status: 200, conditions: "all", query: [], responseHeaders: "CREL" },
  { operationId: "Pool_Get", method: "GET", path: "/pools/{poolId}", status: 200, conditions: "all", query: ["$select", "$expand"], responseHeaders: "CREL", responseBody: "CloudPool" },
  { operationId: "Pool_Patch", method: "PATCH", path: "/pools/{poolId}", status: 200, conditions: "all", query: [], responseHeaders: "CRELD", requestBody: "PoolPatchParameter" },
  { operationId: "Pool_DisableAutoScale", method: "POST", path: "/pools/{poolId}/disableautoscale", status: 200, conditions: "none", query: [], responseHeaders: "CRELD" },
  { operationId: "Pool_EnableAutoScale", method: "POST", path: "/pools/{poolId}/enableautoscale", status: 200, conditions: "all", query: [], responseHeaders: "CRELD", requestBody: "PoolEnableAutoScaleParameter" },
  { operationId: "Pool_EvaluateAutoScale", method: "POST", path: "/pools/{poolId}/evaluateautoscale", status: 200, conditions: "none", query: [], responseHeaders: "CRELD", requestBody: "PoolEvaluateAutoScaleParameter", responseBody: "AutoScaleRun" },
  { operationId: "Pool_Resize", method: "POST", path: "/pools/{poolId}/resize", status: 202, conditions: "all", query: [], responseHeaders: "CRELD", requestBody: "PoolResizeParameter" },
  { operationId: "Pool_StopResize", method: "POST", path: "/pools/{poolId}/stopresize", status: 202, conditions: "all", query: [], responseHeaders: "CRELD" },
  { operationId: "Pool_UpdateProperties", method: "POST", path: "/pools/{poolId}/updateproperties", status: 204, conditions: "none", query: [], responseHeaders: "CRELD", requestBody: "PoolUpdatePropertiesParameter" },
  { operationId: "Pool_RemoveNodes", method: "POST", path: "/pools/{poolId}/removenodes", status: 202, conditions: "all", query: [], responseHeaders: "CRELD", requestBody: "NodeRemoveParameter" },
  { operationId: "Job_GetAllLifetimeStatistics", method: "GET", path: "/lifetimejobstats", status: 200, conditions: "none", query: [], responseHeaders: "CREL", responseBody: "JobStatistics", removedIn: "2023-05-01.17.0" },
  { operationId: "Job_Delete", method: "DELETE", path: "/jobs/{jobId}", status: 202, conditions: "all", query: [], responseHeaders: "CR" },
  { operationId: "Job_Get", method: "GET", path: "/jobs/{jobId}", status: 200, conditions: "all", query: ["$select", "$expand"], responseHeaders: "CREL", responseBody: "CloudJob" },
  { operationId: "Job_Patch", method: "PATCH", path: "/jobs/{jobId}", status: 200, conditions: "all", query: [], responseHeaders: "CRELD", requestBody: "JobPatchParameter" },
  { operationId: "Job_Update", method: "PUT", path: "/jobs/{jobId}", status: 200, conditions: "all", query: [], responseHeaders: "CRELD", requestBody: "JobUpdateParameter" },
  { operationId: "Job_Disable", method: "POST", path: "/jobs/{jobId}/disable", status: 202, conditions: "all", query: [], responseHeaders: "CRELD", requestBody: "JobDisableParameter" },
  { operationId: "Job_Enable", method: "POST", path: "/jobs/{jobId}/enable", status: 202, conditions: "all", query: [], responseHeaders: "CRELD" },
  { operationId: "Job_Terminate", method: "POST", path: "/jobs/{jobId}/terminate", status: 202, conditions: "all", query: [], responseHeaders: "CRELD", requestBody: "JobTerminateParameter", requestBodyOptional: true },
  { operationId: "Job_Add", method: "POST", path: "/jobs", status: 201, conditions: "none", query: [], responseHeaders: "CRELD", requestBody: "JobAddParameter" },
  { operationId: "Job_List", method: "GET", path: "/jobs", status: 200, conditions: "none", query: ["$filter", "$select", "$expand", "maxresults"], responseHeaders: "CREL", responseBody: "CloudJob", paged: true },
  { operationId: "Job_ListFromJobSchedule", method: "GET", path: "/jobschedules/{jobScheduleId}/jobs", status: 200, conditions: "none", query: ["$filter", "$select", "$expand", "maxresults"], responseHeaders: "CREL", responseBody: "CloudJob", paged: true },
  { operationId: "Job_ListPreparationAndReleaseTaskStatus", method: "GET", path: "/jobs/{jobId}/jobpreparationandreleasetaskstatus", status: 200, conditions: "none", query: ["$filter", "$select", "maxresults"], responseHeaders: "CREL", responseBody: "JobPreparationAndReleaseTaskExecutionInformation", paged: true },
  { operationId: "Job_GetTaskCounts", method: "GET", path: "/jobs/{jobId}/taskcounts", status: 200, conditions: "none", query: [], responseHeaders: "CR", responseBody: "TaskCountsResult" },
  { operationId: "Certificate_Add", method: "POST", path: "/certificates", status: 201, conditions: "none", query: [], responseHeaders: "CRELD", requestBody: "CertificateAddParameter" },
  { operationId: "Certificate_List", method: "GET", path: "/certificates", status: 200, conditions: "none", query: ["$filter", "$select", "maxresults"], responseHeaders: "CREL", responseBody: "Certificate", paged: true },
  { operationId: "Certificate_CancelDeletion", method: "POST", path: "/certificates(thumbprintAlgorithm={thumbprintAlgorithm},thumbprint={thumbprint})/canceldelete", status: 204, conditions: "none", query: [], responseHeaders: "CRELD" },
  { operationId: "Certificate_Delete", method: "DELETE", path: "/certificates(thumbprintAlgorithm={thumbprintAlgorithm},thumbprint={thumbprint})", status: 202, conditions: "none", query: [], responseHeaders: "CREL" },
  { operationId: "Certificate_Get", method: "GET", path: "/certificates(thumbprintAlgorithm={thumbprintAlgorithm},thumbprint={thumbprint})", status: 200, conditions: "none", query: ["$select"], responseHeaders: "CREL", responseBody: "Certificate" },
  { operationId: "File_DeleteFromTask", method: "DELETE", path: "/jobs/{jobId}/tasks/{taskId}/files/{filePath}", status: 200, conditions: "none", query: ["recursive"], responseHeaders: "CR" },
  { operationId: "File_GetFromTask", method: "GET", path: "/jobs/{jobId}/tasks/{taskId}/files/{filePath}", status: 200, conditions: "dates", query: [], responseHeaders: "CREL+F", responseBody: "raw" },
  { operationId: "File_GetPropertiesFromTask", method: "HEAD", path: "/jobs/{jobId}/tasks/{taskId}/files/{filePath}", status: 200, conditions: "dates", query: [], responseHeaders: "CREL+F" },
  { operationId: "File_DeleteFromComputeNode", method: "DELETE", path: "/pools/{poolId}/nodes/{nodeId}/files/{filePath}", status: 200, conditions: "none", query: ["recursive"], responseHeaders: "CR" },
  { operationId: "File_GetFromComputeNode", method: "GET", path: "/pools/{poolId}/nodes/{nodeId}/files/{filePath}", status: 200, conditions: "dates", query: [], responseHeaders: "CREL+F", responseBody: "raw" },
  { operationId: "File_GetPropertiesFromComputeNode", method: "HEAD", path: "/pools/{poolId}/nodes/{nodeId}/files/{filePath}", status: 200, conditions: "dates", query: [], responseHeaders: "CREL+F" },
  { operationId: "File_ListFromTask", method: "GET", path: "/jobs/{jobId}/tasks/{taskId}/files", status: 200, conditions: "none", query: ["$filter", "maxresults", "recursive"], responseHeaders: "CREL", responseBody: "NodeFile", paged: true },
  { operationId: "File_ListFromComputeNode", method: "GET", path: "/pools/{poolId}/nodes/{nodeId}/files", status: 200, conditions: "none", query: ["$filter", "maxresults", "recursive"], responseHeaders: "CREL", responseBody: "NodeFile", paged: true },
  { operationId: "JobSchedule_Exists", method: "HEAD", path: "/jobschedules/{jobScheduleId}", status: 200, conditions: "all", query: [], responseHeaders: "CREL" },
  { operationId: "JobSchedule_Delete", method: "DELETE", path: "/jobschedules/{jobScheduleId}", status: 202, conditions: "all", query: [], responseHeaders: "CR" },
  { operationId: "JobSchedule_Get", method: "GET", path: "/jobschedules/{jobScheduleId}", status: 200, conditions: "all", query: ["$select", "$expand"], responseHeaders: "CREL", responseBody: "CloudJobSchedule" },
  { operationId: "JobSchedule_Patch", method: "PATCH", path: "/jobschedules/{jobScheduleId}", status: 200, conditions: "all", query: [], responseHeaders: "CRELD", requestBody: "JobSchedulePatchParameter" },
  { operationId: "JobSchedule_Update", method: "PUT", path: "/jobschedules/{jobScheduleId}", status: 200, conditions: "all", query: [], responseHeaders: "CRELD", requestBody: "JobScheduleUpdateParameter" },
  { operationId: "JobSchedule_Disable", method: "POST", path: "/jobschedules/{jobScheduleId}/disable", status: 204, conditions: "all", query: [], responseHeaders: "CRELD" },
  { operationId: "JobSchedule_Enable", method: "POST", path: "/jobschedules/{jobScheduleId}/enable", status: 204, conditions: "all", query: [], responseHeaders: "CRELD" },
  { operationId: "JobSchedule_Terminate", method: "POST", path: "/jobschedules/{jobScheduleId}/terminate", status: 202, conditions: "all", query: [], responseHeaders: "CRELD" },
  { operationId: "JobSchedule_Add", method: "POST", path: "/jobschedules", status: 201, conditions: "none", query: [], responseHeaders: "CRELD", requestBody: "JobScheduleAddParameter" },
  { operationId: "JobSchedule_List", method: "GET", path: "/jobschedules", status: 200, conditions: "none", query: ["$filter", "$select", "$expand", "maxresults"], responseHeaders: "CREL", responseBody: "CloudJobSchedule", paged: true },
  { operationId: "Task_Add", method: "POST", path: "/jobs/{jobId}/tasks", status: 201, conditions: "none", query: [], responseHeaders: "CRELD", requestBody: "TaskAddParameter" },
  { operationId: "Task_List", method: "GET", path: "/jobs/{jobId}/tasks", status: 200, conditions: "none", query: ["$filter", "$select", "$expand", "maxresults"], responseHeaders: "CREL", responseBody: "CloudTask", paged: true },
  { operationId: "Task_AddCollection", method: "POST", path: "/jobs/{jobId}/addtaskcollection", status: 200, conditions: "none", query: [], responseHeaders: "CR", requestBody: "TaskAddCollectionParameter", responseBody: "TaskAddCollectionResult" },
  { operationId: "Task_Delete", method: "DELETE", path: "/jobs/{jobId}/tasks/{taskId}", status: 200, conditions: "all", query: [], responseHeaders: "CR" },
  { operationId: "Task_Get", method: "GET", path: "/jobs/{jobId}/tasks/{taskId}", status: 200, conditions: "all", query: ["$select", "$expand"], responseHeaders: "CRELD", responseBody: "CloudTask" },
  { operationId: "Task_Update", method: "PUT", path: "/jobs/{jobId}/tasks/{taskId}", status: 200, conditions: "all", query: [], responseHeaders: "CRELD", requestBody: "TaskUpdateParameter" },
  { operationId: "Task_ListSubtasks", method: "GET", path: "/jobs/{jobId}/tasks/{taskId}/subtasksinfo", status: 200, conditions: "none", query: ["$select"], responseHeaders: "CREL", responseBody: "CloudTaskListSubtasksResult" },
  { operationId: "Task_Terminate", method: "POST", path: "/jobs/{jobId}/tasks/{taskId}/terminate", status: 204, conditions: "all", query: [], responseHeaders: "CRELD" },
  { operationId: "Task_Reactivate", method: "POST", path: "/jobs/{jobId}/tasks/{taskId}/reactivate", status: 204, conditions: "all", query: [], responseHeaders: "CRELD" },
  { operationId: "ComputeNode_AddUser", method: "POST", path: "/pools/{poolId}/nodes/{nodeId}/users", status: 201, conditions: "none", query: [], responseHeaders: "CRELD", requestBody: "ComputeNodeUser" },
  { operationId: "ComputeNode_DeleteUser", method: "DELETE", path: "/pools/{poolId}/nodes/{nodeId}/users/{userName}", status: 200, conditions: "none", query: [], responseHeaders: "CR" },
  { operationId: "ComputeNode_UpdateUser", method: "PUT", path: "/pools/{poolId}/nodes/{nodeId}/users/{userName}", status: 200, conditions: "none", query: [], responseHeaders: "CRELD", requestBody: "NodeUpdateUserParameter" },
  { operationId: "ComputeNode_Get", method: "GET", path: "/pools/{poolId}/nodes/{nodeId}", status: 200, conditions: "none", query: ["$select"], responseHeaders: "CREL", responseBody: "ComputeNode" },
  { operationId: "ComputeNode_Reboot", method: "POST", path: "/pools/{poolId}/nodes/{nodeId}/reboot", status: 202, conditions: "none", query: [], responseHeaders: "CRELD", requestBody: "NodeRebootParameter", requestBodyOptional: true },
  { operationId: "ComputeNode_Reimage", method: "POST", path: "/pools/{poolId}/nodes/{nodeId}/reimage", status: 202, conditions: "none", query: [], responseHeaders: "CRELD", requestBody: "NodeReimageParameter", requestBodyOptional: true },
  { operationId: "ComputeNode_DisableScheduling", method: "POST", path: "/pools/{poolId}/nodes/{nodeId}/disablescheduling", status: 200, conditions: "none", query: [], responseHeaders: "CRELD", requestBody: "NodeDisableSchedulingParameter", requestBodyOptional: true },
  { operationId: "ComputeNode_EnableScheduling", method: "POST", path: "/pools/{poolId}/nodes/{nodeId}/enablescheduling", status: 200, conditions: "none", query: [], responseHeaders: "CRELD" },
  { operationId: "ComputeNode_GetRemoteLoginSettings", method: "GET", path: "/pools/{poolId}/nodes/{nodeId}/remoteloginsettings", status: 200, conditions: "none", query: [], responseHeaders: "CREL", responseBody: "ComputeNodeGetRemoteLoginSettingsResult" },
  { operationId: "ComputeNode_GetRemoteDesktop", method: "GET", path: "/pools/{poolId}/nodes/{nodeId}/rdp", status: 200, conditions: "none", query: [], responseHeaders: "CREL", responseBody: "raw" },
  { operationId: "ComputeNode_UploadBatchServiceLogs", method: "POST", path: "/pools/{poolId}/nodes/{nodeId}/uploadbatchservicelogs", status: 200, conditions: "none", query: [], responseHeaders: "CR", requestBody: "UploadBatchServiceLogsConfiguration", responseBody: "UploadBatchServiceLogsResult" },
  { operationId: "ComputeNode_List", method: "GET", path: "/pools/{poolId}/nodes", status: 200, conditions: "none", query: ["$filter", "$select", "maxresults"], responseHeaders: "CREL", responseBody: "ComputeNode", paged: true },
  { operationId: "ComputeNodeExtension_Get", method: "GET", path: "/pools/{poolId}/nodes/{nodeId}/extensions/{extensionName}", status: 200, conditions: "none", query: ["$select"], responseHeaders: "CREL", responseBody: "NodeVMExtension" },
  { operationId: "ComputeNodeExtension_List", method: "GET", path: "/pools/{poolId}/nodes/{nodeId}/extensions", status: 200, conditions: "none", query: ["$select", "maxresults"], responseHeaders: "CREL", responseBody: "NodeVMExtension", paged: true },
] as const satisfies readonly OperationSpec[];

/**
 * OpenBatch's own operations, served through the same pipeline (api-version, SharedKey or Bearer auth, Batch error
 * bodies) under paths the Batch API does not use. They exist for operators and tests: Azure has no equivalent.
 */
export const extensionOperations = [
  {
    operationId: "OpenBatch_PreemptNode",
    method: "POST",
    path: "/pools/{poolId}/nodes/{nodeId}/preempt",
    status: 202,
    conditions: "none",
    query: ["recoverafterseconds"],
    responseHeaders: "CR",
  },
  {
    operationId: "OpenBatch_GetAutoScaleHistory",
    method: "GET",
    path: "/pools/{poolId}/autoscalehistory",
    status: 200,
    conditions: "none",
    query: [],
    responseHeaders: "CR",
  },
] as const satisfies readonly OperationSpec[];

export type OperationId = (typeof operations)[number]["operationId"] | (typeof extensionOperations)[number]["operationId"];

export const operationsById: ReadonlyMap<OperationId, OperationSpec> = new Map(
  [...operations, ...extensionOperations].map((operation) => [operation.operationId, operation]),
);

/** The query parameters an operation accepts besides api-version and timeout: its own, and `$skiptoken` when paged. */
export function acceptedQueryParameters(operation: OperationSpec): readonly QueryParameterName[] {
  return operation.paged === true ? [...operation.query, "$skiptoken"] : operation.query;
}

/** The operation's path parameter names, in order: `/pools/{poolId}/nodes/{nodeId}` → `["poolId", "nodeId"]`. */
export function pathParameterNames(operation: OperationSpec): string[] {
  return [...operation.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
}
