/**
 * Task authentication tokens (`authenticationTokenSettings.access: ["job"]`, semantics.md §2.9): the value of
 * `AZ_BATCH_AUTHENTICATION_TOKEN`, a JWT (HS256) this server signs with its own secret, kept in the data directory so
 * tokens outlive restarts. It names an account and a job; the pipeline lets it act on that job only. Clients send it
 * as a Bearer token, as the SDKs do with a task's token.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeJwt, jwtVerify, SignJWT } from "jose";

/** Whom a request acts for: an account, and for a task token only the job it was issued for. */
export interface Principal {
  readonly account: string;
  readonly jobId?: string;
}

const issuer = "openbatch-task-token";
/** Longer than any task should run; the token carries no other use than its job. */
const lifetimeInSeconds = 7 * 24 * 3600;

export class TaskTokens {
  private constructor(private readonly secret: Uint8Array) {}

  /** Loads the secret from `<dataDir>/task-token-secret`, creating it on first use (mode 0600). */
  static load(dataDir: string): TaskTokens {
    const path = join(dataDir, "task-token-secret");
    if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
    return TaskTokens.withSecret(readFileSync(path, "utf8"));
  }

  /** Tokens signed with a given secret (base64; with replicas, the one every replica shares: cluster/sharedState.ts). */
  static withSecret(secret: string): TaskTokens {
    return new TaskTokens(new Uint8Array(Buffer.from(secret.trim(), "base64")));
  }

  issue(account: string, jobId: string, now: Date): Promise<string> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    return new SignJWT({ acct: account, job: jobId })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(issuer)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + lifetimeInSeconds)
      .sign(this.secret);
  }

  /** True when the token claims to be one of ours (so no other verifier should look at it). */
  static claimsToBeOne(token: string): boolean {
    try {
      return decodeJwt(token).iss === issuer;
    } catch {
      return false;
    }
  }

  /** The principal a token carries; throws when it is forged, expired or malformed. */
  async verify(token: string, now: Date): Promise<Principal> {
    const { payload } = await jwtVerify(token, this.secret, { issuer, algorithms: ["HS256"], currentDate: now });
    if (typeof payload["acct"] !== "string" || typeof payload["job"] !== "string") throw new Error("the token names no account and job");
    return { account: payload["acct"], jobId: payload["job"] };
  }
}
