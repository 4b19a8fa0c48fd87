/**
 * The one gate every state change passes: `move` checks the change against core's transition tables
 * (core/src/lifecycles.ts), sets the state fields, and records the effects that entering the new state implies
 * (`entered` below) — so "a task became active, wake the scheduler" is said once, here, for every path that makes a
 * task active. `created` does the same for a new row's first state.
 *
 * An illegal change throws in strict mode (tests: the suite fails on one) and is otherwise written and reported as
 * an `illegalTransition` effect, which the server logs as an error: refusing it in production could wedge work
 * that is otherwise fine, and a silent write is what the tables exist to prevent.
 */
import {
  allocationMachine, certificateMachine, jobMachine, jobScheduleMachine, nodeMachine, poolMachine, taskMachine, transitionProblem,
  type AllocationStateValue, type CertificateStateValue, type ComputeNodeStateValue, type JobScheduleStateValue, type JobStateValue,
  type PoolStateValue, type StateMachine, type TaskStateValue,
} from "@openbatch/core";
import type { AllocationState, CertificateState, ComputeNodeState, JobScheduleState, JobState, PoolState, TaskState } from "@openbatch/protocol";
import type { EntityRef, WriteTx } from "@openbatch/store";
import type { Effect } from "../effects/effects.js";
import { contextOf, recordEffect } from "../effects/transaction.js";

// core's state unions and the wire's enums must be the same sets: these fail to compile when one moves.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameStates: [
  Same<TaskStateValue, TaskState>, Same<JobStateValue, JobState>, Same<JobScheduleStateValue, JobScheduleState>, Same<PoolStateValue, PoolState>,
  Same<AllocationStateValue, AllocationState>, Same<CertificateStateValue, CertificateState>, Same<ComputeNodeStateValue, ComputeNodeState>,
] = [true, true, true, true, true, true, true];
void sameStates;

export class IllegalTransitionError extends Error {
  override readonly name = "IllegalTransitionError";
}

export interface Lifecycle<S extends string, E extends string> {
  readonly machine: StateMachine<S, E>;
  /** The field holding the state (`allocationState` for a pool's allocation, else `state`). */
  readonly field: "state" | "allocationState";
  /** Whether the resource shows `previousState` and `previousStateTransitionTime`. */
  readonly keepsPrevious: boolean;
  /** What entering `to` (from `from`; undefined: a new row) must cause after the commit. */
  readonly entered?: (ref: EntityRef, event: E | "create", from: S | undefined, to: S) => readonly Effect[];
}

type EventOf<M> = M extends StateMachine<string, infer E> ? E : never;

export const taskLifecycle: Lifecycle<TaskStateValue, EventOf<typeof taskMachine>> = {
  machine: taskMachine,
  field: "state",
  keepsPrevious: true,
  // An active task is placeable; a completed one may release its dependants or make room under maxParallelTasks.
  entered: ({ account }, _event, _from, to) => (to === "active" || to === "completed" ? [{ kind: "wakeScheduler", account }] : []),
};

export const jobLifecycle: Lifecycle<JobStateValue, EventOf<typeof jobMachine>> = {
  machine: jobMachine,
  field: "state",
  keepsPrevious: true,
  entered: ({ account }, _event, _from, to) => {
    // An active job's tasks are placeable and its wall clock runs; a completed one lets its schedule move on.
    if (to === "active") return [{ kind: "wakeScheduler", account }, { kind: "kickDeadlines", account }];
    if (to === "completed") return [{ kind: "kickScheduleRunner", account }];
    return [];
  },
};

export const jobScheduleLifecycle: Lifecycle<JobScheduleStateValue, EventOf<typeof jobScheduleMachine>> = {
  machine: jobScheduleMachine,
  field: "state",
  keepsPrevious: true,
  entered: ({ account }) => [{ kind: "kickScheduleRunner", account }],
};

