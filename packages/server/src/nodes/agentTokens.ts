/**
 * Agent credentials. Each agent process gets a token naming its account, pool and agent id, signed with the
 * server's secret (kept in the data directory, so tokens survive server restarts and detached agents reconnect).
 * A token is only good for the nodes the server assigned to that agent.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface AgentIdentity {
  readonly account: string;
  readonly poolId: string;
  readonly agentId: string;
}

export class AgentTokens {
  private constructor(private readonly secret: Buffer) {}

  /** Loads the secret from `<dataDir>/agent-secret`, creating it on first use (mode 0600). */
  static load(dataDir: string): AgentTokens {
    const path = join(dataDir, "agent-secret");
    if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
    return AgentTokens.withSecret(readFileSync(path, "utf8"));
  }

  /** Tokens signed with a given secret (base64; with replicas, the one every replica shares: cluster/sharedState.ts). */
  static withSecret(secret: string): AgentTokens {
    return new AgentTokens(Buffer.from(secret.trim(), "base64"));
  }

  private mac(payload: string): string {
    return createHmac("sha256", this.secret).update(payload).digest("base64url");
  }

  issue(identity: AgentIdentity): string {
    const payload = Buffer.from(JSON.stringify([identity.account, identity.poolId, identity.agentId])).toString("base64url");
    return `${payload}.${this.mac(payload)}`;
  }

  /** The identity a token carries, or undefined when it is not one this server issued. */
  verify(token: string): AgentIdentity | undefined {
    const [payload, mac, extra] = token.split(".");
    if (payload === undefined || mac === undefined || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(payload));
    const presented = Buffer.from(mac);
    if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) return undefined;
    try {
      const [account, poolId, agentId] = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown[];
      if (typeof account !== "string" || typeof poolId !== "string" || typeof agentId !== "string") return undefined;
      return { account, poolId, agentId };
    } catch {
      return undefined;
    }
  }
}
