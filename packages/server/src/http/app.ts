/**
 * The request pipeline, top to bottom. Every Batch request passes these stages in this order; each stage either
 * adds to the request's context or throws a ServiceError, which `sendError` turns into the Batch error body.
 *
 *   1. request id        a fresh `request-id` on every response; `client-request-id` echoed when asked
 *   2. api-version       missing → 400 MissingRequiredQueryParameter; unknown → 400 InvalidQueryParameterValue
 *   3. authentication    SharedKey or Bearer → the account; else 403 AuthenticationFailed
 *   4. route             raw percent-encoded path + method → operation (404 InvalidUri, 405 UnsupportedHttpVerb);
 *                        query options checked against the operation and parsed as their declared types (400
 *                        naming the parameter), `$select` names against the operation's response model (400
 *                        naming the property)
 *   5. body parsing      any JSON content type (the SDKs send `application/json; odata=minimalmetadata;
 *                        charset=utf-8`), else 400 InvalidHeaderValue naming Content-Type (so is a charset other
 *                        than UTF-8); > 1 MiB → 413 RequestBodyTooLarge; malformed → 400 InvalidRequestBody
 *   6. validation        the operation's wire model → 400 MissingRequiredProperty / InvalidPropertyValue /
 *                        UnsupportedProperty naming the property
 *   7. handler           the operation's handler (every operation has one: HandlerTable), raced against the
 *                        request's `timeout`; it gets typed path parameters, query parameters and body
 *   8. response          the operation's exact success status, ETag / Last-Modified / DataServiceId headers
 *
 * `GET /healthz` sits outside the pipeline: no api-version, no authentication. Its `details` say how tasks are
 * isolated (docs/security.md) — "tasks are not isolated" when they are not — and nothing secret.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import {
  formatHttpDate,
  isServiceError,
  limits,
  serviceError,
  type ErrorDetail,
  type ServiceError,
} from "@openbatch/core";
import {
  acceptedQueryParameters,
  isApiVersion,
  parseQueryParameters,
  validateBody,
  wireModels,
  type ApiVersion,
  type OperationId,
} from "@openbatch/protocol";
import { isStoreError } from "@openbatch/store";
import type { Authenticator } from "../auth/authenticate.js";
import type { ResolvedServerConfig } from "../config.js";
import { batchErrorBody } from "./errorBody.js";
import type { HandlerTable, OperationResult, RequestContext } from "./context.js";
import { firstHeader } from "./headers.js";
import { checkJsonContentType, parseJsonBody } from "./jsonBody.js";
import { matchRoute, type RouteMatch } from "./router.js";
import { parseSelect, selectableProperties } from "../odata/listQuery.js";
import { authorize } from "../auth/authorize.js";

export interface AppDependencies {
  readonly config: ResolvedServerConfig;
  readonly authenticator: Authenticator;
  readonly handlers: HandlerTable;
  /** Answers /healthz: true once the server is ready to serve. */
  readonly isReady: () => boolean;
  /** Facts /healthz reports beside its status (how tasks are isolated). */
  readonly healthDetails?: () => Record<string, unknown>;
}

interface PipelineState {
  readonly requestId: string;
  readonly baseUrl: string;
  readonly rawPath: string;
  readonly query: Map<string, string>;
  readonly now: Date;
  account?: string;
  route?: RouteMatch;
  apiVersion?: ApiVersion;
  timeoutInSeconds?: number;
  /** The operation's own query parameters, parsed as their declared types. */
  typedQuery?: object;
  body?: unknown;
}

declare module "fastify" {
  interface FastifyRequest {
    batch?: PipelineState;
  }
}

/** A handler as the pipeline calls it, whatever its operation. */
type UntypedHandler = (request: { ctx: RequestContext; params: object; query: object; body: unknown }) => Promise<OperationResult>;

const commonQueryParameters = new Set(["api-version", "timeout"]);
const jsonContentType = "application/json;odata=minimalmetadata";

function queryError(code: "MissingRequiredQueryParameter" | "InvalidQueryParameterValue" | "UnsupportedQueryParameter", name: string, value?: string, reason?: string): ServiceError {
  const values: ErrorDetail[] = [{ key: "QueryParameterName", value: name }];
  if (value !== undefined) values.push({ key: "QueryParameterValue", value });
  if (reason !== undefined) values.push({ key: "Reason", value: reason });
  const message =
    code === "MissingRequiredQueryParameter"
      ? `The query parameter '${name}' is required but was not specified.`
      : code === "UnsupportedQueryParameter"
        ? `The query parameter '${name}' is not supported by this operation.`
        : `Value for the query parameter '${name}' is invalid.${reason === undefined ? "" : ` ${reason}`}`;
  return serviceError(code, { message, values });
}