export const poolLifecycle: Lifecycle<PoolStateValue, EventOf<typeof poolMachine>> = {
  machine: poolMachine,
  field: "state",
  keepsPrevious: false,
  // A new pool gets its nodes, a deleting one loses them: both are the reconciler's.
  entered: ({ account, id }) => [{ kind: "reconcilePool", account, poolId: id }],
};

export const allocationLifecycle: Lifecycle<AllocationStateValue, EventOf<typeof allocationMachine>> = {
  machine: allocationMachine,
  field: "allocationState",
  keepsPrevious: false,
  // The reconciler's own moves need no reconcile after them.
  entered: ({ account, id }, event) => (event === "reconcile" ? [] : [{ kind: "reconcilePool", account, poolId: id }]),
};

export const nodeLifecycle: Lifecycle<ComputeNodeStateValue, EventOf<typeof nodeMachine>> = {
  machine: nodeMachine,
  field: "state",
  keepsPrevious: false,
  entered: ({ account, scope }, event, from) => {
    // A preempted node is brought back by the reconciler's timer; a node first reached by its agent (or back from a
    // lost contact) may settle its pool's allocation state. Capacity freed is lifecycle/nodes.ts `writeNode`'s.
    if (event === "preempt" || event === "lose" || (event === "agentReport" && (from === "creating" || from === "unknown"))) {
      return [{ kind: "reconcilePool", account, poolId: scope }];
    }
    return [];
  },
};

export const certificateLifecycle: Lifecycle<CertificateStateValue, EventOf<typeof certificateMachine>> = {
  machine: certificateMachine,
  field: "state",
  keepsPrevious: true,
};

function check<S extends string, E extends string>(tx: WriteTx, ref: EntityRef, lifecycle: Lifecycle<S, E>, event: E | "create", from: S | undefined, to: S): void {
  // A creation (`from` undefined) is checked against the initial states; the event is not looked at.
  const problem = transitionProblem(lifecycle.machine, event as E, from, to);
  if (problem === undefined) return;
  const context = contextOf(tx);
  context.noteIllegalTransition();
  if (context.strictTransitions) throw new IllegalTransitionError(`Illegal transition of ${lifecycle.machine.name} '${ref.id}' (${ref.account}): ${problem}.`);
  recordEffect(tx, { kind: "illegalTransition", account: ref.account, entity: lifecycle.machine.name, id: ref.id, problem });
}

function effectsOf<S extends string, E extends string>(tx: WriteTx, ref: EntityRef, lifecycle: Lifecycle<S, E>, event: E | "create", from: S | undefined, to: S): void {
  for (const effect of lifecycle.entered?.(ref, event, from, to) ?? []) recordEffect(tx, effect);
}

/**
 * `record` moved to `to` by `event` at `time` (state, its transition time and, where the resource shows them, the
 * previous state and time); unchanged when it is in `to` already. Checked against the tables; records the effects
 * of entering `to`. The caller writes the returned record in `tx`.
 */
export function move<S extends string, E extends string, T extends object>(tx: WriteTx, ref: EntityRef, lifecycle: Lifecycle<S, E>, record: T, event: E, to: S, time: string): T {
  const fields = record as Record<string, unknown>;
  const from = fields[lifecycle.field] as S | undefined;
  if (from === to) return record;
  check(tx, ref, lifecycle, event, from, to);
  effectsOf(tx, ref, lifecycle, event, from, to);
  if (lifecycle.field === "allocationState") return { ...record, allocationState: to, allocationStateTransitionTime: time };
  if (!lifecycle.keepsPrevious) return { ...record, state: to, stateTransitionTime: time };
  return { ...record, previousState: from, previousStateTransitionTime: fields["stateTransitionTime"], state: to, stateTransitionTime: time };
}

/** A new row in its first state: checked against the table's initial states; records the effects of entering it. */
export function created<S extends string, E extends string>(tx: WriteTx, ref: EntityRef, lifecycle: Lifecycle<S, E>, state: S): void {
  check(tx, ref, lifecycle, "create", undefined, state);
  effectsOf(tx, ref, lifecycle, "create", undefined, state);
}
