/**
 * Spot evictions on their own (issue #14 item 11), for testing code against preemption without calling the preempt
 * extension: with the server option `spotEvictionRatePerHour` r > 0, every Spot/low-priority node is evicted at
 * random, r times an hour on average, on the injected clock. Each node that can be preempted gets an eviction time
 * drawn from the exponential distribution of mean 1/r hours when this loop first sees it so (again after each
 * recovery); when that time comes the node is preempted exactly as the extension does it (lifecycle/nodeOperations.ts
 * `preemptNode`: its tasks requeued, its processes killed, its files wiped) and comes back through `creating`
 * `spotRecoveryInSeconds` later, with the same id. Dedicated nodes are never evicted.
 *
 * The drawn times live in memory: the distribution is memoryless, so times drawn again after a restart are as
 * likely as the ones lost. The loop runs on TimedPasses (a timer for the earliest eviction, moved by a simulated
 * clock's advances) and is kicked when a pool's nodes change (the `reconcilePool` effect), which is when a node
 * appears or recovers.
 */
import { formatTimestamp, type Clock } from "@openbatch/core";
import type { CloudPool } from "@openbatch/protocol";
import type { Store } from "@openbatch/store";
import { recordEffect } from "../effects/transaction.js";
import { preemptNode } from "../lifecycle/nodeOperations.js";
import { writeNode } from "../lifecycle/nodes.js";
import { listAll } from "../records/listAll.js";
import { nodeRef, type NodeRecord } from "../records/nodes.js";
import { TimedPasses } from "./timedPasses.js";

export interface SpotEvictionsOptions {
  readonly store: Store;
  readonly clock: Clock;
  /** Evictions per node per hour of `clock`, on average; more than 0. */
  readonly ratePerHour: number;
  /** How long an evicted node stays `preempted`. */
  readonly recoveryInMs: number;
  readonly onError: (error: unknown, account: string) => void;
  /** Uniform numbers in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** Whether the node can be evicted now: a Spot node not preempted already and not leaving its pool. */
export function isEvictable(node: NodeRecord): boolean {
  return node.isDedicated === false && node.state !== "preempted" && node._ob.action === "run";
}

export class SpotEvictions {
  private readonly passes: TimedPasses;
  /** account → `<pool>/<node>` → when the node is evicted (ms on `clock`). */
  private readonly due = new Map<string, Map<string, number>>();

  constructor(private readonly options: SpotEvictionsOptions) {
    this.passes = new TimedPasses({ clock: options.clock, pass: (account) => this.pass(account), onError: options.onError });
  }

  start(accounts: readonly string[]): void {
    this.passes.start(accounts);
  }

  /** A pool's nodes changed: new or recovered Spot nodes get their eviction time. */
  kick(account: string): void {
    this.passes.kick(account);
  }

  close(): Promise<void> {
    return this.passes.close();
  }

  /** An exponentially distributed wait of mean 1/rate hours, in ms. */
  private drawWait(): number {
    const uniform = (this.options.random ?? Math.random)();
    return (-Math.log(1 - uniform) / this.options.ratePerHour) * 3_600_000;
  }

  private async pass(account: string): Promise<Date | undefined> {
    const pools = await this.options.store.read((tx) => listAll<CloudPool>(tx, { account, kind: "pool", scope: "" }));
    const previous = this.due.get(account) ?? new Map<string, number>();
    const due = new Map<string, number>();
    let earliest: number | undefined;
    for (const pool of pools) {
      if ((pool.body.targetLowPriorityNodes ?? 0) === 0 && (pool.body.currentLowPriorityNodes ?? 0) === 0) continue;
      const nodes = await this.options.store.read((tx) => listAll<NodeRecord>(tx, { account, kind: "node", scope: pool.id }));
      for (const node of nodes.filter((candidate) => isEvictable(candidate.body))) {
        const key = `${pool.id}/${node.id}`;
        const at = previous.get(key) ?? this.options.clock.now().getTime() + this.drawWait();
        if (at <= this.options.clock.now().getTime() && (await this.evict(account, pool.id, node.id))) continue;
        due.set(key, at);
        earliest = Math.min(earliest ?? at, at);
      }
    }
    this.due.set(account, due);
    return earliest === undefined ? undefined : new Date(earliest);
  }

  /** Preempts the node if it still can be; whether it was. */
  private evict(account: string, poolId: string, nodeId: string): Promise<boolean> {
    return this.options.store.write(async (tx) => {
      const node = await tx.get<NodeRecord>(nodeRef(account, poolId, nodeId));
      if (node === undefined || !isEvictable(node.body)) return true;
      const now = this.options.clock.now();
      const recoverAt = formatTimestamp(new Date(now.getTime() + this.options.recoveryInMs));
      recordEffect(tx, { kind: "reconcilePool", account, poolId });
      await writeNode(tx, account, poolId, node.body, await preemptNode(tx, account, poolId, node.body, recoverAt, now), now);
      return true;
    });
  }
}
