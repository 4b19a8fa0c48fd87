/**
 * The agent's node-file server: the server proxies Batch file requests (`/pools/{p}/nodes/{n}/files/…`,
 * `/jobs/{j}/tasks/{t}/files/…`) here. Plain node:http; every request needs `Authorization: Bearer <agent token>`
 * (compared in constant time), checked before anything else.
 *
 *   GET    /nodes/{nodeId}/list?path=<dir>&recursive=true|false → 200 {"files":[NodeFileProperties…]}
 *   GET    /nodes/{nodeId}/file?path=<p>   [Range|ocp-range: bytes=a-b] → 200, the bytes (streamed)
 *   HEAD   /nodes/{nodeId}/file?path=<p>   → 200, the same headers, no body
 *   DELETE /nodes/{nodeId}/file?path=<p>&recursive=true|false → 200, no body
 *   GET    /service-logs                 → 200 {"files":[{name, sizeInBytes, createdMs, modifiedMs}…]} (the agent's logs)
 *   GET    /service-logs/file?name=<n>   → 200, the log file's bytes
 *
 * `path` is relative to the node root (`''` or absent = the root), `/`-separated, percent-encoded as any query
 * value; listing names are relative to the node root too. GET/HEAD answer with `content-type:
 * application/octet-stream`, `content-length`, `last-modified` (RFC 1123), `x-ob-file-mode` (`0100644`),
 * `x-ob-is-directory` (`true|false`), `x-ob-creation-time` (ISO, when the file system knows it) and
 * `x-ob-last-modified` (ISO, full precision). A directory answers with `x-ob-is-directory: true` and no body. A
 * range answers 200 (as Batch does) with `content-range: bytes a-b/size` and the range's length.
 *
 * Errors are `{code, message}` JSON: 400 InvalidFilePath / NotADirectory, 401 AuthenticationFailed, 404
 * FileNotFound / NodeNotFound / ResourceNotFound (unknown route), 405 UnsupportedHttpVerb, 409 DirectoryNotEmpty,
 * 416 InvalidRange, 500 InternalError (logged).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";
import type { Logger } from "../log.js";
import { parseByteRange } from "./byteRange.js";
import { FileApiError } from "./fileApiError.js";
import { deleteNodeFile, fileProperties, listNodeFiles, type NodeFileProperties } from "./nodeFiles.js";
import { firstLogLineTime } from "@openbatch/core";

export interface FileServerOptions {
  /** The address to listen on. @default "127.0.0.1" */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** The bearer token every request must carry. */
  readonly token: string;
  /** The root directory of a node this agent serves, or undefined when it hosts no such node (now). */
  readonly nodeRoot: (nodeId: string) => string | undefined;
  /** Where the agent writes its own log files (its Batch service logs); absent: it has none to serve. */
  readonly serviceLogDirectory?: string;
  readonly logger: Logger;
}

export interface FileServer {
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  close(): Promise<void>;
}

const nodeIdPattern = /^[A-Za-z0-9_-]{1,255}$/;

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { ...headers, "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/** An error answer; the code also travels in a header, because the answer to a HEAD request has no body. */
function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  sendJson(response, status, { code, message }, { "x-ob-error-code": code });
}

function fileHeaders(properties: NodeFileProperties): Record<string, string> {
  const modified = new Date(properties.lastModified);
  return {
    "content-type": "application/octet-stream",
    "last-modified": modified.toUTCString(),
    "x-ob-last-modified": properties.lastModified,
    "x-ob-file-mode": properties.fileMode,
    "x-ob-is-directory": String(properties.isDirectory),
    ...(properties.creationTime === undefined ? {} : { "x-ob-creation-time": properties.creationTime }),
  };
}

/** Log files are named `<something>.log` (with a rotation suffix): nothing else of the directory is served. */
const logNamePattern = /^[A-Za-z0-9_.-]+\.log(\.\d+)?$/;

