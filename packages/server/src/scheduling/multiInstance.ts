/**
 * Multi-instance tasks (semantics.md §11). The plan applier places one instance per node — instance 0, the primary,
 * on the first — and every instance runs the coordination command. Each instance's end is recorded under the
 * task's `_ob.multiInstance`: once all succeeded the primary runs the task's command line (an ordinary run of the
 * task from then on, completed by taskCompletion.ts); if one fails, the others are killed and the task ends (or
 * retries) with that failure. A restart or removal of any instance's node stops the run as a whole (`stopRun`,
 * called by requeue.ts), as does a failed job preparation on an instance's node. The subtask list shows instances
 * 1…N−1.
 */
import { formatTimestamp } from "@openbatch/core";
import type { ProcessOutcome, SubtaskInformation, TaskFailureInformation } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import type { NodeRecord, NodeTaskAssignment } from "../services/nodeService.js";
import type { TaskRecord } from "../services/taskService.js";
import { reactToTask } from "./jobReactions.js";
import { taskAfterRun } from "./taskCompletion.js";
import { killAssignment, killTaskRuns } from "./taskEnding.js";

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
  readonly result?: "success" | "failure";
  readonly failureInfo?: TaskFailureInformation;
}

export interface MultiInstanceRuntime {
  readonly phase: "coordination" | "application";
  readonly instances: readonly InstanceRun[];
}

/** The MI variables of instance `index` (§2.9); the master port is nominal, nothing listens on it. */
export function instanceEnvironment(addresses: readonly string[], index: number): Record<string, string> {
  return {
    AZ_BATCH_HOST_LIST: addresses.join(","),
    AZ_BATCH_NODE_LIST: addresses.join(";"),
    AZ_BATCH_MASTER_NODE: `${addresses[0] ?? ""}:6000`,
    AZ_BATCH_IS_CURRENT_NODE_MASTER: String(index === 0),
    CCP_NODES: [String(addresses.length), ...addresses.map((address) => `${address} 1`)].join(" "),
  };
}

export function multiInstanceRuntime(placed: readonly { node: NodeRecord; poolId: string; assignment: NodeTaskAssignment }[], time: string): MultiInstanceRuntime {
  return {
    phase: "coordination",
    instances: placed.map(({ node, poolId, assignment }, index) => ({
      id: index,
      poolId,
      nodeId: node.id,
      nodeUrl: node.url ?? "",
      ...(node.affinityId === undefined ? {} : { affinityId: node.affinityId }),
      taskRootDirectory: assignment.taskDirectory,
      assignmentId: assignment.assignmentId,
      state: "running",
      startTime: time,
      stateTransitionTime: time,
    })),
  };
}

function failureOf(outcome: ProcessOutcome): TaskFailureInformation | undefined {
  if (outcome.failure !== undefined) return { category: "usererror", code: outcome.failure.code, message: outcome.failure.message };
  if (outcome.exitCode !== 0) return { category: "usererror", code: "FailureExitCode", message: "The task process exited with an unexpected exit code" };
  return undefined;
}

function ended(instance: InstanceRun, outcome: ProcessOutcome, time: string): InstanceRun {
  const failureInfo = failureOf(outcome);
  return {
    ...instance,
    state: "completed",
    stateTransitionTime: time,
    endTime: outcome.endTime ?? time,
    ...(outcome.exitCode === undefined ? {} : { exitCode: outcome.exitCode }),
    result: failureInfo === undefined ? "success" : "failure",
    ...(failureInfo === undefined ? {} : { failureInfo }),
  };
}

/** The instance, cut short with `TaskEnded` and `message`. Pure. */
function cutShort(instance: InstanceRun, message: string, time: string): InstanceRun {
  return ended(instance, { attempt: 1, state: "completed", startTime: instance.startTime, failure: { code: "TaskEnded", message } }, time);
}

/** Kills every instance still running but `except`; they count as ended. Returns their pools. */
async function killInstances(tx: WriteTx, account: string, runtime: MultiInstanceRuntime, except: string, time: string, now: Date) {
  const pools = new Set<string>();
  const instances: InstanceRun[] = [];
  for (const instance of runtime.instances) {
    if (instance.state === "running" && instance.assignmentId !== except) {
      const poolId = await killAssignment(tx, account, { assignmentId: instance.assignmentId, nodeId: instance.nodeId, poolId: instance.poolId, attempt: 0 }, now);
      if (poolId !== undefined) pools.add(poolId);
      instances.push(cutShort(instance, "Another instance of the multi-instance task failed.", time));
    } else {
      instances.push(instance);
    }
  }
  return { pools, runtime: { ...runtime, instances } };
}

/** Whether `assignmentId` is an instance of the task's current multi-instance run that has not ended. Pure. */
export function runsInstance(task: TaskRecord, assignmentId: string): boolean {
  return task._ob.assignment !== undefined && (task._ob.multiInstance?.instances.some((instance) => instance.assignmentId === assignmentId && instance.state === "running") ?? false);
}

