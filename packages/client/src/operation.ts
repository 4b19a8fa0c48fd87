/**
 * `sendOperation`: turns one row of the protocol's operation table plus the caller's arguments into an HTTP request,
 * sends it through the pipeline and checks the answer. Every client method is a thin typed wrapper over it.
 *
 * - Path: the template with each `{param}` percent-encoded in full — every byte but `A–Z a–z 0–9 - . _ ~`, so `/` in
 *   a file path becomes `%2F` (as the official clients send it); the endpoint's own path prefix is kept.
 * - Query: `api-version` first, then `timeout` and the operation's OData options, values percent-encoded.
 * - Headers: `Accept: application/json`, the JSON content type on bodies, the conditional headers the operation
 *   accepts, `ocp-range` for downloads; request ids, date and auth are added by the pipeline.
 * - Status: the operation's exact success status (rest-api.md §3); anything else is a `BatchError`.
 */
import { extensionOperations, operations, type OperationId, type OperationSpec } from "./generated/wireTable.js";
import { platform } from "#platform";
import { BatchError, errorFromResponse } from "./batchError.js";
import { discardBody } from "./transport.js";
import type { AnyOperationOptions } from "./options.js";
import type { Pipeline, PipelineResponse, RetrySafety } from "./pipeline.js";
import { responseInfo, type BatchResponseInfo } from "./responses.js";

const operationsById: ReadonlyMap<OperationId, OperationSpec> = new Map(
  [...operations, ...extensionOperations].map((operation) => [operation.operationId, operation]),
);

