/**
 * Notices agents that stopped reporting. Every agent sync is a heartbeat; an agent silent for longer than the
 * timeout has its nodes marked `unknown` (semantics.md §6.2: contact lost), once. Its next report recovers them
 * through the normal node lifecycle. Agents known at start-up get a full timeout of grace, as do new ones.
 * A lost agent is also reported (`onAgentLost`), so that the provider can start a dead one again; one still silent
 * `abandonAfterInMs` after its nodes turned `unknown` is reported once more (`onAgentAbandoned`), for its nodes to
 * give up their work (unresponsiveNodes.ts).
 *
 * With replicas an agent may sync with another server process than the one tracking it: before an agent counts as
 * silent, the `lastSeen` its agent row records (written by whichever process answered it) is read, and a newer one
 * counts as a heartbeat. An agent whose row is gone has been retired and is forgotten.
 */
import { formatTimestamp, type Clock } from "@openbatch/core";
import type { Store } from "@openbatch/store";
import { lostNode, writeNode } from "../lifecycle/nodes.js";
import type { AgentIdentity } from "../nodes/agentTokens.js";
import type { AgentRecord } from "../records/agents.js";
import { listAll } from "../records/listAll.js";
import type { NodeRecord } from "../records/nodes.js";

const exempt = new Set(["leavingpool", "unknown", "preempted"]);

export interface HeartbeatTrackerOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly timeoutInMs: number;
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
      const pools = await this.options.store.read((tx) => listAll(tx, { account, kind: "pool", scope: "" }));
      for (const pool of pools) {
        const agents = await this.options.store.read((tx) => listAll<AgentRecord>(tx, { account, kind: "agent", scope: pool.id }));
        for (const agent of agents) this.seen({ account, poolId: pool.id, agentId: agent.id }, now);
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
    for (const [key, entry] of this.lastSeen) {
      if (now.getTime() - entry.at > this.options.timeoutInMs) {
        const heard = await this.heardOf(entry.identity);
        if (heard === undefined) {
          this.lastSeen.delete(key);
          continue;
        }
        if (heard > entry.at) {
          entry.at = heard;
          entry.lost = false;
          entry.abandoned = false;
        }
      }
      if (entry.lost && entry.abandoned !== true && abandonAfterInMs !== undefined && onAgentAbandoned !== undefined && now.getTime() - entry.at > this.options.timeoutInMs + abandonAfterInMs) {
        entry.abandoned = true;
        await onAgentAbandoned(entry.identity);
        continue;
      }
      if (entry.lost || now.getTime() - entry.at <= this.options.timeoutInMs) continue;
      entry.lost = true;
      const { account, poolId, agentId } = entry.identity;
      await this.options.store.write(async (tx) => {
        for (const node of await listAll<NodeRecord>(tx, { account, kind: "node", scope: poolId })) {
          if (node.body._ob.agentId !== agentId || exempt.has(node.body.state ?? "")) continue;
          await writeNode(tx, account, poolId, node.body, lostNode(tx, account, poolId, node.body, formatTimestamp(now)), now);
        }
      });
      this.options.onAgentLost?.(entry.identity);
    }
  }

  /** When the agent's row says it was last heard of (0 if never), or undefined when it has no row any more. */
  private async heardOf(identity: AgentIdentity): Promise<number | undefined> {
    const agent = await this.options.store.read((tx) => tx.get<AgentRecord>({ account: identity.account, kind: "agent", scope: identity.poolId, id: identity.agentId }));
    if (agent === undefined) return undefined;
    const time = Date.parse(agent.body.lastSeen ?? "");
    return Number.isNaN(time) ? 0 : time;
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
