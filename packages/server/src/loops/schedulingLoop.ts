/**
 * The scheduling loop: snapshot → scheduler (pure) → plan applier, per account. It runs on wake-ups: every committed
 * change that can make work placeable records a `wakeScheduler` effect (a task or job became active, a task
 * completed, slots were freed, a node became usable — lifecycle/transitions.ts and lifecycle/nodes.ts), and
 * server.ts turns it into `wake(account)`. Wake-ups coalesce (timedPasses.ts), so a burst of 100 adds or reports
 * costs one round, and a round that placed its maximum runs again at once.
 *
 * A slow safety-net pass also runs every `safetyNetInMs` of the injected clock. It exists to prove the wake-ups
 * right: a round that places work although no wake-up came since the previous round's snapshot found work some
 * change made placeable without saying so. Those placements are counted (`missedWakeUps`, shown on /healthz and
 * checked by every test's server on dispose) and logged, and the work still starts, late.
 *
 * The snapshot reads active jobs, their pools and nodes, and each job's active tasks (as many as its pool's free
 * slots and look-ahead can take, at most `maxCandidates` per job per round), then the plan applier re-checks every
 * placement against the store and commits the plan in one transaction. Active tasks whose run waits on a node for its
 * agent (pipelined dispatch) are not candidates; they count towards their job's `maxParallelTasks`, and the scheduler
 * sees them as the nodes' waiting runs, which it may withdraw.
 */
import { isObservableClock, type Clock } from "@openbatch/core";
import type { CloudJob, CloudPool } from "@openbatch/protocol";
import { createDependencyIndex, schedule, type ParentState, type RunningTask, type SchedulerJob, type SchedulerPool, type SchedulerState } from "@openbatch/scheduler";
import type { ReadTx, Store } from "@openbatch/store";
import { jobPoolId, type JobNodeRecord } from "../records/jobs.js";
import { listAll } from "../records/listAll.js";
import { heldSlots, isWaitingRun, type NodeRecord, type NodeTaskAssignment } from "../records/nodes.js";
import { busyTaskFilter, type TaskRecord } from "../records/tasks.js";
import { timed } from "../metrics/timed.js";
import type { PlanApplier } from "./planApplier.js";
import { TimedPasses } from "./timedPasses.js";

export interface SchedulingLoopOptions {
  readonly store: Store;
  readonly applier: PlanApplier;
  readonly clock: Clock;
  readonly onError: (error: unknown, account: string) => void;
  /** Told of placements no wake-up triggered (the safety net found them). */
  readonly onMissedWakeUp?: (account: string, placed: number) => void;
  /** Active tasks considered per job per round. @default 2000 */
  readonly maxCandidates?: number;
  /** Clock time between safety-net passes. @default 5000 */
  readonly safetyNetInMs?: number;
  /** Told each round's duration in seconds (metrics). */
  readonly onRound?: (seconds: number) => void;
  /** The look-ahead: runs each node may be given per task slot beyond its slots (pipelined dispatch). @default 0 */
  readonly lookAheadPerSlot?: number;
  /**
   * Resolves once every wake-up committed before the call has reached the loop. With replicas a wake-up from
   * another process travels through the database and may still be on its way when a round places the work it
   * announced; the round waits for it before counting the placement as missed. @default none (wake-ups are local)
   */
  readonly settleWakeUps?: () => Promise<void>;
}

/** A task run its node's agent has not begun, whose task is still `active` (waiting, or being withdrawn). */
function assignedToActiveTask(assignment: NodeTaskAssignment): boolean {
  return assignment.started !== true && assignment.role === undefined && assignment.subtaskId === undefined && assignment.gated !== true && assignment.held !== true && assignment.kill !== true;
}

export class SchedulingLoop {
  private readonly passes: TimedPasses;
  /** Wake-ups per account so far, and the count the last round saw before its snapshot. */
  private readonly wakeUps = new Map<string, number>();
  private readonly seenAtSnapshot = new Map<string, number>();
  private readonly accounts = new Set<string>();
  private missed = 0;
  private nextSafetyNet: number;
  private safetyTimer: NodeJS.Timeout | undefined;
  private readonly stopListening: () => void;
  private closed = false;

