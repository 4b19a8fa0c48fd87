/**
 * A local HTTP server (node:http on 127.0.0.1:0) that records every request — method, raw path and query as
 * received, headers, body bytes — and answers through a handler the test supplies. By default it answers like the
 * Batch service would for the operation the request routes to: its exact success status, `request-id`, and a
 * minimal body (`{ value: [] }` for lists, `{}` for entities, bytes for downloads).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { operations, type OperationSpec } from "@openbatch/protocol";

export interface RecordedRequest {
  readonly method: string;
  /** The raw request target: path and query exactly as received. */
  readonly rawUrl: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  /** Lower-cased names, first value. */
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** The operation the request routes to, if any. */
  readonly operation: OperationSpec | undefined;
  /** JSON-parsed body, when it is JSON. */
  readonly json: unknown;
  /** The client's port: equal on two requests when they shared a keep-alive connection. */
  readonly remotePort: number | undefined;
  /** When the request was complete (ms since epoch). */
  readonly receivedAt: number;
}

export type RecordingHandler = (request: RecordedRequest, response: ServerResponse, index: number) => void | Promise<void>;

export interface RecordingServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

const routes = operations.map((operation) => {
  const pattern = operation.path
    .split(/(\{\w+\})/)
    .map((part) => (part.startsWith("{") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return { operation: operation as OperationSpec, regex: new RegExp(`^${pattern}$`) };
});

/** The operation a raw path and method route to (literal segments win: `/pools/x/nodes` is not `/pools/{poolId}`). */
export function routeOf(method: string, rawPath: string): OperationSpec | undefined {
  return routes.find((route) => route.operation.method === method && route.regex.test(rawPath) && !("removedIn" in route.operation))?.operation;
}

/** The default answer: the operation's success status and a minimal body. */
export function answerAsService(request: RecordedRequest, response: ServerResponse): void {
  response.setHeader("request-id", randomUUID());
  const operation = request.operation;
  if (operation === undefined) {
    response.writeHead(404, { "content-type": "application/json;odata=minimalmetadata" });
    response.end(JSON.stringify({ code: "InvalidUri", message: { lang: "en-US", value: `No route for ${request.method} ${request.rawPath}` } }));
    return;
  }
  if (request.headers["return-client-request-id"] === "true" && request.headers["client-request-id"] !== undefined) {
    response.setHeader("client-request-id", request.headers["client-request-id"]);
  }
  if (operation.responseBody === "raw") {
    const data = Buffer.from("file-bytes\n");
    response.writeHead(operation.status, { "content-type": "application/octet-stream", "content-length": data.length });
    response.end(operation.method === "HEAD" ? undefined : data);
    return;
  }
  if (operation.method === "HEAD" || operation.responseBody === undefined) {
    response.writeHead(operation.status, { etag: "0x8DC0000000000001", "last-modified": new Date(0).toUTCString() });
    response.end();
    return;
  }
  let body: unknown = {};
  if (operation.paged === true) body = { value: [] };
  if (operation.operationId === "Task_AddCollection") {
    const tasks = ((request.json as { value?: { id: string }[] } | undefined)?.value ?? []).map((task) => ({ status: "success", taskId: task.id }));
    body = { value: tasks };
  }
  response.writeHead(operation.status, { "content-type": "application/json;odata=minimalmetadata" });
  response.end(JSON.stringify(body));
}

export async function startRecordingServer(handler: RecordingHandler = answerAsService): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const rawUrl = req.url ?? "/";
      const queryStart = rawUrl.indexOf("?");
      const rawPath = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? (value[0] ?? "") : value;
      }
      const body = Buffer.concat(chunks);
      let json: unknown;
      try {
        json = body.length === 0 ? undefined : JSON.parse(body.toString("utf8"));
      } catch {
        json = undefined;
      }
      const recorded: RecordedRequest = {
        method: req.method ?? "GET",
        rawUrl,
        rawPath,
        rawQuery: queryStart < 0 ? "" : rawUrl.slice(queryStart + 1),
        headers,
        body,
        operation: routeOf(req.method ?? "GET", rawPath),
        json,
        remotePort: req.socket.remotePort,
        receivedAt: Date.now(),
      };
      const index = requests.push(recorded) - 1;
      Promise.resolve(handler(recorded, res, index)).catch((error: unknown) => {
        res.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
