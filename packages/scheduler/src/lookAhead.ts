/**
 * The look-ahead (pipelined dispatch, docs/architecture.md): once a round has filled every free slot it can, each
 * node of a pool with `lookAheadSlotsPerNode` L may be given up to L more slots of work, which its agent starts the
 * moment a slot frees — so a node never waits for the server between two tasks. Runs given so are `waiting` on their
 * node until the agent reports them begun; this pass also decides which waiting runs to withdraw. It runs after the
 * ordinary round, on the slot tables as that round left them, and is as pure and deterministic as the round.
 *
 * 1. `maxParallelTasks`: a job whose running and waiting tasks exceed its cap (the cap went down) has its waiting runs
 *    withdrawn, the ones that would start last first, until it fits.
 * 2. Look-ahead placements, jobs by priority then creation, tasks in order: ordinary single-node tasks only (no job
 *    manager, no multi-instance task; a job whose job manager is not placed waits), dependencies satisfied, within
 *    `maxParallelTasks` counting waiting runs. A task goes to the node with the most room for its job's priority —
 *    `taskSlotsPerNode + L − used`, where waiting runs of lower-priority jobs count as room — spreading the
 *    look-ahead evenly whatever the pool's fill type; taking that room withdraws those lower-priority runs (lowest
 *    priority, then last in order, first). So no lower-priority run waits on a node ahead of a higher-priority task
 *    that could wait there instead, and agents start their waiting runs in priority order.
 * 3. Rebalancing: while a node of the pool has free slots that no candidate took, runs waiting for room on other
 *    nodes (those beyond their node's slots, last in order first) are withdrawn, as many as the free slots can take,
 *    so that the next round places them where they can start now. Without it a long task could keep work waiting
 *    behind it while other nodes idle.
 */
import { idKey } from "@openbatch/core";
import { evaluateDependencies } from "./dependencies.js";
import { compareTasks } from "./order.js";
import type { NodeSlot, SlotTable } from "./slotTable.js";
import type { Placement, SchedulerJob, SchedulerPool, WaitingRun, Withdrawal, WithdrawalReason } from "./types.js";

export interface LookAheadInput {
  /** The active jobs, in scheduling order (compareJobs). */
  readonly jobs: readonly SchedulerJob[];
  /** Pools by id key. */
  readonly pools: ReadonlyMap<string, SchedulerPool>;
  /** The pool's slot table as the round left it (real placements taken, preempted and withdrawn runs released). */
  readonly tableOf: (poolId: string) => SlotTable | undefined;
  /** The round's placements so far. */
  readonly placements: readonly Placement[];
  /** The round's withdrawals so far (waiting runs taken back by preemption). */
  readonly withdrawals: readonly Withdrawal[];
  readonly maxPlacements: number;
}

interface Waiting {
  readonly run: WaitingRun;
  readonly node: NodeSlot;
  readonly priority: number;
  readonly jobSequence: number;
  withdrawn: boolean;
}

interface PoolState {
  readonly table: SlotTable;
  readonly lookAhead: number;
  readonly waitingByNode: Map<NodeSlot, Waiting[]>;
  readonly waitingByJob: Map<string, Waiting[]>;
}

/** Later in the agent's start order first: lowest priority, then the job and task added last. */
function lastFirst(a: Waiting, b: Waiting): number {
  return a.priority - b.priority || b.jobSequence - a.jobSequence || b.run.sequence - a.run.sequence || (a.run.assignmentId < b.run.assignmentId ? 1 : a.run.assignmentId > b.run.assignmentId ? -1 : 0);
}

