/**
 * Task wire models (rest-api.md §4.4): add/update parameters, CloudTask, exit conditions, dependencies, multi-instance
 * settings, execution information, add-collection results and subtasks.
 */
import type { TObject } from "@sinclair/typebox";
import { DateTime, Duration, Int32, Int64, Double, Type, model, type Static } from "../schema.js";
import {
  AccessScope,
  DependencyAction,
  ErrorCategory,
  JobAction,
  SubtaskState,
  TaskAddStatus,
  TaskExecutionResult,
  TaskState,
} from "../enums.js";
import {
  ApplicationPackageReference,
  BatchError,
  EnvironmentSetting,
  NameValuePair,
  OutputFile,
  ResourceFile,
  TaskContainerSettings,
  UserIdentity,
} from "./common.js";
import { partialProperties } from "./util.js";

// ---- Request building blocks (also used by job manager/preparation/release tasks) --------------------------------

export const TaskConstraints = model("TaskConstraints", {
  maxWallClockTime: Type.Optional(Duration({ description: "Default: unlimited." })),
  retentionTime: Type.Optional(Duration({ description: "How long the task directory is kept; default P7D." })),
  maxTaskRetryCount: Type.Optional(Int32({ description: "-1 = unlimited; default: the job's maxTaskRetryCount." })),
});
export type TaskConstraints = Static<typeof TaskConstraints>;

export const AuthenticationTokenSettings = model("AuthenticationTokenSettings", {
  access: Type.Optional(Type.Array(AccessScope)),
});
export type AuthenticationTokenSettings = Static<typeof AuthenticationTokenSettings>;

export const ExitOptions = model("ExitOptions", {
  jobAction: Type.Optional(JobAction),
  dependencyAction: Type.Optional(DependencyAction),
});
export type ExitOptions = Static<typeof ExitOptions>;

export const ExitCodeMapping = model("ExitCodeMapping", {
  code: Int32(),
  exitOptions: ExitOptions,
});
export type ExitCodeMapping = Static<typeof ExitCodeMapping>;

export const ExitCodeRangeMapping = model("ExitCodeRangeMapping", {
  start: Int32(),
  end: Int32(),
  exitOptions: ExitOptions,
});
export type ExitCodeRangeMapping = Static<typeof ExitCodeRangeMapping>;

export const ExitConditions = model("ExitConditions", {
  exitCodes: Type.Optional(Type.Array(ExitCodeMapping)),
  exitCodeRanges: Type.Optional(Type.Array(ExitCodeRangeMapping)),
  preProcessingError: Type.Optional(ExitOptions),
  fileUploadError: Type.Optional(ExitOptions),
  default: Type.Optional(ExitOptions),
});
export type ExitConditions = Static<typeof ExitConditions>;

export const AffinityInformation = model("AffinityInformation", {
  affinityId: Type.String(),
});
export type AffinityInformation = Static<typeof AffinityInformation>;

export const MultiInstanceSettings = model("MultiInstanceSettings", {
  numberOfInstances: Type.Optional(Int32({ description: "Default 1." })),
  coordinationCommandLine: Type.String(),
  commonResourceFiles: Type.Optional(Type.Array(ResourceFile)),
});
export type MultiInstanceSettings = Static<typeof MultiInstanceSettings>;

export const TaskIdRange = model("TaskIdRange", {
  start: Int32(),
  end: Int32(),
});
export type TaskIdRange = Static<typeof TaskIdRange>;

export const TaskDependencies = model("TaskDependencies", {
  taskIds: Type.Optional(Type.Array(Type.String())),
  taskIdRanges: Type.Optional(Type.Array(TaskIdRange)),
});
export type TaskDependencies = Static<typeof TaskDependencies>;

// ---- Server-set building blocks (also used by node and job models) -----------------------------------------------

export const TaskContainerExecutionInformation = model(
  "TaskContainerExecutionInformation",
  partialProperties({
    containerId: Type.String(),
    state: Type.String({ description: "Docker's container state." }),
    error: Type.String({ description: "Docker's error text." }),
  }),
);
export type TaskContainerExecutionInformation = Static<typeof TaskContainerExecutionInformation>;

export const TaskFailureInformation = model(
  "TaskFailureInformation",
  partialProperties({
    category: ErrorCategory,
    code: Type.String(),
    message: Type.String(),
    details: Type.Array(NameValuePair),
  }),
);
export type TaskFailureInformation = Static<typeof TaskFailureInformation>;

export const TaskExecutionInformation = model(
  "TaskExecutionInformation",
  partialProperties({
    startTime: DateTime(),
    endTime: DateTime(),
    exitCode: Int32(),
    containerInfo: TaskContainerExecutionInformation,
    failureInfo: TaskFailureInformation,
    retryCount: Int32(),
    lastRetryTime: DateTime(),
    requeueCount: Int32(),
    lastRequeueTime: DateTime(),
    result: TaskExecutionResult,
  }),
);
export type TaskExecutionInformation = Static<typeof TaskExecutionInformation>;

