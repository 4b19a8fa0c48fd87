/**
 * Job and job-schedule wire models (rest-api.md §4.3): add/patch/update/disable/terminate parameters, CloudJob,
 * CloudJobSchedule, job manager/preparation/release tasks, pool information, execution information, statistics and
 * task counts.
 */
import type { TObject } from "@sinclair/typebox";
import { DateTime, Double, Duration, Int32, Int64, Type, model, type Static } from "../schema.js";
import {
  DisableJobOption,
  ErrorCategory,
  JobPreparationTaskState,
  JobReleaseTaskState,
  JobScheduleState,
  JobState,
  OnAllTasksComplete,
  OnTaskFailure,
  PoolLifetimeOption,
  TaskExecutionResult,
} from "../enums.js";
import {
  ApplicationPackageReference,
  EnvironmentSetting,
  MetadataItem,
  NameValuePair,
  OutputFile,
  ResourceFile,
  TaskContainerSettings,
  UserIdentity,
} from "./common.js";
import { PoolSpecification } from "./pool.js";
import {
  AuthenticationTokenSettings,
  TaskConstraints,
  TaskContainerExecutionInformation,
  TaskFailureInformation,
} from "./task.js";
import { partialProperties } from "./util.js";

/** Job priority: -1000 (lowest) … 1000 (highest); default 0. */
const JobPriority = () => Int32({ minimum: -1000, maximum: 1000, description: "-1000…1000; default 0." });

// ---- Job building blocks -----------------------------------------------------------------------------------------

export const JobConstraints = model("JobConstraints", {
  maxWallClockTime: Type.Optional(Duration({ description: "Default: unlimited." })),
  maxTaskRetryCount: Type.Optional(Int32({ description: "-1 = unlimited; default 0." })),
});
export type JobConstraints = Static<typeof JobConstraints>;

export const JobNetworkConfiguration = model("JobNetworkConfiguration", {
  subnetId: Type.String(),
});
export type JobNetworkConfiguration = Static<typeof JobNetworkConfiguration>;

const jobManagerTaskProperties = {
  id: Type.String(),
  displayName: Type.Optional(Type.String()),
  commandLine: Type.String(),
  containerSettings: Type.Optional(TaskContainerSettings),
  resourceFiles: Type.Optional(Type.Array(ResourceFile)),
  outputFiles: Type.Optional(Type.Array(OutputFile)),
  environmentSettings: Type.Optional(Type.Array(EnvironmentSetting)),
  constraints: Type.Optional(TaskConstraints),
  requiredSlots: Type.Optional(Int32({ description: "Default 1." })),
  killJobOnCompletion: Type.Optional(Type.Boolean({ description: "Default true." })),
  userIdentity: Type.Optional(UserIdentity),
  runExclusive: Type.Optional(Type.Boolean({ description: "Default true." })),
  applicationPackageReferences: Type.Optional(Type.Array(ApplicationPackageReference)),
  authenticationTokenSettings: Type.Optional(AuthenticationTokenSettings),
  allowLowPriorityNode: Type.Optional(Type.Boolean({ description: "Default true." })),
};
export interface JobManagerTaskSchema extends TObject<typeof jobManagerTaskProperties> {}
export const JobManagerTask: JobManagerTaskSchema = model("JobManagerTask", jobManagerTaskProperties);
export type JobManagerTask = Static<typeof JobManagerTask>;

export const JobPreparationTask = model("JobPreparationTask", {
  id: Type.Optional(Type.String({ description: "Default `jobpreparation`." })),
  commandLine: Type.String(),
  containerSettings: Type.Optional(TaskContainerSettings),
  resourceFiles: Type.Optional(Type.Array(ResourceFile)),
  environmentSettings: Type.Optional(Type.Array(EnvironmentSetting)),
  constraints: Type.Optional(TaskConstraints),
  waitForSuccess: Type.Optional(Type.Boolean({ description: "Default true." })),
  userIdentity: Type.Optional(UserIdentity),
  rerunOnNodeRebootAfterSuccess: Type.Optional(Type.Boolean({ description: "Default true." })),
});
export type JobPreparationTask = Static<typeof JobPreparationTask>;

