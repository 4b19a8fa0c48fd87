/**
 * The client's one error type. Every failure the service reports — an unexpected status with or without a Batch error
 * body — and every transport failure that outlives the retries is a `BatchError`. Its `name` is `"RestError"`, so
 * `isRestError` from `@azure/core-rest-pipeline` recognises it too; `isBatchError` checks the name plus a brand that
 * survives duplicate copies of this package.
 *
 * Match on `code` (the Batch error code, e.g. `PoolNotFound`, or the Node error code for transport failures such as
 * `ECONNREFUSED`), never on `message`.
 */
import type { BatchErrorDetail } from "./models.js";

/** What the client knows about the HTTP exchange behind an error or a result. */
export interface BatchRawResponse {
  /** HTTP status. */
  readonly status: number;
  /** Raw response headers. */
  readonly headers: Headers;
  /** The response body as text (empty for HEAD, streamed downloads and bodiless answers). */
  readonly bodyAsText: string;
  /** The request that produced this response (last attempt). */
  readonly request: { readonly method: string; readonly url: string; readonly clientRequestId: string };
}

export interface BatchErrorOptions {
  readonly code?: string;
  readonly statusCode?: number;
  readonly requestId?: string;
  readonly clientRequestId?: string;
  readonly values?: readonly BatchErrorDetail[];
  readonly lang?: string;
  readonly response?: BatchRawResponse;
  readonly cause?: unknown;
}

const brand = Symbol.for("openbatch.client.BatchError");

export class BatchError extends Error {
  /** `"RestError"`, for compatibility with the Azure SDK's `isRestError`. */
  override readonly name = "RestError";
  /** The Batch error code (`PoolNotFound`, `ConditionNotMet`, …) or a transport error code (`ECONNREFUSED`).
   * Undefined when the service sent no error body (HEAD requests, proxies). */
  readonly code: string | undefined;
  /** HTTP status; undefined for transport failures (no response). */
  readonly statusCode: number | undefined;
  /** The service's `request-id` response header. */
  readonly requestId: string | undefined;
  /** The `client-request-id` this client sent (always set, whether or not the service echoed it). */
  readonly clientRequestId: string | undefined;
  /** The error body's detail values (`[{ key: "QueryParameterName", value: "api-version" }]`); empty when none. */
  readonly values: readonly BatchErrorDetail[];
  /** Language of `message` as the service stated it (`en-US`). */
  readonly lang: string | undefined;
  /** The HTTP exchange, when there was a response. */
  readonly response: BatchRawResponse | undefined;
  declare readonly [brand]: true;

  constructor(message: string, options: BatchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.statusCode = options.statusCode;
    this.requestId = options.requestId;
    this.clientRequestId = options.clientRequestId;
    this.values = options.values ?? [];
    this.lang = options.lang;
    this.response = options.response;
    Object.defineProperty(this, brand, { value: true, enumerable: false });
    // The response carries headers and text; keep it out of util.inspect / JSON noise.
    Object.defineProperty(this, "response", { value: options.response, enumerable: false });
  }

  /** The detail value for `key` (`error.value("Reason")`), if present. */
  value(key: string): string | undefined {
    return this.values.find((detail) => detail.key === key)?.value;
  }
}

/** True for errors thrown by this client (any copy of it). */
export function isBatchError(error: unknown): error is BatchError {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { name?: unknown }).name === "RestError" &&
    (error as { [brand]?: unknown })[brand] === true
  );
}

/** Thrown when an operation is cancelled through its `abortSignal` (or the client is closed). */
export class AbortError extends Error {
  override readonly name = "AbortError";
}

interface ErrorBodyShape {
  code?: unknown;
  message?: unknown;
  values?: unknown;
}

/**
 * Builds the BatchError for an unexpected status, from the Batch error body when there is one
 * (`{ code, message: { lang, value }, values: [{ key, value }] }`, rest-api.md §1.7).
 */
export function errorFromResponse(response: BatchRawResponse): BatchError {
  let body: ErrorBodyShape | undefined;
  const contentType = response.headers.get("content-type") ?? "";
  if (response.bodyAsText !== "" && /json/i.test(contentType)) {
    try {
      const parsed: unknown = JSON.parse(response.bodyAsText);
      if (typeof parsed === "object" && parsed !== null) body = parsed as ErrorBodyShape;
    } catch {
      body = undefined;
    }
  }
  const code = typeof body?.code === "string" ? body.code : undefined;
  let message: string | undefined;
  let lang: string | undefined;
  if (typeof body?.message === "string") {
    message = body.message;
  } else if (typeof body?.message === "object" && body.message !== null) {
    const { value, lang: language } = body.message as { value?: unknown; lang?: unknown };
    if (typeof value === "string") message = value;
    if (typeof language === "string") lang = language;
  }
  const values: BatchErrorDetail[] = [];
  if (Array.isArray(body?.values)) {
    for (const entry of body.values as unknown[]) {
      if (typeof entry !== "object" || entry === null) continue;
      const { key, value } = entry as { key?: unknown; value?: unknown };
      values.push({
        ...(typeof key === "string" ? { key } : {}),
        ...(typeof value === "string" ? { value } : {}),
      });
    }
  }
  const requestId = response.headers.get("request-id") ?? undefined;
  return new BatchError(message ?? `The service answered ${response.status}${code === undefined ? "" : ` ${code}`} to ${response.request.method} ${response.request.url}.`, {
    statusCode: response.status,
    response,
    values,
    clientRequestId: response.request.clientRequestId,
    ...(code === undefined ? {} : { code }),
    ...(lang === undefined ? {} : { lang }),
    ...(requestId === undefined ? {} : { requestId }),
  });
}
