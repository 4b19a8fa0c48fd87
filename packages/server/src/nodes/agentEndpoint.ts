/**
 * The agent protocol's HTTP endpoint, beside (not inside) the Batch API pipeline: agents authenticate with their
 * own bearer token, and errors are plain `{code, message}` JSON, since no Batch client ever calls it.
 */
import type { FastifyInstance } from "fastify";
import { isServiceError } from "@openbatch/core";
import { AgentSyncRequest, agentProtocolVersion, agentSyncPath, validateBody } from "@openbatch/protocol";
import { parseJsonBody } from "../http/jsonBody.js";
import { AgentRefused } from "./agentRefusal.js";
import type { AgentTokens } from "./agentTokens.js";
import type { AgentSync } from "./agentSync.js";

export function registerAgentRoutes(app: FastifyInstance, tokens: AgentTokens, sync: AgentSync): void {
  app.post(agentSyncPath, async (request, reply) => {
    const authorization = request.headers.authorization ?? "";
    const identity = authorization.startsWith("Bearer ") ? tokens.verify(authorization.slice(7).trim()) : undefined;
    if (identity === undefined) return reply.code(401).send({ code: "AgentAuthenticationFailed", message: "The agent token is not valid." });
    try {
      const body = validateBody<AgentSyncRequest>(AgentSyncRequest, parseJsonBody(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)), { anyStrings: true });
      if (body.protocolVersion !== agentProtocolVersion) {
        return reply.code(400).send({ code: "UnsupportedAgentProtocol", message: `This server speaks agent protocol ${agentProtocolVersion}.` });
      }
      if (body.agentId !== identity.agentId) return reply.code(403).send({ code: "AgentMismatch", message: "The token belongs to another agent." });
      return reply.code(200).send(await sync.sync(identity, body));
    } catch (error) {
      if (isServiceError(error) || error instanceof AgentRefused) return reply.code(error.status).send({ code: error.code, message: error.message });
      throw error;
    }
  });
}
