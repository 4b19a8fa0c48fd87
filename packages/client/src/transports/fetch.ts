/**
 * The fetch transport: the default in browsers, usable on Node.js too. The browser owns connections (no pool to
 * close) and some headers: it sets Content-Length from the body (the signed value is the same number) and refuses
 * to let scripts set User-Agent, which is not signed. The URL is handed to fetch as built; the client percent-encodes
 * every path segment itself, so the URL parser has nothing left to normalise.
 *
 * Timeouts: `timeoutInMs` bounds the wait for the response, and for a buffered (non-streamed) body also its reading:
 * such a body is read whole here, under the same timer, so a stalled server fails the attempt with `ETIMEDOUT`.
 * Browsers do not say why a fetch failed; such failures count as possibly sent (`requestMayHaveBeenSent`).
 */
import { AbortError } from "../batchError.js";
import { notSentCodes, TransportError, type HttpTransport, type TransportRequest, type TransportResponse } from "../transport.js";

/** Headers that fetch computes itself (and browsers refuse from scripts). */
const browserOwned = new Set(["content-length", "user-agent", "host", "connection"]);

function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === "string" ? cause.code : undefined;
}

export class FetchHttpTransport implements HttpTransport {
  #closed = false;
  readonly #fetch: typeof fetch;

  /** @param fetchFunction the fetch to use. @default globalThis.fetch */
  constructor(fetchFunction: typeof fetch = globalThis.fetch.bind(globalThis)) {
    this.#fetch = fetchFunction;
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    if (this.#closed) throw new AbortError("The client is closed");
    if (request.abortSignal?.aborted) throw new AbortError("The operation was aborted");
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (!browserOwned.has(name.toLowerCase())) headers.set(name, value);
    }
    const timer = new AbortController();
    const timeoutInMs = request.timeoutInMs ?? 0;
    let timedOut = false;
    const timeout = timeoutInMs > 0 ? setTimeout(() => ((timedOut = true), timer.abort()), timeoutInMs) : undefined;
    const signal = request.abortSignal === undefined ? timer.signal : AbortSignal.any([request.abortSignal, timer.signal]);
    const failed = (error: unknown, phase: "send" | "read"): Error => {
      if (request.abortSignal?.aborted) return new AbortError("The operation was aborted", { cause: error });
      if (timedOut) return new TransportError(`${request.method} ${request.url} failed: no data from the server for ${timeoutInMs} ms`, "ETIMEDOUT", true, { cause: error });
      const code = causeCode(error);
      const notSent = phase === "send" && code !== undefined && notSentCodes.has(code);
      return new TransportError(`${request.method} ${request.url} failed: ${(error as Error).message}`, code, !notSent, { cause: error });
    };
    try {
      let response: Response;
      try {
        // `cache: "no-store"`: a browser would otherwise reuse GET answers that carry Last-Modified.
        const init = { method: request.method, headers, signal, redirect: "manual", cache: "no-store", credentials: "omit" } as const;
        response = await this.#fetch(request.url, { ...init, ...(request.body === undefined ? {} : { body: request.body as Uint8Array<ArrayBuffer> }) } as RequestInit);
      } catch (error) {
        throw failed(error, "send");
      }
      const success = response.status >= 200 && response.status < 300;
      if (request.streamResponse === true && success && response.body !== null) {
        clearTimeout(timeout);
        return { status: response.status, headers: response.headers, stream: response.body };
      }
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await response.arrayBuffer());
      } catch (error) {
        throw failed(error, "read");
      }
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          if (bytes.length > 0) controller.enqueue(bytes);
          controller.close();
        },
      });
      return { status: response.status, headers: response.headers, stream };
    } finally {
      clearTimeout(timeout);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
