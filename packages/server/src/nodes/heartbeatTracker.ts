/**
 * Notices agents that stopped reporting. Every agent sync is a heartbeat; an agent silent for longer than the
 * timeout has its nodes marked `unknown` (semantics.md §6.2: contact lost), once. Its next report recovers them
 * through the normal node lifecycle. Agents known at start-up get a full timeout of grace, as do new ones.
 * A lost agent is also reported (`onAgentLost`), so that the provider can start a dead one again; one still silent
 * `abandonAfterInMs` after its nodes turned `unknown` is reported once more (`onAgentAbandoned`), for its nodes to
 * give up their work (unresponsiveNodes.ts).
 */
import { formatTimestamp, type Clock } from "@openbatch/core";
import type { Store } from "@openbatch/store";
import type { AgentIdentity } from "./agentTokens.js";
import type { NodeRecord } from "../services/nodeService.js";
import type { AgentRecord } from "./poolReconciler.js";

const exempt = new Set(["leavingpool", "unknown", "preempted"]);

export interface HeartbeatTrackerOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly timeoutInMs: number;
  readonly onNodesLost: (account: string, poolId: string) => void;
  /** Called once per silence; the composition root restarts the agent when the provider knows it is gone. */
  readonly onAgentLost?: (identity: AgentIdentity) => void;
  /** How long nodes stay `unknown` before `onAgentAbandoned`. @default never */
  readonly abandonAfterInMs?: number;
  /** Called once per silence, `abandonAfterInMs` after the agent was lost. */
  readonly onAgentAbandoned?: (identity: AgentIdentity) => Promise<void>;
  readonly onError: (error: unknown) => void;
}

export class HeartbeatTracker {
  private readonly lastSeen = new Map<string, { identity: AgentIdentity; at: number; lost: boolean; abandoned?: boolean }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: HeartbeatTrackerOptions) {}

  private key(identity: AgentIdentity): string {
    return `${identity.account}\u0000${identity.poolId.toLowerCase()}\u0000${identity.agentId}`;
  }

  seen(identity: AgentIdentity, now: Date): void {
    this.lastSeen.set(this.key(identity), { identity, at: now.getTime(), lost: false });
  }

  /** Starts watching every agent in the store, and checks periodically. */
  async start(accounts: readonly string[]): Promise<void> {
    const now = this.options.clock.now();
    for (const account of accounts) {
      const pools = await this.options.store.read((tx) => tx.list<{ id: string }>({ account, kind: "pool", scope: "" }, { limit: 100_000 }));
      for (const pool of pools.items) {
        const agents = await this.options.store.read((tx) => tx.list<AgentRecord>({ account, kind: "agent", scope: pool.id }, { limit: 100_000 }));
        for (const agent of agents.items) this.seen({ account, poolId: pool.id, agentId: agent.id }, now);
      }
    }
    this.timer = setInterval(() => void this.check().catch(this.options.onError), Math.max(250, Math.floor(this.options.timeoutInMs / 4)));
    this.timer.unref();
  }

  /** Agents heard from within the timeout (the metrics' connected agents). */
  connectedAgents(): number {
    let count = 0;
    for (const entry of this.lastSeen.values()) if (!entry.lost) count++;
    return count;
  }

  forget(identity: AgentIdentity): void {
    this.lastSeen.delete(this.key(identity));
  }

  async check(): Promise<void> {
    const now = this.options.clock.now();
    const { abandonAfterInMs, onAgentAbandoned } = this.options;
    for (const entry of this.lastSeen.values()) {
      if (entry.lost && entry.abandoned !== true && abandonAfterInMs !== undefined && onAgentAbandoned !== undefined && now.getTime() - entry.at > this.options.timeoutInMs + abandonAfterInMs) {
        entry.abandoned = true;
        await onAgentAbandoned(entry.identity);
        continue;
      }
      if (entry.lost || now.getTime() - entry.at <= this.options.timeoutInMs) continue;
      entry.lost = true;
      const { account, poolId, agentId } = entry.identity;
      const changed = await this.options.store.write(async (tx) => {
        const nodes = await tx.list<NodeRecord>({ account, kind: "node", scope: poolId }, { limit: 100_000 });
        let count = 0;
        for (const node of nodes.items) {
          if (node.body._ob.agentId !== agentId || exempt.has(node.body.state ?? "")) continue;
          await tx.replace({ account, kind: "node", scope: poolId, id: node.id }, { ...node.body, state: "unknown", stateTransitionTime: formatTimestamp(now) }, now);
          count++;
        }
        return count;
      });
      if (changed > 0) this.options.onNodesLost(account, poolId);
      this.options.onAgentLost?.(entry.identity);
    }
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
