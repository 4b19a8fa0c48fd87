/**
 * The plan applier: the only writer of placements. It re-checks each placement of a scheduler plan against the
 * store — the task is still active, its job active, each node usable with enough free slots and not kept by an
 * exclusive job manager (nor, for such a job manager, busy) — and commits the plan in one transaction: the task
 * turns `running` (or `preparing` while the job preparation task runs first on that node, jobPreparation.ts) with
 * its `nodeInfo` and a new assignment (attempt n+1), each node gets its assignment (its agent's desired tasks) and
 * its running counts. A multi-instance task gets one assignment per node (multiInstance.ts). A placement that no
 * longer holds is skipped; the next round sees the new state.
 */
import { formatTimestamp, parseDuration } from "@openbatch/core";
import { jobPoolId } from "../services/jobStates.js";
import type { CloudJob, CloudPool, EnvironmentSetting } from "@openbatch/protocol";
import type { Placement, Plan } from "@openbatch/scheduler";
import type { Store, StoredEntity, WriteTx } from "@openbatch/store";
import type { NodeRecord, NodeTaskAssignment } from "../services/nodeService.js";
import type { TaskRecord } from "../services/taskService.js";
import { excludedFromJob, gateOnPreparation, jobTaskDirectory, type PreparationGate } from "./jobPreparation.js";
import { instanceEnvironment, multiInstanceRuntime, stopRun, type InstanceRun } from "./multiInstance.js";
import { recentSubtaskOf, recentTaskOf, withRecentTask } from "../nodes/recentTasks.js";
import { requeuedTask } from "./requeue.js";
import { describeProblems, resolvePackageReferences } from "../applications/applicationRecords.js";

export interface PlanApplierOptions {
  readonly store: Store;
  readonly now: () => Date;
  /** Wakes the agents of a pool whose nodes got work. */
  readonly onAssigned: (account: string, poolId: string) => void;
  /** Mints `AZ_BATCH_AUTHENTICATION_TOKEN` for a task whose authenticationTokenSettings ask for job access. */
  readonly issueTaskToken?: (account: string, jobId: string, now: Date) => Promise<string>;
}

function environmentOf(settings: readonly EnvironmentSetting[] | undefined): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const setting of settings ?? []) environment[setting.name] = setting.value ?? "";
  return environment;
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

/** Slots a node's assignments hold; a run being killed holds none (its process is on its way out). */
export function heldSlots(node: NodeRecord): number {
  return (node._ob.assignments ?? []).reduce((sum, assignment) => sum + (assignment.kill === true ? 0 : assignment.slots), 0);
}

