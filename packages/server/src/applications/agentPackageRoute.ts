/**
 * How agents download application package zips: `GET /_agent/v1/application-packages/{sha256}` with the agent's
 * bearer token (the same credential as the sync exchange, docs/agent-protocol.md). An agent may read any package
 * of its own account — the hash names the content, the token's account scopes it — and nothing of another
 * account's. Errors are plain `{code, message}` JSON like the sync endpoint's.
 */
import type { FastifyInstance } from "fastify";
import { agentApplicationPackagePath } from "@openbatch/protocol";
import type { AgentTokens } from "../nodes/agentTokens.js";
import type { PackageFiles } from "./packageFiles.js";

export function registerAgentPackageRoute(app: FastifyInstance, tokens: AgentTokens, packageFiles: PackageFiles): void {
  app.get<{ Params: { sha256: string } }>(agentApplicationPackagePath(":sha256"), async (request, reply) => {
    const authorization = request.headers.authorization ?? "";
    const identity = authorization.startsWith("Bearer ") ? tokens.verify(authorization.slice(7).trim()) : undefined;
    if (identity === undefined) return reply.code(401).send({ code: "AgentAuthenticationFailed", message: "The agent token is not valid." });
    const file = await packageFiles.open(identity.account, request.params.sha256);
    if (file === undefined) return reply.code(404).send({ code: "ApplicationPackageNotFound", message: "The account has no application package with that hash." });
    return reply.code(200).header("content-type", "application/zip").header("content-length", String(file.sizeInBytes)).send(file.stream);
  });
}
