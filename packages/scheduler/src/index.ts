/**
 * @openbatch/scheduler — pure task placement. From a state view, `schedule` decides which active task goes to which
 * node slot and returns a plan as data; the server's plan applier re-checks and commits it. No I/O, no clock.
 */
export { schedule, resolveScheduleOptions, defaultScheduleOptions } from "./schedule.js";
export {
  createDependencyIndex,
  dependencyParents,
  dependsOnTask,
  evaluateDependencies,
  parentStates,
  taskIdNumber,
  type DependencyIndex,
  type DependencyOracle,
  type DependencyState,
  type DependencyVerdict,
  type ParentState,
  type TaskDependencies,
  type TaskIdRange,
} from "./dependencies.js";
export {
  nodeFillTypes,
  schedulerJobStates,
  unplacedReasons,
  withdrawalReasons,
  type BlockedTask,
  type NodeFillType,
  type Placement,
  type Plan,
  type Preemption,
  type ResolvedScheduleOptions,
  type RunningTask,
  type ScheduleOptions,
  type SchedulerJob,
  type SchedulerJobState,
  type SchedulerNode,
  type SchedulerPool,
  type SchedulerState,
  type SchedulerTask,
  type UnplacedReason,
  type UnplacedTask,
  type WaitingRun,
  type Withdrawal,
  type WithdrawalReason,
} from "./types.js";