export const JobReleaseTask = model("JobReleaseTask", {
  id: Type.Optional(Type.String({ description: "Default `jobrelease`." })),
  commandLine: Type.String(),
  containerSettings: Type.Optional(TaskContainerSettings),
  resourceFiles: Type.Optional(Type.Array(ResourceFile)),
  environmentSettings: Type.Optional(Type.Array(EnvironmentSetting)),
  maxWallClockTime: Type.Optional(Duration({ description: "Default PT15M." })),
  retentionTime: Type.Optional(Duration({ description: "Default P7D." })),
  userIdentity: Type.Optional(UserIdentity),
});
export type JobReleaseTask = Static<typeof JobReleaseTask>;

export const AutoPoolSpecification = model("AutoPoolSpecification", {
  autoPoolIdPrefix: Type.Optional(Type.String()),
  poolLifetimeOption: PoolLifetimeOption,
  keepAlive: Type.Optional(Type.Boolean()),
  pool: Type.Optional(PoolSpecification),
});
export type AutoPoolSpecification = Static<typeof AutoPoolSpecification>;

export const PoolInformation = model("PoolInformation", {
  poolId: Type.Optional(Type.String()),
  autoPoolSpecification: Type.Optional(AutoPoolSpecification),
});
export type PoolInformation = Static<typeof PoolInformation>;

// ---- Server-set job information (response-only) ------------------------------------------------------------------

export const JobSchedulingError = model(
  "JobSchedulingError",
  partialProperties({
    category: ErrorCategory,
    code: Type.String(),
    message: Type.String(),
    details: Type.Array(NameValuePair),
  }),
);
export type JobSchedulingError = Static<typeof JobSchedulingError>;

export const JobExecutionInformation = model(
  "JobExecutionInformation",
  partialProperties({
    startTime: DateTime(),
    endTime: DateTime(),
    poolId: Type.String(),
    schedulingError: JobSchedulingError,
    terminateReason: Type.String(),
  }),
);
export type JobExecutionInformation = Static<typeof JobExecutionInformation>;

/** Shared by JobStatistics and JobScheduleStatistics. */
const jobStatisticsProperties = partialProperties({
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
  numSucceededTasks: Int64(),
  numFailedTasks: Int64(),
  numTaskRetries: Int64(),
  waitTime: Duration(),
});

export const JobStatistics = model("JobStatistics", jobStatisticsProperties);
export type JobStatistics = Static<typeof JobStatistics>;

// ---- Jobs --------------------------------------------------------------------------------------------------------

/** Everything of JobAddParameter except `id` (= JobSpecification), in wire order. */
const jobSpecificationProperties = {
  displayName: Type.Optional(Type.String()),
  priority: Type.Optional(JobPriority()),
  maxParallelTasks: Type.Optional(Int32({ description: "-1 = unlimited (default), else > 0." })),
  allowTaskPreemption: Type.Optional(Type.Boolean()),
  constraints: Type.Optional(JobConstraints),
  jobManagerTask: Type.Optional(JobManagerTask),
  jobPreparationTask: Type.Optional(JobPreparationTask),
  jobReleaseTask: Type.Optional(JobReleaseTask),
  commonEnvironmentSettings: Type.Optional(Type.Array(EnvironmentSetting)),
  poolInfo: PoolInformation,
  onAllTasksComplete: Type.Optional(OnAllTasksComplete),
  onTaskFailure: Type.Optional(OnTaskFailure),
  metadata: Type.Optional(Type.Array(MetadataItem)),
  usesTaskDependencies: Type.Optional(Type.Boolean()),
  networkConfiguration: Type.Optional(JobNetworkConfiguration),
};

const jobAddProperties = {
  id: Type.String(),
  ...jobSpecificationProperties,
};

export const JobAddParameter = model("JobAddParameter", jobAddProperties);
export type JobAddParameter = Static<typeof JobAddParameter>;