function nodeInfoOf(node: NodeRecord, poolId: string, taskDirectory: string) {
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

/** The node with one more assignment, counted as running. */
function withAssignment(node: NodeRecord, assignment: NodeTaskAssignment, time: string): NodeRecord {
  return {
    ...node,
    state: "running",
    ...(node.state === "running" ? {} : { stateTransitionTime: time }),
    runningTasksCount: (node.runningTasksCount ?? 0) + 1,
    runningTaskSlotsCount: (node.runningTaskSlotsCount ?? 0) + assignment.slots,
    _ob: { ...node._ob, assignments: [...(node._ob.assignments ?? []), assignment] },
  };
}

/** The task, started on a node now: `running` (or `preparing`, held), with the attempt and assignment recorded. */
function startedTask(task: TaskRecord, nodeInfo: ReturnType<typeof nodeInfoOf>, assignment: NodeTaskAssignment, time: string, held: boolean): TaskRecord {
  return {
    ...task,
    state: held ? "preparing" : "running",
    previousState: task.state,
    previousStateTransitionTime: task.stateTransitionTime,
    stateTransitionTime: time,
    nodeInfo,
    executionInfo: {
      ...task.executionInfo,
      ...(held ? {} : { startTime: time }),
      retryCount: task.executionInfo?.retryCount ?? 0,
      requeueCount: task.executionInfo?.requeueCount ?? 0,
    },
    _ob: { ...task._ob, attempts: assignment.attempt, assignment: { assignmentId: assignment.assignmentId, nodeId: nodeInfo.nodeId, poolId: nodeInfo.poolId, attempt: assignment.attempt } },
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

  async apply(account: string, plan: Plan): Promise<number> {
    const now = this.options.now();
    const touchedPools = new Set<string>();
    const applied = await this.options.store.write(async (tx) => {
      let count = 0;
      for (const placement of plan.placements) {
        if (placement.needsPreemption) {
          const preempted = await this.preempt(tx, account, plan, placement, now);
          for (const poolId of preempted) touchedPools.add(poolId);
        }
        const poolId = await this.place(tx, account, placement, now);
        if (poolId !== undefined) {
          touchedPools.add(poolId);
          count++;
        }
      }
      return count;
    });
    for (const poolId of touchedPools) this.options.onAssigned(account, poolId);
    return applied;
  }

  /**
   * Requeues the running tasks the plan preempts for `placement` (semantics.md §2.6): they go back to `active`
   * (counted as a requeue, no retry used) and their processes are killed, which frees their slots at once.
   */
  private async preempt(tx: WriteTx, account: string, plan: Plan, placement: Placement, now: Date): Promise<Set<string>> {
    const pools = new Set<string>();
    const time = formatTimestamp(now);
    for (const victim of plan.preemptions) {
      if (victim.forJobId !== placement.jobId || victim.forTaskId !== placement.taskId) continue;
      const ref = { account, kind: "task" as const, scope: victim.jobId, id: victim.taskId };
      const task = await tx.get<TaskRecord>(ref);
      const job = await tx.get<CloudJob>({ account, kind: "job", scope: "", id: victim.jobId });
      if (task === undefined || (task.body.state !== "running" && task.body.state !== "preparing") || job?.body.allowTaskPreemption !== true) continue;
      const stopped = await stopRun(tx, account, task.body, "The task was preempted by a task of a higher-priority job.", now);
      if (stopped.poolId !== undefined) pools.add(stopped.poolId);
      await tx.replace(ref, requeuedTask(stopped.task, time), now);
    }
    return pools;
  }

  /** Places one task; returns its pool when it was placed, undefined when the placement no longer holds. */
  private async place(tx: WriteTx, account: string, placement: Placement, now: Date): Promise<string | undefined> {
    const target = await this.target(tx, account, placement);
    if (target === undefined) return undefined;
    const nodes: StoredEntity<NodeRecord>[] = [];
    for (const nodeId of placement.nodeIds) {
      const node = await tx.get<NodeRecord>({ account, kind: "node", scope: target.poolId, id: nodeId });
      if (node === undefined || !this.canTake(target, node.body, placement.slots)) return undefined;
      nodes.push(node);
    }
    const instances = target.task.body.multiInstanceSettings === undefined ? undefined : (target.task.body.multiInstanceSettings.numberOfInstances ?? 1);
    const isMultiInstance = instances !== undefined;
    if (nodes.length !== (instances ?? 1)) return undefined;
    return isMultiInstance ? this.placeInstances(tx, account, target, nodes, now) : this.placeOne(tx, account, target, nodes[0] as StoredEntity<NodeRecord>, placement.slots, now);
  }

  private async target(tx: WriteTx, account: string, placement: Placement): Promise<Target | undefined> {
    const job = await tx.get<CloudJob>({ account, kind: "job", scope: "", id: placement.jobId });
    if (job === undefined || job.body.state !== "active") return undefined;
    const poolId = jobPoolId(job.body);
    const task = await tx.get<TaskRecord>({ account, kind: "task", scope: placement.jobId, id: placement.taskId });
    if (task === undefined || task.body.state !== "active") return undefined;
    const pool = await tx.get<CloudPool>({ account, kind: "pool", scope: "", id: poolId });
    if (pool === undefined) return undefined;
    return { job: { ...job.body, id: job.body.id ?? placement.jobId }, jobId: placement.jobId, poolId, pool: pool.body, task };
  }

  private canTake(target: Target, node: NodeRecord, slots: number): boolean {
    const assignments = (node._ob.assignments ?? []).filter((assignment) => assignment.kill !== true);
    const used = heldSlots(node);
    const usable = (node.state === "idle" || node.state === "running") && node.schedulingState !== "disabled";
    if (!usable || used + slots > (target.pool.taskSlotsPerNode ?? 1)) return false;
    const exclusive = target.task.body._ob.jobManager?.runExclusive === true;
    return !(assignments.some((held) => held.exclusive === true) || (exclusive && assignments.length > 0));
  }

  /** `AZ_BATCH_AUTHENTICATION_TOKEN`, when the task's authenticationTokenSettings ask for job access. */
  private async tokenVariables(account: string, jobId: string, task: TaskRecord, now: Date): Promise<Record<string, string>> {
    const wantsJob = task.authenticationTokenSettings?.access?.includes("job") === true;
    if (!wantsJob || this.options.issueTaskToken === undefined) return {};
    return { AZ_BATCH_AUTHENTICATION_TOKEN: await this.options.issueTaskToken(account, jobId, now) };
  }

  private async placeOne(tx: WriteTx, account: string, target: Target, node: StoredEntity<NodeRecord>, slots: number, now: Date): Promise<string | undefined> {
    const gated = await gateOnPreparation(tx, account, target.job, target.job.id ?? target.jobId, target.poolId, node.body, now);
    if (gated.gate === "refuse") return undefined;
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
    const started = startedTask(task, nodeInfo, assignment, time, held);
    await tx.replace({ account, kind: "task", scope: target.jobId, id: task.id }, started, now);
    const placed = withRecentTask(withAssignment(gated.node, assignment, time), recentTaskOf(started, target.jobId));
    await tx.replace({ account, kind: "node", scope: target.poolId, id: node.id }, placed, now);
    return target.poolId;
  }

  /**
   * A multi-instance task: every instance runs the coordination command first (instance 0, the primary, on the
   * first node), each held until its node has prepared the job (the task `preparing` while the primary's is);
   * multiInstance.ts starts the application command once they all succeeded.
   */
  private async placeInstances(tx: WriteTx, account: string, target: Target, nodes: readonly StoredEntity<NodeRecord>[], now: Date): Promise<string | undefined> {
    const jobId = target.job.id ?? target.jobId;
    // Every instance's node prepares the job first, as for an ordinary task; one node the job may not use stops
    // the whole placement before any preparation starts.
    for (const node of nodes) if (await excludedFromJob(tx, account, jobId, node.id)) return undefined;
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
    const started = startedTask(task, nodeInfoOf((nodes[0] as StoredEntity<NodeRecord>).body, poolId, base.taskDirectory), primary, time, held(0));
    const runtime = multiInstanceRuntime(nodes.map((node, index) => ({ node: node.body, poolId, assignment: instances[index] as NodeTaskAssignment })), time);
    for (const [index, node] of nodes.entries()) {
      // The primary shows as the task itself, the other instances as its subtasks (as the subtask list does).
      const recent = index === 0 ? recentTaskOf(started, target.jobId) : recentSubtaskOf(started, target.jobId, runtime.instances[index] as InstanceRun);
      const placed = withRecentTask(withAssignment((gated[index] as (typeof gated)[number]).node, instances[index] as NodeTaskAssignment, time), recent);
      await tx.replace({ account, kind: "node", scope: target.poolId, id: node.id }, placed, now);
    }
    await tx.replace({ account, kind: "task", scope: target.jobId, id: task.id }, { ...started, _ob: { ...started._ob, multiInstance: runtime } }, now);
    return target.poolId;
  }
}
