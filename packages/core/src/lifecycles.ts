/**
 * The state machines of the service's resources as data: for each resource, its states, the states it may be
 * created in, and every named kind of change with the states it may start from and end in. The server's lifecycle
 * layer (packages/server/src/lifecycle/) checks every state change it makes against these tables, so "any state can
 * move to any state" is no longer possible without the table saying so. A change that keeps the state (a node
 * reported `idle` again) is not a transition and needs no entry.
 *
 * The tables follow semantics.md (§2.1 tasks, §5.1 jobs, §6.1 pools, §6.2 nodes, §8 job schedules, §12
 * certificates) as this server implements it; where it decides something the service does not document, the
 * comment on the change says so. The node's `agentReport` change is what `nextNodeState` (nodeLifecycle.ts) may
 * decide; its table test enumerates that function's answers against it.
 */
import type { ComputeNodeStateValue } from "./nodeLifecycle.js";

/** One named kind of change: the states it may start from and the states it may end in. */
export interface TransitionRule<S extends string> {
  readonly from: readonly S[];
  readonly to: readonly S[];
}

export interface StateMachine<S extends string, E extends string> {
  /** The resource, for messages ("task", "job", …). */
  readonly name: string;
  readonly states: readonly S[];
  /** The states a new resource may have. */
  readonly initial: readonly S[];
  readonly transitions: { readonly [K in E]: TransitionRule<S> };
}

/**
 * Why `from → to` by `event` is not allowed, or undefined when it is. `from` undefined is a creation; `from === to`
 * is no transition and always allowed.
 */
export function transitionProblem<S extends string, E extends string>(machine: StateMachine<S, E>, event: E, from: S | undefined, to: S): string | undefined {
  if (from === to) return undefined;
  if (from === undefined) {
    return machine.initial.includes(to) ? undefined : `a ${machine.name} cannot be created ${to}`;
  }
  const rule = machine.transitions[event];
  if (!rule.from.includes(from)) return `a ${machine.name} cannot ${event} from ${from}`;
  if (!rule.to.includes(to)) return `a ${machine.name} that does ${event} cannot become ${to}`;
  return undefined;
}

export type TaskStateValue = "active" | "preparing" | "running" | "completed";
export type JobStateValue = "active" | "disabling" | "disabled" | "enabling" | "terminating" | "completed" | "deleting";
export type JobScheduleStateValue = "active" | "completed" | "disabled" | "terminating" | "deleting";
export type PoolStateValue = "active" | "deleting";
export type AllocationStateValue = "steady" | "resizing" | "stopping";
export type CertificateStateValue = "active" | "deleting" | "deletefailed";

const busyTask = ["preparing", "running"] as const;

/** Tasks (semantics.md §2.1–§2.5). */
export const taskMachine = {
  name: "task",
  states: ["active", "preparing", "running", "completed"],
  initial: ["active"],
  transitions: {
    /**
     * The plan applier places it on a node: `preparing` while the job preparation task runs there first, `running` at
     * once for the instances of a multi-instance task. Any other run stays `active` until its agent starts it.
     */
    place: { from: ["active"], to: ["running", "preparing"] },
    /** Its node's agent started the run placed there (docs/architecture.md "Pipelined dispatch"). */
    start: { from: ["active", "preparing"], to: ["running"] },
    /** Its node prepared the job: the held run of a multi-instance task starts. */
    prepared: { from: ["preparing"], to: ["running"] },
    /** Its node failed to prepare the job: back to `active`, to go elsewhere. */
    unprepared: { from: ["preparing"], to: ["active"] },
    /** Its run was stopped to run again (node restart or removal, job disable, preemption): requeueCount + 1. */
    requeue: { from: busyTask, to: ["active"] },
    /** Its run exited non-zero with retries left, or was lost with its agent (a recovery retry). */
    retry: { from: busyTask, to: ["active"] },
    /** Its run ended for good (success, or failure with no retry left). */
    complete: { from: busyTask, to: ["completed"] },
    /** Ended early, `TaskEnded`: terminate, its job ending, its node leaving with `terminate`. */
    end: { from: ["active", ...busyTask], to: ["completed"] },
    /** A completed, failed task is made active again. */
    reactivate: { from: ["completed"], to: ["active"] },
  },
} as const satisfies StateMachine<TaskStateValue, string>;

const unfinishedJob = ["active", "disabling", "disabled", "enabling"] as const;

/** Jobs (semantics.md §5.1). */
export const jobMachine = {
  name: "job",
  states: ["active", "disabling", "disabled", "enabling", "terminating", "completed", "deleting"],
  /** `completed` at once: `terminatejob` with no task to wait for, or an auto pool that could not be made. */
  initial: ["active", "completed"],
  transitions: {
    /** Disable: `disabling` while `wait` lets running tasks finish, else `disabled` at once. */
    disable: { from: ["active"], to: ["disabling", "disabled"] },
    /** The last running task of a job disabled with `wait` ended. */
    disabled: { from: ["disabling"], to: ["disabled"] },
    enable: { from: ["disabled"], to: ["active"] },
    /**
     * The job ends (terminate, all tasks complete, the job manager's end, a task's exit options, its wall clock):
     * `terminating` while release tasks run, else `completed`.
     */
    end: { from: unfinishedJob, to: ["terminating", "completed"] },
    /** The last release task of an ending job finished. */
    released: { from: ["terminating"], to: ["completed"] },
    /** Its job schedule was terminated: the schedule's current job completes at once, releases or not (our choice). */
    scheduleTerminated: { from: [...unfinishedJob, "terminating"], to: ["completed"] },
    /** Delete of a job with release tasks to run: `deleting` until they end, then the row goes. */
    delete: { from: unfinishedJob, to: ["deleting"] },
  },
} as const satisfies StateMachine<JobStateValue, string>;

