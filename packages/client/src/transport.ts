/**
 * The HTTP transport: node:http / node:https with keep-alive agents owned by the client, so connections are reused
 * across requests and `close()` releases them. Requests go out with the exact path, headers and Content-Length the
 * signer saw (no URL normalisation, no header rewriting), which is what SharedKey verification needs.
 *
 * A transport failure is a `TransportError` that says whether the request may have reached the server
 * (`requestMayHaveBeenSent`); the retry policy uses it to decide whether a non-idempotent request can be repeated.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { AbortError } from "./batchError.js";

export interface TransportRequest {
  readonly method: string;
  /** Absolute URL; the path and query are sent byte for byte. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly abortSignal?: AbortSignal;
  /**
   * Fails the request with a TransportError `ETIMEDOUT` when the connection stays silent this long while the
   * response is awaited, or while its body is read unless `streamResponse` is set. @default no limit
   */
  readonly timeoutInMs?: number;
  /** The caller streams the body at its own pace: the timeout stops once the response headers arrive. */
  readonly streamResponse?: boolean;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The response body stream; read it or `destroy()` it. */
  readonly stream: IncomingMessage;
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
const notSentCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN", "ERR_INVALID_URL"]);

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

export interface NodeHttpTransportOptions {
  /** Sockets per host. @default 64 */
  readonly maxSockets?: number;
  /** How long an idle pooled socket is kept. @default 30000 */
  readonly keepAliveTimeoutInMs?: number;
}

export class NodeHttpTransport implements HttpTransport {
  readonly #http: HttpAgent;
  readonly #https: HttpsAgent;
  #closed = false;

  constructor(options: NodeHttpTransportOptions = {}) {
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64, timeout: options.keepAliveTimeoutInMs ?? 30000 };
    this.#http = new HttpAgent(agentOptions);
    this.#https = new HttpsAgent(agentOptions);
  }

  send(request: TransportRequest): Promise<TransportResponse> {
    if (this.#closed) return Promise.reject(new AbortError("The client is closed"));
    const url = new URL(request.url);
    const secure = url.protocol === "https:";
    // The path is taken from the string, not from URL, so nothing is normalised or re-encoded.
    const path = splitUrl(request.url).pathAndQuery;
    return new Promise<TransportResponse>((resolve, reject) => {
      if (request.abortSignal?.aborted) {
        reject(new AbortError("The operation was aborted"));
        return;
      }
      const send = secure ? httpsRequest : httpRequest;
      const req = send({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: url.port === "" ? undefined : Number(url.port),
        method: request.method,
        path,
        headers: request.headers,
        agent: secure ? this.#https : this.#http,
        ...(request.abortSignal === undefined ? {} : { signal: request.abortSignal }),
      });
      let responded = false;
      let response: IncomingMessage | undefined;
      if (request.timeoutInMs !== undefined && request.timeoutInMs > 0) {
        const timeoutInMs = request.timeoutInMs;
        req.setTimeout(timeoutInMs, () => {
          const error: NodeJS.ErrnoException = new Error(`no data from the server for ${timeoutInMs} ms`);
          error.code = "ETIMEDOUT";
          // Failing the response too makes a stalled body read end with this error rather than a bare reset.
          response?.destroy(error);
          req.destroy(error);
        });
      }
      req.on("response", (message) => {
        responded = true;
        response = message;
        const status = message.statusCode ?? 0;
        if (request.streamResponse === true && status >= 200 && status < 300) req.setTimeout(0);
        const signal = request.abortSignal;
        if (signal !== undefined) {
          // Node would fail the body with a bare ECONNRESET "aborted"; a reader of the stream should see the abort.
          const onAbort = () => message.destroy(new AbortError("The operation was aborted"));
          signal.addEventListener("abort", onAbort, { once: true });
          message.once("close", () => signal.removeEventListener("abort", onAbort));
        }
        const headers = new Headers();
        for (let i = 0; i < message.rawHeaders.length; i += 2) {
          headers.append(message.rawHeaders[i] as string, message.rawHeaders[i + 1] as string);
        }
        resolve({ status: message.statusCode ?? 0, headers, stream: message });
      });
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (responded) return;
        if (request.abortSignal?.aborted || error.name === "AbortError") {
          reject(new AbortError("The operation was aborted", { cause: error }));
          return;
        }
        const code = error.code;
        // A reused keep-alive socket the server had already closed fails before the request is read (Node docs).
        const idleSocketRace = req.reusedSocket && (code === "ECONNRESET" || code === "EPIPE");
        const notSent = (code !== undefined && notSentCodes.has(code)) || idleSocketRace;
        reject(new TransportError(`${request.method} ${request.url} failed: ${error.message}`, code, !notSent, { cause: error }));
      });
      req.end(request.body);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#http.destroy();
    this.#https.destroy();
  }
}

/** Reads a response stream whole, as text. Transport errors while reading become TransportErrors (sent = true). */
export async function readText(stream: IncomingMessage, abortSignal?: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch (error) {
    if (abortSignal?.aborted) throw new AbortError("The operation was aborted", { cause: error });
    const code = (error as NodeJS.ErrnoException).code;
    throw new TransportError(`Reading the response failed: ${(error as Error).message}`, code, true, { cause: error });
  }
  return Buffer.concat(chunks).toString("utf8");
}