async function serveServiceLogs(directory: string | undefined, url: URL, response: ServerResponse): Promise<void> {
  const names = directory === undefined ? [] : (await readdir(directory).catch(() => [] as string[])).filter((name) => logNamePattern.test(name));
  if (url.pathname === "/service-logs") {
    const files = [];
    for (const name of names.sort()) {
      const info = await stat(join(directory as string, name)).catch(() => undefined);
      if (info === undefined || !info.isFile()) continue;
      files.push({ name, sizeInBytes: info.size, createdMs: info.birthtimeMs > 0 ? info.birthtimeMs : ((await firstLineTime(join(directory as string, name))) ?? info.ctimeMs), modifiedMs: info.mtimeMs });
    }
    sendJson(response, 200, { files });
    return;
  }
  const name = url.searchParams.get("name") ?? "";
  if (!names.includes(name)) throw new FileApiError("FileNotFound", `The agent has no log file '${name}'.`);
  const path = join(directory as string, name);
  const info = await stat(path);
  response.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": info.size });
  await pipeline(createReadStream(path, { start: 0, end: Math.max(info.size - 1, 0) }), response);
}

/** The `time` of a JSON-lines log's first line, for file systems without birth times. */
async function firstLineTime(path: string): Promise<number | undefined> {
  const handle = await open(path, "r").catch(() => undefined);
  if (handle === undefined) return undefined;
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    return firstLogLineTime(buffer.subarray(0, bytesRead).toString("utf8"));
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

export async function createFileServer(options: FileServerOptions): Promise<FileServer> {
  const expected = digest(`Bearer ${options.token}`);
  const logger = options.logger.child({ component: "fileServer" });

  const authorized = (request: IncomingMessage): boolean => timingSafeEqual(digest(request.headers.authorization ?? ""), expected);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (!authorized(request)) throw new FileApiError("AuthenticationFailed", "The request needs the agent's bearer token.");
    const url = new URL(request.url ?? "/", "http://agent.invalid");
    if (url.pathname === "/service-logs" || url.pathname === "/service-logs/file") {
      if (request.method !== "GET") {
        response.setHeader("allow", "GET");
        throw new FileApiError("UnsupportedHttpVerb", `${request.method ?? ""} is not supported on service logs.`);
      }
      await serveServiceLogs(options.serviceLogDirectory, url, response);
      return;
    }
    const match = /^\/nodes\/([^/]+)\/(list|file)$/.exec(url.pathname);
    if (match === null) throw new FileApiError("ResourceNotFound", "No such resource on the node-file server.");
    let nodeId: string;
    try {
      nodeId = decodeURIComponent(match[1] as string);
    } catch {
      throw new FileApiError("NodeNotFound", "The node id is not valid.");
    }
    const operation = match[2] as "list" | "file";
    const method = request.method ?? "GET";
    const allowed = operation === "list" ? ["GET"] : ["GET", "HEAD", "DELETE"];
    if (!allowed.includes(method)) {
      response.setHeader("allow", allowed.join(", "));
      throw new FileApiError("UnsupportedHttpVerb", `${method} is not supported on ${operation}.`);
    }
    const root = nodeIdPattern.test(nodeId) ? options.nodeRoot(nodeId) : undefined;
    if (root === undefined) throw new FileApiError("NodeNotFound", `The node '${nodeId}' is not hosted by this agent.`);
    const path = url.searchParams.get("path") ?? "";
    const recursive = (url.searchParams.get("recursive") ?? "").toLowerCase() === "true";

    if (operation === "list") {
      sendJson(response, 200, { files: await listNodeFiles(root, path, recursive) });
      return;
    }
    if (method === "DELETE") {
      await deleteNodeFile(root, path, recursive);
      response.writeHead(200, { "content-length": 0 });
      response.end();
      return;
    }
    const { properties, real } = await fileProperties(root, path);
    const headers = fileHeaders(properties);
    if (properties.isDirectory) {
      response.writeHead(200, { ...headers, "content-length": 0 });
      response.end();
      return;
    }
    const size = properties.contentLength;
    const rangeHeader = request.headers["ocp-range"] ?? request.headers.range;
    const range = typeof rangeHeader === "string" && rangeHeader.trim() !== "" ? parseByteRange(rangeHeader, size) : undefined;
    if (range !== undefined) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
    const length = range === undefined ? size : range.end - range.start + 1;
    response.writeHead(200, { ...headers, "content-length": length });
    if (method === "HEAD" || length === 0) {
      response.end();
      return;
    }
    // The file may shrink while it is read (a running task's output): never send more than announced.
    const stream = createReadStream(real, range === undefined ? { start: 0, end: Math.max(size - 1, 0) } : { start: range.start, end: range.end });
    await pipeline(stream, response);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof FileApiError) {
        sendError(response, error.status, error.code, error.message);
        return;
      }
      logger.log("error", "file request failed", { method: request.method, error });
      sendError(response, 500, "InternalError", "The node-file server failed to answer the request.");
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
