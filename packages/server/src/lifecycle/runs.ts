/**
 * Stopping task runs on nodes, the one way every path does it (task terminate and delete, job end, disable or
 * delete, preemption, a node restarting or leaving, an instance's node failing to prepare): the run's node
 * assignments are marked `kill` — the agent kills the process, and its report then frees the slots — and every
 * multi-instance instance still running counts as ended. What becomes of the task (requeued, ended) is the caller's
 * choice, through lifecycle/tasks.ts. A held assignment never reached its agent and is simply dropped.
 */
import { formatTimestamp } from "@openbatch/core";
import type { ProcessOutcome, TaskFailureInformation } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import { nodeRef, type DeallocationOption, type NodeRecord, type NodeTaskAssignment } from "../records/nodes.js";
import { recentSubtaskOf, recentTaskOf, withRecentTask } from "../records/recentTasks.js";
import { containerInfoOf, taskRef, type InstanceRun, type TaskAssignmentRecord, type TaskRecord } from "../records/tasks.js";
import { writeNode } from "./nodes.js";
import { endedTask, requeuedTask } from "./tasks.js";

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
function recentOf(task: TaskRecord, assignment: NodeTaskAssignment) {
  const instance = assignment.subtaskId === undefined || assignment.subtaskId === 0 ? undefined : task._ob.multiInstance?.instances.find((entry) => entry.id === assignment.subtaskId);
  return instance === undefined ? recentTaskOf(task, assignment.jobId) : recentSubtaskOf(task, assignment.jobId, instance);
}

/**
 * Applies a deallocation option to the runs of a node that restarts, leaves or stops taking tasks (semantics.md
 * §6.1, §2.2): `requeue` (the default) kills them and puts their tasks back to `active` (requeueCount + 1, no
 * retry used); `terminate` kills them and completes their tasks as failed (`TaskEnded`); `taskcompletion` and
 * `retaineddata` let them finish. A multi-instance task one of whose instances runs there is requeued or ended as a
 * whole, its instances on the other nodes killed too (semantics.md §11). Returns the node with its assignments
 * marked, for the caller to change further and write.
 */
export async function releaseNodeTasks(tx: WriteTx, account: string, node: NodeRecord, option: DeallocationOption, now: Date): Promise<NodeRecord> {
  const assignments = node._ob.assignments ?? [];
  if (assignments.length === 0 || option === "taskcompletion" || option === "retaineddata") return node;
  const time = formatTimestamp(now);
  let released = node;
  for (const assignment of assignments) {
    const ref = taskRef(account, assignment.jobId, assignment.taskId);
    const task = await tx.get<TaskRecord>(ref);
    if (task === undefined) continue;
    const own = task.body._ob.assignment?.assignmentId === assignment.assignmentId;
    if (!own && !runsInstance(task.body, assignment.assignmentId)) continue;
    const whole = task.body._ob.multiInstance === undefined ? task.body : await stopRun(tx, account, task.body, "The node of an instance of the multi-instance task left or restarted.", now);
    const after =
      option === "requeue"
        ? requeuedTask(tx, account, assignment.jobId, whole, time)
        : endedTask(tx, account, assignment.jobId, whole, "The task was terminated because its node left or restarted.", time);
    await tx.replace(ref, after, now);
    if (assignment.role === undefined) released = withRecentTask(released, recentOf(after, assignment));
  }
  const killed = assignments.flatMap((assignment) => (assignment.held === true ? [] : [{ ...assignment, kill: true }]));
  return { ...released, _ob: { ...released._ob, assignments: killed } };
}
