/**
 * A node's `recentTasks` (semantics.md §6.2): the task runs whose state changed on the node lately, newest first,
 * one entry per task (or per multi-instance subtask), each showing the task's current state and execution
 * information as of its latest change on this node. Absent until a first task runs there.
 *
 * Azure does not document how many it keeps; OpenBatch keeps the last `recentTasksLimit` (docs/agent-protocol.md).
 * Entries are written where a run starts (the plan applier) and where it ends or is released (agent reports,
 * requeue/terminate); nothing here reads the store.
 */
import type { TaskInformation } from "@openbatch/protocol";
import type { NodeRecord } from "./nodes.js";
import type { InstanceRun, TaskRecord } from "./tasks.js";

export const recentTasksLimit = 10;

/** The task as a recent-task entry: its current state and execution information. */
export function recentTaskOf(task: TaskRecord, jobId: string): TaskInformation {
  return {
    ...(task.url === undefined ? {} : { taskUrl: task.url }),
    jobId,
    taskId: task.id,
    taskState: task.state ?? "active",
    ...(task.executionInfo === undefined ? {} : { executionInfo: task.executionInfo }),
  };
}

/** One instance (subtask) of a multi-instance task as a recent-task entry. */
export function recentSubtaskOf(task: TaskRecord, jobId: string, instance: InstanceRun): TaskInformation {
  return {
    ...recentTaskOf(task, jobId),
    subtaskId: instance.id,
    taskState: instance.state,
    executionInfo: {
      startTime: instance.startTime,
      ...(instance.endTime === undefined ? {} : { endTime: instance.endTime }),
      ...(instance.exitCode === undefined ? {} : { exitCode: instance.exitCode }),
      ...(instance.result === undefined ? {} : { result: instance.result }),
      ...(instance.failureInfo === undefined ? {} : { failureInfo: instance.failureInfo }),
      retryCount: task.executionInfo?.retryCount ?? 0,
      requeueCount: task.executionInfo?.requeueCount ?? 0,
    },
  };
}

const sameRun = (a: TaskInformation, b: TaskInformation): boolean =>
  a.jobId === b.jobId && a.taskId?.toLowerCase() === b.taskId?.toLowerCase() && a.subtaskId === b.subtaskId;

/** The node with `entry` as its newest recent task (replacing the same task's older entry), capped. */
export function withRecentTask(node: NodeRecord, entry: TaskInformation): NodeRecord {
  const others = (node.recentTasks ?? []).filter((existing) => !sameRun(existing, entry));
  return { ...node, recentTasks: [entry, ...others].slice(0, recentTasksLimit) };
}
