/**
 * Task rows (`kind = task`, scope = the job): the wire CloudTask plus, under `_ob` (never sent: `taskView` strips
 * it), the server's bookkeeping — scheduling order, the run in progress, job manager settings, the instances of a
 * multi-instance run, retention. Types and pure helpers only; every change of a task's state is made by
 * lifecycle/tasks.ts.
 */
import { formatTimestamp, parseDuration } from "@openbatch/core";
import type { CloudTask, ProcessOutcome, SubtaskInformation, TaskContainerExecutionInformation, TaskFailureInformation } from "@openbatch/protocol";
import type { StoredEntity } from "@openbatch/store";
import type { ResolvedExitOptions } from "./exitOptions.js";
import type { TaskTotals } from "./statistics.js";

export interface TaskAssignmentRecord {
  assignmentId: string;
  nodeId: string;
  poolId: string;
  attempt: number;
  kill?: boolean;
}

/** One instance of a multi-instance task's run (lifecycle/multiInstance.ts). */
export interface InstanceRun {
  readonly id: number;
  readonly poolId: string;
  readonly nodeId: string;
  readonly nodeUrl: string;
  readonly affinityId?: string;
  readonly taskRootDirectory: string;
  readonly assignmentId: string;
  readonly state: "running" | "completed";
  readonly startTime: string;
  readonly stateTransitionTime: string;
  readonly endTime?: string;
  readonly exitCode?: number;
  readonly containerInfo?: TaskContainerExecutionInformation;
  readonly result?: "success" | "failure";
  readonly failureInfo?: TaskFailureInformation;
}

export interface MultiInstanceRuntime {
  readonly phase: "coordination" | "application";
  readonly instances: readonly InstanceRun[];
}

export interface TaskRuntime {
  /** Scheduling order within the job (add order). */
  sequence: number;
  /** Attempts started so far (retries and requeues included). */
  attempts: number;
  assignment?: TaskAssignmentRecord;
  /** Set on a job's job manager task: the settings CloudTask has no field for. */
  jobManager?: { killJobOnCompletion: boolean; runExclusive: boolean; allowLowPriorityNode: boolean };
  /** The instances of the latest multi-instance run. */
  multiInstance?: MultiInstanceRuntime;
  /** When the completed task's directory may be removed (its retention ends); see loops/deadlines.ts. */
  filesExpireAt?: string;
  /** Its directory was removed after its retention: file operations answer TaskFilesCleanedup. */
  filesCleanedUp?: boolean;
  /** The exit options chosen when the task completed (exit conditions, §3); cleared by reactivate. */
  exitOptions?: ResolvedExitOptions;
  /** Runs lost to an agent restart and run again (recovery retries, semantics.md §2.2); never shown. */
  recoveries?: number;
  /** What its runs used (lifecycle/statistics.ts), once one ended. */
  stats?: TaskTotals;
}

export type TaskRecord = CloudTask & { id: string; _ob: TaskRuntime };
export type StoredTask = StoredEntity<TaskRecord>;

export function taskView(task: TaskRecord): CloudTask {
  const { _ob: _runtime, ...view } = task;
  return view;
}

export function taskRef(account: string, jobId: string, taskId: string) {
  return { account, kind: "task" as const, scope: jobId, id: taskId };
}

/** Tasks of a job that are preparing or running: the ones a job end, disable or node restart acts on. */
export const busyTaskFilter = {
  op: "or",
  left: { op: "eq", path: ["state"], kind: "enum", value: "running" },
  right: { op: "eq", path: ["state"], kind: "enum", value: "preparing" },
} as const;

/** Tasks that are not completed (a job with `terminatejob` ends once there is none). */
export const unfinishedTaskFilter = { op: "ne", path: ["state"], kind: "enum", value: "completed" } as const;

/** When a task that completed at `endTime` may lose its files. */
export function filesExpireAt(task: TaskRecord, endTime: string): string | undefined {
  const retention = parseDuration(task.constraints?.retentionTime ?? "P7D");
  const end = Date.parse(endTime);
  if (retention === undefined || Number.isNaN(end)) return undefined;
  return formatTimestamp(new Date(end + retention));
}

/** The subtasks of the task's latest multi-instance run (instances 1…N−1), as the subtask list shows them. */
export function subtasksOf(task: TaskRecord): SubtaskInformation[] {
  return (task._ob.multiInstance?.instances ?? []).slice(1).map((instance) => ({
    id: instance.id,
    nodeInfo: {
      ...(instance.affinityId === undefined ? {} : { affinityId: instance.affinityId }),
      nodeUrl: instance.nodeUrl,
      poolId: instance.poolId,
      nodeId: instance.nodeId,
      taskRootDirectory: instance.taskRootDirectory,
      taskRootDirectoryUrl: `${instance.nodeUrl}/files/${encodeURIComponent(instance.taskRootDirectory)}`,
    },
    startTime: instance.startTime,
    state: instance.state,
    stateTransitionTime: instance.stateTransitionTime,
    ...(instance.state === "completed" ? { previousState: "running" as const, previousStateTransitionTime: instance.startTime } : {}),
    ...(instance.endTime === undefined ? {} : { endTime: instance.endTime }),
    ...(instance.exitCode === undefined ? {} : { exitCode: instance.exitCode }),
    ...(instance.containerInfo === undefined ? {} : { containerInfo: instance.containerInfo }),
    ...(instance.result === undefined ? {} : { result: instance.result }),
    ...(instance.failureInfo === undefined ? {} : { failureInfo: instance.failureInfo }),
  }));
}

/** `containerInfo` of a run in a container (its id, state and the runtime's error, as the agent saw them). */
export function containerInfoOf(outcome: ProcessOutcome): { containerInfo?: TaskContainerExecutionInformation } {
  if (outcome.containerInfo === undefined) return {};
  const { containerId, state, error } = outcome.containerInfo;
  return { containerInfo: { ...(containerId === undefined ? {} : { containerId }), ...(state === undefined ? {} : { state }), ...(error === undefined ? {} : { error }) } };
}
