/**
 * Changes of a node's state that act on its task runs (semantics.md §6.1, §6.2; core's `nodeMachine`): reboot and
 * reimage, preemption, leaving the pool, disabling scheduling. The node's runs are requeued or terminated per the
 * caller's option (`releaseNodeTasks`), or — with `taskcompletion`/`retaineddata` — waited for.
 *
 * Restart: with `requeue` (the default) or `terminate` the node's running tasks are released at once and its
 * generation moves on: the agent kills what is left and restarts the node. With `taskcompletion` or `retaineddata`
 * the node turns `rebooting`/`reimaging` at once — so nothing new is scheduled on it — but keeps its generation,
 * with the restart pending (`_ob.pendingRestart`), until its last task run has ended; the agent sync then calls
 * `restartIfDrained`. `retaineddata` does not wait for the tasks' retention periods (docs/agent-protocol.md).
 */
import { formatTimestamp } from "@openbatch/core";
import type { WriteTx } from "@openbatch/store";
import { poolPackageDeployments } from "../records/applications.js";
import { nodeRef, type DeallocationOption, type NodeRecord } from "../records/nodes.js";
import { withRecentTask } from "../records/recentTasks.js";
import { taskRef, type TaskRecord } from "../records/tasks.js";
import { finishJobIfReleased, reactToTask } from "./jobs.js";
import { offlineNode, removeNode } from "./nodes.js";
import { forgetPreparations } from "./preparation.js";
import { recentOf, runsInstance, stopRun, takeBackWaiting, unstartedTaskRun } from "./runs.js";
import { endedTask, requeuedTask } from "./tasks.js";
import { move, nodeLifecycle } from "./transitions.js";

export type RestartKind = "reboot" | "reimage";

function restartingState(kind: RestartKind): "rebooting" | "reimaging" {
  return kind === "reboot" ? "rebooting" : "reimaging";
}

function drains(option: DeallocationOption, node: NodeRecord): boolean {
  return (option === "taskcompletion" || option === "retaineddata") && (node._ob.assignments?.length ?? 0) > 0;
}

/** Forgets the node's job preparations for a restart; releases cut short let their jobs finish. */
async function forget(tx: WriteTx, account: string, poolId: string, nodeId: string, kind: RestartKind, now: Date): Promise<void> {
  for (const jobId of await forgetPreparations(tx, account, poolId, nodeId, kind, now)) await finishJobIfReleased(tx, account, jobId, now);
}

/** Starts a reboot or reimage of an idle or running node, handling its running tasks per `option`. */
export async function restartNode(tx: WriteTx, account: string, poolId: string, current: NodeRecord, kind: RestartKind, option: DeallocationOption, now: Date): Promise<NodeRecord> {
  // Runs not begun are taken back with every option; those that run are released or waited for.
  const node = await releaseNodeTasks(tx, account, current, option, now);
  if (drains(option, node)) {
    const waiting = move(tx, nodeRef(account, poolId, node.id), nodeLifecycle, node, "restart", restartingState(kind), formatTimestamp(now));
    return { ...waiting, _ob: { ...node._ob, pendingRestart: kind } };
  }
  return restartNow(tx, account, poolId, node, kind, now);
}

/** The node restarted if a restart waits for its tasks and none is left; otherwise the node as it is. */
export async function restartIfDrained(tx: WriteTx, account: string, poolId: string, node: NodeRecord, now: Date): Promise<NodeRecord> {
  const kind = node._ob.pendingRestart;
  if (kind === undefined || (node._ob.assignments?.length ?? 0) > 0 || node._ob.action === "remove") return node;
  return restartNow(tx, account, poolId, node, kind, now);
}

/** Moves the node to its next generation: the agent reboots or reimages it and the start task runs again. */
async function restartNow(tx: WriteTx, account: string, poolId: string, node: NodeRecord, kind: RestartKind, now: Date): Promise<NodeRecord> {
  await forget(tx, account, poolId, node.id, kind, now);
  // Pool package changes reach a node when it restarts (semantics.md §6.1).
  const { applicationPackages: _previous, pendingRestart: _done, ...runtime } = node._ob;
  const packages = await poolPackageDeployments(tx, account, poolId);
  const restarting = move(tx, nodeRef(account, poolId, node.id), nodeLifecycle, node, "restart", restartingState(kind), formatTimestamp(now));
  return {
    ...restarting,
    _ob: { ...runtime, ...(packages.length === 0 ? {} : { applicationPackages: packages }), generation: node._ob.generation + 1, generationChange: kind, startTaskAttempt: 0 },
  };
}

/**
 * Preempts a node (an OpenBatch operation, for testing how work survives it): its runs are requeued, its processes
 * killed and its files wiped (a reimage held still), and after `recoverAt` it comes back through `creating` (the
 * reconciler's timer). A restart that waited for the node's tasks is overtaken: they were just requeued.
 */
