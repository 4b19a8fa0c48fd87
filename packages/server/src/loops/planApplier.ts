/**
 * The plan applier: the only one that places task runs. It re-checks each placement of a scheduler plan against the
 * store — the task is still active, its job active, each node usable with enough free slots and not kept by an
 * exclusive job manager (nor, for such a job manager, busy) — and commits the plan in one transaction: the task is
 * placed (lifecycle/tasks.ts: `running`, or `preparing` while the job preparation task runs first on that node,
 * lifecycle/preparation.ts) with its `nodeInfo` and a new assignment (attempt n+1), and each node gets the run
 * (lifecycle/nodes.ts: its agent's desired tasks and its running counts). A multi-instance task gets one assignment
 * per node (lifecycle/multiInstance.ts). A placement that no longer holds is skipped; the next round sees the new
 * state.
 */
import { formatTimestamp, parseDuration } from "@openbatch/core";
import type { CloudJob, CloudPool } from "@openbatch/protocol";
import type { Placement, Plan } from "@openbatch/scheduler";
import type { Store, StoredEntity, WriteTx } from "@openbatch/store";
import { instanceEnvironment, multiInstanceRuntime } from "../lifecycle/multiInstance.js";
import { withRun, writeNode } from "../lifecycle/nodes.js";
import { excludedFromJob, gateOnPreparation, type PreparationGate } from "../lifecycle/preparation.js";
import { stopRun } from "../lifecycle/runs.js";
import { placedTask, requeuedTask, type NodeInfo } from "../lifecycle/tasks.js";
import { describeProblems, resolvePackageReferences } from "../records/applications.js";
import { environmentOf } from "../records/environment.js";
import { jobPoolId, jobRef, jobTaskDirectory } from "../records/jobs.js";
import { isSchedulable, heldSlots, nodeRef, type NodeRecord, type NodeTaskAssignment } from "../records/nodes.js";
import { recentSubtaskOf, recentTaskOf, withRecentTask } from "../records/recentTasks.js";
import { taskRef, type InstanceRun, type TaskRecord } from "../records/tasks.js";

export interface PlanApplierOptions {
  readonly store: Store;
  readonly now: () => Date;
  /** Mints `AZ_BATCH_AUTHENTICATION_TOKEN` for a task whose authenticationTokenSettings ask for job access. */
  readonly issueTaskToken?: (account: string, jobId: string, now: Date) => Promise<string>;
}

/** What one run of a task on one node needs, before the node-specific parts. */
export function taskAssignment(job: CloudJob, task: TaskRecord, attempt: number, slots: number): NodeTaskAssignment {
  const jobId = job.id ?? "";
  const taskDirectory = jobTaskDirectory(jobId, task.id);
  const wallClock = task.constraints?.maxWallClockTime === undefined ? undefined : parseDuration(task.constraints.maxWallClockTime);
  const preparation = job.jobPreparationTask === undefined ? undefined : jobTaskDirectory(jobId, job.jobPreparationTask.id ?? "jobpreparation");
  return {
    assignmentId: `${jobId}.${task.id}.${attempt}`,
    jobId,
    taskId: task.id,
    attempt,
    commandLine: task.commandLine ?? "",
    taskDirectory,
    environment: { ...environmentOf(job.commonEnvironmentSettings), ...environmentOf(task.environmentSettings), AZ_BATCH_JOB_ID: jobId, AZ_BATCH_TASK_ID: task.id },
    ...(preparation === undefined ? {} : { nodePathEnvironment: { AZ_BATCH_JOB_PREP_DIR: preparation, AZ_BATCH_JOB_PREP_WORKING_DIR: `${preparation}/wd` } }),
    ...(wallClock === undefined ? {} : { maxWallClockTimeInMs: Math.max(1, wallClock) }),
    ...(task.resourceFiles === undefined ? {} : { resourceFiles: task.resourceFiles }),
    ...(task.outputFiles === undefined ? {} : { outputFiles: task.outputFiles }),
    ...(task.userIdentity === undefined ? {} : { userIdentity: task.userIdentity }),
    ...(task.containerSettings === undefined ? {} : { containerSettings: task.containerSettings }),
    slots,
  };
}

/** The task's application packages; unsatisfiable references fail the run on the node as a pre-processing error, as the service does. */
async function packageFields(tx: WriteTx, account: string, task: TaskRecord): Promise<Partial<NodeTaskAssignment>> {
  const packages = await resolvePackageReferences(tx, account, task.applicationPackageReferences);
  return {
    ...(packages.deployments.length === 0 ? {} : { applicationPackages: packages.deployments }),
    ...(packages.problems.length === 0 ? {} : { applicationPackageError: describeProblems(packages.problems) }),
  };
}

