/**
 * The agent protocol's remote half (docs/agent-protocol.md, "Agents on other machines"): how an agent started by
 * hand on another machine joins a pool with a join token, and the reverse channel over which the server reads the
 * files of the nodes an agent hosts.
 *
 *   agent ──POST /_agent/v1/join (Bearer <join token>, AgentJoinRequest)──▶ server: AgentJoinResponse (its own
 *            agent id and credential; from then on it syncs like any agent, agentProtocol.ts)
 *
 *   agent ──POST /_agent/v1/files/poll (Bearer <agent token>, AgentFilePollRequest)──▶ server holds it until a
 *            file request for this agent arrives: AgentFilePollResponse (the requests)
 *   agent ──POST /_agent/v1/files/{requestId} (the answer of its own file API: status in `x-ob-status`, headers,
 *            body streamed)──▶ server, which streams it on to the Batch client that asked
 *
 * Every connection is opened by the agent, so an agent behind NAT or a firewall that only lets connections out is
 * served like one next to the server, over the same TLS the agent already verifies.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Int32, model } from "./schema.js";

/** Where an agent started with a join token registers. */
export const agentJoinPath = "/_agent/v1/join";

/** Where an agent waits for file requests. */
export const agentFilePollPath = "/_agent/v1/files/poll";

/** Where an agent sends the answer to one file request. */
export function agentFileReplyPath(requestId: string): string {
  return `/_agent/v1/files/${encodeURIComponent(requestId)}`;
}

/** The status of the answered file request travels in this header of the reply (the reply itself gets 204). */
export const agentFileStatusHeader = "x-ob-status";

/** Join tokens of a pool, on the server's admin endpoint (SharedKey-signed like Batch requests). */
export function joinTokensAdminPath(poolId: string): string {
  return `/_admin/v1/pools/${encodeURIComponent(poolId)}/join-tokens`;
}

/** The pool metadata key that names a pool's compute provider (`local`, `external` or `slurm`). */
export const providerMetadataKey = "openbatch.provider";

export const AgentJoinRequest = model("AgentJoinRequest", {
  protocolVersion: Int32(),
  /** How many compute nodes the agent offers to host. */
  nodes: Int32({ minimum: 1, maximum: 256 }),
  hostname: Type.String({ maxLength: 255 }),
  agentVersion: Type.String({ maxLength: 64 }),
});
export type AgentJoinRequest = Static<typeof AgentJoinRequest>;

export const AgentJoinResponse = model("AgentJoinResponse", {
  account: Type.String(),
  poolId: Type.String(),
  /** The agent's id; its nodes are assigned to it. */
  agentId: Type.String(),
  /** The agent's own credential (bearer token) for the sync, package and file endpoints. */
  token: Type.String(),
  /** How many nodes the pool takes from this agent (at most the number offered). */
  nodes: Int32({ minimum: 1 }),
});
export type AgentJoinResponse = Static<typeof AgentJoinResponse>;

/** One request for the agent's file API (packages/agent/src/files/fileServer.ts), relayed by the server. */
export const AgentFileRequest = model("AgentFileRequest", {
  requestId: Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$" }),
  method: Type.Union([Type.Literal("GET"), Type.Literal("HEAD"), Type.Literal("DELETE")]),
  /** Path and query on the file API, e.g. `/nodes/tvm-1/file?path=startup%2Fstdout.txt`. */
  path: Type.String({ pattern: "^/" }),
  /** A byte range (`bytes=0-99`). */
  range: Type.Optional(Type.String()),
});
export type AgentFileRequest = Static<typeof AgentFileRequest>;

export const AgentFilePollRequest = model("AgentFilePollRequest", {
  /** How long the server may hold the poll when no request is waiting. */
  waitInMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
});
export type AgentFilePollRequest = Static<typeof AgentFilePollRequest>;

export const AgentFilePollResponse = model("AgentFilePollResponse", {
  requests: Type.Array(AgentFileRequest),
});
export type AgentFilePollResponse = Static<typeof AgentFilePollResponse>;

/** Body of a join-token creation on the admin endpoint. */
export const JoinTokenCreateRequest = model("JoinTokenCreateRequest", {
  /** How long the token is good for, in seconds. @default 86400 (one day) */
  lifetimeInSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 366 * 86_400 })),
});
export type JoinTokenCreateRequest = Static<typeof JoinTokenCreateRequest>;

/** A join token as the admin endpoint shows it; `token` (the secret) only in the answer to its creation. */
export const JoinTokenInfo = model("JoinTokenInfo", {
  id: Type.String(),
  poolId: Type.String(),
  creationTime: Type.String(),
  expiryTime: Type.String(),
  revoked: Type.Boolean(),
  token: Type.Optional(Type.String()),
});
export type JoinTokenInfo = Static<typeof JoinTokenInfo>;