export interface JobSpecificationSchema extends TObject<typeof jobSpecificationProperties> {}
export const JobSpecification: JobSpecificationSchema = model("JobSpecification", jobSpecificationProperties);
export type JobSpecification = Static<typeof JobSpecification>;

export const CloudJob = model("CloudJob", {
  ...partialProperties(jobAddProperties),
  ...partialProperties({
    url: Type.String(),
    eTag: Type.String(),
    lastModified: DateTime(),
    creationTime: DateTime(),
    state: JobState,
    stateTransitionTime: DateTime(),
    previousState: JobState,
    previousStateTransitionTime: DateTime(),
    executionInfo: JobExecutionInformation,
    stats: JobStatistics,
  }),
});
export type CloudJob = Static<typeof CloudJob>;

/** PATCH: present properties replace, absent ones are unchanged. */
export const JobPatchParameter = model("JobPatchParameter", {
  priority: Type.Optional(JobPriority()),
  maxParallelTasks: Type.Optional(Int32()),
  allowTaskPreemption: Type.Optional(Type.Boolean()),
  onAllTasksComplete: Type.Optional(OnAllTasksComplete),
  constraints: Type.Optional(JobConstraints),
  poolInfo: Type.Optional(PoolInformation),
  metadata: Type.Optional(Type.Array(MetadataItem)),
});
export type JobPatchParameter = Static<typeof JobPatchParameter>;

/** PUT: absent properties reset to their defaults. */
export const JobUpdateParameter = model("JobUpdateParameter", {
  priority: Type.Optional(JobPriority()),
  maxParallelTasks: Type.Optional(Int32()),
  allowTaskPreemption: Type.Optional(Type.Boolean()),
  constraints: Type.Optional(JobConstraints),
  poolInfo: PoolInformation,
  metadata: Type.Optional(Type.Array(MetadataItem)),
  onAllTasksComplete: Type.Optional(OnAllTasksComplete),
});
export type JobUpdateParameter = Static<typeof JobUpdateParameter>;

export const JobDisableParameter = model("JobDisableParameter", {
  disableTasks: DisableJobOption,
});
export type JobDisableParameter = Static<typeof JobDisableParameter>;

export const JobTerminateParameter = model("JobTerminateParameter", {
  terminateReason: Type.Optional(Type.String({ description: "Default `UserTerminate`." })),
});
export type JobTerminateParameter = Static<typeof JobTerminateParameter>;

// ---- Preparation/release status, task counts (response-only) -----------------------------------------------------

export const JobPreparationTaskExecutionInformation = model(
  "JobPreparationTaskExecutionInformation",
  partialProperties({
    startTime: DateTime(),
    endTime: DateTime(),
    state: JobPreparationTaskState,
    taskRootDirectory: Type.String(),
    taskRootDirectoryUrl: Type.String(),
    exitCode: Int32(),
    containerInfo: TaskContainerExecutionInformation,
    failureInfo: TaskFailureInformation,
    retryCount: Int32(),
    lastRetryTime: DateTime(),
    result: TaskExecutionResult,
  }),
);
export type JobPreparationTaskExecutionInformation = Static<typeof JobPreparationTaskExecutionInformation>;

export const JobReleaseTaskExecutionInformation = model(
  "JobReleaseTaskExecutionInformation",
  partialProperties({
    startTime: DateTime(),
    endTime: DateTime(),
    state: JobReleaseTaskState,
    taskRootDirectory: Type.String(),
    taskRootDirectoryUrl: Type.String(),
    exitCode: Int32(),
    containerInfo: TaskContainerExecutionInformation,
    failureInfo: TaskFailureInformation,
    result: TaskExecutionResult,
  }),
);
export type JobReleaseTaskExecutionInformation = Static<typeof JobReleaseTaskExecutionInformation>;

export const JobPreparationAndReleaseTaskExecutionInformation = model(
  "JobPreparationAndReleaseTaskExecutionInformation",
  partialProperties({
    poolId: Type.String(),
    nodeId: Type.String(),
    nodeUrl: Type.String(),
    jobPreparationTaskExecutionInfo: JobPreparationTaskExecutionInformation,
    jobReleaseTaskExecutionInfo: JobReleaseTaskExecutionInformation,
  }),
);
export type JobPreparationAndReleaseTaskExecutionInformation = Static<
  typeof JobPreparationAndReleaseTaskExecutionInformation
