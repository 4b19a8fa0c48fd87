/**
 * One operation of the admin endpoint (OpenBatch's stand-in for the management plane, beside the Batch API
 * pipeline): signed with the account's SharedKey exactly like Batch requests (no api-version), answered with JSON,
 * errors as Batch error bodies with a `request-id`. Used by the application package routes and the join-token
 * routes.
 */
import { randomUUID } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ServiceError } from "@openbatch/core";
import { serviceError } from "@openbatch/core";
import type { Authenticator } from "../auth/authenticate.js";
import type { ResolvedServerConfig } from "../config.js";
import { batchErrorBody } from "./errorBody.js";
import { firstHeader } from "./headers.js";

export interface AdminOperationDependencies {
  readonly config: ResolvedServerConfig;
  readonly authenticator: Authenticator;
}

export type AdminOperation = (
  run: (request: FastifyRequest, account: string, now: Date) => Promise<{ status: number; body: unknown }>,
) => (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

/** `translate` turns what an operation threw into the ServiceError to answer (rethrowing what it does not know). */
export function adminOperations(deps: AdminOperationDependencies, translate: (error: unknown) => ServiceError): AdminOperation {
  const { config } = deps;

  async function authenticate(request: FastifyRequest, now: Date): Promise<string> {
    const rawUrl = request.raw.url ?? "/";
    const queryStart = rawUrl.indexOf("?");
    const contentLength = firstHeader(request.headers["content-length"]);
    const principal = await deps.authenticator.authenticate(
      {
        method: request.method,
        rawPath: queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart),
        rawQuery: queryStart < 0 ? "" : rawUrl.slice(queryStart + 1),
        headers: request.headers,
        bodyIsEmpty: contentLength === undefined || contentLength === "0",
        host: firstHeader(request.headers.host),
      },
      now,
    );
    if (principal.jobId !== undefined) {
      throw serviceError("InsufficientAccountPermissions", { message: "A task authentication token cannot use the admin endpoint." });
    }
    return principal.account;
  }

  return (run) => async (request, reply) => {
    const requestId = randomUUID();
    const now = config.clock.now();
    reply.header("request-id", requestId);
    try {
      const account = await authenticate(request, now);
      const result = await run(request, account, now);
      return reply.code(result.status).header("content-type", "application/json").send(JSON.stringify(result.body));
    } catch (caught) {
      const error = translate(caught);
      const baseUrl = config.publicUrl ?? `${request.protocol}://${request.headers.host ?? `${config.host}:${config.port}`}`;
      // A request refused before its body was read: close the connection rather than read the rest of it.
      if (!request.raw.readableEnded) reply.header("connection", "close");
      return reply
        .code(error.status)
        .header("content-type", "application/json")
        .send(JSON.stringify(batchErrorBody(baseUrl, error.code, error.message, requestId, now, error.values)));
    }
  };
}
