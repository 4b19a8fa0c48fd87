/**
 * A local HTTP server whose answers a test scripts per request — including the ways a real service or network
 * misbehaves: never answering, stalling mid-body, dropping the connection after reading the request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ScriptedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
  /** Resolves when the client closes this request's connection. */
  readonly closed: Promise<void>;
}

/** Answers request number `index` (0-based). */
export type ScriptedHandler = (request: ScriptedRequest, response: ServerResponse, index: number) => void;

export interface ScriptedServer {
  readonly url: string;
  readonly requests: ScriptedRequest[];
  /** Resolves once `count` requests have arrived. */
  requestCount(count: number): Promise<void>;
  close(): Promise<void>;
}

export function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json;odata=minimalmetadata", "request-id": `req-${status}`, ...headers });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}

export function batchError(response: ServerResponse, status: number, code: string): void {
  json(response, status, { code, message: { lang: "en-US", value: `${code} for the test` } });
}

/** Drops the connection without answering (after the request was read: the service may have acted on it). */
export function dropConnection(response: ServerResponse): void {
  response.socket?.destroy();
}

/** Leaves the request unanswered; `close()` ends it. */
export function hang(): void {}

export async function startScriptedServer(handler: ScriptedHandler): Promise<ScriptedServer> {
  const requests: ScriptedRequest[] = [];
  const sockets = new Set<Socket>();
  let waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const closed = new Promise<void>((resolve) => response.on("close", () => resolve()));
      const recorded: ScriptedRequest = {
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        closed,
      };
      requests.push(recorded);
      handler(recorded, response, requests.length - 1);
      const ready = waiters.filter((waiter) => requests.length >= waiter.count);
      waiters = waiters.filter((waiter) => requests.length < waiter.count);
      for (const waiter of ready) waiter.resolve();
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestCount: (count) =>
      requests.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