  constructor(private readonly options: SchedulingLoopOptions) {
    this.passes = new TimedPasses({
      pass: async (account) => {
        if (await timed(this.options.onRound, () => this.round(account))) this.passes.kick(account);
        return undefined;
      },
      onError: options.onError,
    });
    this.nextSafetyNet = options.clock.now().getTime() + this.safetyNetInMs;
    const clock = options.clock;
    this.stopListening = isObservableClock(clock) ? clock.onAdvance(() => this.checkSafetyNet()) : () => {};
  }

  private get safetyNetInMs(): number {
    return this.options.safetyNetInMs ?? 5000;
  }

  /** Placements made without a wake-up (found by the safety net), since the loop started. */
  get missedWakeUps(): number {
    return this.missed;
  }

  /** Looks at every account now (start-up: work left from before) and starts the safety net. */
  start(accounts: readonly string[]): void {
    for (const account of accounts) this.wake(account);
    this.armSafetyNet();
  }

  /** A wake-up: something committed may have made work placeable in the account. */
  wake(account: string): void {
    this.accounts.add(account);
    this.wakeUps.set(account, (this.wakeUps.get(account) ?? 0) + 1);
    this.passes.kick(account);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopListening();
    clearTimeout(this.safetyTimer);
    await this.passes.close();
  }

  /** A real timer for the next safety-net pass, measured on the injected clock (a simulated clock moves it by advancing). */
  private armSafetyNet(): void {
    clearTimeout(this.safetyTimer);
    if (this.closed) return;
    const delay = Math.max(1, Math.min(this.nextSafetyNet - this.options.clock.now().getTime(), this.safetyNetInMs));
    this.safetyTimer = setTimeout(() => this.checkSafetyNet(), delay);
    this.safetyTimer.unref();
  }

  private checkSafetyNet(): void {
    if (this.closed) return;
    const now = this.options.clock.now().getTime();
    if (now >= this.nextSafetyNet) {
      this.nextSafetyNet = now + this.safetyNetInMs;
      // A round like any other, but no wake-up: what it places, no wake-up asked for.
      for (const account of this.accounts) this.passes.kick(account);
    }
    this.armSafetyNet();
  }

  /** One round; true when it placed as much as a round may, so another should follow. */
  private async round(account: string): Promise<boolean> {
    const previous = this.seenAtSnapshot.get(account);
    this.seenAtSnapshot.set(account, this.wakeUps.get(account) ?? 0);
    const state = await this.options.store.read((tx) => this.snapshot(tx, account));
    if (state.jobs.length === 0) return false;
    const plan = schedule(state);
    if (plan.placements.length === 0) return false;
    const placed = await this.options.applier.apply(account, plan);
    // Counted only when no wake-up came at all from the previous round's snapshot until now: a commit that made
    // this work placeable after that snapshot, and said so, would have woken the loop within that window.
    if (placed > 0 && previous !== undefined && (this.wakeUps.get(account) ?? 0) === previous) {
      await this.options.settleWakeUps?.();
      if ((this.wakeUps.get(account) ?? 0) === previous) {
        this.missed += placed;
        this.options.onMissedWakeUp?.(account, placed);
      }
    }
    // A truncated plan goes on at once: that next round belongs to this wake-up.
    if (plan.truncated) this.wakeUps.set(account, (this.wakeUps.get(account) ?? 0) + 1);
    return plan.truncated;
  }

