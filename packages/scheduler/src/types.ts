/**
 * The scheduler's contract as types: the state view it reads (`SchedulerState`) and the plan it returns (`Plan`).
 *
 * The server builds a `SchedulerState` from a consistent snapshot of the store, calls `schedule(state)`, and hands the
 * plan to its plan applier, which re-checks every entry against current state and commits the plan in one
 * transaction. The scheduler keeps no state between calls and never reads a clock: the same state gives the same plan.
 *
 * Ids are compared case-insensitively (core's `idKey`), as Azure Batch does; plans carry ids as the state spelled them.
 */
import type { ComputeNodeStateValue } from "@openbatch/core";
import type { DependencyOracle, TaskDependencies } from "./dependencies.js";

/** Job states (semantics.md §5.1). Only `active` jobs place tasks. */
export const schedulerJobStates = [
  "active", "disabling", "disabled", "enabling", "terminating", "completed", "deleting",
] as const;
export type SchedulerJobState = (typeof schedulerJobStates)[number];

/** How a pool fills its nodes: `spread` (most free slots first) or `pack` (fewest free slots that still fit). */
export const nodeFillTypes = ["spread", "pack"] as const;
export type NodeFillType = (typeof nodeFillTypes)[number];

/** A compute node as the scheduler sees it. Only `idle`/`running` nodes with scheduling enabled take tasks. */
export interface SchedulerNode {
  readonly id: string;
  readonly state: ComputeNodeStateValue;
  readonly schedulingState: "enabled" | "disabled";
  /** false for Spot/low-priority nodes. */
  readonly isDedicated: boolean;
  /** Slots held by the tasks (job manager and regular, preparing or running) on the node now. @default 0 */
  readonly usedSlots?: number;
  /** A job manager task with `runExclusive` runs here: nothing else may be placed on the node. @default false */
  readonly exclusive?: boolean;
  /** What a task's `affinityInfo.affinityId` must equal to prefer this node. @default the node id */
  readonly affinityId?: string;
  /**
   * Runs placed on the node that its agent has not started yet and that the plan may withdraw (pipelined dispatch).
   * Their slots are part of `usedSlots`. @default none
   */
  readonly waiting?: readonly WaitingRun[];
}

/** A task's run placed on a node and not yet begun there (docs/architecture.md "Pipelined dispatch"). */
export interface WaitingRun {
  readonly jobId: string;
  readonly taskId: string;
  readonly assignmentId: string;
  /** @default 1 */
  readonly slots?: number;
  /** The task's sequence in its job (the agent starts waiting runs in job, then task order). */
  readonly sequence: number;
}

export interface SchedulerPool {
  readonly id: string;
  /** @default 1 */
  readonly taskSlotsPerNode?: number;
  /** @default "spread" */
  readonly nodeFillType?: NodeFillType;
  /** Multi-instance tasks need it (and `taskSlotsPerNode` 1), else they stay active. @default false */
  readonly enableInterNodeCommunication?: boolean;
  /**
   * The look-ahead: slots of work each node may be given beyond its `taskSlotsPerNode`, waiting for its agent to start
   * them as slots free (pipelined dispatch). Only ordinary single-node tasks use it. @default 0
   */
  readonly lookAheadSlotsPerNode?: number;
  readonly nodes: readonly SchedulerNode[];
}

/** An `active` task that may be placed now. */
export interface SchedulerTask {
  readonly id: string;
  /** Order of addition within the job; tasks are placed in ascending sequence (ties by id). */
  readonly sequence: number;
  /** Slots the task needs on its node. Multi-instance tasks always use 1 slot per node. @default 1 */
  readonly requiredSlots?: number;
  /** `affinityInfo.affinityId`: a hint; the matching node is used when it can take the task. */
  readonly affinityId?: string;
  /** The job's job manager task: examined before the job's other tasks, which wait until it is placed. */
  readonly isJobManager?: boolean;
  /** Job manager only: the task needs an otherwise empty node and keeps it to itself. @default true */
  readonly runExclusive?: boolean;
  /** Job manager only: false restricts it to dedicated nodes. @default true */
  readonly allowLowPriorityNode?: boolean;
  /** Present for a multi-instance task: the number of distinct nodes it needs at once (1 slot each). */
  readonly numberOfInstances?: number;
  readonly dependsOn?: TaskDependencies;
}

