/**
 * Stopping task runs on nodes, the one way every path does it (task terminate and delete, job end, disable or
 * delete, preemption, a node restarting or leaving, an instance's node failing to prepare): the run's node
 * assignments are marked `kill` — the agent kills the process, and its report then frees the slots — and every
 * multi-instance instance still running counts as ended. What becomes of the task (requeued, ended) is the caller's
 * choice, through lifecycle/tasks.ts. A held assignment never reached its agent and is simply dropped.
 *
 * A run still waiting on its node for its agent to start it (pipelined dispatch) is killed the same way — its agent
 * then never starts it, or kills it at once if it began in the meantime — and its task, still `active`, is simply
 * given its run back (`unassignedTask`): what follows for the task is decided as if nothing had run, since from the
 * service's view nothing did.
 */
import { formatTimestamp } from "@openbatch/core";
import type { ProcessOutcome, TaskFailureInformation } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import { listAll } from "../records/listAll.js";
import { nodeRef, type NodeRecord, type NodeTaskAssignment } from "../records/nodes.js";
import { recentSubtaskOf, recentTaskOf } from "../records/recentTasks.js";
import { containerInfoOf, taskRef, type InstanceRun, type TaskAssignmentRecord, type TaskRecord } from "../records/tasks.js";
import { writeNode } from "./nodes.js";
import { unassignedTask } from "./tasks.js";

/** Whether the assignment is a task's run its agent has not begun (as far as the server knows). */
export function unstartedTaskRun(assignment: NodeTaskAssignment): boolean {
  return assignment.started !== true && assignment.role === undefined && assignment.subtaskId === undefined && assignment.gated !== true && assignment.held !== true;
}

/**
 * Takes back the runs in `assignments` that wait on their node (see the module comment): each is marked `kill`, and
 * its task — `active`, holding that run — gets it back. Returns the assignments as they must be written.
 */
export async function takeBackWaiting(tx: WriteTx, account: string, assignments: readonly NodeTaskAssignment[], taken: (assignment: NodeTaskAssignment) => boolean, now: Date): Promise<NodeTaskAssignment[]> {
  const result: NodeTaskAssignment[] = [];
  for (const assignment of assignments) {
    if (!unstartedTaskRun(assignment) || assignment.kill === true || !taken(assignment)) {
      result.push(assignment);
      continue;
    }
    const ref = taskRef(account, assignment.jobId, assignment.taskId);
    const task = await tx.get<TaskRecord>(ref);
    if (task !== undefined && task.body.state === "active" && task.body._ob.assignment?.assignmentId === assignment.assignmentId) {
      await tx.replace(ref, unassignedTask(tx, account, task.body), now);
    }
    const { withdraw: _superseded, ...killed } = assignment;
    result.push({ ...killed, kill: true });
  }
  return result;
}

/** The job's priority changed: its runs waiting on nodes of `poolId` move in their agents' start order (agentProtocol.ts `order`). */
export async function reorderJobRuns(tx: WriteTx, account: string, jobId: string, poolId: string, priority: number, now: Date): Promise<void> {
  const key = jobId.toLowerCase();
  for (const node of await listAll<NodeRecord>(tx, { account, kind: "node", scope: poolId })) {
    const assignments = node.body._ob.assignments ?? [];
    if (!assignments.some((assignment) => assignment.jobId.toLowerCase() === key && unstartedTaskRun(assignment))) continue;
    const reordered = assignments.map((assignment) =>
      assignment.jobId.toLowerCase() === key && unstartedTaskRun(assignment) ? { ...assignment, order: [-priority, ...(assignment.order ?? []).slice(1)] } : assignment,
    );
    await writeNode(tx, account, poolId, node.body, { ...node.body, _ob: { ...node.body._ob, assignments: reordered } }, now);
  }
}

/**
 * Takes back every run of the job waiting on a node of `poolId` (the job is disabled, ends or goes): its tasks stay
 * `active` with no run, and no agent starts them. Jobs whose pool has no node do nothing.
 */
export async function takeBackJobRuns(tx: WriteTx, account: string, jobId: string, poolId: string, now: Date): Promise<void> {
  const key = jobId.toLowerCase();
  for (const node of await listAll<NodeRecord>(tx, { account, kind: "node", scope: poolId })) {
    const assignments = node.body._ob.assignments ?? [];
    if (!assignments.some((assignment) => assignment.jobId.toLowerCase() === key && unstartedTaskRun(assignment) && assignment.kill !== true)) continue;
    const taken = await takeBackWaiting(tx, account, assignments, (assignment) => assignment.jobId.toLowerCase() === key, now);
    await writeNode(tx, account, poolId, node.body, { ...node.body, _ob: { ...node.body._ob, assignments: taken } }, now);
  }
}

