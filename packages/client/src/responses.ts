/**
 * How results carry their HTTP response. One rule for every method:
 *
 * - A method whose operation returns a body resolves to that body (the protocol model), with a **non-enumerable**
 *   `_response` property: the status, raw headers, parsed Batch headers and request. Being non-enumerable, it does
 *   not show in `JSON.stringify`, spreads or `deepStrictEqual`, so results compare and serialise as plain models.
 * - A method whose operation returns no body resolves to its parsed response headers (`BatchResponseHeaders`:
 *   `requestId`, `clientRequestId`, `eTag`, `lastModified`, `dataServiceId`), plus the same `_response`.
 * - Paged lists yield models; each page from `byPage()` is an array with `continuationToken` and `_response`.
 * - `exists` resolves to a boolean; downloads to a `FileDownload` (streams plus the file headers).
 */
import type { BatchRawResponse } from "./batchError.js";

/** The Batch response headers of rest-api.md §1.3, parsed. Absent headers are absent keys. */
export interface BatchResponseHeaders {
  /** `request-id`: the service's id for this request (quote it in support cases). */
  requestId?: string;
  /** `client-request-id`: echoed when `returnClientRequestId` was set. */
  clientRequestId?: string;
  /** `ETag`, opaque; pass it back as `ifMatch`. */
  eTag?: string;
  /** `Last-Modified`. */
  lastModified?: Date;
  /** `DataServiceId`: the URL of the resource the operation affected. */
  dataServiceId?: string;
}

/** `_response` of every result. */
export interface BatchResponseInfo extends BatchRawResponse {
  readonly parsedHeaders: BatchResponseHeaders;
}

export type WithResponse<T> = T & { readonly _response: BatchResponseInfo };

/** A result with no body: its parsed headers, plus `_response`. */
export type BatchOperationResult = WithResponse<BatchResponseHeaders>;

function httpDate(value: string | null): Date | undefined {
  if (value === null) return undefined;
  const time = Date.parse(value);
  return Number.isFinite(time) ? new Date(time) : undefined;
}

export function parseBatchHeaders(headers: Headers): BatchResponseHeaders {
  const parsed: BatchResponseHeaders = {};
  const requestId = headers.get("request-id");
  if (requestId !== null) parsed.requestId = requestId;
  const clientRequestId = headers.get("client-request-id");
  if (clientRequestId !== null) parsed.clientRequestId = clientRequestId;
  const eTag = headers.get("etag");
  if (eTag !== null) parsed.eTag = eTag;
  const lastModified = httpDate(headers.get("last-modified"));
  if (lastModified !== undefined) parsed.lastModified = lastModified;
  const dataServiceId = headers.get("dataserviceid");
  if (dataServiceId !== null) parsed.dataServiceId = dataServiceId;
  return parsed;
}

export function responseInfo(raw: BatchRawResponse): BatchResponseInfo {
  return { status: raw.status, headers: raw.headers, bodyAsText: raw.bodyAsText, request: raw.request, parsedHeaders: parseBatchHeaders(raw.headers) };
}

/** Defines the non-enumerable `_response` on `value` and returns it typed. */
export function attachResponse<T extends object>(value: T, info: BatchResponseInfo): WithResponse<T> {
  Object.defineProperty(value, "_response", { value: info, enumerable: false, configurable: true, writable: false });
  return value as WithResponse<T>;
}

/** The `_response` of a result, or undefined for values that have none. */
export function getResponse(result: unknown): BatchResponseInfo | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  return (result as { _response?: BatchResponseInfo })._response;
}

/** The headers of a file download or properties call (rest-api.md §1.3, "F"). */
export interface FileResponseHeaders extends BatchResponseHeaders {
  /** `ocp-creation-time` (absent on Linux nodes). */
  ocpCreationTime?: Date;
  /** `ocp-batch-file-isdirectory`. */
  ocpBatchFileIsdirectory?: boolean;
  /** `ocp-batch-file-url`. */
  ocpBatchFileUrl?: string;
  /** `ocp-batch-file-mode`: octal mode string, Linux only (`0644`). */
  ocpBatchFileMode?: string;
  /** `Content-Type`. */
  contentType?: string;
  /** `Content-Length`, in bytes (of the range, for ranged downloads). */
  contentLength?: number;
}

export function parseFileHeaders(headers: Headers): FileResponseHeaders {
  const parsed: FileResponseHeaders = parseBatchHeaders(headers);
  const creation = httpDate(headers.get("ocp-creation-time"));
  if (creation !== undefined) parsed.ocpCreationTime = creation;
  const isDirectory = headers.get("ocp-batch-file-isdirectory");
  if (isDirectory !== null) parsed.ocpBatchFileIsdirectory = isDirectory.toLowerCase() === "true";
  const url = headers.get("ocp-batch-file-url");
  if (url !== null) parsed.ocpBatchFileUrl = url;
  const mode = headers.get("ocp-batch-file-mode");
  if (mode !== null) parsed.ocpBatchFileMode = mode;
  const contentType = headers.get("content-type");
  if (contentType !== null) parsed.contentType = contentType;
  const length = headers.get("content-length");
  if (length !== null && /^\d+$/.test(length)) parsed.contentLength = Number(length);
  return parsed;
}
