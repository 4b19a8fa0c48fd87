/**
 * An agent started by hand joins a pool (`POST /_agent/v1/join` with its join token, docs/agent-protocol.md):
 *
 * 1. the join token is verified (joinTokens.ts) — nothing is written for a wrong, expired or revoked one;
 * 2. the pool must exist, not be deleting, and be provisioned by the `external` provider; the nodes it still
 *    wants (targets − nodes it has) must be at least one, else the joiner is refused (409 `PoolFull`);
 * 3. the agent is registered with room for min(offered, wanted) nodes, and the reconciler runs, which puts new
 *    nodes on it (the one place nodes are made);
 * 4. it gets its own agent id and credential, and syncs from then on like any agent. An agent the reconciler gave
 *    no node after all is removed again and refused: 409 with the pool's core quota error when the account's core
 *    quota stopped the pool (docs/quotas.md), else `PoolFull` (another joiner was faster).
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "@openbatch/core";
import type { AgentJoinRequest, AgentJoinResponse, CloudPool } from "@openbatch/protocol";
import type { Store } from "@openbatch/store";
import type { ProviderSet } from "../providers/providerSet.js";
import type { AgentRecord } from "../records/agents.js";
import type { NodeRecord } from "../records/nodes.js";
import { AgentRefused } from "./agentRefusal.js";
import type { AgentIdentity, AgentTokens } from "./agentTokens.js";
import type { JoinTokens } from "./joinTokens.js";

export interface AgentJoinOptions {
  readonly store: Store;
  readonly tokens: AgentTokens;
  readonly joinTokens: JoinTokens;
  readonly providers: ProviderSet;
  /** Runs the pool reconciler; resolves when the run that includes this kick is done. */
  readonly reconcile: (account: string, poolId: string) => Promise<void>;
  readonly clock: Clock;
  /** Called once the agent is registered (its heartbeat starts being watched). */
  readonly onJoined: (identity: AgentIdentity) => void;
}

/** Refuses a pool whose nodes do not come from joining agents. */
export function checkJoinable(providers: ProviderSet, pool: CloudPool): void {
  const kind = providers.kindOf(pool);
  if (kind !== "external") {
    throw new AgentRefused(
      409,
      "PoolNotExternal",
      `The pool '${pool.id}' is provisioned by the '${kind}' provider; agents can only join pools of the 'external' provider (pool metadata 'openbatch.provider' = 'external', or serve --provider external).`,
    );
  }
}

export class AgentJoin {
  constructor(private readonly options: AgentJoinOptions) {}

  async join(joinToken: string, request: AgentJoinRequest): Promise<AgentJoinResponse> {
    const { store, clock } = this.options;
    const { account, poolId, tokenId } = await this.options.joinTokens.verify(joinToken, clock.now());
    const agentId = `agent-${randomBytes(6).toString("hex")}`;
    const identity = { account, poolId, agentId };
    await store.write(async (tx) => {
      const now = clock.now();
      const pool = await tx.get<CloudPool>({ account, kind: "pool", scope: "", id: poolId });
      if (pool === undefined) throw new AgentRefused(404, "PoolNotFound", `The pool '${poolId}' of the join token does not exist.`);
      if (pool.body.state === "deleting") throw new AgentRefused(409, "PoolBeingDeleted", `The pool '${poolId}' is being deleted.`);
      checkJoinable(this.options.providers, pool.body);
      const nodes = await tx.list<NodeRecord>({ account, kind: "node", scope: poolId }, { limit: 100_000 });
      const live = nodes.items.filter((node) => node.body._ob.action === "run").length;
      const wanted = (pool.body.targetDedicatedNodes ?? 0) + (pool.body.targetLowPriorityNodes ?? 0) - live;
      if (wanted <= 0) throw poolFull(pool.body, live);
      await tx.insert<AgentRecord>(
        { account, kind: "agent", scope: poolId, id: agentId },
        { id: agentId, poolId, provider: "external", capacity: Math.min(request.nodes, wanted), joinTokenId: tokenId, hostname: request.hostname, agentVersion: request.agentVersion },
        now,
      );
    });
    this.options.onJoined(identity);
    await this.options.reconcile(account, poolId);
    const hosted = await store.read(async (tx) => {
      const nodes = await tx.list<NodeRecord>({ account, kind: "node", scope: poolId }, { limit: 100_000 });
      return nodes.items.filter((node) => node.body._ob.agentId === agentId).length;
    });
    if (hosted === 0) {
      const pool = await store.write(async (tx) => {
        await tx.delete({ account, kind: "agent", scope: poolId, id: agentId });
        return (await tx.get<CloudPool>({ account, kind: "pool", scope: "", id: poolId }))?.body;
      });
      throw quotaReached(pool) ?? poolFull(pool ?? { id: poolId }, undefined);
    }
    return { account, poolId, agentId, token: this.options.tokens.issue(identity), nodes: hosted };
  }
}

/** The refusal of a joiner the account's core quota left without a node: the pool's resize error, as it says it. */
function quotaReached(pool: CloudPool | undefined): AgentRefused | undefined {
  const error = pool?.resizeErrors?.find((candidate) => candidate.code === "AccountCoreQuotaReached" || candidate.code === "AccountLowPriorityCoreQuotaReached");
  if (error?.code === undefined) return undefined;
  return new AgentRefused(409, error.code, `The pool '${pool?.id}' has the nodes the account's core quota allows: ${error.message ?? ""} No more agents can join until the quota grows or other pools shrink.`);
}

function poolFull(pool: Pick<CloudPool, "id" | "targetDedicatedNodes" | "targetLowPriorityNodes">, live: number | undefined): AgentRefused {
  const targets = (pool.targetDedicatedNodes ?? 0) + (pool.targetLowPriorityNodes ?? 0);
  return new AgentRefused(
    409,
    "PoolFull",
    `The pool '${pool.id}' has ${live === undefined ? "all" : live} of the ${targets} nodes its targets ask for; no more agents can join until they grow (resize the pool).`,
  );
}