type OperationSpecOf<Id extends OperationId> = Extract<(typeof operations)[number], { operationId: Id }>;
type ParameterNames<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}` ? Name | ParameterNames<Rest> : never;

/** The path parameters of an operation, typed from its template (`Pool_Get` → `{ poolId: string }`). */
export type PathParameters<Id extends OperationId> = { readonly [Name in ParameterNames<OperationSpecOf<Id>["path"]>]: string };

/** The JSON content type both official SDKs send, signed verbatim. */
export const jsonContentType = "application/json; odata=minimalmetadata; charset=utf-8";

/**
 * POSTs a replay of which cannot do the work twice or change the answer (they set a state, or evaluate): retried
 * like GETs. Other POSTs (creates, reboot, reimage, terminate, …) are repeated only when the service certainly did
 * not act on them (429/503, connection refused). `Task_AddCollection` is safe because the bulk helper treats
 * `TaskExists` on a retried task as success.
 */
const idempotentPosts: ReadonlySet<OperationId> = new Set<OperationId>([
  "Pool_DisableAutoScale",
  "Pool_EnableAutoScale",
  "Pool_EvaluateAutoScale",
  "Pool_Resize",
  "Pool_UpdateProperties",
  "ComputeNode_EnableScheduling",
  "ComputeNode_DisableScheduling",
  "ComputeNode_UploadBatchServiceLogs",
  "Task_AddCollection",
]);

/** Whether `operationId` may be repeated after the service may have acted on it. */
export function retrySafety(operationId: OperationId): RetrySafety {
  const spec = operationsById.get(operationId);
  if (spec === undefined) throw new TypeError(`Unknown operation ${operationId}`);
  return spec.method !== "POST" || idempotentPosts.has(operationId) ? "idempotent" : "notIdempotent";
}

/** Percent-encodes a path parameter as Python's `quote(value, safe='')`: everything but unreserved characters. */
export function encodePathSegment(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Percent-encodes a query value (spaces as %20). */
function encodeQueryValue(value: string): string {
  return encodePathSegment(value);
}

/** Option name → query parameter name. */
const queryOptions = {
  filter: "$filter",
  select: "$select",
  expand: "$expand",
  maxResults: "maxresults",
  recursive: "recursive",
  startTime: "starttime",
  endTime: "endtime",
} as const satisfies Partial<Record<keyof AnyOperationOptions, string>>;

const allConditions = ["ifMatch", "ifNoneMatch", "ifModifiedSince", "ifUnmodifiedSince"] as const;
const conditionHeaders = {
  ifMatch: "if-match",
  ifNoneMatch: "if-none-match",
  ifModifiedSince: "if-modified-since",
  ifUnmodifiedSince: "if-unmodified-since",
} as const;

function httpDate(value: Date | string, option: string): string {
  if (typeof value === "string") return value;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`${option} must be a valid Date or an RFC 1123 string`);
  return value.toUTCString();
}

function isoDate(value: Date | string, option: string): string {
  if (typeof value === "string") return value;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`${option} must be a valid Date or an ISO-8601 string`);
  return value.toISOString();
}

function queryValue(name: keyof typeof queryOptions, value: unknown): string {
  switch (name) {
    case "select":
    case "expand":
      if (Array.isArray(value)) return value.join(",");
      if (typeof value === "string") return value;
      break;
    case "filter":
      if (typeof value === "string") return value;
      break;
    case "maxResults":
      if (typeof value === "number" && Number.isInteger(value) && value >= 1) return String(value);
      throw new RangeError("maxResults must be a positive integer");
    case "recursive":
      if (typeof value === "boolean") return String(value);
      break;
    case "startTime":
    case "endTime":
      return isoDate(value as Date | string, name);
  }
  throw new TypeError(`${name} has an invalid value`);
}

export interface OperationCall {
  readonly path?: Readonly<Record<string, string>>;
  readonly options?: AnyOperationOptions | undefined;
  /** The JSON request body (serialised with JSON.stringify; Dates become ISO-8601 strings). */
  readonly body?: unknown;
  /** Success statuses besides the operation's own (e.g. 404 for `exists`). */
  readonly alsoAccept?: readonly number[];
  /** Returns the body as an unread stream (downloads). */
  readonly stream?: boolean;
  /** Follows this absolute `odata.nextLink` verbatim instead of building the URL. */
  readonly nextLink?: string;
  /** Overrides `maxResults` (byPage's `maxPageSize`). */
  readonly maxPageSize?: number;
}

export interface OperationResponse {
  readonly status: number;
  readonly info: BatchResponseInfo;
  /** The parsed JSON body, when the response has one. */
  readonly body: unknown;
  readonly raw: PipelineResponse;
}

export interface OperationContext {
  readonly endpoint: string;
  readonly apiVersion: string;
  readonly pipeline: Pipeline;
}

/** Builds the request URL of an operation (exported for tests and diagnostics). */
export function operationUrl(context: Pick<OperationContext, "endpoint" | "apiVersion">, operationId: OperationId, call: OperationCall = {}): string {
  const spec = operationsById.get(operationId);
  if (spec === undefined) throw new TypeError(`Unknown operation ${operationId}`);
  const options = call.options ?? {};
  const path = spec.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = call.path?.[name];
    if (typeof value !== "string" || value === "") throw new TypeError(`${operationId}: the path parameter ${name} must be a non-empty string`);
    return encodePathSegment(value);
  });
  const query: string[] = [`api-version=${encodeQueryValue(context.apiVersion)}`];
  for (const [option, name] of Object.entries(queryOptions) as [keyof typeof queryOptions, string][]) {
    let value: unknown = options[option];
    if (option === "maxResults" && call.maxPageSize !== undefined) value = call.maxPageSize;
    if (value === undefined) continue;
    if (!(spec.query as readonly string[]).includes(name)) {
      throw new TypeError(`${operationId} does not accept the option ${option} (${name})`);
    }
    query.push(`${name}=${encodeQueryValue(queryValue(option, value))}`);
  }
  if (options.timeout !== undefined && options.timeoutInSeconds !== undefined && options.timeout !== options.timeoutInSeconds) {
    throw new TypeError("timeout and timeoutInSeconds name the same option: give one of them");
  }
  const timeout = options.timeout ?? options.timeoutInSeconds;
  if (timeout !== undefined) {
    if (!Number.isInteger(timeout) || timeout < 1) throw new RangeError("timeout must be a positive integer number of seconds");
    query.push(`timeout=${timeout}`);
  }
  return `${context.endpoint}${path}?${query.join("&")}`;
}

/** Sends one operation and checks its status; throws BatchError for any other status. */
export async function sendOperation(context: OperationContext, operationId: OperationId, call: OperationCall = {}): Promise<OperationResponse> {
  const spec = operationsById.get(operationId);
  if (spec === undefined) throw new TypeError(`Unknown operation ${operationId}`);
  const options = call.options ?? {};
  let url: string;
  if (call.nextLink !== undefined) {
    const link = new URL(call.nextLink);
    if (link.origin !== new URL(context.endpoint).origin) {
      throw new TypeError(`Refusing to follow odata.nextLink to ${link.origin}: it is not the client's endpoint (${context.endpoint})`);
    }
    url = call.nextLink;
  } else {
    url = operationUrl(context, operationId, call);
  }
  const headers: Record<string, string> = { accept: "application/json" };
  for (const condition of allConditions) {
    const value = options[condition];
    if (value === undefined) continue;
    const allowed = spec.conditions === "all" || (spec.conditions === "dates" && (condition === "ifModifiedSince" || condition === "ifUnmodifiedSince"));
    if (!allowed) throw new TypeError(`${operationId} does not accept the option ${condition}`);
    headers[conditionHeaders[condition]] = condition === "ifMatch" || condition === "ifNoneMatch" ? String(value) : httpDate(value, condition);
  }
  if (options.ocpRange !== undefined) {
    if (spec.responseBody !== "raw" || spec.method !== "GET" || !spec.operationId.startsWith("File_")) {
      throw new TypeError(`${operationId} does not accept the option ocpRange`);
    }
    headers["ocp-range"] = options.ocpRange;
  }
  let body: Uint8Array | undefined;
  if (call.body !== undefined) {
    if (spec.requestBody === undefined) throw new TypeError(`${operationId} takes no request body`);
    body = platform.utf8(JSON.stringify(call.body));
    headers["content-type"] = jsonContentType;
  } else if (spec.requestBody !== undefined && spec.requestBodyOptional !== true) {
    throw new TypeError(`${operationId} requires a ${spec.requestBody} body`);
  }
  const raw = await context.pipeline.send({
    method: spec.method,
    url,
    headers,
    safety: retrySafety(operationId),
    ...(body === undefined ? {} : { body }),
    ...(options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal }),
    ...(options.clientRequestId === undefined ? {} : { clientRequestId: options.clientRequestId }),
    ...(options.returnClientRequestId === undefined ? {} : { returnClientRequestId: options.returnClientRequestId }),
    ...(options.ocpDate === undefined ? {} : { ocpDate: httpDate(options.ocpDate, "ocpDate") }),
    ...(options.retryOptions === undefined ? {} : { retryOptions: options.retryOptions }),
    ...(options.requestTimeoutInMs === undefined ? {} : { requestTimeoutInMs: options.requestTimeoutInMs }),
    ...(call.stream === true ? { streamResponse: true } : {}),
  });
  const info = responseInfo(raw);
  options.onResponse?.(info);
  if (raw.status !== spec.status && !(call.alsoAccept ?? []).includes(raw.status)) {
    discardBody(raw.stream);
    throw errorFromResponse(raw);
  }
  let parsed: unknown;
  if (raw.bodyAsText !== "" && /json/i.test(raw.headers.get("content-type") ?? "")) {
    try {
      parsed = JSON.parse(raw.bodyAsText);
    } catch (error) {
      const requestId = raw.headers.get("request-id") ?? undefined;
      throw new BatchError(`${operationId}: the response body is not valid JSON`, {
        code: "InvalidResponseBody",
        statusCode: raw.status,
        response: raw,
        clientRequestId: raw.request.clientRequestId,
        cause: error,
        ...(requestId === undefined ? {} : { requestId }),
      });
    }
  }
  return { status: raw.status, info, body: parsed, raw };
}
