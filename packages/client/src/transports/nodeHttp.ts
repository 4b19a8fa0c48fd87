/**
 * The Node.js transport: node:http / node:https with keep-alive agents owned by the client, so connections are
 * reused across requests and `close()` releases them. The path is sent byte for byte (no URL normalisation, no
 * header rewriting), which is what SharedKey verification needs.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { AbortError } from "../batchError.js";
import { notSentCodes, splitUrl, TransportError, type HttpTransport, type TransportRequest, type TransportResponse } from "../transport.js";

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

