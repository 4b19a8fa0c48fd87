/**
 * The plan applier: the only writer of placements. It re-checks each placement of a scheduler plan against the
 * store — the task is still active, its job active, the node usable with enough free slots and not kept by an
 * exclusive job manager (nor, for such a job manager, busy) — and commits the plan
 * in one transaction: the task turns `running` (or `preparing` while the job preparation task runs first on that node,
 * jobPreparation.ts) with its `nodeInfo` and a new assignment (attempt n+1), the node
 * gets the assignment (its agent's desired tasks) and its running counts. A placement that no longer holds is
 * skipped; the next round sees the new state.
 */
import { formatTimestamp, parseDuration } from "@openbatch/core";
import type { CloudJob, CloudPool, EnvironmentSetting } from "@openbatch/protocol";
import type { Plan } from "@openbatch/scheduler";
import type { Store, WriteTx } from "@openbatch/store";
import type { NodeRecord, NodeTaskAssignment } from "../services/nodeService.js";
import type { TaskRecord } from "../services/taskService.js";
import { gateOnPreparation, jobTaskDirectory } from "./jobPreparation.js";

export interface PlanApplierOptions {
  readonly store: Store;
  readonly now: () => Date;
  /** Wakes the agents of a pool whose nodes got work. */
  readonly onAssigned: (account: string, poolId: string) => void;
}

function environmentOf(settings: readonly EnvironmentSetting[] | undefined): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const setting of settings ?? []) environment[setting.name] = setting.value ?? "";
  return environment;
}

export class PlanApplier {
  constructor(private readonly options: PlanApplierOptions) {}

  async apply(account: string, plan: Plan): Promise<number> {
    const now = this.options.now();
    const touchedPools = new Set<string>();
    const applied = await this.options.store.write(async (tx) => {
      let count = 0;
      for (const placement of plan.placements) {
        // Multi-instance tasks and preemption arrive with the rest of task execution.
        if (placement.nodeIds.length !== 1 || placement.needsPreemption) continue;
        const poolId = await this.place(tx, account, placement.jobId, placement.taskId, placement.nodeIds[0] as string, placement.slots, now);
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

  /** Places one task; returns its pool when it was placed, undefined when the placement no longer holds. */
  private async place(tx: WriteTx, account: string, jobId: string, taskId: string, nodeId: string, slots: number, now: Date): Promise<string | undefined> {
    const job = await tx.get<CloudJob>({ account, kind: "job", scope: "", id: jobId });
    if (job === undefined || job.body.state !== "active") return undefined;
    const poolId = job.body.poolInfo?.poolId ?? "";
    const taskRef = { account, kind: "task" as const, scope: jobId, id: taskId };
    const task = await tx.get<TaskRecord>(taskRef);
    if (task === undefined || task.body.state !== "active") return undefined;
    const pool = await tx.get<CloudPool>({ account, kind: "pool", scope: "", id: poolId });
    const nodeRef = { account, kind: "node" as const, scope: poolId, id: nodeId };
    const node = await tx.get<NodeRecord>(nodeRef);
    if (pool === undefined || node === undefined) return undefined;
    const assignments = node.body._ob.assignments ?? [];
    const used = assignments.reduce((sum, assignment) => sum + assignment.slots, 0);
    const usable = (node.body.state === "idle" || node.body.state === "running") && node.body.schedulingState !== "disabled";
    if (!usable || used + slots > (pool.body.taskSlotsPerNode ?? 1)) return undefined;
    const exclusive = task.body._ob.jobManager?.runExclusive === true;
    if (assignments.some((held) => held.exclusive === true) || (exclusive && assignments.length > 0)) return undefined;

    const gated = await gateOnPreparation(tx, account, job.body, job.body.id ?? jobId, poolId, node.body, now);
    if (gated.gate === "refuse") return undefined;
    const held = gated.gate === "wait";
    const time = formatTimestamp(now);
    const attempt = task.body._ob.attempts + 1;
    const realJobId = job.body.id ?? jobId;
    const realTaskId = task.body.id;
    const taskDirectory = jobTaskDirectory(realJobId, realTaskId);
    const wallClock = task.body.constraints?.maxWallClockTime === undefined ? undefined : parseDuration(task.body.constraints.maxWallClockTime);
    const assignment: NodeTaskAssignment = {
      assignmentId: `${realJobId}.${realTaskId}.${attempt}`,
      jobId: realJobId,
      taskId: realTaskId,
      attempt,
      commandLine: task.body.commandLine ?? "",
      taskDirectory,
      environment: {
        ...environmentOf(job.body.commonEnvironmentSettings),
        ...environmentOf(task.body.environmentSettings),
        AZ_BATCH_JOB_ID: realJobId,
        AZ_BATCH_TASK_ID: realTaskId,
      },
      ...(wallClock === undefined ? {} : { maxWallClockTimeInMs: Math.max(1, wallClock) }),
      ...(task.body.resourceFiles === undefined ? {} : { resourceFiles: task.body.resourceFiles }),
      ...(task.body.outputFiles === undefined ? {} : { outputFiles: task.body.outputFiles }),
      slots,
      ...(exclusive ? { exclusive } : {}),
      ...(held ? { held } : {}),
    };
    const nodeUrl = node.body.url ?? "";
    await tx.replace(taskRef, {
      ...task.body,
      state: held ? "preparing" : "running",
      previousState: task.body.state,
      previousStateTransitionTime: task.body.stateTransitionTime,
      stateTransitionTime: time,
      nodeInfo: {
        affinityId: node.body.affinityId,
        nodeUrl,
        poolId: pool.body.id,
        nodeId: node.body.id,
        taskRootDirectory: taskDirectory,
        taskRootDirectoryUrl: `${nodeUrl}/files/${encodeURIComponent(taskDirectory)}`,
      },
      executionInfo: { ...task.body.executionInfo, ...(held ? {} : { startTime: time }), retryCount: task.body.executionInfo?.retryCount ?? 0, requeueCount: task.body.executionInfo?.requeueCount ?? 0 },
      _ob: { ...task.body._ob, attempts: attempt, assignment: { assignmentId: assignment.assignmentId, nodeId: node.body.id, poolId, attempt } },
    }, now);
    await tx.replace(nodeRef, {
      ...gated.node,
      state: "running",
      ...(node.body.state === "running" ? {} : { stateTransitionTime: time }),
      runningTasksCount: (node.body.runningTasksCount ?? 0) + 1,
      runningTaskSlotsCount: (node.body.runningTaskSlotsCount ?? 0) + slots,
      _ob: { ...gated.node._ob, assignments: [...(gated.node._ob.assignments ?? []), assignment] },
    }, now);
    return poolId;
  }
}
