/**
 * The Account group: the supported-image catalogue and per-pool node counts by state.
 *
 * Node counts read the pools of the page (keyset-paged like any list, `$filter` on poolId translated to the
 * store) and count each pool's nodes by state, dedicated and low-priority apart. Node states are lower-case on the
 * wire (`waitingforstarttask`) while NodeCounts keys are camelCase (`waitingForStartTask`).
 */
import type { ComputeNodeState, ImageInformation, NodeCounts, PoolNodeCounts } from "@openbatch/protocol";
import type { Store } from "@openbatch/store";
import { supportedImages } from "../catalogue/supportedImages.js";
import { pageCatalogue } from "../odata/catalogue.js";
import type { ListOptions } from "../odata/listQuery.js";

const countKeyByState: Record<ComputeNodeState, keyof Required<NodeCounts>> = {
  idle: "idle",
  rebooting: "rebooting",
  reimaging: "reimaging",
  running: "running",
  unusable: "unusable",
  creating: "creating",
  starting: "starting",
  waitingforstarttask: "waitingForStartTask",
  starttaskfailed: "startTaskFailed",
  unknown: "unknown",
  leavingpool: "leavingPool",
  offline: "offline",
  preempted: "preempted",
  upgradingos: "upgradingOS",
};

function emptyCounts(): Required<NodeCounts> {
  return {
    creating: 0, idle: 0, offline: 0, preempted: 0, rebooting: 0, reimaging: 0, running: 0, starting: 0,
    startTaskFailed: 0, leavingPool: 0, unknown: 0, unusable: 0, waitingForStartTask: 0, total: 0, upgradingOS: 0,
  };
}

export class AccountService {
  constructor(private readonly store: Store) {}

  listSupportedImages(options: ListOptions): { items: ImageInformation[]; nextKey?: string } {
    return pageCatalogue(supportedImages, options);
  }

  async listPoolNodeCounts(account: string, options: ListOptions): Promise<{ items: PoolNodeCounts[]; nextKey?: string }> {
    return this.store.read(async (tx) => {
      const pools = await tx.list<{ id: string }>(
        { account, kind: "pool", scope: "" },
        { limit: options.maxResults, afterKey: options.afterKey, filter: options.filter },
      );
      const items: PoolNodeCounts[] = [];
      for (const pool of pools.items) {
        const dedicated = emptyCounts();
        const lowPriority = emptyCounts();
        // Counted by the store (GROUP BY), not by parsing every node row: pools of thousands of nodes are polled.
        const groups = await tx.tally({ account, kind: "node", scope: pool.id }, [{ path: ["state"], kind: "enum" }, { path: ["isDedicated"], kind: "bool" }]);
        for (const { values: [state, isDedicated], count } of groups) {
          const counts = isDedicated === 0 ? lowPriority : dedicated;
          counts[countKeyByState[(state ?? "unknown") as ComputeNodeState] ?? "unknown"] += count;
          counts.total += count;
        }
        items.push({ poolId: pool.body.id, dedicated, lowPriority });
      }
      return { items, ...(pools.nextKey === undefined ? {} : { nextKey: pools.nextKey }) };
    });
  }
}
