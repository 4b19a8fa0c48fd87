/**
 * The plan applier: the only one that places task runs. It re-checks each entry of a scheduler plan against the
 * store and commits the plan in one transaction:
 * - withdrawals first: a run still waiting on its node is marked `withdraw` (its agent never starts it and says so;
 *   a run begun meanwhile runs on);
 * - then placements: the task is still active and holds no run, its job active, each node usable with room for it —
 *   within its slots, or within slots plus look-ahead for a look-ahead placement — and not kept by an exclusive job
 *   manager (nor, for such a job manager, busy). The task gets a new assignment (attempt n+1) and stays `active`
 *   until the node's agent reports the run begun (lifecycle/tasks.ts `assignedTask`; `preparing`, held, while the job
 *   preparation task runs first on that node, lifecycle/preparation.ts); the node gets the run, with its place in
 *   the agent's start order (the job's priority, the job's and the task's order). A multi-instance task gets one
 *   assignment per node, started at once (lifecycle/multiInstance.ts).
 * A placement that no longer holds is skipped; the next round sees the new state.
 */
import { formatTimestamp, parseDuration } from "@openbatch/core";
import type { CloudJob, CloudPool } from "@openbatch/protocol";
import type { Placement, Plan } from "@openbatch/scheduler";
import type { Store, StoredEntity, WriteTx } from "@openbatch/store";
import { instanceEnvironment, multiInstanceRuntime } from "../lifecycle/multiInstance.js";
import { withRun, withWaitingRun, writeNode } from "../lifecycle/nodes.js";
import { excludedFromJob, gateOnPreparation, type PreparationGate } from "../lifecycle/preparation.js";
import { stopRun } from "../lifecycle/runs.js";
import { assignedTask, placedTask, requeuedTask } from "../lifecycle/tasks.js";
import { describeProblems, resolvePackageReferences } from "../records/applications.js";
import { environmentOf } from "../records/environment.js";
import { jobPoolId, jobRef, jobTaskDirectory } from "../records/jobs.js";
import { isSchedulable, heldSlots, nodeInfoOf, nodeRef, type NodeRecord, type NodeTaskAssignment } from "../records/nodes.js";
import { recentSubtaskOf, recentTaskOf, withRecentTask } from "../records/recentTasks.js";
import { taskRef, type InstanceRun, type TaskRecord } from "../records/tasks.js";

export interface PlanApplierOptions {
  readonly store: Store;
  readonly now: () => Date;
  /** Mints `AZ_BATCH_AUTHENTICATION_TOKEN` for a task whose authenticationTokenSettings ask for job access. */
  readonly issueTaskToken?: (account: string, jobId: string, now: Date) => Promise<string>;
  /** The look-ahead: runs each node may be given per task slot beyond its slots (pipelined dispatch). @default 0 */
  readonly lookAheadPerSlot?: number;
}

/** Where a run stands among its node's waiting runs: the agent starts them in this order (agentProtocol.ts). */
export function startOrder(job: CloudJob, task: TaskRecord): number[] {
  return [-(job.priority ?? 0), Date.parse(job.creationTime ?? "") || 0, task._ob.sequence];
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
      await this.withdraw(tx, account, plan.withdrawals, now);
      let count = 0;
      for (const placement of plan.placements) {
        if (placement.needsPreemption) await this.preempt(tx, account, plan, placement, now);
        if (await this.place(tx, account, placement, now)) count++;
      }
      return count;
    });
  }

  /** Marks the plan's withdrawals on their nodes: each run not begun yet (as far as the server knows) is taken back. */
  private async withdraw(tx: WriteTx, account: string, withdrawals: Plan["withdrawals"], now: Date): Promise<void> {
    const byNode = new Map<string, { jobId: string; nodeId: string; ids: Set<string> }>();
    for (const withdrawal of withdrawals) {
      const job = await tx.get<CloudJob>(jobRef(account, withdrawal.jobId));
      if (job === undefined) continue;
      const key = `${jobPoolId(job.body).toLowerCase()}\u0000${withdrawal.nodeId}`;
      const entry = byNode.get(key) ?? { jobId: withdrawal.jobId, nodeId: withdrawal.nodeId, ids: new Set<string>() };
      entry.ids.add(withdrawal.assignmentId);
      byNode.set(key, entry);
    }
    for (const [key, entry] of byNode) {
      const poolId = key.slice(0, key.indexOf("\u0000"));
      const node = await tx.get<NodeRecord>(nodeRef(account, poolId, entry.nodeId));
      if (node === undefined) continue;
      let changed = false;
      const assignments = (node.body._ob.assignments ?? []).map((assignment) => {
        if (!entry.ids.has(assignment.assignmentId) || assignment.started === true || assignment.kill === true || assignment.withdraw === true) return assignment;
        changed = true;
        return { ...assignment, withdraw: true };
      });
      if (changed) await writeNode(tx, account, poolId, node.body, { ...node.body, _ob: { ...node.body._ob, assignments } }, now);
    }
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
      if (node === undefined || !this.canTake(target, node.body, placement.slots, placement.lookAhead)) return false;
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
    // An active task holding a run already has one waiting on a node.
    if (task === undefined || task.body.state !== "active" || task.body._ob.assignment !== undefined) return undefined;
    const pool = await tx.get<CloudPool>({ account, kind: "pool", scope: "", id: poolId });
    if (pool === undefined) return undefined;
    return { job: { ...job.body, id: job.body.id ?? placement.jobId }, jobId: placement.jobId, poolId, pool: pool.body, task };
  }

  private canTake(target: Target, node: NodeRecord, slots: number, lookAhead: boolean): boolean {
    const assignments = (node._ob.assignments ?? []).filter((assignment) => assignment.kill !== true && assignment.withdraw !== true);
    const used = heldSlots(node);
    const taskSlots = target.pool.taskSlotsPerNode ?? 1;
    const room = lookAhead ? taskSlots + taskSlots * Math.max(0, this.options.lookAheadPerSlot ?? 0) : taskSlots;
    if (!isSchedulable(node) || used + slots > room) return false;
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
      order: startOrder(target.job, task),
      ...(exclusive ? { exclusive } : {}),
      ...(held ? { held, gated: true } : {}),
    };
    const poolId = target.pool.id ?? target.poolId;
    // Held behind the job preparation task it is `preparing` (Azure's state for that); else `active` until its agent begins it.
    const placed = held
      ? placedTask(tx, account, target.jobId, task, nodeInfoOf(node.body, poolId, assignment.taskDirectory), assignment, time, true)
      : assignedTask(task, assignment, poolId, node.id);
    await tx.replace(taskRef(account, target.jobId, task.id), placed, now);
    const onNode = withWaitingRun(gated.node, assignment);
    await writeNode(tx, account, target.poolId, node.body, held ? withRecentTask(onNode, recentTaskOf(placed, target.jobId)) : onNode, now);
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
