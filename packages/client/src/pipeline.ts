/**
 * The request pipeline. Every request passes these stages, in this order:
 *
 *   1. request id   `client-request-id` (a fresh uuid per call unless the caller gave one; the same on every retry
 *                   of that call) and `return-client-request-id`
 *   2. retry loop   repeats stages 3–5 per the retry rule below, with exponential back-off and jitter
 *   3. date         `ocp-date` set to the attempt's time (unless the caller fixed it)
 *   4. auth         SharedKey signature over the exact bytes sent, or `Authorization: Bearer` from the cached token
 *   5. transport    keep-alive HTTP; the response body is read whole unless the caller streams it; a socket silent
 *                   for `requestTimeoutInMs` (default 100 s, msrest's) while the client waits for the response or
 *                   reads a buffered body fails the attempt with `ETIMEDOUT`, a transport failure like any other
 *
 * Retry rule (`RetryOptions`):
 * - 429 and 503 (throttling, `ServerBusy`): retried for every operation — the service did not do the work.
 * - 408, 500, 502, 504 and transport failures after the request may have reached the server: retried only for
 *   idempotent operations — GET, HEAD, PUT, PATCH, DELETE and the POSTs that set a state or are keyed by the
 *   caller's ids so a replay cannot do the work twice (see `retrySafety` in operation.ts). Creating POSTs (`add`),
 *   node reboot/reimage are not repeated, since a replay would fail with `…Exists` or reboot twice —
 *   unless `retryNonIdempotent` is set, which retries every operation as azure-batch's msrest does.
 * - Transport failures that prove the request never reached a server (connection refused, DNS failure, a reused
 *   idle socket reset before the request was read): retried for every operation.
 * - Anything else (4xx, 501): returned at once.
 * The delay before retry n (0-based) is `Retry-After` / `retry-after-ms` / `x-ms-retry-after-ms` when the service
 * sent one, else a random value in [d/2, d] with d = min(retryDelayInMs · 2ⁿ, maxRetryDelayInMs).
 */
import { AbortError, BatchError, type BatchRawResponse } from "./batchError.js";
import { BatchSharedKeyCredential, TokenCache } from "./credentials.js";
import { readText, splitUrl, TransportError, type HttpTransport, type ResponseBodyStream } from "./transport.js";

/** A version 4 UUID; `crypto.randomUUID` is missing in browsers' insecure contexts, `getRandomValues` is not. */
export function randomUUID(): string {
  if (typeof globalThis.crypto.randomUUID === "function") return globalThis.crypto.randomUUID();
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface RetryOptions {
  /** Retries after the first attempt. @default 3 */
  maxRetries?: number;
  /** Base delay of the exponential back-off. @default 800 */
  retryDelayInMs?: number;
  /** Cap of the computed back-off (a service `Retry-After` is honoured as given). @default 60000 */
  maxRetryDelayInMs?: number;
  /**
   * Also retry operations that are not idempotent (creating POSTs, reboot, reimage, terminate, …) after 408/500/502/
   * 504 or a transport failure once the request may have reached the service, as azure-batch (msrest) does. A replay
   * may then do the work twice or turn a success into an error such as `PoolExists`. @default false
   */
  retryNonIdempotent?: boolean;
}

export interface ResolvedRetryOptions {
  readonly maxRetries: number;
  readonly retryDelayInMs: number;
  readonly maxRetryDelayInMs: number;
  readonly retryNonIdempotent: boolean;
}

/** Fills in the defaults; `base` (the client's resolved options) under `options` (a call's overrides). */
export function resolveRetryOptions(options: RetryOptions = {}, base?: ResolvedRetryOptions): ResolvedRetryOptions {
  const delays = {
    maxRetries: options.maxRetries ?? base?.maxRetries ?? 3,
    retryDelayInMs: options.retryDelayInMs ?? base?.retryDelayInMs ?? 800,
    maxRetryDelayInMs: options.maxRetryDelayInMs ?? base?.maxRetryDelayInMs ?? 60000,
  };
  for (const [name, value] of Object.entries(delays)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new RangeError(`retryOptions.${name} must be a non-negative number`);
  }
  const retryNonIdempotent = options.retryNonIdempotent ?? base?.retryNonIdempotent ?? false;
  if (typeof retryNonIdempotent !== "boolean") throw new TypeError("retryOptions.retryNonIdempotent must be a boolean");
  return { ...delays, retryNonIdempotent };
}

/** msrest's connection timeout, which azure-batch uses. */
export const defaultRequestTimeoutInMs = 100_000;

/** Checks a `requestTimeoutInMs` option: a positive number of milliseconds, or 0 for none. */
export function checkRequestTimeout(value: number, option = "requestTimeoutInMs"): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new RangeError(`${option} must be a non-negative number of milliseconds (0 for none)`);
  return value;
}

/** Whether a request may be repeated after the service may have acted on it. */
export type RetrySafety = "idempotent" | "notIdempotent";

export interface PipelineRequest {
  readonly method: string;
  /** Absolute URL, sent verbatim. */
  readonly url: string;
  /** Headers other than auth, date and request ids. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  readonly abortSignal?: AbortSignal;
  readonly clientRequestId?: string;
  readonly returnClientRequestId?: boolean;
  /** RFC 1123; fixed for every attempt when given. */
  readonly ocpDate?: string;
  readonly safety: RetrySafety;
  /** Leave the body unread on success (downloads); it is read on errors. */
  readonly streamResponse?: boolean;
  /** Overrides the client's retry options, field by field. */
  readonly retryOptions?: RetryOptions;
  /** Overrides the client's request timeout (0 for none). */
  readonly requestTimeoutInMs?: number;
}

