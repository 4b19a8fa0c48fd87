/**
 * `GET /_events?api-version=…[&jobId=…][&poolId=…]`: an OpenBatch extension that streams the caller's account's
 * entity changes as Server-Sent Events (docs/events.md). It is authenticated like every Batch request (SharedKey
 * over the exact GET, Entra ID bearer, or a task token, which sees only its own job) and answers errors as Batch
 * error bodies before the stream starts. `Last-Event-ID` resumes after an event this server issued.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isServiceError, serviceError, type ServiceError } from "@openbatch/core";
import { isApiVersion } from "@openbatch/protocol";
import type { Authenticator } from "../auth/authenticate.js";
import type { ResolvedServerConfig } from "../config.js";
import { batchErrorBody } from "../http/errorBody.js";
import { firstHeader } from "../http/headers.js";
import { TooManySubscribers, type EventHub } from "./eventHub.js";

export const eventsPath = "/_events";

const allowedQuery = new Set(["api-version", "jobId", "poolId", "timeout"]);

function queryProblem(code: "MissingRequiredQueryParameter" | "InvalidQueryParameterValue" | "UnsupportedQueryParameter", name: string, message: string): ServiceError {
  return serviceError(code, { message, values: [{ key: "QueryParameterName", value: name }] });
}

export interface EventsRouteDependencies {
  readonly config: ResolvedServerConfig;
  readonly authenticator: Authenticator;
  readonly hub: EventHub;
}

export function registerEventsRoute(app: FastifyInstance, deps: EventsRouteDependencies): void {
  const { config, hub } = deps;
  // Open streams would hold the server's close forever; they end first.
  app.addHook("preClose", (done) => {
    hub.close();
    done();
  });

  app.get(eventsPath, async (request: FastifyRequest, reply: FastifyReply) => {
    const requestId = randomUUID();
    const now = config.clock.now();
    reply.header("request-id", requestId);
    let account: string;
    let filter: { jobId?: string; poolId?: string };
    try {
      ({ account, filter } = await admit(request, now));
    } catch (caught) {
      const error = isServiceError(caught) ? caught : serviceError("InternalError");
      if (!isServiceError(caught)) request.log.error({ err: caught, requestId }, "event stream admission failed");
      const baseUrl = config.publicUrl ?? `${request.protocol}://${request.headers.host ?? `${config.host}:${config.port}`}`;
      return reply
        .code(error.status)
        .header("content-type", "application/json;odata=minimalmetadata")
        .send(JSON.stringify(batchErrorBody(baseUrl, error.code, error.message, requestId, now, error.values)));
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
      "request-id": requestId,
    });
    raw.flushHeaders();
    let subscription;
    try {
      subscription = hub.subscribe(account, filter, firstHeader(request.headers["last-event-id"]), {
        write: (text) => raw.write(text),
        onDrain: (listener) => raw.once("drain", listener),
        end: () => raw.end(),
      });
    } catch (error) {
      if (!(error instanceof TooManySubscribers)) throw error;
      raw.end(`event: error\ndata: {"code":"ServerBusy","message":"${error.message}"}\n\n`);
      return reply;
    }
    request.raw.socket.setNoDelay(true);
    request.raw.socket.setTimeout(0);
    raw.once("close", () => subscription.close());
    return reply;
  });

  async function admit(request: FastifyRequest, now: Date): Promise<{ account: string; filter: { jobId?: string; poolId?: string } }> {
    const rawUrl = request.raw.url ?? "/";
    const queryStart = rawUrl.indexOf("?");
    const rawQuery = queryStart < 0 ? "" : rawUrl.slice(queryStart + 1);
    const query = new Map<string, string>();
    for (const [name, value] of new URLSearchParams(rawQuery)) if (!query.has(name)) query.set(name, value);
    const version = query.get("api-version");
    if (version === undefined || version === "") throw queryProblem("MissingRequiredQueryParameter", "api-version", "The query parameter 'api-version' is required but was not specified.");
    if (!isApiVersion(version)) throw queryProblem("InvalidQueryParameterValue", "api-version", `Value for the query parameter 'api-version' is invalid: ${version} is not supported.`);
    const principal = await deps.authenticator.authenticate(
      { method: "GET", rawPath: queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart), rawQuery, headers: request.headers, bodyIsEmpty: true, host: firstHeader(request.headers.host) },
      now,
    );
    for (const name of query.keys()) {
      if (!allowedQuery.has(name)) throw queryProblem("UnsupportedQueryParameter", name, `The query parameter '${name}' is not supported by the event stream.`);
    }
    const filter: { jobId?: string; poolId?: string } = {};
    for (const name of ["jobId", "poolId"] as const) {
      const value = query.get(name);
      if (value === undefined) continue;
      if (value === "" || value.length > 64) throw queryProblem("InvalidQueryParameterValue", name, `Value for the query parameter '${name}' is invalid: an id of 1 to 64 characters.`);
      filter[name] = value;
    }
    if (principal.jobId !== undefined) {
      // A task token acts for its own job only.
      if (filter.poolId !== undefined || (filter.jobId !== undefined && filter.jobId.toLowerCase() !== principal.jobId.toLowerCase())) {
        throw serviceError("InsufficientAccountPermissions", { message: "A task authentication token may watch only its own job." });
      }
      filter.jobId = principal.jobId;
    }
    return { account: principal.account, filter };
  }
}