>;

/** Shared by TaskCounts and TaskSlotCounts. `running` includes preparing tasks. */
const taskCountsProperties = partialProperties({
  active: Int32(),
  running: Int32(),
  completed: Int32(),
  succeeded: Int32(),
  failed: Int32(),
});

export const TaskCounts = model("TaskCounts", taskCountsProperties);
export type TaskCounts = Static<typeof TaskCounts>;

export const TaskSlotCounts = model("TaskSlotCounts", taskCountsProperties);
export type TaskSlotCounts = Static<typeof TaskSlotCounts>;

export const TaskCountsResult = model(
  "TaskCountsResult",
  partialProperties({
    taskCounts: TaskCounts,
    taskSlotCounts: TaskSlotCounts,
  }),
);
export type TaskCountsResult = Static<typeof TaskCountsResult>;

// ---- Job schedules -----------------------------------------------------------------------------------------------

export const Schedule = model("Schedule", {
  doNotRunUntil: Type.Optional(DateTime()),
  doNotRunAfter: Type.Optional(DateTime()),
  startWindow: Type.Optional(Duration({ description: "At least 1 minute; default: unlimited." })),
  recurrenceInterval: Type.Optional(Duration({ description: "At least 1 minute; absent = a single job." })),
});
export type Schedule = Static<typeof Schedule>;

export const RecentJob = model(
  "RecentJob",
  partialProperties({
    id: Type.String(),
    url: Type.String(),
  }),
);
export type RecentJob = Static<typeof RecentJob>;

export const JobScheduleExecutionInformation = model(
  "JobScheduleExecutionInformation",
  partialProperties({
    nextRunTime: DateTime(),
    recentJob: RecentJob,
    endTime: DateTime(),
  }),
);
export type JobScheduleExecutionInformation = Static<typeof JobScheduleExecutionInformation>;

export const JobScheduleStatistics = model("JobScheduleStatistics", jobStatisticsProperties);
export type JobScheduleStatistics = Static<typeof JobScheduleStatistics>;

const jobScheduleAddProperties = {
  id: Type.String(),
  displayName: Type.Optional(Type.String()),
  schedule: Schedule,
  jobSpecification: JobSpecification,
  metadata: Type.Optional(Type.Array(MetadataItem)),
};

export const JobScheduleAddParameter = model("JobScheduleAddParameter", jobScheduleAddProperties);
export type JobScheduleAddParameter = Static<typeof JobScheduleAddParameter>;

export const CloudJobSchedule = model("CloudJobSchedule", {
  ...partialProperties(jobScheduleAddProperties),
  ...partialProperties({
    url: Type.String(),
    eTag: Type.String(),
    lastModified: DateTime(),
    creationTime: DateTime(),
    state: JobScheduleState,
    stateTransitionTime: DateTime(),
    previousState: JobScheduleState,
    previousStateTransitionTime: DateTime(),
    executionInfo: JobScheduleExecutionInformation,
    stats: JobScheduleStatistics,
  }),
});
export type CloudJobSchedule = Static<typeof CloudJobSchedule>;

/** PATCH: present properties replace, absent ones are unchanged. */
export const JobSchedulePatchParameter = model("JobSchedulePatchParameter", {
  schedule: Type.Optional(Schedule),
  jobSpecification: Type.Optional(JobSpecification),
  metadata: Type.Optional(Type.Array(MetadataItem)),
});
export type JobSchedulePatchParameter = Static<typeof JobSchedulePatchParameter>;

/** PUT: absent metadata is cleared. */
export const JobScheduleUpdateParameter = model("JobScheduleUpdateParameter", {
  schedule: Schedule,
  jobSpecification: JobSpecification,
  metadata: Type.Optional(Type.Array(MetadataItem)),
});
export type JobScheduleUpdateParameter = Static<typeof JobScheduleUpdateParameter>;