export interface SchedulerJob {
  readonly id: string;
  /** The pool the job's tasks run in (its auto pool's id for auto-pool jobs). */
  readonly poolId: string;
  readonly state: SchedulerJobState;
  /** −1000…1000; higher schedules first within a pool. @default 0 */
  readonly priority?: number;
  /** Cap on the job's tasks running at once (job manager included); −1 (or any negative) = unlimited. @default -1 */
  readonly maxParallelTasks?: number;
  /** Whether a higher-priority job may preempt (requeue) this job's running tasks. @default false */
  readonly allowTaskPreemption?: boolean;
  /** Creation order across jobs; breaks priority ties (older first). */
  readonly sequence: number;
  /** The job's tasks preparing or running now, job manager included, and its runs waiting on nodes. @default 0 */
  readonly runningTaskCount?: number;
  /** The job has a job preparation task: placements mark nodes where it has not run yet. @default false */
  readonly hasJobPreparationTask?: boolean;
  /** Nodes where the job preparation task has run or is running (it need not run again). */
  readonly preparedNodeIds?: readonly string[];
  /** Nodes the job's tasks may not use (e.g. its preparation task failed there with `waitForSuccess`). */
  readonly excludedNodeIds?: readonly string[];
  /** Candidate tasks (state `active`), ideally in ascending sequence order (otherwise the scheduler sorts a copy). */
  readonly tasks: readonly SchedulerTask[];
  /** Answers for the parents named by the tasks' `dependsOn`; without it every parent counts as missing. */
  readonly dependencies?: DependencyOracle;
}

/** A task running (or preparing) now: a preemption candidate when its job allows task preemption. */
export interface RunningTask {
  readonly poolId: string;
  readonly jobId: string;
  readonly taskId: string;
  /** Its node, or every node of a multi-instance task. */
  readonly nodeIds: readonly string[];
  /** Slots it holds on each of its nodes. @default 1 */
  readonly slots?: number;
  /** Its job's priority now. @default 0 */
  readonly jobPriority?: number;
  /** Its job's `allowTaskPreemption`. @default false */
  readonly allowTaskPreemption?: boolean;
  /** Start order: higher = started more recently (e.g. an assignment counter). */
  readonly sequence: number;
  /** A job manager with `runExclusive` (its node is `exclusive`). @default false */
  readonly runExclusive?: boolean;
  /**
   * A run its agent has not begun (the scheduler makes these from the nodes' `waiting` runs): withdrawing it stops
   * nothing, so it goes first and whatever its job allows. @default false
   */
  readonly waiting?: boolean;
  /** The waiting run's assignment. */
  readonly assignmentId?: string;
}

/**
 * Everything one scheduling round reads. `running` may be limited to tasks whose job allows preemption (only those
 * are ever preempted) but must then still include every exclusive job manager that could be preempted.
 */
export interface SchedulerState {
  readonly pools: readonly SchedulerPool[];
  readonly jobs: readonly SchedulerJob[];
  readonly running?: readonly RunningTask[];
}

export interface ScheduleOptions {
  /** Stop the round after this many placements. @default 10000 */
  readonly maxPlacements?: number;
  /** Stop the round after examining this many candidate tasks (placed or not). @default 100000 */
  readonly maxExaminedTasks?: number;
}

export interface ResolvedScheduleOptions {
  readonly maxPlacements: number;
  readonly maxExaminedTasks: number;
}

