/**
 * Join tokens: what an agent started by hand on another machine presents to join a pool (`openbatch agent
 * --join-token T`). A token is scoped to one pool of one account, expires, and can be revoked; it is created
 * through the admin endpoint (`openbatch pool join-token <pool>`), so only a holder of the account's key can make
 * one.
 *
 * Format: `objoin1.<payload>.<mac>`, the payload base64url JSON `[account, poolId, tokenId, expiry (epoch s)]`, the
 * MAC HMAC-SHA256 over `objoin1.<payload>` keyed with the account's key (any of its keys verifies, so keys can be
 * rotated), compared in constant time. The token's record (`kind = joinToken`, scope the pool) is the authority
 * for revocation and expiry: a token whose record is gone or revoked is refused although its MAC is good, and a
 * changed account key invalidates every token made with the old one. Tokens are never stored, logged or echoed:
 * the record holds only its id, times and state; the secret is shown once, in the answer to its creation.
 *
 * Refusals (AgentRefused): a token that is not one (malformed, wrong MAC, unknown account) → 401
 * `JoinTokenInvalid`; past its expiry → 401 `JoinTokenExpired`; revoked or deleted → 403 `JoinTokenRevoked`.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { formatTimestamp, serviceError } from "@openbatch/core";
import type { CloudPool, JoinTokenInfo } from "@openbatch/protocol";
import type { Store } from "@openbatch/store";
import type { AccountRegistry } from "../accounts.js";
import { AgentRefused } from "./agentRefusal.js";

export interface JoinTokenRecord {
  id: string;
  poolId: string;
  creationTime: string;
  expiryTime: string;
  revoked: boolean;
  revocationTime?: string;
}

export interface JoinTokenIdentity {
  readonly account: string;
  readonly poolId: string;
  readonly tokenId: string;
}

const prefix = "objoin1";
/** One day unless asked otherwise. */
export const defaultJoinTokenLifetimeInSeconds = 86_400;

function mac(key: Buffer, payload: string): Buffer {
  return createHmac("sha256", key).update(`${prefix}.${payload}`).digest();
}

const invalid = () => new AgentRefused(401, "JoinTokenInvalid", "The join token is not valid: it is malformed or was not made with this account's key. Make a new one with 'openbatch pool join-token <pool>'.");

function info(record: JoinTokenRecord): JoinTokenInfo {
  return { id: record.id, poolId: record.poolId, creationTime: record.creationTime, expiryTime: record.expiryTime, revoked: record.revoked };
}

export class JoinTokens {
  constructor(
    private readonly store: Store,
    private readonly accounts: AccountRegistry,
    /** Refuses tokens for a pool whose provider takes no joiners (409). */
    private readonly checkJoinable: (pool: CloudPool) => void,
  ) {}

  /** Makes a token for the pool; the answer is the only place its secret ever appears. */
  async create(account: string, poolId: string, lifetimeInSeconds: number, now: Date): Promise<JoinTokenInfo & { token: string }> {
    const key = this.accounts.get(account)?.keys[0];
    if (key === undefined) throw serviceError("AuthenticationFailed", { message: `The account '${account}' does not exist on this server.` });
    const tokenId = randomBytes(9).toString("base64url");
    const expiry = new Date(now.getTime() + lifetimeInSeconds * 1000);
    const record: JoinTokenRecord = { id: tokenId, poolId, creationTime: formatTimestamp(now), expiryTime: formatTimestamp(expiry), revoked: false };
    await this.store.write(async (tx) => {
      const pool = await tx.get<CloudPool>({ account, kind: "pool", scope: "", id: poolId });
      if (pool === undefined) throw serviceError("PoolNotFound", { message: `The pool '${poolId}' does not exist.` });
      if (pool.body.state === "deleting") throw serviceError("PoolBeingDeleted", { message: `The pool '${poolId}' is being deleted.` });
      this.checkJoinable(pool.body);
      record.poolId = pool.body.id ?? poolId;
      await tx.insert<JoinTokenRecord>({ account, kind: "joinToken", scope: record.poolId, id: tokenId }, record, now);
    });
    const payload = Buffer.from(JSON.stringify([account, record.poolId, tokenId, Math.floor(expiry.getTime() / 1000)])).toString("base64url");
    return { ...info(record), token: `${prefix}.${payload}.${mac(key, payload).toString("base64url")}` };
  }

  async list(account: string, poolId: string): Promise<JoinTokenInfo[]> {
    return this.store.read(async (tx) => {
      if ((await tx.get({ account, kind: "pool", scope: "", id: poolId })) === undefined) throw serviceError("PoolNotFound", { message: `The pool '${poolId}' does not exist.` });
      const page = await tx.list<JoinTokenRecord>({ account, kind: "joinToken", scope: poolId }, { limit: 10_000 });
      return page.items.map((item) => info(item.body));
    });
  }

  /** Revokes a token: it can no longer be used to join (agents that joined with it keep their own credentials). */
  async revoke(account: string, poolId: string, tokenId: string, now: Date): Promise<JoinTokenInfo> {
    return this.store.write(async (tx) => {
      const ref = { account, kind: "joinToken" as const, scope: poolId, id: tokenId };
      const stored = await tx.get<JoinTokenRecord>(ref);
      if (stored === undefined) throw serviceError("ResourceNotFound", { message: `The pool '${poolId}' has no join token '${tokenId}'.` });
      const revoked = stored.body.revoked ? stored.body : { ...stored.body, revoked: true, revocationTime: formatTimestamp(now) };
      if (revoked !== stored.body) await tx.replace(ref, revoked, now);
      return info(revoked);
    });
  }

  /** The pool a token lets its bearer join, or an AgentRefused saying why not. Nothing is written. */
  async verify(token: string, now: Date): Promise<JoinTokenIdentity> {
    const [head, payload, presented, extra] = token.split(".");
    if (head !== prefix || payload === undefined || presented === undefined || extra !== undefined) throw invalid();
    let fields: unknown;
    try {
      fields = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      throw invalid();
    }
    if (!Array.isArray(fields) || fields.length !== 4) throw invalid();
    const [account, poolId, tokenId, expiry] = fields as unknown[];
    if (typeof account !== "string" || typeof poolId !== "string" || typeof tokenId !== "string" || typeof expiry !== "number") throw invalid();
    const keys = this.accounts.get(account)?.keys ?? [];
    const given = Buffer.from(presented, "base64url");
    // Every key is compared, in constant time, whichever matches.
    let matched = false;
    for (const key of keys) {
      const expected = mac(key, payload);
      if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true;
    }
    if (!matched) throw invalid();
    const record = await this.store.read((tx) => tx.get<JoinTokenRecord>({ account, kind: "joinToken", scope: poolId, id: tokenId }));
    if (record === undefined || record.body.revoked) {
      throw new AgentRefused(403, "JoinTokenRevoked", `The join token '${tokenId}' of pool '${poolId}' has been revoked${record === undefined ? " (or its pool deleted)" : ""}.`);
    }
    const expiresAt = Math.min(expiry * 1000, Date.parse(record.body.expiryTime));
    if (now.getTime() >= expiresAt) {
      throw new AgentRefused(401, "JoinTokenExpired", `The join token '${tokenId}' of pool '${poolId}' expired at ${new Date(expiresAt).toISOString()}. Make a new one with 'openbatch pool join-token ${poolId}'.`);
    }
    return { account, poolId: record.body.poolId, tokenId };
  }
}