function nodeInfoOf(node: NodeRecord, poolId: string, taskDirectory: string): NodeInfo {
  const nodeUrl = node.url ?? "";
  return {
    affinityId: node.affinityId,
    nodeUrl,
    poolId,
    nodeId: node.id,
    taskRootDirectory: taskDirectory,
    taskRootDirectoryUrl: `${nodeUrl}/files/${encodeURIComponent(taskDirectory)}`,
  };
}

interface Target {
  readonly job: CloudJob;
  readonly jobId: string;
  readonly poolId: string;
  readonly pool: CloudPool;
  readonly task: StoredEntity<TaskRecord>;
}

export class PlanApplier {
  constructor(private readonly options: PlanApplierOptions) {}

  /** Applies the plan in one transaction; returns how many placements held. Their nodes' agents learn of them after the commit. */
  apply(account: string, plan: Plan): Promise<number> {
    const now = this.options.now();
    return this.options.store.write(async (tx) => {
      let count = 0;
      for (const placement of plan.placements) {
        if (placement.needsPreemption) await this.preempt(tx, account, plan, placement, now);
        if (await this.place(tx, account, placement, now)) count++;
      }
      return count;
    });
  }

  /**
   * Requeues the running tasks the plan preempts for `placement` (semantics.md §2.6): they go back to `active`
   * (counted as a requeue, no retry used) and their processes are killed, which frees their slots at once.
   */
  private async preempt(tx: WriteTx, account: string, plan: Plan, placement: Placement, now: Date): Promise<void> {
    const time = formatTimestamp(now);
    for (const victim of plan.preemptions) {
      if (victim.forJobId !== placement.jobId || victim.forTaskId !== placement.taskId) continue;
      const ref = taskRef(account, victim.jobId, victim.taskId);
      const task = await tx.get<TaskRecord>(ref);
      const job = await tx.get<CloudJob>(jobRef(account, victim.jobId));
      if (task === undefined || (task.body.state !== "running" && task.body.state !== "preparing") || job?.body.allowTaskPreemption !== true) continue;
      const stopped = await stopRun(tx, account, task.body, "The task was preempted by a task of a higher-priority job.", now);
      await tx.replace(ref, requeuedTask(tx, account, victim.jobId, stopped, time), now);
    }
  }

  /** Places one task; false when the placement no longer holds. */
  private async place(tx: WriteTx, account: string, placement: Placement, now: Date): Promise<boolean> {
    const target = await this.target(tx, account, placement);
    if (target === undefined) return false;
    const nodes: StoredEntity<NodeRecord>[] = [];
    for (const nodeId of placement.nodeIds) {
      const node = await tx.get<NodeRecord>(nodeRef(account, target.poolId, nodeId));
      if (node === undefined || !this.canTake(target, node.body, placement.slots)) return false;
      nodes.push(node);
    }
    const instances = target.task.body.multiInstanceSettings === undefined ? undefined : (target.task.body.multiInstanceSettings.numberOfInstances ?? 1);
    const isMultiInstance = instances !== undefined;
    if (nodes.length !== (instances ?? 1)) return false;
    return isMultiInstance ? this.placeInstances(tx, account, target, nodes, now) : this.placeOne(tx, account, target, nodes[0] as StoredEntity<NodeRecord>, placement.slots, now);
  }

  private async target(tx: WriteTx, account: string, placement: Placement): Promise<Target | undefined> {
    const job = await tx.get<CloudJob>(jobRef(account, placement.jobId));
    if (job === undefined || job.body.state !== "active") return undefined;
    const poolId = jobPoolId(job.body);
    const task = await tx.get<TaskRecord>(taskRef(account, placement.jobId, placement.taskId));
    if (task === undefined || task.body.state !== "active") return undefined;
    const pool = await tx.get<CloudPool>({ account, kind: "pool", scope: "", id: poolId });
    if (pool === undefined) return undefined;
    return { job: { ...job.body, id: job.body.id ?? placement.jobId }, jobId: placement.jobId, poolId, pool: pool.body, task };
  }

  private canTake(target: Target, node: NodeRecord, slots: number): boolean {
    const assignments = (node._ob.assignments ?? []).filter((assignment) => assignment.kill !== true);
    const used = heldSlots(node);
    if (!isSchedulable(node) || used + slots > (target.pool.taskSlotsPerNode ?? 1)) return false;
    const exclusive = target.task.body._ob.jobManager?.runExclusive === true;
    return !(assignments.some((held) => held.exclusive === true) || (exclusive && assignments.length > 0));
  }

  /** `AZ_BATCH_AUTHENTICATION_TOKEN`, when the task's authenticationTokenSettings ask for job access. */
  private async tokenVariables(account: string, jobId: string, task: TaskRecord, now: Date): Promise<Record<string, string>> {
    const wantsJob = task.authenticationTokenSettings?.access?.includes("job") === true;
    if (!wantsJob || this.options.issueTaskToken === undefined) return {};
    return { AZ_BATCH_AUTHENTICATION_TOKEN: await this.options.issueTaskToken(account, jobId, now) };
  }

