/**
 * Per-call options. Every method takes one options bag, last; every field is optional. Which groups a method accepts
 * follows the operation table of `@openbatch/protocol` (conditions, query options), and passing an option the
 * operation does not accept throws a TypeError naming it rather than being ignored.
 */
import type { RetryOptions } from "./pipeline.js";
import type { BatchResponseInfo } from "./responses.js";

/** Options every operation accepts. */
export interface OperationOptions {
  /** Cancels the call (including back-off waits); the promise rejects with an `AbortError`. */
  abortSignal?: AbortSignal;
  /**
   * Server-side time limit in seconds (the `timeout` query parameter); the service caps it at 30. The name the
   * Python SDK and the REST API use; `timeoutInSeconds` is the same option. @default the service's 30
   */
  timeout?: number;
  /** The same as `timeout` (seconds). */
  timeoutInSeconds?: number;
  /** The `client-request-id` to send (a GUID); kept across retries. @default a fresh uuid per call */
  clientRequestId?: string;
  /** Asks the service to echo `client-request-id` in the response. @default false */
  returnClientRequestId?: boolean;
  /** The `ocp-date` to send. @default the time of each attempt */
  ocpDate?: Date | string;
  /** Overrides the client's retry options for this call, field by field. */
  retryOptions?: RetryOptions;
  /** Overrides the client's `requestTimeoutInMs` for this call (0: no limit). */
  requestTimeoutInMs?: number;
  /**
   * Called with every HTTP response the call settles on, success or error status, before the result or error is
   * made: the way to reach the headers of results that cannot carry `_response` (`exists` booleans, a 404 that
   * `exists` turns into `false`), or of each page and each `addCollection` request. Not called for transport
   * failures (there is no response).
   */
  onResponse?: (response: BatchResponseInfo) => void;
}

/** `If-Modified-Since` / `If-Unmodified-Since` (RFC 1123 on the wire; a Date or a string sent verbatim). */
export interface DateConditionOptions {
  /** Only if the resource changed after this time (reads: 304 otherwise; writes: 412 ConditionNotMet). */
  ifModifiedSince?: Date | string;
  /** Only if the resource did not change after this time (412 ConditionNotMet otherwise). */
  ifUnmodifiedSince?: Date | string;
}

/** The four conditional headers. */
export interface ConditionOptions extends DateConditionOptions {
  /** Only if the resource's ETag matches (412 ConditionNotMet otherwise); `*` matches any. */
  ifMatch?: string;
  /** Only if the resource's ETag does not match (reads: 304; writes: 412). */
  ifNoneMatch?: string;
}

/** `$filter`: an OData expression (`state eq 'active'`); see `odataFilter` for a typed builder. */
export interface FilterOption {
  filter?: string;
}

/** `$select`: the top-level properties to return. */
export interface SelectOption {
  select?: string | readonly string[];
}

/** `$expand`: `stats` is the documented value. */
export interface ExpandOption {
  expand?: string | readonly string[];
}

/** `maxresults`: page size, 1–1000 (node counts: 1–10). */
export interface MaxResultsOption {
  maxResults?: number;
}

export interface RecursiveOption {
  /** Lists or deletes a directory's children. @default false */
  recursive?: boolean;
}

/** Every option any operation accepts: what `sendOperation` reads. */
export interface AnyOperationOptions
  extends OperationOptions,
    ConditionOptions,
    FilterOption,
    SelectOption,
    ExpandOption,
    MaxResultsOption,
    RecursiveOption {
  startTime?: Date | string;
  endTime?: Date | string;
  ocpRange?: string;
}

// ---- Options per method ----------------------------------------------------------------------------------------

export type ListApplicationsOptions = OperationOptions & MaxResultsOption;
export type GetApplicationOptions = OperationOptions;

export type ListSupportedImagesOptions = OperationOptions & FilterOption & MaxResultsOption;
export type ListPoolNodeCountsOptions = OperationOptions & FilterOption & MaxResultsOption;

export interface ListPoolUsageMetricsOptions extends OperationOptions, FilterOption, MaxResultsOption {
  /** Earliest aggregation interval start (`starttime`). @default the last aggregation interval */
  startTime?: Date | string;
  /** Latest aggregation interval end (`endtime`). */
  endTime?: Date | string;
}

/** Options of list operations with $filter, $select, $expand and maxresults (pools, jobs, schedules, tasks). */
export type ListEntitiesOptions = OperationOptions & FilterOption & SelectOption & ExpandOption & MaxResultsOption;
/** Options of a get with $select and $expand plus the four conditions (pool, job, schedule, task). */
export type GetEntityOptions = OperationOptions & ConditionOptions & SelectOption & ExpandOption;
/** Options of a conditional write (delete, patch, update, resize, …). */
export type ConditionalOperationOptions = OperationOptions & ConditionOptions;

export type ListCertificatesOptions = OperationOptions & FilterOption & SelectOption & MaxResultsOption;
export type GetCertificateOptions = OperationOptions & SelectOption;

export type ListComputeNodesOptions = OperationOptions & FilterOption & SelectOption & MaxResultsOption;
export type ListPreparationAndReleaseTaskStatusOptions = OperationOptions & FilterOption & SelectOption & MaxResultsOption;
export type GetComputeNodeOptions = OperationOptions & SelectOption;
export type ListExtensionsOptions = OperationOptions & SelectOption & MaxResultsOption;
export type ListSubtasksOptions = OperationOptions & SelectOption;

export type ListFilesOptions = OperationOptions & FilterOption & MaxResultsOption & RecursiveOption;
export type DeleteFileOptions = OperationOptions & RecursiveOption;
export type GetFilePropertiesOptions = OperationOptions & DateConditionOptions;

export interface GetFileOptions extends OperationOptions, DateConditionOptions {
  /** A byte range, `bytes=0-1023` (inclusive), sent as `ocp-range`; the service answers 200 with that slice. */
  ocpRange?: string;
}
