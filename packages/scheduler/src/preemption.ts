/**
 * Preemption: freeing slots on one node for a higher-priority job's task by requeueing running tasks.
 *
 * A running task is a victim candidate only when its job has `allowTaskPreemption`, its job's priority is strictly
 * lower than the requesting job's, and it runs on a schedulable node of the same pool (never across pools). For each
 * node the candidates are taken lowest priority first, then most recently started, until the node has room; then
 * any victim that is not needed after all is dropped again, trying the most protected victims first. A node held by
 * an exclusive job manager can only be freed by preempting that job manager. Among the nodes that can be freed the
 * scheduler picks the one whose victims have the lowest highest priority, then the fewest victims, then node order.
 *
 * Multi-instance tasks never trigger preemption (all-or-nothing over several nodes); a multi-instance task can be a
 * victim, which frees its slot on every node it runs on.
 *
 * Runs waiting on a node for their agent to start them (pipelined dispatch) are victims too, whatever their job
 * allows, and the first ones taken: withdrawing a run that has not begun costs nothing.
 */
import { idKey } from "@openbatch/core";
import { compareVictims } from "./order.js";
import type { NodeSlot, SlotTable } from "./slotTable.js";
import type { RunningTask } from "./types.js";

export interface Victim {
  readonly task: RunningTask;
  readonly priority: number;
  readonly slots: number;
  readonly nodes: readonly NodeSlot[];
  preempted: boolean;
}

export interface PreemptionRequest {
  /** The requesting job's priority; only strictly lower-priority victims qualify. */
  readonly priority: number;
  /** Free slots the node must end with (taskSlotsPerNode for an exclusive job manager). */
  readonly slots: number;
  readonly accept?: ((node: NodeSlot) => boolean) | undefined;
}

export interface PreemptionChoice {
  readonly node: NodeSlot;
  /** In `compareVictims` order. */
  readonly victims: readonly Victim[];
}

export interface VictimSet {
  /** The lowest priority among victims not yet preempted (Infinity when none is left). */
  readonly minPriority: number;
  find(request: PreemptionRequest): PreemptionChoice | undefined;
  /** Marks the victims preempted and gives their slots back on every node they hold. */
  apply(choice: PreemptionChoice): void;
}

export function createVictimSet(table: SlotTable, running: readonly RunningTask[]): VictimSet {
  const victims: Victim[] = [];
  for (const task of running) {
    if (task.allowTaskPreemption !== true) continue;
    const nodes = [...new Set(task.nodeIds.map((id) => table.byKey(idKey(id))).filter((node) => node !== undefined))];
    if (nodes.length === 0) continue;
    victims.push({ task, priority: task.jobPriority ?? 0, slots: Math.max(0, task.slots ?? 1), nodes, preempted: false });
  }
  victims.sort((a, b) => compareVictims(a.task, b.task));
  const byNode = new Map<NodeSlot, Victim[]>();
  for (const victim of victims) {
    for (const node of victim.nodes) {
      const list = byNode.get(node);
      if (list === undefined) byNode.set(node, [victim]);
      else list.push(victim);
    }
  }
  /** Nodes with victims, in rank order; those whose victims are all preempted are dropped now and then. */
  let candidates = [...byNode.keys()].sort((a, b) => a.rank - b.rank);
  const alive = new Int32Array(table.nodes.length);
  for (const [node, list] of byNode) alive[node.rank] = list.length;
  let lowest = 0;
  // Waiting runs sort first whatever their priority: the floor walks the victims by priority alone.
  const byPriority = [...victims].sort((a, b) => a.priority - b.priority);
  /** The lowest priority among victims not yet preempted. */
  const floor = (): number => {
    while (lowest < byPriority.length && (byPriority[lowest] as Victim).preempted) lowest++;
    return byPriority[lowest]?.priority ?? Infinity;
  };
  const capacity = table.taskSlotsPerNode;
  const widest = victims.reduce((max, v) => Math.max(max, v.slots), 1);
  // A node held by an exclusive job manager shows no free slot, yet may need a single victim: no bound then.
  const holders = victims.some((v) => v.task.runExclusive === true);

  const chooseOnNode = (node: NodeSlot, request: PreemptionRequest): Victim[] | undefined => {
    const list = byNode.get(node) ?? [];
    const chosen: Victim[] = [];
    let used = node.used;
    let holder: Victim | undefined;
    if (node.exclusive) {
      holder = list.find((v) => !v.preempted && v.priority < request.priority && v.task.runExclusive === true);
      if (holder === undefined) return undefined;
      chosen.push(holder);
      used -= holder.slots;
    }
    for (const victim of list) {
      if (capacity - used >= request.slots) break;
      if (victim.preempted || victim === holder) continue;
      // Waiting runs come first, each group lowest priority first: past the request's priority, only running ones stop the scan.
      if (victim.priority >= request.priority) {
        if (victim.task.waiting === true) continue;
        break;
      }
      chosen.push(victim);
      used -= victim.slots;
    }
    if (capacity - used < request.slots) return undefined;
    for (let i = chosen.length - 1; i >= 0; i--) {
      const victim = chosen[i] as Victim;
      if (victim === holder || capacity - (used + victim.slots) < request.slots) continue;
      used += victim.slots;
      chosen.splice(i, 1);
    }
    return chosen.length > 0 ? chosen.sort((a, b) => compareVictims(a.task, b.task)) : undefined;
  };

  return {
    get minPriority() {
      return floor();
    },
    find(request) {
      const best = floor();
      if (best >= request.priority) return undefined;
      // The best conceivable choice: victims of the lowest priority left, as few as the widest victim would need.
      const fewest = holders ? 1 : Math.max(1, Math.ceil((request.slots - table.maxFree()) / widest));
      let choice: PreemptionChoice | undefined;
      let choicePriority = Infinity;
      let dead = 0;
      for (const node of candidates) {
        if (alive[node.rank] === 0) {
          dead++;
          continue;
        }
        if (request.accept !== undefined && !request.accept(node)) continue;
        const chosen = chooseOnNode(node, request);
        if (chosen === undefined) continue;
        const highest = (chosen[chosen.length - 1] as Victim).priority;
        if (choice === undefined || highest < choicePriority || (highest === choicePriority && chosen.length < choice.victims.length)) {
          choice = { node, victims: chosen };
          choicePriority = highest;
          // Nodes come in rank order, so no later node can beat the best conceivable choice.
          if (highest === best && chosen.length <= fewest) break;
        }
      }
      if (dead * 2 > candidates.length) candidates = candidates.filter((node) => alive[node.rank] !== 0);
      return choice;
    },
    apply(choice) {
      for (const victim of choice.victims) {
        victim.preempted = true;
        for (const node of victim.nodes) {
          alive[node.rank] = (alive[node.rank] as number) - 1;
          table.release(node, victim.slots, victim.task.runExclusive === true);
          node.preempting = true;
        }
      }
    },
  };
}
