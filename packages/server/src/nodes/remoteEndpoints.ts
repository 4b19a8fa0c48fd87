/**
 * The endpoints that let compute live on other machines (docs/agent-protocol.md, "Agents on other machines"):
 *
 *   POST   /_agent/v1/join                      Bearer <join token>  AgentJoinRequest → AgentJoinResponse
 *   POST   /_agent/v1/files/poll                Bearer <agent token> AgentFilePollRequest → AgentFilePollResponse
 *   POST   /_agent/v1/files/{requestId}         Bearer <agent token> the answer of the agent's file API → 204
 *   POST   /_admin/v1/pools/{poolId}/join-tokens            SharedKey  JoinTokenCreateRequest → 201 JoinTokenInfo + token
 *   GET    /_admin/v1/pools/{poolId}/join-tokens            SharedKey  → 200 {value: JoinTokenInfo[]}
 *   DELETE /_admin/v1/pools/{poolId}/join-tokens/{tokenId}  SharedKey  → 200 JoinTokenInfo (revoked)
 *
 * Agent endpoints answer errors as `{code, message}` (agentEndpoint.ts); admin ones as Batch error bodies. Tokens
 * travel only in Authorization headers and in the body of a token's creation, neither of which is ever logged.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isServiceError, serviceError, type ServiceError } from "@openbatch/core";
import {
  AgentFilePollRequest,
  AgentJoinRequest,
  JoinTokenCreateRequest,
  agentFilePollPath,
  agentFileStatusHeader,
  agentJoinPath,
  agentProtocolVersion,
  validateBody,
  type AgentFilePollResponse,
} from "@openbatch/protocol";
import type { Authenticator } from "../auth/authenticate.js";
import type { ResolvedServerConfig } from "../config.js";
import { adminOperations } from "../http/adminOperation.js";
import { parseJsonBody } from "../http/jsonBody.js";
import { AgentRefused } from "./agentRefusal.js";
import type { AgentJoin } from "./agentJoin.js";
import type { AgentIdentity, AgentTokens } from "./agentTokens.js";
import type { FileChannel } from "./fileChannel.js";
import { defaultJoinTokenLifetimeInSeconds, type JoinTokens } from "./joinTokens.js";

export interface RemoteEndpointDependencies {
  readonly config: ResolvedServerConfig;
  readonly authenticator: Authenticator;
  readonly tokens: AgentTokens;
  readonly joinTokens: JoinTokens;
  readonly join: AgentJoin;
  readonly channel: FileChannel;
}

function bearer(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization ?? "";
  return authorization.startsWith("Bearer ") ? authorization.slice(7).trim() : undefined;
}

function bodyOf(request: FastifyRequest): unknown {
  return parseJsonBody(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
}

/** Answers an agent endpoint's failure as `{code, message}`, or rethrows what is not a refusal. */
function agentFailure(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof AgentRefused) return reply.code(error.status).send({ code: error.code, message: error.message });
  if (isServiceError(error)) return reply.code(error.status).send({ code: error.code, message: error.message });
  throw error;
}

