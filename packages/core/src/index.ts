export { errorCatalogue, isErrorCode, type ErrorCode, type ErrorCodeInfo } from "./errorCatalogue.js";
export {
  ServiceError,
  serviceError,
  isServiceError,
  propertyDetails,
  assertNever,
  type ErrorDetail,
  type ServiceErrorOptions,
} from "./serviceError.js";
export { idKey, idProblem, assertValidId } from "./ids.js";
export { canonicalJson } from "./canonicalJson.js";
export { limits } from "./limits.js";
export { systemClock, type Clock } from "./clock.js";
export {
  comparisonOperators,
  matchesPredicate,
  readPath,
  type ComparisonOperator,
  type Literal,
  type Predicate,
  type ValueKind,
} from "./query.js";
export { formatTimestamp, formatHttpDate, parseTimestamp, parseHttpDate, parseDuration, formatDuration, firstLogLineTime } from "./time.js";
export {
  nextNodeState,
  startTaskInfoOf,
  type ComputeNodeStateValue,
  type NodeLifecycleInput,
  type NodeLifecycleOutput,
  type ProcessReport,
  type StartTaskInfoValue,
  type StartTaskSettings,
} from "./nodeLifecycle.js";
export { vmSizeInfo, knownVmSizes, maxTaskSlots, type VmSize } from "./vmSizes.js";
export { SimulatedClock, isObservableClock, type ObservableClock } from "./simulatedClock.js";
export {
  decideSchedule,
  effectiveWindowInMs,
  firstRunTime,
  minimumScheduleIntervalInMs,
  type ScheduleDecision,
  type ScheduleSituation,
  type ScheduleTiming,
} from "./jobScheduleTiming.js";
export {
  applicationVersionProblem,
  applicationPackageDirectoryName,
  applicationPackageVariableNames,
  zipEntryPathProblem,
  isZipSymlinkEntry,
} from "./applicationPackages.js";
export {
  checkContainerRunOptions,
  containerRunArguments,
  containerRuntimeChoice,
  containerNodeRoot,
  ContainerOptionsError,
  imageRegistry,
  qualifiedImageName,
  readOnlyHostPaths,
  type ContainerRunOption,
  type ContainerRunPolicy,
} from "./containerRunOptions.js";
export {
  transitionProblem,
  taskMachine,
  jobMachine,
  jobScheduleMachine,
  poolMachine,
  allocationMachine,
  nodeMachine,
  certificateMachine,
  type StateMachine,
  type TransitionRule,
  type TaskStateValue,
  type JobStateValue,
  type JobScheduleStateValue,
  type PoolStateValue,
  type AllocationStateValue,
  type CertificateStateValue,
  type TaskEvent,
  type JobEvent,
  type JobScheduleEvent,
  type PoolEvent,
  type AllocationEvent,
  type NodeEvent,
  type CertificateEvent,
} from "./lifecycles.js";
export { developmentAccount, defaultLocalEndpoint } from "./developmentAccount.js";