  private async snapshot(tx: ReadTx, account: string): Promise<SchedulerState> {
    const jobs = await listAll<CloudJob>(tx, { account, kind: "job", scope: "" }, { op: "eq", path: ["state"], kind: "enum", value: "active" });
    const poolIds = new Set(jobs.map((job) => jobPoolId(job.body).toLowerCase()));
    const pools: SchedulerPool[] = [];
    /** Per job (lower-cased id), its tasks that hold a run not begun yet. */
    const assignedByJob = new Map<string, number>();
    const lookAheadPerSlot = Math.max(0, this.options.lookAheadPerSlot ?? 0);
    for (const poolId of poolIds) {
      const pool = await tx.get<CloudPool>({ account, kind: "pool", scope: "", id: poolId });
      if (pool === undefined || pool.body.state !== "active") continue;
      const nodes = await listAll<NodeRecord>(tx, { account, kind: "node", scope: poolId });
      const taskSlotsPerNode = pool.body.taskSlotsPerNode ?? 1;
      pools.push({
        id: pool.body.id ?? pool.id,
        taskSlotsPerNode,
        nodeFillType: pool.body.taskSchedulingPolicy?.nodeFillType ?? "spread",
        enableInterNodeCommunication: pool.body.enableInterNodeCommunication ?? false,
        lookAheadSlotsPerNode: taskSlotsPerNode * lookAheadPerSlot,
        nodes: nodes.map((node) => {
          const assignments = node.body._ob.assignments ?? [];
          for (const assignment of assignments) {
            if (!assignedToActiveTask(assignment)) continue;
            const key = assignment.jobId.toLowerCase();
            assignedByJob.set(key, (assignedByJob.get(key) ?? 0) + 1);
          }
          const waiting = assignments.filter(isWaitingRun);
          return {
            id: node.body.id,
            state: node.body.state ?? "unknown",
            schedulingState: node.body.schedulingState ?? "enabled",
            isDedicated: node.body.isDedicated !== false,
            usedSlots: heldSlots(node.body),
            exclusive: assignments.some((assignment) => assignment.exclusive === true && assignment.kill !== true),
            ...(node.body.affinityId === undefined ? {} : { affinityId: node.body.affinityId }),
            ...(waiting.length === 0
              ? {}
              : { waiting: waiting.map((run) => ({ jobId: run.jobId, taskId: run.taskId, assignmentId: run.assignmentId, slots: run.slots, sequence: run.order?.[2] ?? 0 })) }),
          };
        }),
      });
    }
    const cap = this.options.maxCandidates ?? 2000;
    const running = await this.preemptible(tx, account, jobs);
    const schedulerJobs: SchedulerJob[] = [];
    for (const job of jobs) {
      const poolKey = jobPoolId(job.body).toLowerCase();
      const pool = pools.find((candidate) => candidate.id.toLowerCase() === poolKey);
      const assigned = assignedByJob.get(job.id.toLowerCase()) ?? 0;
      const maxParallelTasks = job.body.maxParallelTasks ?? -1;
      const runningTaskCount = maxParallelTasks > 0 ? (await tx.count({ account, kind: "task", scope: job.id }, busyTaskFilter)) + assigned : 0;
      // A job whose cap went below its running and waiting tasks is looked at even with nothing to place.
      const budget = candidateBudget(job.body, pool, running.length > 0, cap);
      if (budget === 0 && !(maxParallelTasks > 0 && runningTaskCount > maxParallelTasks)) continue;
      // Tasks holding a run that has not begun are active too: read past them.
      const listed = budget === 0 ? [] : await listAll<TaskRecord>(tx, { account, kind: "task", scope: job.id }, { op: "eq", path: ["state"], kind: "enum", value: "active" }, budget + assigned);
      const tasks = listed.filter((task) => task.body._ob.assignment === undefined);
      schedulerJobs.push({
        ...(job.body.usesTaskDependencies === true ? { dependencies: await this.dependencyIndex(tx, account, job.id) } : {}),
        ...(job.body.jobPreparationTask === undefined ? {} : await this.preparationView(tx, account, job.id)),
        runningTaskCount,
        id: job.body.id ?? job.id,
        poolId: jobPoolId(job.body),
        // eslint-disable-next-line no-restricted-syntax -- the scheduler's view of an active job, not a stored state
        state: "active",
        priority: job.body.priority ?? 0,
        maxParallelTasks: job.body.maxParallelTasks ?? -1,
        allowTaskPreemption: job.body.allowTaskPreemption ?? false,
        sequence: Date.parse(job.body.creationTime ?? "") || 0,
        tasks: tasks.map((task) => ({
          id: task.body.id,
          sequence: task.body._ob.sequence,
          requiredSlots: task.body.requiredSlots ?? 1,
          ...(task.body.dependsOn === undefined ? {} : { dependsOn: task.body.dependsOn }),
          ...(task.body.affinityInfo === undefined ? {} : { affinityId: task.body.affinityInfo.affinityId }),
          ...(task.body.multiInstanceSettings === undefined ? {} : { numberOfInstances: task.body.multiInstanceSettings.numberOfInstances ?? 1 }),
          ...(task.body._ob.jobManager === undefined
            ? {}
            : { isJobManager: true, runExclusive: task.body._ob.jobManager.runExclusive, allowLowPriorityNode: task.body._ob.jobManager.allowLowPriorityNode }),
        })),
      });
    }
    return { pools, jobs: schedulerJobs, running };
  }