/** Marks one assignment of a node `kill` (or drops it, if held); false when the node is gone. */
export async function killAssignment(tx: WriteTx, account: string, assignment: TaskAssignmentRecord | undefined, now: Date): Promise<boolean> {
  if (assignment === undefined) return false;
  const node = await tx.get<NodeRecord>(nodeRef(account, assignment.poolId, assignment.nodeId));
  if (node === undefined) return false;
  const assignments = (node.body._ob.assignments ?? []).flatMap((entry) =>
    entry.assignmentId !== assignment.assignmentId ? [entry] : entry.held === true ? [] : [{ ...entry, kill: true }],
  );
  await writeNode(tx, account, assignment.poolId, node.body, { ...node.body, _ob: { ...node.body._ob, assignments } }, now);
  return true;
}

/** Kills every process of the task's current run: its assignment and, for a multi-instance task, each instance still running. */
export async function killTaskRuns(tx: WriteTx, account: string, task: TaskRecord, now: Date): Promise<void> {
  await killAssignment(tx, account, task._ob.assignment, now);
  for (const instance of task._ob.multiInstance?.instances ?? []) {
    if (instance.state !== "running" || instance.assignmentId === task._ob.assignment?.assignmentId) continue;
    await killAssignment(tx, account, { assignmentId: instance.assignmentId, nodeId: instance.nodeId, poolId: instance.poolId, attempt: 0 }, now);
  }
}

/** A finished instance run's failure, if it failed. Pure. */
export function instanceFailure(outcome: ProcessOutcome): TaskFailureInformation | undefined {
  if (outcome.failure !== undefined) return { category: "usererror", code: outcome.failure.code, message: outcome.failure.message };
  if (outcome.exitCode !== 0) return { category: "usererror", code: "FailureExitCode", message: "The task process exited with an unexpected exit code" };
  return undefined;
}

/** The instance, ended with `outcome`. Pure. */
export function endedInstance(instance: InstanceRun, outcome: ProcessOutcome, time: string): InstanceRun {
  const failureInfo = instanceFailure(outcome);
  return {
    ...instance,
    state: "completed",
    stateTransitionTime: time,
    endTime: outcome.endTime ?? time,
    ...(outcome.exitCode === undefined ? {} : { exitCode: outcome.exitCode }),
    ...containerInfoOf(outcome),
    result: failureInfo === undefined ? "success" : "failure",
    ...(failureInfo === undefined ? {} : { failureInfo }),
  };
}

/** The instance, cut short with `TaskEnded` and `message`. Pure. */
export function cutShort(instance: InstanceRun, message: string, time: string): InstanceRun {
  return endedInstance(instance, { attempt: 1, state: "completed", startTime: instance.startTime, failure: { code: "TaskEnded", message } }, time);
}

/** Whether `assignmentId` is an instance of the task's current multi-instance run that has not ended. Pure. */
export function runsInstance(task: TaskRecord, assignmentId: string): boolean {
  return task._ob.assignment !== undefined && (task._ob.multiInstance?.instances.some((instance) => instance.assignmentId === assignmentId && instance.state === "running") ?? false);
}

/**
 * Stops the task's current run as a whole: every process of the run is killed on its node and every
 * multi-instance instance still running counts as ended with `message`. The caller then requeues or ends the
 * returned task.
 */
export async function stopRun(tx: WriteTx, account: string, task: TaskRecord, message: string, now: Date): Promise<TaskRecord> {
  await killTaskRuns(tx, account, task, now);
  const runtime = task._ob.multiInstance;
  if (runtime === undefined) return task;
  const time = formatTimestamp(now);
  const instances = runtime.instances.map((instance) => (instance.state === "running" ? cutShort(instance, message, time) : instance));
  return { ...task, _ob: { ...task._ob, multiInstance: { ...runtime, instances } } };
}

/** The node's recent-task entry for the run `assignment` was: the task, or the subtask an instance ran. Pure. */
export function recentOf(task: TaskRecord, assignment: NodeTaskAssignment) {
  const instance = assignment.subtaskId === undefined || assignment.subtaskId === 0 ? undefined : task._ob.multiInstance?.instances.find((entry) => entry.id === assignment.subtaskId);
  return instance === undefined ? recentTaskOf(task, assignment.jobId) : recentSubtaskOf(task, assignment.jobId, instance);
}