  private async placeOne(tx: WriteTx, account: string, target: Target, node: StoredEntity<NodeRecord>, slots: number, now: Date): Promise<boolean> {
    const gated = await gateOnPreparation(tx, account, target.job, target.job.id ?? target.jobId, target.poolId, node.body, now);
    if (gated.gate === "refuse") return false;
    const held = gated.gate === "wait";
    const time = formatTimestamp(now);
    const task = target.task.body;
    const exclusive = task._ob.jobManager?.runExclusive === true;
    const base = taskAssignment(target.job, task, task._ob.attempts + 1, slots);
    const assignment: NodeTaskAssignment = {
      ...base,
      environment: { ...base.environment, ...(await this.tokenVariables(account, target.jobId, task, now)) },
      ...(await packageFields(tx, account, task)),
      ...(exclusive ? { exclusive } : {}),
      ...(held ? { held } : {}),
    };
    const nodeInfo = nodeInfoOf(node.body, target.pool.id ?? target.poolId, assignment.taskDirectory);
    const started = placedTask(tx, account, target.jobId, task, nodeInfo, assignment, time, held);
    await tx.replace(taskRef(account, target.jobId, task.id), started, now);
    const placed = withRecentTask(withRun(tx, account, target.poolId, gated.node, assignment, time), recentTaskOf(started, target.jobId));
    await writeNode(tx, account, target.poolId, node.body, placed, now);
    return true;
  }

  /**
   * A multi-instance task: every instance runs the coordination command first (instance 0, the primary, on the
   * first node), each held until its node has prepared the job (the task `preparing` while the primary's is);
   * multiInstance.ts starts the application command once they all succeeded.
   */
  private async placeInstances(tx: WriteTx, account: string, target: Target, nodes: readonly StoredEntity<NodeRecord>[], now: Date): Promise<boolean> {
    const jobId = target.job.id ?? target.jobId;
    // Every instance's node prepares the job first, as for an ordinary task; one node the job may not use stops
    // the whole placement before any preparation starts.
    for (const node of nodes) if (await excludedFromJob(tx, account, jobId, node.id)) return false;
    const gated: { gate: PreparationGate; node: NodeRecord }[] = [];
    for (const node of nodes) gated.push(await gateOnPreparation(tx, account, target.job, jobId, target.poolId, node.body, now));
    const held = (index: number) => gated[index]?.gate === "wait";
    const time = formatTimestamp(now);
    const task = target.task.body;
    const attempt = task._ob.attempts + 1;
    // The task's own files belong to the application command on the primary (multiInstance.ts); every instance
    // gets the common resource files in the task directory (semantics.md §10.1).
    const { resourceFiles: _primaryOnly, outputFiles: _afterApplication, ...plain } = taskAssignment(target.job, task, attempt, 1);
    const base: NodeTaskAssignment = {
      ...plain,
      environment: { ...plain.environment, ...(await this.tokenVariables(account, target.jobId, task, now)) },
      ...(await packageFields(tx, account, task)),
    };
    const common = task.multiInstanceSettings?.commonResourceFiles;
    const addresses = nodes.map((node) => node.body.ipAddress ?? "127.0.0.1");
    const instances = nodes.map((node, index): NodeTaskAssignment => ({
      ...base,
      assignmentId: `${base.assignmentId}.${index}`,
      commandLine: task.multiInstanceSettings?.coordinationCommandLine ?? "",
      environment: { ...base.environment, ...instanceEnvironment(addresses, index) },
      nodePathEnvironment: { ...base.nodePathEnvironment, AZ_BATCH_TASK_SHARED_DIR: base.taskDirectory },
      subtaskId: index,
      ...(common === undefined ? {} : { commonResourceFiles: common }),
      ...(held(index) ? { held: true } : {}),
    }));
    const poolId = target.pool.id ?? target.poolId;
    const primary = instances[0] as NodeTaskAssignment;
    const started = placedTask(tx, account, target.jobId, task, nodeInfoOf((nodes[0] as StoredEntity<NodeRecord>).body, poolId, base.taskDirectory), primary, time, held(0));
    const runtime = multiInstanceRuntime(nodes.map((node, index) => ({ node: node.body, poolId, assignment: instances[index] as NodeTaskAssignment })), time);
    for (const [index, node] of nodes.entries()) {
      // The primary shows as the task itself, the other instances as its subtasks (as the subtask list does).
      const recent = index === 0 ? recentTaskOf(started, target.jobId) : recentSubtaskOf(started, target.jobId, runtime.instances[index] as InstanceRun);
      const placed = withRecentTask(withRun(tx, account, target.poolId, (gated[index] as (typeof gated)[number]).node, instances[index] as NodeTaskAssignment, time), recent);
      await writeNode(tx, account, target.poolId, node.body, placed, now);
    }
    await tx.replace(taskRef(account, target.jobId, task.id), { ...started, _ob: { ...started._ob, multiInstance: runtime } }, now);
    return true;
  }
}
