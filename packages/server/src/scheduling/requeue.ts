/**
 * What happens to the tasks running on a node that is rebooted, reimaged, removed or has scheduling disabled,
 * per the option the caller chose (semantics.md §6.1, §2.2): `requeue` (the default) kills them and puts them back
 * to `active` (requeueCount + 1, no retry consumed); `terminate` kills them and completes them as failed
 * (`TaskEnded`); `taskcompletion` and `retaineddata` let them finish. A multi-instance task one of whose instances
 * runs there is requeued or ended as a whole. Killing is done by marking the node's assignments `kill`; the agent's
 * report then frees the slots.
 */
import { formatTimestamp } from "@openbatch/core";
import type { WriteTx } from "@openbatch/store";
import type { NodeRecord, NodeTaskAssignment } from "../services/nodeService.js";
import type { TaskRecord } from "../services/taskService.js";
import { endedTask } from "./taskEnding.js";
import { runsInstance, stopRun } from "./multiInstance.js";
import { recentSubtaskOf, recentTaskOf, withRecentTask } from "../nodes/recentTasks.js";

export type DeallocationOption = "requeue" | "terminate" | "taskcompletion" | "retaineddata";

type CountedExecutionInfo = NonNullable<TaskRecord["executionInfo"]> & { retryCount: number; requeueCount: number };

/** The task back to `active`, its assignment released, with `executionInfo` and `_ob` changed as `adjust` says. Pure. */
export function backToActive(
  task: TaskRecord,
  time: string,
  adjust: (executionInfo: CountedExecutionInfo, runtime: TaskRecord["_ob"]) => Pick<TaskRecord, "executionInfo" | "_ob">,
): TaskRecord {
  const info: CountedExecutionInfo = { ...task.executionInfo, retryCount: task.executionInfo?.retryCount ?? 0, requeueCount: task.executionInfo?.requeueCount ?? 0 };
  const { assignment: _released, ...runtime } = task._ob;
  return {
    ...task,
    state: "active",
    previousState: task.state,
    previousStateTransitionTime: task.stateTransitionTime,
    stateTransitionTime: time,
    ...adjust(info, runtime),
  };
}

/** The task back to `active` after a user-caused requeue: `requeueCount` + 1, no retry used (§2.2). Pure. */
export function requeuedTask(task: TaskRecord, time: string): TaskRecord {
  return backToActive(task, time, (info, runtime) => ({ executionInfo: { ...info, requeueCount: info.requeueCount + 1, lastRequeueTime: time }, _ob: runtime }));
}

/** The node's recent-task entry for the run `assignment` was: the task, or the subtask an instance ran. Pure. */
function recentOf(task: TaskRecord, assignment: NodeTaskAssignment) {
  const instance = assignment.subtaskId === undefined || assignment.subtaskId === 0 ? undefined : task._ob.multiInstance?.instances.find((entry) => entry.id === assignment.subtaskId);
  return instance === undefined ? recentTaskOf(task, assignment.jobId) : recentSubtaskOf(task, assignment.jobId, instance);
}

/** Applies the option to the node's running tasks; returns the node with its assignments marked. */
export async function releaseNodeTasks(tx: WriteTx, account: string, node: NodeRecord, option: DeallocationOption, now: Date): Promise<NodeRecord> {
  const assignments = node._ob.assignments ?? [];
  if (assignments.length === 0 || option === "taskcompletion" || option === "retaineddata") return node;
  const time = formatTimestamp(now);
  let released = node;
  for (const assignment of assignments) {
    const ref = { account, kind: "task" as const, scope: assignment.jobId, id: assignment.taskId };
    const task = await tx.get<TaskRecord>(ref);
    if (task === undefined) continue;
    const own = task.body._ob.assignment?.assignmentId === assignment.assignmentId;
    if (!own && !runsInstance(task.body, assignment.assignmentId)) continue;
    // A multi-instance task cannot go on without one of its instances: it is requeued or ended as a whole, its
    // instances on the other nodes killed too (semantics.md §11).
    const whole = task.body._ob.multiInstance === undefined ? task.body : (await stopRun(tx, account, task.body, "The node of an instance of the multi-instance task left or restarted.", now)).task;
    const after = option === "requeue" ? requeuedTask(whole, time) : endedTask(whole, "The task was terminated because its node left or restarted.", time);
    await tx.replace(ref, after, now);
    if (assignment.role === undefined) released = withRecentTask(released, recentOf(after, assignment));
  }
  const killed = assignments.flatMap((assignment) => (assignment.held === true ? [] : [{ ...assignment, kill: true }]));
  return { ...released, _ob: { ...released._ob, assignments: killed } };
}