export async function preemptNode(tx: WriteTx, account: string, poolId: string, current: NodeRecord, recoverAt: string, now: Date): Promise<NodeRecord> {
  const node = await releaseNodeTasks(tx, account, current, "requeue", now);
  await forget(tx, account, poolId, node.id, "reimage", now);
  const { pendingRestart: _overtaken, ...runtime } = node._ob;
  const preempted = move(tx, nodeRef(account, poolId, node.id), nodeLifecycle, node, "preempt", "preempted", formatTimestamp(now));
  return {
    ...preempted,
    _ob: { ...runtime, generation: node._ob.generation + 1, generationChange: "reimage", startTaskAttempt: 0, suspended: true, recoverAt },
  };
}

/**
 * The node leaves its pool per `option` (resize, remove nodes, pool delete): with tasks to finish first
 * (`taskcompletion`, `retaineddata`) it turns `leavingpool` and stays — taking no new tasks — until they have
 * (`removalRequested` records the option when remove nodes asked); a node no agent has reached yet goes at once;
 * otherwise its runs are requeued or terminated and it is `leavingpool` with action remove (its agent deletes it).
 * Returns the node to write, or undefined when it is gone.
 */
export async function leavingNode(tx: WriteTx, account: string, poolId: string, current: NodeRecord, option: DeallocationOption, now: Date, removalRequested = false): Promise<NodeRecord | undefined> {
  const time = formatTimestamp(now);
  const ref = nodeRef(account, poolId, current.id);
  // Runs not begun are taken back with every option; those that run are released or waited for.
  const node = await releaseNodeTasks(tx, account, current, option, now);
  if (drains(option, node)) {
    const draining = move(tx, ref, nodeLifecycle, node, "leave", "leavingpool", time);
    return removalRequested ? { ...draining, _ob: { ...draining._ob, removalRequested: option } } : draining;
  }
  if (node.state === "creating" && !removalRequested) {
    // No agent has reached this node yet: nothing runs there, so it goes at once (an agent that reaches it later
    // finds it absent from its desired state and drops it).
    await removeNode(tx, account, poolId, node, now);
    return undefined;
  }
  if (node.state === "unknown") {
    // Its agent is out of contact and may never come back to confirm a removal (an agent on another machine): the
    // node goes at once, its tasks released as the option says (above); an agent that returns finds it gone and
    // kills what still ran there. It stopped starting waiting runs when its dispatch lease lapsed, before the node
    // became unknown (docs/architecture.md "Pipelined dispatch").
    await removeNode(tx, account, poolId, node, now);
    return undefined;
  }
  const leaving = move(tx, ref, nodeLifecycle, node, "leave", "leavingpool", time);
  return { ...leaving, stateTransitionTime: time, _ob: { ...leaving._ob, action: "remove" } };
}

/** Disable scheduling: the node takes no new tasks, its running ones are handled per `option`; `offline` once none runs. */
export async function schedulingDisabled(tx: WriteTx, account: string, poolId: string, current: NodeRecord, option: DeallocationOption, now: Date): Promise<NodeRecord> {
  const node = { ...(await releaseNodeTasks(tx, account, current, option, now)), schedulingState: "disabled" as const };
  return node.state === "idle" ? offlineNode(tx, account, poolId, node, formatTimestamp(now)) : node;
}

/**
 * Applies a deallocation option to the runs of a node that restarts, leaves or stops taking tasks (semantics.md
 * §6.1, §2.2): `requeue` (the default) kills them and puts their tasks back to `active` (requeueCount + 1, no
 * retry used); `terminate` kills them and completes their tasks as failed (`TaskEnded`); `taskcompletion` and
 * `retaineddata` let them finish. A multi-instance task one of whose instances runs there is requeued or ended as a
 * whole, its instances on the other nodes killed too (semantics.md §11). Runs not begun are taken back with every
 * option. Each task's job then reacts as to any task leaving its run (lifecycle/jobs.ts `reactToTask`): a
 * `disabling` job whose last running task this was is `disabled`, a job whose last unfinished task ended may end.
 * Returns the node with its assignments marked, for the caller to change further and write.
 */
export async function releaseNodeTasks(tx: WriteTx, account: string, current: NodeRecord, option: DeallocationOption, now: Date): Promise<NodeRecord> {
  // Whatever the option, runs that have not begun do not begin there now: their tasks get them back.
  const waiting = current._ob.assignments ?? [];
  const node = waiting.some((assignment) => unstartedTaskRun(assignment) && assignment.kill !== true)
    ? { ...current, _ob: { ...current._ob, assignments: await takeBackWaiting(tx, account, waiting, () => true, now) } }
    : current;
  const assignments = node._ob.assignments ?? [];
  if (assignments.length === 0 || option === "taskcompletion" || option === "retaineddata") return node;
  const time = formatTimestamp(now);
  let released = node;
  const left: { jobId: string; task: TaskRecord }[] = [];
  for (const assignment of assignments) {
    if (assignment.kill === true && unstartedTaskRun(assignment)) continue;
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
    left.push({ jobId: assignment.jobId, task: after });
  }
  // Once every run of the node is settled: a job's reaction may kill other runs, this node's included.
  for (const { jobId, task } of left) await reactToTask(tx, account, jobId, task, now);
  const killed = assignments.flatMap((assignment) => (assignment.held === true ? [] : [{ ...assignment, kill: true }]));
  return { ...released, _ob: { ...released._ob, assignments: killed } };
}
