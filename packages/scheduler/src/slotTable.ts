/**
 * One pool's schedulable nodes and their free slots during a scheduling round.
 *
 * Only nodes in state `idle` or `running` with scheduling `enabled` are in the table; every other state
 * (creating, starting, waitingforstarttask, starttaskfailed, offline, rebooting, reimaging, leavingpool, preempted,
 * unusable, unknown, upgradingos, …) takes no task. Nodes are ranked by id (case-insensitive, then exact), and
 * `free = taskSlotsPerNode − usedSlots`, or 0 while an exclusive job manager runs on the node.
 *
 * Nodes sit in buckets by free slots, one bitset per bucket indexed by rank (with a hint to the first non-empty
 * word), so finding the preferred node costs at most O(taskSlotsPerNode + nodes/32) and usually O(taskSlotsPerNode),
 * rather than a walk over every node:
 * - spread: the node with the most free slots, ties by rank (so equal nodes take turns);
 * - pack:   the node with the fewest free slots that still fit, ties by rank (fill one node before the next).
 */
import { idKey } from "@openbatch/core";
import { compareKeyed } from "./order.js";
import type { NodeFillType, SchedulerPool } from "./types.js";

export interface NodeSlot {
  readonly rank: number;
  readonly id: string;
  readonly key: string;
  readonly dedicated: boolean;
  /** Slots held, including those taken in this round. */
  used: number;
  /** An exclusive job manager holds the node. */
  exclusive: boolean;
  /** This round's plan preempts tasks on the node: placements here wait for them to stop. */
  preempting: boolean;
}

export interface SlotTable {
  readonly taskSlotsPerNode: number;
  readonly fill: NodeFillType;
  readonly enableInterNodeCommunication: boolean;
  readonly nodes: readonly NodeSlot[];
  /** Schedulable node by id key. */
  byKey(key: string): NodeSlot | undefined;
  /** Schedulable node by affinity id key. */
  byAffinity(key: string): NodeSlot | undefined;
  free(node: NodeSlot): number;
  /** Whether some node has at least one free slot. */
  hasFreeSlot(): boolean;
  /** The most free slots any node has. */
  maxFree(): number;
  /** The preferred node with ≥ `slots` free slots that `accept` allows. */
  find(slots: number, accept?: (node: NodeSlot) => boolean): NodeSlot | undefined;
  /** Up to `count` distinct nodes with ≥ 1 free slot, in preference order. */
  findMany(count: number, accept?: (node: NodeSlot) => boolean): NodeSlot[];
  /** Takes `slots` on the node; an exclusive task leaves it no free slot. */
  take(node: NodeSlot, slots: number, exclusive: boolean): void;
  /** Gives back `slots` (a preempted task's); `exclusive` when that task held the node exclusively. */
  release(node: NodeSlot, slots: number, exclusive: boolean): void;
}

const schedulableStates: ReadonlySet<string> = new Set(["idle", "running"]);