/** The certificate and key of `config.tls`, read once; a file that cannot be read is named. */
function tlsMaterial(tls: NonNullable<AppDependencies["config"]["tls"]>): { cert: Buffer; key: Buffer } {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new Error(`The TLS ${what} file '${file}' cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
  };
  return { cert: read(tls.certFile, "certificate"), key: read(tls.keyFile, "key") };
}

export function createApp(deps: AppDependencies): FastifyInstance {
  const { config } = deps;
  // HTTPS serves the Batch API and the agent protocol alike; Fastify's types tie the instance to the server kind,
  // which nothing else here depends on.
  const https = config.tls === undefined ? {} : { https: tlsMaterial(config.tls) };
  const app = Fastify({
    ...(https as object),
    logger: config.logLevel === "silent" ? false : { level: config.logLevel, ...(config.logStream === undefined ? {} : { stream: config.logStream }) },
    // One access line per request is written by the onResponse hook below, without headers (keys, tokens).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.requestBodyMaxBytes,
    exposeHeadRoutes: false,
    genReqId: () => randomUUID(),
    // Malformed URLs are reported as Batch errors too.
    // Requests Node's HTTP parser refuses (unknown method tokens, oversized headers) never reach the pipeline;
    // they are answered here, in the same error format, and their connection is closed.
    clientErrorHandler: (error, socket) => answerClientError(error, socket, config),
    frameworkErrors: (error, request, reply) => {
      sendError(request, reply, serviceError("RequestUrlFailedToParse", { message: `The request URL could not be parsed: ${error.message}` }));
    },
  });

  // Stage 5 reads bodies as bytes whatever their content type; JSON parsing is ours, so its errors are Batch errors.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  app.get("/healthz", async (_request, reply) => {
    if (!deps.isReady()) return reply.code(503).send({ status: "starting" });
    const details = deps.healthDetails?.();
    return reply.code(200).send({ status: "ok", ...(details === undefined ? {} : { details }) });
  });

  app.route({
    method: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    url: "*",
    onRequest: async (request, reply) => {
      const state = beginRequest(request, reply); // 1
      state.apiVersion = requireApiVersion(state.query); // 2
      const principal = await deps.authenticator.authenticate(signable(request, state), state.now); // 3
      state.account = principal.account;
      state.route = matchRoute(request.method, state.rawPath); // 4
      authorize(principal, state.route);
      state.timeoutInSeconds = checkQuery(state.route, state.query, state.apiVersion);
      state.typedQuery = parseQueryParameters(acceptedQueryParameters(state.route.operation), state.query);
    },
    preValidation: async (request) => {
      const state = request.batch as PipelineState;
      state.body = parseBody(request.body, state.route as RouteMatch, request.headers["content-type"]); // 5, 6
    },
    handler: async (request, reply) => {
      const state = request.batch as PipelineState;
      const route = state.route as RouteMatch;
      // The one place where the table's per-operation types meet the request: the router named the parameters
      // from the same path template, parseQueryParameters typed the same query list and validateBody checked the
      // body against the same wire model the handler's types are derived from.
      const handler = deps.handlers[route.operation.operationId as OperationId] as UntypedHandler;
      const result = await runWithTimeout(handler, request, state); // 7
      sendResult(reply, state, result); // 8
      // An async handler that has called reply.send must return the reply, or Fastify ends a streamed body early.
      return reply;
    },
  });

  // Methods outside the operation table (OPTIONS, PROPFIND, …) reach no route; they get a Batch error too.
  app.setNotFoundHandler((request, reply) => {
    request.batch ??= { requestId: request.id, baseUrl: baseUrlOf(request), rawPath: (request.raw.url ?? "/").split("?")[0] ?? "/", query: new Map(), now: config.clock.now() };
    sendError(request, reply, serviceError("UnsupportedHttpVerb", {
      message: `The HTTP verb ${request.method} is not supported.`,
      values: [{ key: "HttpVerb", value: request.method }],
    }));
  });

  app.setErrorHandler((error, request, reply) => {
    sendError(request, reply, toServiceError(error, request));
  });

  app.addHook("onResponse", async (request, reply) => {
    const state = request.batch;
    request.log.info(
      { requestId: state?.requestId, account: state?.account, method: request.method, path: state?.rawPath, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      "request",
    );
  });

  function baseUrlOf(request: FastifyRequest): string {
    return config.publicUrl ?? `${request.protocol}://${request.headers.host ?? `${config.host}:${config.port}`}`;
  }

  // ── stages ─────────────────────────────────────────────────────────────────────────────────────────────────

  function beginRequest(request: FastifyRequest, reply: FastifyReply): PipelineState {
    const rawUrl = request.raw.url ?? "/";
    const queryStart = rawUrl.indexOf("?");
    const rawPath = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
    const query = new Map<string, string>();
    for (const [name, value] of new URLSearchParams(queryStart < 0 ? "" : rawUrl.slice(queryStart + 1))) {
      if (!query.has(name)) query.set(name, value);
    }
    const state: PipelineState = {
      requestId: request.id,
      baseUrl: baseUrlOf(request),
      rawPath,
      query,
      now: config.clock.now(),
    };
    request.batch = state;
    reply.header("request-id", state.requestId);
    reply.header("DataServiceVersion", "3.0;");
    const clientRequestId = firstHeader(request.headers["client-request-id"]);
    if (clientRequestId !== undefined && firstHeader(request.headers["return-client-request-id"])?.toLowerCase() === "true") {
      reply.header("client-request-id", clientRequestId);
    }
    return state;
  }

  function requireApiVersion(query: ReadonlyMap<string, string>): ApiVersion {
    const version = query.get("api-version");
    if (version === undefined || version === "") throw queryError("MissingRequiredQueryParameter", "api-version");
    if (!isApiVersion(version)) {
      throw queryError("InvalidQueryParameterValue", "api-version", version, "The api-version is not supported; use one of 2022-10-01.16.0, 2023-05-01.17.0, 2023-11-01.18.0, 2024-02-01.19.0.");
    }
    return version;
  }

  function signable(request: FastifyRequest, state: PipelineState) {
    const rawUrl = request.raw.url ?? "/";
    const queryStart = rawUrl.indexOf("?");
    const contentLength = firstHeader(request.headers["content-length"]);
    return {
      method: request.method,
      rawPath: state.rawPath,
      rawQuery: queryStart < 0 ? "" : rawUrl.slice(queryStart + 1),
      headers: request.headers,
      bodyIsEmpty: contentLength === undefined || contentLength === "0",
      host: firstHeader(request.headers.host),
    };
  }

  /** Checks the query options against the operation; returns the effective timeout. */
  function checkQuery(route: RouteMatch, query: ReadonlyMap<string, string>, apiVersion: ApiVersion): number {
    const { operation } = route;
    if (operation.removedIn !== undefined && apiVersion >= operation.removedIn) {
      throw serviceError("InvalidUri", {
        message: `${operation.operationId} is not available in api-version ${apiVersion}; it was removed in ${operation.removedIn}.`,
      });
    }
    const accepted: readonly string[] = acceptedQueryParameters(operation);
    for (const name of query.keys()) {
      if (commonQueryParameters.has(name) || accepted.includes(name)) continue;
      throw queryError("UnsupportedQueryParameter", name);
    }
    const select = query.get("$select");
    const selectable = selectableProperties(operation);
    if (select !== undefined && select.trim() !== "" && selectable !== undefined) parseSelect(select, selectable);
    const timeout = query.get("timeout");
    if (timeout === undefined) return limits.timeoutDefaultSeconds;
    if (!/^\d{1,9}$/.test(timeout) || Number(timeout) < 1) {
      throw queryError("InvalidQueryParameterValue", "timeout", timeout, "timeout must be a whole number of seconds, at least 1.");
    }
    // The service treats values above 30 as 30.
    return Math.min(Number(timeout), limits.timeoutDefaultSeconds);
  }

  function parseBody(raw: unknown, route: RouteMatch, contentType: string | string[] | undefined): unknown {
    const { operation } = route;
    if (operation.requestBody === undefined) return undefined;
    const bytes = Buffer.isBuffer(raw) ? raw : undefined;
    if (bytes === undefined || bytes.length === 0) {
      if (operation.requestBodyOptional === true) return undefined;
      throw serviceError("InvalidRequestBody", {
        message: `The request body is required: ${operation.operationId} expects a ${operation.requestBody}.`,
        values: [{ key: "Reason", value: "The request body is empty." }],
      });
    }
    checkJsonContentType(firstHeader(contentType));
    const parsed = parseJsonBody(bytes);
    return validateBody(wireModels[operation.requestBody], parsed);
  }

  async function runWithTimeout(handler: UntypedHandler, request: FastifyRequest, state: PipelineState): Promise<OperationResult> {
    const controller = new AbortController();
    const onClose = () => controller.abort(new Error("client closed the connection"));
    request.raw.once("close", onClose);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(new Error("timeout"));
        reject(serviceError("OperationTimedOut"));
      }, (state.timeoutInSeconds ?? limits.timeoutDefaultSeconds) * 1000);
    });
    const ctx: RequestContext = {
      requestId: state.requestId,
      account: state.account as string,
      apiVersion: state.apiVersion as ApiVersion,
      baseUrl: state.baseUrl,
      rawPath: state.rawPath,
      sentQuery: state.query,
      headers: request.headers,
      operation: (state.route as RouteMatch).operation,
      now: state.now,
      signal: controller.signal,
    };
    try {
      const params = (state.route as RouteMatch).params;
      return await Promise.race([handler({ ctx, params, query: state.typedQuery ?? {}, body: state.body }), timedOut]);
    } finally {
      clearTimeout(timer);
      request.raw.off("close", onClose);
    }
  }

  function sendResult(reply: FastifyReply, state: PipelineState, result: OperationResult): void {
    const operation = (state.route as RouteMatch).operation;
    reply.code(operation.status);
    if (result.version !== undefined) {
      reply.header("ETag", result.version.eTag);
      reply.header("Last-Modified", formatHttpDate(result.version.lastModified));
    }
    if (result.dataServiceId !== undefined) reply.header("DataServiceId", result.dataServiceId);
    if (result.raw !== undefined) {
      reply.headers(result.raw.headers);
      void reply.send(operation.method === "HEAD" ? undefined : result.raw.data);
      return;
    }
    if ((result.body === undefined && result.json === undefined) || operation.method === "HEAD") {
      void reply.send();
      return;
    }
    reply.header("content-type", jsonContentType);
    void reply.send(result.json ?? JSON.stringify(result.body));
  }

  function toServiceError(error: unknown, request: FastifyRequest): ServiceError {
    if (isServiceError(error)) return error;
    const code = (error as { code?: unknown }).code;
    switch (code) {
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return serviceError("RequestBodyTooLarge", {
          message: `The request body is too large and exceeds the maximum permissible limit of ${limits.requestBodyMaxBytes} bytes.`,
          values: [{ key: "MaxLimit", value: String(limits.requestBodyMaxBytes) }],
        });
      case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
        return serviceError("InvalidHeaderValue", {
          message: "The Content-Length header does not match the request body.",
          values: [{ key: "HeaderName", value: "Content-Length" }],
        });
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      case "FST_ERR_CTP_INVALID_TYPE":
        return serviceError("InvalidHeaderValue", {
          message: "The Content-Type header is missing or invalid.",
          values: [{ key: "HeaderName", value: "Content-Type" }],
        });
    }
    // The database is unreachable or restarting (or a transaction kept conflicting): a retryable 503, which the
    // official SDKs retry, rather than a 500.
    if (isStoreError(error, "unavailable")) {
      request.log.warn({ err: error, requestId: request.batch?.requestId }, "store unavailable");
      return serviceError("ServerBusy");
    }
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) {
      return serviceError("InvalidInput", { message: `The request is not valid: ${(error as Error).message}` });
    }
    request.log.error({ err: error, requestId: request.batch?.requestId }, "internal error");
    return serviceError("InternalError");
  }

  function sendError(request: FastifyRequest, reply: FastifyReply, error: ServiceError): void {
    const state = request.batch;
    const requestId = state?.requestId ?? request.id;
    const baseUrl = state?.baseUrl ?? config.publicUrl ?? `http://${request.headers.host ?? config.host}`;
    reply.header("request-id", requestId);
    reply.code(error.status);
    if (error.status === 304 || request.method === "HEAD") {
      void reply.send();
      return;
    }
    reply.header("content-type", jsonContentType);
    void reply.send(JSON.stringify(batchErrorBody(baseUrl, error.code, error.message, requestId, state?.now ?? config.clock.now(), error.values)));
  }

  return app;
}

/** Writes a Batch error for a request Node's HTTP parser refused, then closes the connection. */
function answerClientError(error: Error & { code?: string }, socket: Socket, config: ResolvedServerConfig): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
  const failure = tooLarge
    ? serviceError("InvalidHeaderValue", { status: 431, message: "The request's headers (including its URL) are too large." })
    : error.code === "HPE_INVALID_METHOD"
      ? serviceError("UnsupportedHttpVerb", { message: "The HTTP verb is not supported." })
      : serviceError("InvalidInput", { message: "The request is not a valid HTTP request." });
  const requestId = randomUUID();
  const body = JSON.stringify(
    batchErrorBody(config.publicUrl ?? `http://${config.host}:${config.port}`, failure.code, failure.message, requestId, config.clock.now(), failure.values),
  );
  const reason = tooLarge ? "Request Header Fields Too Large" : failure.status === 405 ? "Method Not Allowed" : "Bad Request";
  socket.end(
    `HTTP/1.1 ${failure.status} ${reason}\r\n` +
      `request-id: ${requestId}\r\n` +
      `content-type: ${jsonContentType}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      "connection: close\r\n\r\n" +
      body,
  );
}