export function planLookAhead(input: LookAheadInput): { placements: Placement[]; withdrawals: Withdrawal[] } {
  const placements: Placement[] = [];
  const withdrawals: Withdrawal[] = [];
  const alreadyWithdrawn = new Set(input.withdrawals.map((withdrawal) => withdrawal.assignmentId));
  const placedTasks = new Map<string, Set<string>>();
  for (const placement of input.placements) {
    const key = idKey(placement.jobId);
    const set = placedTasks.get(key) ?? new Set<string>();
    set.add(idKey(placement.taskId));
    placedTasks.set(key, set);
  }
  const jobsByKey = new Map(input.jobs.map((job) => [idKey(job.id), job]));
  const states = new Map<string, PoolState | undefined>();

  const stateOf = (poolId: string): PoolState | undefined => {
    const key = idKey(poolId);
    if (states.has(key)) return states.get(key);
    const pool = input.pools.get(key);
    const table = pool === undefined ? undefined : input.tableOf(poolId);
    let state: PoolState | undefined;
    if (pool !== undefined && table !== undefined) {
      state = { table, lookAhead: Math.max(0, Math.floor(pool.lookAheadSlotsPerNode ?? 0)), waitingByNode: new Map(), waitingByJob: new Map() };
      for (const node of pool.nodes) {
        const slot = table.byKey(idKey(node.id));
        if (slot === undefined) continue;
        for (const run of node.waiting ?? []) {
          if (alreadyWithdrawn.has(run.assignmentId)) continue;
          const job = jobsByKey.get(idKey(run.jobId));
          // A run of a job no longer active yields to any job (schedule.ts waitingOfInactiveJob).
          const priority = job === undefined ? -1001 : (job.priority ?? 0);
          const waiting: Waiting = { run, node: slot, priority, jobSequence: job?.sequence ?? 0, withdrawn: false };
          const onNode = state.waitingByNode.get(slot) ?? [];
          onNode.push(waiting);
          state.waitingByNode.set(slot, onNode);
          const ofJob = state.waitingByJob.get(idKey(run.jobId)) ?? [];
          ofJob.push(waiting);
          state.waitingByJob.set(idKey(run.jobId), ofJob);
        }
      }
    }
    states.set(key, state);
    return state;
  };

  const withdraw = (state: PoolState, waiting: Waiting, reason: WithdrawalReason): void => {
    waiting.withdrawn = true;
    state.table.release(waiting.node, waiting.run.slots ?? 1, false);
    withdrawals.push({ jobId: waiting.run.jobId, taskId: waiting.run.taskId, nodeId: waiting.node.id, assignmentId: waiting.run.assignmentId, reason });
  };

  const placedCount = (job: SchedulerJob): number => placedTasks.get(idKey(job.id))?.size ?? 0;

  // 1. maxParallelTasks that went down.
  for (const job of input.jobs) {
    const cap = job.maxParallelTasks ?? -1;
    if (cap < 0) continue;
    const excess = Math.max(0, job.runningTaskCount ?? 0) + placedCount(job) - cap;
    const state = excess > 0 ? stateOf(job.poolId) : undefined;
    if (state === undefined) continue;
    const runs = (state.waitingByJob.get(idKey(job.id)) ?? []).filter((waiting) => !waiting.withdrawn).sort(lastFirst);
    for (const waiting of runs.slice(0, excess)) withdraw(state, waiting, "maxParallelTasks");
  }

  // 2. Look-ahead placements.
  for (const job of input.jobs) {
    if (input.placements.length + placements.length >= input.maxPlacements) break;
    const state = stateOf(job.poolId);
    if (state === undefined || state.lookAhead === 0 || job.tasks.length === 0) continue;
    const placed = placedTasks.get(idKey(job.id)) ?? new Set<string>();
    if (job.tasks.some((task) => task.isJobManager === true && !placed.has(idKey(task.id)))) continue;
    placeAhead(job, state, placed);
  }

  function placeAhead(job: SchedulerJob, state: PoolState, placed: Set<string>): void {
    const { table, lookAhead } = state;
    const capacity = table.taskSlotsPerNode + lookAhead;
    const priority = job.priority ?? 0;
    const cap = job.maxParallelTasks ?? -1;
    let count = Math.max(0, job.runningTaskCount ?? 0) + placed.size;
    const excluded = new Set((job.excludedNodeIds ?? []).map(idKey));
    const prepared = job.hasJobPreparationTask === true ? new Set((job.preparedNodeIds ?? []).map(idKey)) : undefined;
    const lower = (node: NodeSlot): number =>
      (state.waitingByNode.get(node) ?? []).reduce((sum, waiting) => sum + (!waiting.withdrawn && waiting.priority < priority ? (waiting.run.slots ?? 1) : 0), 0);
    const heap = new RoomHeap();
    for (const node of table.nodes) {
      if (node.exclusive || excluded.has(node.key)) continue;
      heap.push({ node, room: capacity - node.used + lower(node) });
    }
    let smallestFailed = Infinity;
    const ordered = [...job.tasks].sort(compareTasks);
    for (const task of ordered) {
      if (smallestFailed <= 1 || input.placements.length + placements.length >= input.maxPlacements) return;
      if (cap >= 0 && count >= cap) return;
      if (task.isJobManager === true || task.numberOfInstances !== undefined || placed.has(idKey(task.id))) continue;
      const slots = Math.max(1, Math.floor(task.requiredSlots ?? 1));
      if (slots > table.taskSlotsPerNode || slots >= smallestFailed) continue;
      if (evaluateDependencies(task.dependsOn, job.dependencies).state !== "satisfied") continue;
      const top = heap.peek();
      if (top === undefined || top.room < slots) {
        smallestFailed = slots;
        continue;
      }
      heap.pop();
      const node = top.node;
      if (capacity - node.used < slots) {
        const displaced = (state.waitingByNode.get(node) ?? []).filter((waiting) => !waiting.withdrawn && waiting.priority < priority).sort(lastFirst);
        for (const waiting of displaced) {
          if (capacity - node.used >= slots) break;
          withdraw(state, waiting, "priority");
        }
      }
      table.take(node, slots, false);
      heap.push({ node, room: top.room - slots });
      placed.add(idKey(task.id));
      count++;
      placements.push({
        jobId: job.id,
        taskId: task.id,
        nodeIds: [node.id],
        slots,
        needsPreemption: false,
        jobPreparationNodeIds: prepared === undefined || prepared.has(node.key) ? [] : [node.id],
        lookAhead: true,
      });
    }
  }

  // 3. Rebalancing onto free slots nobody took.
  for (const [, state] of states) {
    if (state === undefined || state.lookAhead === 0) continue;
    const { table } = state;
    const slotsPerNode = table.taskSlotsPerNode;
    const free = new Map<NodeSlot, number>();
    for (const node of table.nodes) if (!node.exclusive && node.used < slotsPerNode) free.set(node, slotsPerNode - node.used);
    if (free.size === 0) continue;
    for (const job of input.jobs) {
      const runs = state.waitingByJob.get(idKey(job.id));
      if (runs === undefined) continue;
      const excluded = new Set((job.excludedNodeIds ?? []).map(idKey));
      for (const waiting of runs.filter((entry) => !entry.withdrawn && entry.node.used > slotsPerNode).sort(lastFirst)) {
        if (waiting.withdrawn || waiting.node.used <= slotsPerNode) continue;
        const slots = waiting.run.slots ?? 1;
        const target = [...free].find(([node, left]) => left >= slots && !excluded.has(node.key));
        if (target === undefined) continue;
        free.set(target[0], target[1] - slots);
        withdraw(state, waiting, "rebalance");
      }
    }
  }
  return { placements, withdrawals };
}