export interface PipelineResponse extends BatchRawResponse {
  /** The unread body, for streamed responses with a success status. */
  readonly stream?: ResponseBodyStream;
}

export type PipelineCredential = BatchSharedKeyCredential | TokenCache;

const alwaysRetriedStatuses = new Set([429, 503]);
const idempotentRetriedStatuses = new Set([408, 500, 502, 504]);

/** The back-off before retry `retry` (0-based), honouring the service's retry-after headers. */
export function retryDelayInMs(retry: number, options: ResolvedRetryOptions, headers?: Headers, random: () => number = Math.random): number {
  if (headers !== undefined) {
    for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
      const value = Number(headers.get(name) ?? "NaN");
      if (Number.isFinite(value) && value >= 0) return value;
    }
    const retryAfter = headers.get("retry-after");
    if (retryAfter !== null) {
      const seconds = Number(retryAfter);
      if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
      const date = Date.parse(retryAfter);
      if (Number.isFinite(date)) return Math.max(0, date - Date.now());
    }
  }
  const capped = Math.min(options.retryDelayInMs * 2 ** retry, options.maxRetryDelayInMs);
  return capped / 2 + random() * (capped / 2);
}

/** Resolves after `ms`, or rejects with AbortError when the signal fires. */
export function sleep(ms: number, abortSignal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (abortSignal?.aborted) {
      reject(new AbortError("The operation was aborted"));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError("The operation was aborted"));
    };
    const timer = setTimeout(() => {
      abortSignal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    abortSignal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface PipelineOptions {
  readonly transport: HttpTransport;
  readonly credential: PipelineCredential;
  readonly retryOptions: ResolvedRetryOptions;
  /** How long the socket may stay silent while a response is awaited or a buffered body read; 0 for no limit. */
  readonly requestTimeoutInMs: number;
  readonly userAgent: string;
}

export class Pipeline {
  constructor(private readonly options: PipelineOptions) {}

  async send(request: PipelineRequest): Promise<PipelineResponse> {
    const clientRequestId = request.clientRequestId ?? randomUUID();
    const retry = request.retryOptions === undefined ? this.options.retryOptions : resolveRetryOptions(request.retryOptions, this.options.retryOptions);
    const timeoutInMs = request.requestTimeoutInMs === undefined ? this.options.requestTimeoutInMs : checkRequestTimeout(request.requestTimeoutInMs);
    const replayable = request.safety === "idempotent" || retry.retryNonIdempotent;
    const afterOrigin = splitUrl(request.url).pathAndQuery;
    const queryStart = afterOrigin.indexOf("?");
    const rawPath = queryStart < 0 ? afterOrigin : afterOrigin.slice(0, queryStart);
    const rawQuery = queryStart < 0 ? "" : afterOrigin.slice(queryStart + 1);
    const requestInfo = { method: request.method, url: request.url, clientRequestId };
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = {
        ...request.headers,
        "client-request-id": clientRequestId,
        "return-client-request-id": request.returnClientRequestId === true ? "true" : "false",
        "ocp-date": request.ocpDate ?? new Date().toUTCString(),
        "user-agent": this.options.userAgent,
      };
      if (request.body !== undefined) headers["content-length"] = String(request.body.length);
      else if (request.method !== "GET" && request.method !== "HEAD") headers["content-length"] = "0";
      const credential = this.options.credential;
      if (credential instanceof BatchSharedKeyCredential) {
        headers["authorization"] = await credential.sign({ method: request.method, rawPath, rawQuery, headers });
      } else {
        headers["authorization"] = `Bearer ${await credential.getToken(request.abortSignal)}`;
      }
      const canRetry = attempt < retry.maxRetries;
      let response;
      try {
        response = await this.options.transport.send({
          method: request.method,
          url: request.url,
          headers,
          ...(request.body === undefined ? {} : { body: request.body }),
          ...(request.abortSignal === undefined ? {} : { abortSignal: request.abortSignal }),
          ...(timeoutInMs > 0 ? { timeoutInMs } : {}),
          ...(request.streamResponse === true ? { streamResponse: true } : {}),
        });
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        if (canRetry && (!error.requestMayHaveBeenSent || replayable)) {
          await sleep(retryDelayInMs(attempt, retry), request.abortSignal);
          continue;
        }
        throw new BatchError(error.message, {
          ...(error.code === undefined ? {} : { code: error.code }),
          clientRequestId,
          cause: error,
        });
      }
      const { status } = response;
      const success = status >= 200 && status < 300;
      const retriable = alwaysRetriedStatuses.has(status) || (idempotentRetriedStatuses.has(status) && replayable);
      if (success && request.streamResponse === true) {
        return { status, headers: response.headers, bodyAsText: "", request: requestInfo, stream: response.stream };
      }
      let bodyAsText: string;
      try {
        bodyAsText = await readText(response.stream, request.abortSignal);
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        if (canRetry && replayable) {
          await sleep(retryDelayInMs(attempt, retry), request.abortSignal);
          continue;
        }
        throw new BatchError(error.message, { ...(error.code === undefined ? {} : { code: error.code }), clientRequestId, cause: error });
      }
      if (retriable && canRetry) {
        await sleep(retryDelayInMs(attempt, retry, response.headers), request.abortSignal);
        continue;
      }
      return { status, headers: response.headers, bodyAsText, request: requestInfo };
    }
  }
}