/** Why a task examined in this round was not placed. */
export const unplacedReasons = [
  /** The job's pool is not in the state (Azure accepts such jobs; their tasks wait). */
  "poolNotFound",
  /** Not every parent is satisfied yet (some are running, active or do not exist). */
  "dependenciesPending",
  /** requiredSlots > taskSlotsPerNode: the task can never run in this pool (it stays active). */
  "requiredSlotsExceedNodeSlots",
  /** Multi-instance task in a pool without inter-node communication or with taskSlotsPerNode > 1 (stays active). */
  "multiInstanceUnsupportedByPool",
  /** The job already runs maxParallelTasks tasks; the job's scan stops here. */
  "maxParallelTasksReached",
  /** The job's job manager task is not placed yet; the job's other tasks wait; the scan stops here. */
  "waitingForJobManager",
  /** No eligible node has room now, even with allowed preemption. When the pool is full the job's scan stops. */
  "noCapacity",
] as const;
export type UnplacedReason = (typeof unplacedReasons)[number];

export interface Placement {
  readonly jobId: string;
  readonly taskId: string;
  /** The task's node; for a multi-instance task, `numberOfInstances` distinct nodes, the primary first. */
  readonly nodeIds: readonly string[];
  /** Slots taken on each node. */
  readonly slots: number;
  /**
   * The placement lands on a node where this plan preempts running tasks: start it only once they have been
   * stopped and requeued.
   */
  readonly needsPreemption: boolean;
  /** Nodes among `nodeIds` where the job preparation task must run (and, with waitForSuccess, succeed) first. */
  readonly jobPreparationNodeIds: readonly string[];
  /**
   * Placed in the node's look-ahead, beyond its free slots: its agent starts it when a slot frees (never for
   * multi-instance tasks and job managers).
   */
  readonly lookAhead: boolean;
}

/** Why a waiting run is withdrawn. */
export const withdrawalReasons = [
  /** A higher-priority job's task takes its place (a real slot, or a look-ahead place). */
  "priority",
  /** Its job's `maxParallelTasks` went below its running and waiting tasks. */
  "maxParallelTasks",
  /** Another node of the pool has free slots it can use now, while it waits here. */
  "rebalance",
] as const;
export type WithdrawalReason = (typeof withdrawalReasons)[number];

/** A waiting run to take back before it begins: its task becomes placeable again once its agent confirms. */
export interface Withdrawal {
  readonly jobId: string;
  readonly taskId: string;
  readonly nodeId: string;
  readonly assignmentId: string;
  readonly reason: WithdrawalReason;
}

/** A running task to stop and requeue (back to `active`) so that `forJobId`/`forTaskId` can use its slots. */
export interface Preemption {
  readonly jobId: string;
  readonly taskId: string;
  readonly nodeIds: readonly string[];
  readonly forJobId: string;
  readonly forTaskId: string;
}

export interface UnplacedTask {
  readonly jobId: string;
  readonly taskId: string;
  readonly reason: UnplacedReason;
}

/** A task that cannot run because a parent completed with dependencyAction `block`. It stays `active`. */
export interface BlockedTask {
  readonly jobId: string;
  readonly taskId: string;
  /** The blocking parents' ids. */
  readonly parentTaskIds: readonly string[];
}

export interface Plan {
  /** In decision order: job priority, then job, then task order. */
  readonly placements: readonly Placement[];
  /** Grouped by the placement they serve, each group lowest priority first, then most recently started. */
  readonly preemptions: readonly Preemption[];
  /** Waiting runs to withdraw; the plan applier applies them before any placement. */
  readonly withdrawals: readonly Withdrawal[];
  readonly unplaced: readonly UnplacedTask[];
  readonly blocked: readonly BlockedTask[];
  /** A budget (maxPlacements, maxExaminedTasks) ended the round with candidates left: schedule again soon. */
  readonly truncated: boolean;
  /** Candidate tasks examined in this round. */
  readonly examinedTasks: number;
}
