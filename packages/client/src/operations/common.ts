/** Shared plumbing of the operation groups: the three result shapes (body, headers, stream) and paged lists. */
import type { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { platform } from "#platform";
import type { OperationId } from "../generated/wireTable.js";
import { BatchError } from "../batchError.js";
import { sendOperation, type OperationCall, type OperationContext, type OperationResponse } from "../operation.js";
import type { AnyOperationOptions } from "../options.js";
import { createPagedIterator, type PagedAsyncIterableIterator } from "../paging.js";
import {
  attachResponse,
  parseFileHeaders,
  type BatchOperationResult,
  type BatchResponseHeaders,
  type FileResponseHeaders,
  type WithResponse,
} from "../responses.js";

/** A streamed response body, usable as a Node stream or a web stream (read one of them, once). */
export interface StreamedBody {
  /**
   * The body as a Node.js Readable (read it, pipe it, or `destroy()` it to release the connection). Node.js only:
   * in browsers reading it throws; use `body`.
   */
  readonly readableStreamBody: Readable;
  /** The same body as a web ReadableStream (on Node.js created on first access from `readableStreamBody`). */
  readonly body: WebReadableStream<Uint8Array>;
}

/** A file download: the streamed content plus the file headers. */
export type FileDownload = WithResponse<FileResponseHeaders & StreamedBody>;

/** A raw download without file headers (the node's .rdp file). */
export type StreamedResult = WithResponse<BatchResponseHeaders & StreamedBody>;

function invalidBody(operationId: OperationId, response: OperationResponse): BatchError {
  const requestId = response.info.parsedHeaders.requestId;
  return new BatchError(`${operationId}: the service answered ${response.status} without the expected JSON body`, {
    code: "InvalidResponseBody",
    statusCode: response.status,
    response: response.info,
    clientRequestId: response.info.request.clientRequestId,
    ...(requestId === undefined ? {} : { requestId }),
  });
}

/** Sends an operation that answers a JSON body; resolves to the body with `_response`. */
export async function bodyResult<T extends object>(context: OperationContext, operationId: OperationId, call: OperationCall): Promise<WithResponse<T>> {
  const response = await sendOperation(context, operationId, call);
  if (typeof response.body !== "object" || response.body === null) throw invalidBody(operationId, response);
  // OData annotations (`odata.metadata`) are protocol, not model.
  for (const key of Object.keys(response.body)) {
    if (key.startsWith("odata.")) delete (response.body as Record<string, unknown>)[key];
  }
  return attachResponse(response.body as T, response.info);
}

/** Sends an operation without a response body; resolves to its parsed headers with `_response`. */
export async function headersResult(context: OperationContext, operationId: OperationId, call: OperationCall): Promise<BatchOperationResult> {
  const response = await sendOperation(context, operationId, call);
  return attachResponse({ ...response.info.parsedHeaders }, response.info);
}

/** Sends an operation whose body is streamed back. */
export async function streamResult(context: OperationContext, operationId: OperationId, call: OperationCall): Promise<FileDownload> {
  const response = await sendOperation(context, operationId, { ...call, stream: true });
  const result = Object.assign(platform.streamedBody(response.raw.stream), parseFileHeaders(response.info.headers)) as FileResponseHeaders & StreamedBody;
  return attachResponse(result, response.info);
}

/** Sends a HEAD whose 404 means "no": resolves true on the success status, false on 404. */
export async function existsResult(context: OperationContext, operationId: OperationId, call: OperationCall): Promise<boolean> {
  const response = await sendOperation(context, operationId, { ...call, alsoAccept: [404] });
  return response.status !== 404;
}

/** A paged list operation; nothing is sent until the first item or page is requested. */
export function listResult<T>(context: OperationContext, operationId: OperationId, call: OperationCall): PagedAsyncIterableIterator<T> {
  return createPagedIterator<T>((page) =>
    sendOperation(context, operationId, {
      ...call,
      ...(page.nextLink === undefined ? {} : { nextLink: page.nextLink }),
      ...(page.maxPageSize === undefined ? {} : { maxPageSize: page.maxPageSize }),
    }),
  );
}

/** Narrows any per-method options bag to what `sendOperation` reads. */
export function opts(options: object | undefined): AnyOperationOptions | undefined {
  return options as AnyOperationOptions | undefined;
}