/**
 * Stops the task's current run as a whole — the one way every path does it (terminate, job end or disable,
 * preemption, an instance's node restarting, leaving or failing to prepare): every process of the run is killed on
 * its node and every multi-instance instance still running counts as ended with `message`. The caller then requeues
 * or ends the returned task. Returns the pool whose agents must wake, if any node was still there.
 */
export async function stopRun(tx: WriteTx, account: string, task: TaskRecord, message: string, now: Date): Promise<{ task: TaskRecord; poolId?: string }> {
  const poolId = await killTaskRuns(tx, account, task, now);
  const woken = poolId === undefined ? {} : { poolId };
  const runtime = task._ob.multiInstance;
  if (runtime === undefined) return { task, ...woken };
  const time = formatTimestamp(now);
  const instances = runtime.instances.map((instance) => (instance.state === "running" ? cutShort(instance, message, time) : instance));
  return { task: { ...task, _ob: { ...task._ob, multiInstance: { ...runtime, instances } } }, ...woken };
}

/**
 * An instance's coordination command ended (the node's agent reported it). The primary's end puts the application
 * run on its node at once — `held` (its slot kept, not yet sent to the agent) while other instances still
 * coordinate — and the last instance's end releases it. Returns the pools whose agents must wake.
 */
export async function instanceRunFinished(tx: WriteTx, account: string, assignment: NodeTaskAssignment, outcome: ProcessOutcome, now: Date): Promise<Set<string>> {
  const ref = { account, kind: "task" as const, scope: assignment.jobId, id: assignment.taskId };
  const task = await tx.get<TaskRecord>(ref);
  const runtime = task?.body._ob.multiInstance;
  const instance = runtime?.instances.find((entry) => entry.assignmentId === assignment.assignmentId);
  // A run that was requeued or ended as a whole (its assignment dropped) or has been replaced is no longer followed.
  if (task?.body._ob.assignment?.attempt !== assignment.attempt) return new Set();
  if (runtime === undefined || instance === undefined || instance.state !== "running") return new Set();
  const time = formatTimestamp(now);
  const recorded: MultiInstanceRuntime = { ...runtime, instances: runtime.instances.map((entry) => (entry === instance ? ended(entry, outcome, time) : entry)) };
  const primary = recorded.instances[0] as InstanceRun;
  const applicationId = `${primary.assignmentId}.app`;
  const primaryNode = { account, kind: "node" as const, scope: primary.poolId, id: primary.nodeId };
  if (failureOf(outcome) !== undefined) {
    const killed = await killInstances(tx, account, recorded, assignment.assignmentId, time, now);
    await killAssignment(tx, account, { assignmentId: applicationId, nodeId: primary.nodeId, poolId: primary.poolId, attempt: 0 }, now);
    const after = taskAfterRun({ ...task.body, _ob: { ...task.body._ob, multiInstance: killed.runtime } }, outcome, time);
    await tx.replace(ref, after, now);
    return new Set([...killed.pools, ...(await reactToTask(tx, account, assignment.jobId, after, now))]);
  }
  const allDone = !recorded.instances.some((entry) => entry.state === "running");
  const node = await tx.get<NodeRecord>(primaryNode);
  if (node === undefined) return new Set();
  let assignments = node.body._ob.assignments ?? [];
  let taskRuntime = task.body._ob;
  if (instance.id === 0) {
    const { subtaskId: _coordination, commonResourceFiles: _downloaded, ...base } = assignment;
    const application: NodeTaskAssignment = {
      ...base,
      assignmentId: applicationId,
      commandLine: task.body.commandLine ?? "",
      ...(task.body.resourceFiles === undefined ? {} : { resourceFiles: task.body.resourceFiles }),
      ...(task.body.outputFiles === undefined ? {} : { outputFiles: task.body.outputFiles }),
      ...(allDone ? {} : { held: true }),
    };
    assignments = [...assignments, application];
    taskRuntime = { ...taskRuntime, assignment: { assignmentId: applicationId, nodeId: primary.nodeId, poolId: primary.poolId, attempt: assignment.attempt } };
  } else if (allDone) {
    assignments = assignments.map((entry) => {
      if (entry.assignmentId !== applicationId) return entry;
      const { held: _released, ...running } = entry;
      return running;
    });
  }
  await tx.replace(primaryNode, { ...node.body, _ob: { ...node.body._ob, assignments } }, now);
  await tx.replace(ref, { ...task.body, _ob: { ...taskRuntime, multiInstance: { ...recorded, phase: allDone ? "application" : "coordination" } } }, now);
  return allDone ? new Set([primary.poolId]) : new Set();
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
    ...(instance.result === undefined ? {} : { result: instance.result }),
    ...(instance.failureInfo === undefined ? {} : { failureInfo: instance.failureInfo }),
  }));
}
