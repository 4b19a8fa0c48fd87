/**
 * Ending a task early, the one way every path does it (task terminate, job end, node restart or removal with
 * `terminate`): the task completes as failed with `TaskEnded`, and its node assignment is marked `kill` so the agent
 * kills the process; the agent's report then frees the slots (nodes/agentSync.ts).
 */
import type { WriteTx } from "@openbatch/store";
import type { NodeRecord } from "../services/nodeService.js";
import type { TaskAssignmentRecord, TaskRecord } from "../services/taskService.js";
import { resolveExitOptions } from "./exitOptions.js";
import { expiry } from "./taskCompletion.js";

/** The task, completed now as failed with `TaskEnded` and `message`, its assignment dropped. Pure. */
export function endedTask(task: TaskRecord, message: string, time: string): TaskRecord {
  const { assignment: _ended, ...runtime } = task._ob;
  return {
    ...task,
    state: "completed",
    previousState: task.state,
    previousStateTransitionTime: task.stateTransitionTime,
    stateTransitionTime: time,
    executionInfo: {
      ...task.executionInfo,
      retryCount: task.executionInfo?.retryCount ?? 0,
      requeueCount: task.executionInfo?.requeueCount ?? 0,
      endTime: time,
      result: "failure",
      failureInfo: { category: "usererror", code: "TaskEnded", message },
    },
    _ob: { ...runtime, exitOptions: resolveExitOptions(task.exitConditions, { error: "other" }), ...expiry(task, time) },
  };
}

/** Marks a task's node assignment `kill`; returns the pool whose agents must wake, if the node still exists. */
export async function killAssignment(tx: WriteTx, account: string, assignment: TaskAssignmentRecord | undefined, now: Date): Promise<string | undefined> {
  if (assignment === undefined) return undefined;
  const ref = { account, kind: "node" as const, scope: assignment.poolId, id: assignment.nodeId };
  const node = await tx.get<NodeRecord>(ref);
  if (node === undefined) return undefined;
  // A held assignment never reached the agent: it is simply dropped.
  const assignments = (node.body._ob.assignments ?? []).flatMap((entry) =>
    entry.assignmentId !== assignment.assignmentId ? [entry] : entry.held === true ? [] : [{ ...entry, kill: true }],
  );
  await tx.replace(ref, { ...node.body, _ob: { ...node.body._ob, assignments } }, now);
  return assignment.poolId;
}

/**
 * Kills every process of the task's current run: its assignment and, for a multi-instance task, each instance still
 * running. Returns the pool whose agents must wake, if any node was still there.
 */
export async function killTaskRuns(tx: WriteTx, account: string, task: TaskRecord, now: Date): Promise<string | undefined> {
  let poolId = await killAssignment(tx, account, task._ob.assignment, now);
  for (const instance of task._ob.multiInstance?.instances ?? []) {
    if (instance.state !== "running" || instance.assignmentId === task._ob.assignment?.assignmentId) continue;
    poolId = (await killAssignment(tx, account, { assignmentId: instance.assignmentId, nodeId: instance.nodeId, poolId: instance.poolId, attempt: 0 }, now)) ?? poolId;
  }
  return poolId;
}