export const ComputeNodeInformation = model(
  "ComputeNodeInformation",
  partialProperties({
    affinityId: Type.String(),
    nodeUrl: Type.String(),
    poolId: Type.String(),
    nodeId: Type.String(),
    taskRootDirectory: Type.String(),
    taskRootDirectoryUrl: Type.String(),
  }),
);
export type ComputeNodeInformation = Static<typeof ComputeNodeInformation>;

export const TaskStatistics = model(
  "TaskStatistics",
  partialProperties({
    url: Type.String(),
    startTime: DateTime(),
    lastUpdateTime: DateTime(),
    userCPUTime: Duration(),
    kernelCPUTime: Duration(),
    wallClockTime: Duration(),
    readIOps: Int64(),
    writeIOps: Int64(),
    readIOGiB: Double(),
    writeIOGiB: Double(),
    waitTime: Duration(),
  }),
);
export type TaskStatistics = Static<typeof TaskStatistics>;

// ---- Tasks --------------------------------------------------------------------------------------------------------

const taskAddProperties = {
  id: Type.String(),
  displayName: Type.Optional(Type.String()),
  commandLine: Type.String(),
  containerSettings: Type.Optional(TaskContainerSettings),
  exitConditions: Type.Optional(ExitConditions),
  resourceFiles: Type.Optional(Type.Array(ResourceFile)),
  outputFiles: Type.Optional(Type.Array(OutputFile)),
  environmentSettings: Type.Optional(Type.Array(EnvironmentSetting)),
  affinityInfo: Type.Optional(AffinityInformation),
  constraints: Type.Optional(TaskConstraints),
  requiredSlots: Type.Optional(Int32({ description: "Scheduling slots the task needs; default 1." })),
  userIdentity: Type.Optional(UserIdentity),
  multiInstanceSettings: Type.Optional(MultiInstanceSettings),
  dependsOn: Type.Optional(TaskDependencies),
  applicationPackageReferences: Type.Optional(Type.Array(ApplicationPackageReference)),
  authenticationTokenSettings: Type.Optional(AuthenticationTokenSettings),
};

export interface TaskAddParameterSchema extends TObject<typeof taskAddProperties> {}
export const TaskAddParameter: TaskAddParameterSchema = model("TaskAddParameter", taskAddProperties);
export type TaskAddParameter = Static<typeof TaskAddParameter>;

export const CloudTask = model("CloudTask", {
  ...partialProperties(taskAddProperties),
  ...partialProperties({
    url: Type.String(),
    eTag: Type.String(),
    lastModified: DateTime(),
    creationTime: DateTime(),
    state: TaskState,
    stateTransitionTime: DateTime(),
    previousState: TaskState,
    previousStateTransitionTime: DateTime(),
    executionInfo: TaskExecutionInformation,
    nodeInfo: ComputeNodeInformation,
    stats: TaskStatistics,
  }),
});
export type CloudTask = Static<typeof CloudTask>;

export const TaskUpdateParameter = model("TaskUpdateParameter", {
  constraints: Type.Optional(TaskConstraints),
});
export type TaskUpdateParameter = Static<typeof TaskUpdateParameter>;

/**
 * 1–100 tasks. More tasks (or a body ≥ 1 MB) must be refused with 413 RequestBodyTooLarge, which the Python
 * client's chunking relies on, so the bound is left to the service rather than put in the schema (a 400 would
 * break it).
 */
export const TaskAddCollectionParameter = model("TaskAddCollectionParameter", {
  value: Type.Array(TaskAddParameter),
});
export type TaskAddCollectionParameter = Static<typeof TaskAddCollectionParameter>;

export const TaskAddResult = model(
  "TaskAddResult",
  partialProperties({
    status: TaskAddStatus,
    taskId: Type.String(),
    eTag: Type.String(),
    lastModified: DateTime(),
    location: Type.String(),
    error: BatchError,
  }),
);
export type TaskAddResult = Static<typeof TaskAddResult>;

export const TaskAddCollectionResult = model(
  "TaskAddCollectionResult",
  partialProperties({
    value: Type.Array(TaskAddResult),
  }),
);
export type TaskAddCollectionResult = Static<typeof TaskAddCollectionResult>;

export const SubtaskInformation = model(
  "SubtaskInformation",
  partialProperties({
    id: Int32(),
    nodeInfo: ComputeNodeInformation,
    startTime: DateTime(),
    endTime: DateTime(),
    exitCode: Int32(),
    containerInfo: TaskContainerExecutionInformation,
    failureInfo: TaskFailureInformation,
    state: SubtaskState,
    stateTransitionTime: DateTime(),
    previousState: SubtaskState,
    previousStateTransitionTime: DateTime(),
    result: TaskExecutionResult,
  }),
);
export type SubtaskInformation = Static<typeof SubtaskInformation>;

export const CloudTaskListSubtasksResult = model(
  "CloudTaskListSubtasksResult",
  partialProperties({
    value: Type.Array(SubtaskInformation),
  }),
);
export type CloudTaskListSubtasksResult = Static<typeof CloudTaskListSubtasksResult>;
