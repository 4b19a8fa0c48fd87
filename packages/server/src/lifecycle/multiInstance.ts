/**
 * Multi-instance tasks (semantics.md §11). The plan applier places one instance per node — instance 0, the primary,
 * on the first — and every instance runs the coordination command. Each instance's end is recorded under the
 * task's `_ob.multiInstance`: once all succeeded the primary runs the task's command line (an ordinary run of the
 * task from then on); if one fails, the others are killed and the task ends (or retries) with that failure. A
 * restart or removal of any instance's node stops the run as a whole (lifecycle/runs.ts `stopRun`), as does a
 * failed job preparation on an instance's node. The subtask list shows instances 1…N−1 (records/tasks.ts).
 */
import { formatTimestamp } from "@openbatch/core";
import type { ProcessOutcome } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import { nodeRef, type NodeRecord, type NodeTaskAssignment } from "../records/nodes.js";
import { taskRef, type InstanceRun, type MultiInstanceRuntime, type TaskRecord } from "../records/tasks.js";
import { reactToTask } from "./jobs.js";
import { writeNode } from "./nodes.js";
import { cutShort, endedInstance, instanceFailure, killAssignment } from "./runs.js";
import { measuredJobRun, measuredRun } from "./statistics.js";
import { taskAfterRun } from "./tasks.js";

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

/** Kills every instance still running but `except`; they count as ended. */
async function killInstances(tx: WriteTx, account: string, runtime: MultiInstanceRuntime, except: string, time: string, now: Date): Promise<MultiInstanceRuntime> {
  const instances: InstanceRun[] = [];
  for (const instance of runtime.instances) {
    if (instance.state === "running" && instance.assignmentId !== except) {
      await killAssignment(tx, account, { assignmentId: instance.assignmentId, nodeId: instance.nodeId, poolId: instance.poolId, attempt: 0 }, now);
      instances.push(cutShort(instance, "Another instance of the multi-instance task failed.", time));
    } else {
      instances.push(instance);
    }
  }
  return { ...runtime, instances };
}

/**
 * An instance's coordination command ended (the node's agent reported it). The primary's end puts the application
 * run on its node at once — `held` (its slot kept, not yet sent to the agent) while other instances still
 * coordinate — and the last instance's end releases it.
 */
export async function instanceRunFinished(tx: WriteTx, account: string, assignment: NodeTaskAssignment, outcome: ProcessOutcome, now: Date): Promise<void> {
  const ref = taskRef(account, assignment.jobId, assignment.taskId);
  const task = await tx.get<TaskRecord>(ref);
  const runtime = task?.body._ob.multiInstance;
  const instance = runtime?.instances.find((entry) => entry.assignmentId === assignment.assignmentId);
  const time = formatTimestamp(now);
  // A run that was requeued or ended as a whole (its assignment dropped) or has been replaced is no longer followed;
  // what it used counts for its job.
  if (task === undefined || task.body._ob.assignment?.attempt !== assignment.attempt || runtime === undefined || instance === undefined || instance.state !== "running") {
    measuredJobRun(tx, account, assignment.jobId, outcome, time);
    return;
  }
  const measured = measuredRun(tx, account, assignment.jobId, task.body, outcome, time);
  const recorded: MultiInstanceRuntime = { ...runtime, instances: runtime.instances.map((entry) => (entry === instance ? endedInstance(entry, outcome, time) : entry)) };
  const primary = recorded.instances[0] as InstanceRun;
  const applicationId = `${primary.assignmentId}.app`;
  if (instanceFailure(outcome) !== undefined) {
    const killed = await killInstances(tx, account, recorded, assignment.assignmentId, time, now);
    await killAssignment(tx, account, { assignmentId: applicationId, nodeId: primary.nodeId, poolId: primary.poolId, attempt: 0 }, now);
    const after = taskAfterRun(tx, account, assignment.jobId, { ...measured, _ob: { ...measured._ob, multiInstance: killed } }, outcome, time);
    await tx.replace(ref, after, now);
    await reactToTask(tx, account, assignment.jobId, after, now);
    return;
  }
  const allDone = !recorded.instances.some((entry) => entry.state === "running");
  const node = await tx.get<NodeRecord>(nodeRef(account, primary.poolId, primary.nodeId));
  if (node === undefined) return;
  let assignments = node.body._ob.assignments ?? [];
  let taskRuntime = measured._ob;
  if (instance.id === 0) {
    const { subtaskId: _coordination, commonResourceFiles: _downloaded, ...base } = assignment;
    const application: NodeTaskAssignment = {
      ...base,
      assignmentId: applicationId,
      commandLine: measured.commandLine ?? "",
      ...(measured.resourceFiles === undefined ? {} : { resourceFiles: measured.resourceFiles }),
      ...(measured.outputFiles === undefined ? {} : { outputFiles: measured.outputFiles }),
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
  await writeNode(tx, account, primary.poolId, node.body, { ...node.body, _ob: { ...node.body._ob, assignments } }, now);
  await tx.replace(ref, { ...measured, _ob: { ...taskRuntime, multiInstance: { ...recorded, phase: allDone ? "application" : "coordination" } } }, now);
}