/** Job schedules (semantics.md §8); `terminating` and `deleting` are never seen here (both complete at once). */
export const jobScheduleMachine = {
  name: "job schedule",
  states: ["active", "completed", "disabled", "terminating", "deleting"],
  initial: ["active"],
  transitions: {
    disable: { from: ["active"], to: ["disabled"] },
    enable: { from: ["disabled"], to: ["active"] },
    /** The runner finds no occurrence left and no active job. */
    complete: { from: ["active"], to: ["completed"] },
    terminate: { from: ["active", "disabled"], to: ["completed"] },
  },
} as const satisfies StateMachine<JobScheduleStateValue, string>;

/** Pools' `state` (semantics.md §6.1). */
export const poolMachine = {
  name: "pool",
  states: ["active", "deleting"],
  initial: ["active"],
  transitions: {
    /** Delete of a pool with nodes: `deleting` until the reconciler has seen them leave (one without goes at once). */
    delete: { from: ["active"], to: ["deleting"] },
  },
} as const satisfies StateMachine<PoolStateValue, string>;

/** Pools' `allocationState` (semantics.md §6.1, §7.1). */
export const allocationMachine = {
  name: "pool allocation",
  states: ["steady", "resizing", "stopping"],
  initial: ["steady", "resizing"],
  transitions: {
    /** Resize or remove nodes (only from steady), or an autoscale evaluation with new targets (any time). */
    resize: { from: ["steady", "resizing", "stopping"], to: ["resizing"] },
    /** Stop resize. */
    stop: { from: ["resizing"], to: ["stopping"] },
    /**
     * The reconciler's view after a run: `steady` once the nodes match, `stopping` after a resize timed out, and
     * back to `resizing` when a steady pool gets a node to bring up again (a preempted node recovering).
     */
    reconcile: { from: ["steady", "resizing", "stopping"], to: ["steady", "resizing", "stopping"] },
  },
} as const satisfies StateMachine<AllocationStateValue, string>;

const usableNode = ["idle", "running"] as const;
const reportedNode = ["starting", "waitingforstarttask", "starttaskfailed", "idle", "running", "offline", "rebooting", "reimaging", "unusable"] as const;

/** Compute nodes (semantics.md §6.2; nodeLifecycle.ts says how an agent report moves them). */
export const nodeMachine = {
  name: "node",
  states: [
    "idle", "rebooting", "reimaging", "running", "unusable", "creating", "starting", "waitingforstarttask", "starttaskfailed", "unknown",
    "leavingpool", "offline", "preempted", "upgradingos",
  ],
  initial: ["creating"],
  transitions: {
    /** What its agent reports, through `nextNodeState`; states held by an operation are left alone. */
    agentReport: { from: ["creating", "unknown", ...reportedNode], to: reportedNode },
    /** The plan applier gives it a task run. */
    place: { from: usableNode, to: ["running"] },
    /** Reboot or reimage (waiting for running tasks with taskcompletion/retaineddata). */
    restart: { from: usableNode, to: ["rebooting", "reimaging"] },
    /** Disable scheduling with no task left on it; enable takes it back. */
    disableScheduling: { from: ["idle"], to: ["offline"] },
    enableScheduling: { from: ["offline"], to: ["idle"] },
    /** Preemption on demand (an OpenBatch operation; a node draining to leave too); recovery brings it back through `creating`. */
    preempt: {
      from: ["idle", "rebooting", "reimaging", "running", "unusable", "creating", "starting", "waitingforstarttask", "starttaskfailed", "unknown", "offline", "leavingpool"],
      to: ["preempted"],
    },
    recover: { from: ["preempted"], to: ["creating"] },
    /** Resize, remove nodes or pool delete: it leaves (at once, or once its tasks finished). */
    leave: {
      from: ["creating", "idle", "rebooting", "reimaging", "running", "unusable", "starting", "waitingforstarttask", "starttaskfailed", "unknown", "offline", "preempted"],
      to: ["leavingpool"],
    },
    /** A draining node the pool keeps after all (targets grew again, the removal was stopped or timed out). */
    keep: { from: ["leavingpool"], to: usableNode },
    /** Its agent stopped reporting (heartbeat timeout). */
    lose: {
      from: ["idle", "rebooting", "reimaging", "running", "unusable", "creating", "starting", "waitingforstarttask", "starttaskfailed", "offline"],
      to: ["unknown"],
    },
  },
} as const satisfies StateMachine<ComputeNodeStateValue, string>;

/** Certificates (semantics.md §12). */
export const certificateMachine = {
  name: "certificate",
  states: ["active", "deleting", "deletefailed"],
  initial: ["active"],
  transitions: {
    /** Delete is checked in one transaction: gone at once, or `deleting` then `deletefailed` when pools use it. */
    delete: { from: ["active", "deletefailed"], to: ["deleting"] },
    deleteFailed: { from: ["deleting"], to: ["deletefailed"] },
    cancelDeletion: { from: ["deletefailed"], to: ["active"] },
  },
} as const satisfies StateMachine<CertificateStateValue, string>;

export type TaskEvent = keyof typeof taskMachine.transitions;
export type JobEvent = keyof typeof jobMachine.transitions;
export type JobScheduleEvent = keyof typeof jobScheduleMachine.transitions;
export type PoolEvent = keyof typeof poolMachine.transitions;
export type AllocationEvent = keyof typeof allocationMachine.transitions;
export type NodeEvent = keyof typeof nodeMachine.transitions;
export type CertificateEvent = keyof typeof certificateMachine.transitions;