interface RoomEntry {
  readonly node: NodeSlot;
  readonly room: number;
}

/** A max-heap of nodes by look-ahead room, ties by node rank (so equal nodes take turns, as `spread` does). */
class RoomHeap {
  private readonly entries: RoomEntry[] = [];

  private before(a: RoomEntry, b: RoomEntry): boolean {
    return a.room > b.room || (a.room === b.room && a.node.rank < b.node.rank);
  }

  peek(): RoomEntry | undefined {
    return this.entries[0];
  }

  push(entry: RoomEntry): void {
    const entries = this.entries;
    entries.push(entry);
    let index = entries.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(entries[index] as RoomEntry, entries[parent] as RoomEntry)) break;
      [entries[index], entries[parent]] = [entries[parent] as RoomEntry, entries[index] as RoomEntry];
      index = parent;
    }
  }

  pop(): RoomEntry | undefined {
    const entries = this.entries;
    const top = entries[0];
    const last = entries.pop();
    if (top === undefined || last === undefined || entries.length === 0) return top;
    entries[0] = last;
    let index = 0;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let best = index;
      if (left < entries.length && this.before(entries[left] as RoomEntry, entries[best] as RoomEntry)) best = left;
      if (right < entries.length && this.before(entries[right] as RoomEntry, entries[best] as RoomEntry)) best = right;
      if (best === index) break;
      [entries[index], entries[best]] = [entries[best] as RoomEntry, entries[index] as RoomEntry];
      index = best;
    }
    return top;
  }
}