  /** The running tasks of active jobs that allow task preemption: the only ones a plan may preempt. */
  private async preemptible(tx: ReadTx, account: string, jobs: readonly { id: string; body: CloudJob }[]): Promise<RunningTask[]> {
    const running: RunningTask[] = [];
    for (const job of jobs) {
      if (job.body.allowTaskPreemption !== true) continue;
      for (const task of await listAll<TaskRecord>(tx, { account, kind: "task", scope: job.id }, busyTaskFilter)) {
        const instances = task.body._ob.multiInstance?.instances;
        const nodeIds = instances !== undefined && task.body.multiInstanceSettings !== undefined ? instances.map((instance) => instance.nodeId) : [task.body.nodeInfo?.nodeId ?? ""];
        running.push({
          poolId: task.body.nodeInfo?.poolId ?? jobPoolId(job.body),
          jobId: job.body.id ?? job.id,
          taskId: task.body.id,
          nodeIds,
          slots: task.body.requiredSlots ?? 1,
          jobPriority: job.body.priority ?? 0,
          allowTaskPreemption: true,
          sequence: Date.parse(task.body.stateTransitionTime ?? "") || 0,
        });
      }
    }
    return running;
  }

  /** Where the job's preparation task has run, and the nodes it failed on for good (semantics.md §5.3). */
  private async preparationView(tx: ReadTx, account: string, jobId: string) {
    const records = await listAll<JobNodeRecord>(tx, { account, kind: "jobNode", scope: jobId });
    return {
      hasJobPreparationTask: true,
      preparedNodeIds: records.filter((record) => record.body.jobPreparationTaskExecutionInfo !== undefined).map((record) => record.body.nodeId),
      excludedNodeIds: records.filter((record) => record.body._ob.excluded === true).map((record) => record.body.nodeId),
    };
  }

  /**
   * The state of every task of a job as a dependency parent (semantics.md §4): a completed task satisfies or blocks
   * its dependants by the dependency action its exit options chose; anything else is pending.
   */
  private async dependencyIndex(tx: ReadTx, account: string, jobId: string) {
    const all = await listAll<TaskRecord>(tx, { account, kind: "task", scope: jobId });
    return createDependencyIndex(all.map((task): readonly [string, ParentState] => [task.body.id, parentState(task.body)]));
  }
}

/**
 * How many of a job's active tasks a round needs to look at: reading and parsing candidates is most of a round's
 * cost, and a round can place no more tasks than its pool has free slots. Jobs with dependencies (whose first
 * candidates may all be waiting) and pools where preemption may free slots get the full budget.
 */
function candidateBudget(job: CloudJob, pool: SchedulerPool | undefined, preemptionPossible: boolean, cap: number): number {
  if (pool === undefined) return 0;
  if (job.usesTaskDependencies === true || preemptionPossible) return cap;
  // Free slots and look-ahead room; waiting runs of other jobs may make room for this one (a higher priority).
  const slotsPerNode = (pool.taskSlotsPerNode ?? 1) + (pool.lookAheadSlotsPerNode ?? 0);
  const free = pool.nodes.reduce((sum, node) => {
    const usable = (node.state === "idle" || node.state === "running") && node.schedulingState === "enabled" && node.exclusive !== true;
    const jobKey = (job.id ?? "").toLowerCase();
    const waiting = (node.waiting ?? []).reduce((slots, run) => slots + (run.jobId.toLowerCase() === jobKey ? 0 : (run.slots ?? 1)), 0);
    return usable ? sum + Math.max(0, slotsPerNode - (node.usedSlots ?? 0) + waiting) : sum;
  }, 0);
  return free === 0 ? 0 : Math.min(cap, free * 2 + 16);
}

function parentState(task: TaskRecord): ParentState {
  if (task.state !== "completed") return "pending";
  const action = task._ob.exitOptions?.dependencyAction ?? (task.executionInfo?.result === "failure" ? "block" : "satisfy");
  return action === "satisfy" ? "satisfied" : "blocked";
}