export function createSlotTable(pool: SchedulerPool): SlotTable {
  const taskSlotsPerNode = Math.max(1, Math.floor(pool.taskSlotsPerNode ?? 1));
  const fill: NodeFillType = pool.nodeFillType ?? "spread";
  const sorted = pool.nodes
    .filter((node) => schedulableStates.has(node.state) && node.schedulingState === "enabled")
    .map((node) => ({ node, key: idKey(node.id) }))
    .sort((a, b) => compareKeyed(a.key, a.node.id, b.key, b.node.id));
  const nodes: NodeSlot[] = [];
  const keys = new Map<string, NodeSlot>();
  const affinities = new Map<string, NodeSlot>();
  for (const { node, key } of sorted) {
    if (keys.has(key)) continue;
    const slot: NodeSlot = {
      rank: nodes.length,
      id: node.id,
      key,
      dedicated: node.isDedicated,
      used: Math.max(0, node.usedSlots ?? 0),
      exclusive: node.exclusive === true,
      preempting: false,
    };
    nodes.push(slot);
    keys.set(key, slot);
    const affinity = idKey(node.affinityId ?? node.id);
    if (!affinities.has(affinity)) affinities.set(affinity, slot);
  }

  const words = Math.ceil(nodes.length / 32);
  const bits = new Uint32Array((taskSlotsPerNode + 1) * words);
  const counts = new Int32Array(taskSlotsPerNode + 1);
  /** Per bucket, the first word that may hold a set bit: words before it are all zero. */
  const firstWord = new Int32Array(taskSlotsPerNode + 1);
  const bucketOf = new Int32Array(nodes.length);
  const free = (node: NodeSlot): number => (node.exclusive ? 0 : Math.max(0, taskSlotsPerNode - node.used));
  const insert = (node: NodeSlot): void => {
    const bucket = free(node);
    bucketOf[node.rank] = bucket;
    counts[bucket] = (counts[bucket] as number) + 1;
    const word = bucket * words + (node.rank >>> 5);
    bits[word] = (bits[word] as number) | (1 << (node.rank & 31));
    if (node.rank >>> 5 < (firstWord[bucket] as number)) firstWord[bucket] = node.rank >>> 5;
  };
  const remove = (node: NodeSlot): void => {
    const bucket = bucketOf[node.rank] as number;
    counts[bucket] = (counts[bucket] as number) - 1;
    const word = bucket * words + (node.rank >>> 5);
    bits[word] = (bits[word] as number) & ~(1 << (node.rank & 31));
  };
  for (const node of nodes) insert(node);

  /** Calls `visit` on the nodes of bucket `bucket` in rank order until it returns true. */
  const scanBucket = (bucket: number, visit: (node: NodeSlot) => boolean): boolean => {
    if (counts[bucket] === 0) return false;
    let first = firstWord[bucket] as number;
    while (first < words && bits[bucket * words + first] === 0) first++;
    firstWord[bucket] = first;
    for (let w = first; w < words; w++) {
      let word = bits[bucket * words + w] as number;
      while (word !== 0) {
        const lowest = word & -word;
        const node = nodes[w * 32 + 31 - Math.clz32(lowest)] as NodeSlot;
        if (visit(node)) return true;
        word ^= lowest;
      }
    }
    return false;
  };
  /** Visits buckets with ≥ `slots` free in fill order until `visit` returns true. */
  const scan = (slots: number, visit: (node: NodeSlot) => boolean): void => {
    const from = Math.max(1, slots);
    if (fill === "spread") {
      for (let bucket = taskSlotsPerNode; bucket >= from; bucket--) if (scanBucket(bucket, visit)) return;
    } else {
      for (let bucket = from; bucket <= taskSlotsPerNode; bucket++) if (scanBucket(bucket, visit)) return;
    }
  };

  return {
    taskSlotsPerNode,
    fill,
    enableInterNodeCommunication: pool.enableInterNodeCommunication === true,
    nodes,
    byKey: (key) => keys.get(key),
    byAffinity: (key) => affinities.get(key),
    free,
    hasFreeSlot: () => (counts[0] as number) < nodes.length,
    maxFree() {
      for (let bucket = taskSlotsPerNode; bucket > 0; bucket--) if ((counts[bucket] as number) > 0) return bucket;
      return 0;
    },
    find(slots, accept) {
      let found: NodeSlot | undefined;
      scan(slots, (node) => {
        if (accept !== undefined && !accept(node)) return false;
        found = node;
        return true;
      });
      return found;
    },
    findMany(count, accept) {
      const found: NodeSlot[] = [];
      if (count <= 0) return found;
      scan(1, (node) => {
        if (accept === undefined || accept(node)) found.push(node);
        return found.length >= count;
      });
      return found;
    },
    take(node, slots, exclusive) {
      remove(node);
      node.used += slots;
      if (exclusive) node.exclusive = true;
      insert(node);
    },
    release(node, slots, exclusive) {
      remove(node);
      node.used = Math.max(0, node.used - slots);
      if (exclusive) node.exclusive = false;
      insert(node);
    },
  };
}