export function registerRemoteEndpoints(app: FastifyInstance, deps: RemoteEndpointDependencies): void {
  const { channel, tokens } = deps;
  const agentOf = (request: FastifyRequest): AgentIdentity | undefined => {
    const token = bearer(request);
    return token === undefined ? undefined : tokens.verify(token);
  };
  const unauthorized = (reply: FastifyReply) => reply.code(401).send({ code: "AgentAuthenticationFailed", message: "The agent token is not valid." });

  app.post(agentJoinPath, async (request, reply) => {
    const token = bearer(request);
    if (token === undefined || token === "") {
      return reply.code(401).send({ code: "JoinTokenMissing", message: "Joining a pool needs a join token (Authorization: Bearer <token>)." });
    }
    try {
      const body = validateBody<AgentJoinRequest>(AgentJoinRequest, bodyOf(request));
      if (body.protocolVersion !== agentProtocolVersion) {
        return reply.code(400).send({ code: "UnsupportedAgentProtocol", message: `This server speaks agent protocol ${agentProtocolVersion}.` });
      }
      return reply.code(200).send(await deps.join.join(token, body));
    } catch (error) {
      return agentFailure(reply, error);
    }
  });

  app.post(agentFilePollPath, async (request, reply) => {
    const agent = agentOf(request);
    if (agent === undefined) return unauthorized(reply);
    try {
      const body = validateBody<AgentFilePollRequest>(AgentFilePollRequest, bodyOf(request));
      // The poll ends early when the agent goes away, so a dead connection holds nothing.
      const gone = new AbortController();
      const onClose = (): void => gone.abort();
      // Removed after each poll: an agent's kept-alive connection carries poll after poll.
      const socket = request.raw.socket;
      socket.once("close", onClose);
      let requests: AgentFilePollResponse["requests"];
      try {
        requests = await channel.poll(agent, body.waitInMs, gone.signal);
      } finally {
        socket.off("close", onClose);
      }
      return reply.code(200).send({ requests } satisfies AgentFilePollResponse);
    } catch (error) {
      return agentFailure(reply, error);
    }
  });

  void app.register(async (scope) => {
    // The answer's body is streamed on to whoever asked for the file: nothing is buffered or parsed here.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null));
    scope.post<{ Params: { requestId: string } }>("/_agent/v1/files/:requestId", async (request, reply) => {
      const agent = agentOf(request);
      if (agent === undefined) return unauthorized(reply.header("connection", "close"));
      const status = Number(request.headers[agentFileStatusHeader]);
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value !== "string" || !name.startsWith("x-ob-") || name === agentFileStatusHeader) continue;
        // The answer's own standard headers travel renamed: the reply request has its own length and type.
        headers.set(name.startsWith(replyHeaderPrefix) ? name.slice(replyHeaderPrefix.length) : name, value);
      }
      if (!Number.isInteger(status)) return reply.code(400).header("connection", "close").send({ code: "InvalidReply", message: `The ${agentFileStatusHeader} header must be an HTTP status.` });
      const delivered = await channel.reply(agent, request.params.requestId, status, headers, request.raw);
      if (!delivered) return reply.code(404).header("connection", "close").send({ code: "RequestNotFound", message: "No file request with this id is waiting for this agent." });
      return reply.code(204).send();
    });
  });

  registerJoinTokenRoutes(app, deps);
}

/** How an agent's reply names the standard headers of the answer it relays (`x-ob-reply-content-length`…). */
const replyHeaderPrefix = "x-ob-reply-";

function registerJoinTokenRoutes(app: FastifyInstance, deps: RemoteEndpointDependencies): void {
  const translate = (error: unknown): ServiceError => {
    if (isServiceError(error)) return error;
    if (error instanceof AgentRefused) {
      return serviceError(error.status === 404 ? "PoolNotFound" : "OperationNotValidOnPool", { message: error.message });
    }
    throw error;
  };
  const operation = adminOperations(deps, translate);
  type PoolParams = { Params: { poolId: string } };
  type TokenParams = { Params: { poolId: string; tokenId: string } };
  const base = "/_admin/v1/pools/:poolId/join-tokens";

  app.post<PoolParams>(
    base,
    operation(async (request, account, now) => {
      const raw = Buffer.isBuffer(request.body) && request.body.length > 0 ? bodyOf(request) : {};
      const body = validateBody<JoinTokenCreateRequest>(JoinTokenCreateRequest, raw);
      const { poolId } = request.params as PoolParams["Params"];
      const created = await deps.joinTokens.create(account, poolId, body.lifetimeInSeconds ?? defaultJoinTokenLifetimeInSeconds, now);
      return { status: 201, body: created };
    }),
  );
  app.get<PoolParams>(
    base,
    operation(async (request, account) => ({ status: 200, body: { value: await deps.joinTokens.list(account, (request.params as PoolParams["Params"]).poolId) } })),
  );
  app.delete<TokenParams>(
    `${base}/:tokenId`,
    operation(async (request, account, now) => {
      const { poolId, tokenId } = request.params as TokenParams["Params"];
      return { status: 200, body: await deps.joinTokens.revoke(account, poolId, tokenId, now) };
    }),
  );
}
