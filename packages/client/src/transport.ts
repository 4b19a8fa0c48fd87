/**
 * What the pipeline needs from an HTTP transport, whatever carries the bytes: on Node.js `NodeHttpTransport`
 * (transports/nodeHttp.ts: node:http with keep-alive agents, the default there), in browsers `FetchHttpTransport`
 * (transports/fetch.ts, the default there). Requests go out with the exact path, headers and Content-Length the
 * signer saw, which is what SharedKey verification needs.
 *
 * A transport failure is a `TransportError` that says whether the request may have reached the server
 * (`requestMayHaveBeenSent`); the retry policy uses it to decide whether a non-idempotent request can be repeated.
 */
import type { IncomingMessage } from "node:http";
import { AbortError } from "./batchError.js";

export interface TransportRequest {
  readonly method: string;
  /** Absolute URL; the path and query are sent byte for byte. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body's bytes (a Buffer on Node.js). */
  readonly body?: Uint8Array;
  readonly abortSignal?: AbortSignal;
  /**
   * Fails the request with a TransportError `ETIMEDOUT` when the connection stays silent this long while the
   * response is awaited, or while its body is read unless `streamResponse` is set. @default no limit
   */
  readonly timeoutInMs?: number;
  /** The caller streams the body at its own pace: the timeout stops once the response headers arrive. */
  readonly streamResponse?: boolean;
}

/**
 * A response body as a transport hands it over: node:http's message (a Node.js Readable) or a fetch response's
 * web stream. Read it once (`chunksOf`, `readText`) or release it (`discardBody`).
 */
export type ResponseBodyStream = IncomingMessage | ReadableStream<Uint8Array>;

export interface TransportResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The response body stream; read it or release it (`discardBody`). */
  readonly stream: ResponseBodyStream;
}

/** What sends requests. Replaceable (`BatchServiceClientOptions.transport`) for tests and proxies. */
export interface HttpTransport {
  send(request: TransportRequest): Promise<TransportResponse>;
  /** Releases pooled connections. */
  close(): Promise<void>;
}

/** Splits an absolute URL into its origin part and its raw path + query, without parsing or normalising the path. */
export function splitUrl(url: string): { origin: string; pathAndQuery: string } {
  const authorityStart = url.indexOf("://");
  if (authorityStart < 0) throw new TypeError(`Not an absolute URL: ${url}`);
  const pathStart = url.slice(authorityStart + 3).search(/[/?#]/);
  if (pathStart < 0) return { origin: url, pathAndQuery: "/" };
  const index = authorityStart + 3 + pathStart;
  let pathAndQuery = url.slice(index).replace(/#.*$/, "");
  if (!pathAndQuery.startsWith("/")) pathAndQuery = `/${pathAndQuery}`;
  return { origin: url.slice(0, index), pathAndQuery };
}

/** Error codes that prove the request never left this process or never reached a server. */
export const notSentCodes: ReadonlySet<string> = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN", "ERR_INVALID_URL"]);

export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    message: string,
    readonly code: string | undefined,
    /** False only when the request certainly did not reach the server (connection refused, DNS, reset idle socket). */
    readonly requestMayHaveBeenSent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function isWebStream(stream: ResponseBodyStream): stream is ReadableStream<Uint8Array> {
  return typeof (stream as ReadableStream<Uint8Array>).getReader === "function";
}

/** The body's chunks as they arrive, from either kind of stream. */
export async function* chunksOf(stream: ResponseBodyStream): AsyncGenerator<Uint8Array> {
  if (!isWebStream(stream)) {
    for await (const chunk of stream) yield chunk as Uint8Array;
    return;
  }
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Stopping early (an error, a consumer that breaks out) must release the connection.
    await reader.cancel().catch(() => undefined);
  }
}

/** Releases a body that will not be read. */
export function discardBody(stream: ResponseBodyStream | undefined): void {
  if (stream === undefined) return;
  if (isWebStream(stream)) void stream.cancel().catch(() => undefined);
  else stream.destroy();
}

/** Reads a response stream whole, as text. Transport errors while reading become TransportErrors (sent = true). */
export async function readText(stream: ResponseBodyStream, abortSignal?: AbortSignal): Promise<string> {
  const decoder = new TextDecoder("utf-8");
  let text = "";
  try {
    for await (const chunk of chunksOf(stream)) text += decoder.decode(chunk, { stream: true });
  } catch (error) {
    if (abortSignal?.aborted) throw new AbortError("The operation was aborted", { cause: error });
    if (error instanceof TransportError) throw error;
    const code = (error as { code?: string }).code;
    throw new TransportError(`Reading the response failed: ${(error as Error).message}`, code, true, { cause: error });
  }
  return text + decoder.decode();
}
