/**
 * `schedule(state, options) → Plan`: one scheduling round, pure and deterministic.
 *
 * Contract: reads only its arguments (no I/O, no clock, no randomness, no state kept between calls), never throws
 * for lack of capacity (unplaced work and its reason are data in the plan), and returns the same plan for the same
 * state whatever order the state lists things in. The plan is a proposal: the server's plan applier re-checks every
 * entry against current state and commits the plan in one transaction.
 *
 * The round, stage by stage:
 * 1. Jobs: only `active` jobs place tasks (disabling, disabled, enabling, terminating, completed and deleting jobs
 *    place nothing). Order: priority descending, then creation sequence, then id.
 * 2. Per job, its pool's slot table (built once per round) and, when needed, its preemption candidates.
 * 3. Per job, candidates in order: job manager tasks first, then the others by sequence (then id). Before each:
 *    - budget: stop the whole round at `maxPlacements` placements or `maxExaminedTasks` examined (`truncated`);
 *    - `maxParallelTasks`: running + placed this round reached the cap → report once, stop the job;
 *    - capacity: the pool has no free slot for this job even with preemption → report once, stop the job;
 *    - dependencies: pending → `dependenciesPending`; any parent blocked → `blocked`; both skip the task;
 *    - fit: requiredSlots > taskSlotsPerNode, or a multi-instance task in a pool that cannot run one → skip;
 *    - place: the affinity node when it has room, else the fill-type choice (spread/pack) among eligible nodes,
 *      else (not multi-instance) preemption of lower-priority preemptible work, else `noCapacity`.
 *    An unplaced job manager holds back the rest of its job (`waitingForJobManager`).
 *
 * Eligible nodes: the pool's `idle`/`running` nodes with scheduling enabled, minus the job's excluded nodes; a job
 * manager with `allowLowPriorityNode: false` uses dedicated nodes only; one with `runExclusive` (the default) needs
 * a node with no task at all and then holds it alone.
 *
 * A per-job "smallest requiredSlots that failed" memo makes a full pool cheap: within a round free capacity only
 * shrinks (preemption resets the memo), so once a task needing r slots found no room, no later task of the job
 * needing r or more is searched for, and once r is 1 the job's scan ends. The memo is shared by jobs of the pool
 * that exclude no node, which are examined in non-increasing priority, so their preemption candidates only shrink.
 */
import { idKey } from "@openbatch/core";
import { evaluateDependencies } from "./dependencies.js";
import { compareJobs, compareTasks } from "./order.js";
import { createVictimSet, type VictimSet } from "./preemption.js";
import { planLookAhead } from "./lookAhead.js";
import { createSlotTable, type NodeSlot, type SlotTable } from "./slotTable.js";
import type {
  BlockedTask,
  Placement,
  Plan,
  Preemption,
  ResolvedScheduleOptions,
  RunningTask,
  ScheduleOptions,
  SchedulerJob,
  SchedulerPool,
  SchedulerState,
  SchedulerTask,
  UnplacedReason,
  UnplacedTask,
  Withdrawal,
} from "./types.js";

/** The defaults of `ScheduleOptions`. */
export const defaultScheduleOptions: ResolvedScheduleOptions = Object.freeze({ maxPlacements: 10_000, maxExaminedTasks: 100_000 });

export function resolveScheduleOptions(options: ScheduleOptions = {}): ResolvedScheduleOptions {
  const positive = (value: number | undefined, fallback: number): number =>
    value === undefined || !(value >= 0) ? fallback : Math.floor(value);
  return {
    maxPlacements: positive(options.maxPlacements, defaultScheduleOptions.maxPlacements),
    maxExaminedTasks: positive(options.maxExaminedTasks, defaultScheduleOptions.maxExaminedTasks),
  };
}

interface PoolContext {
  readonly table: SlotTable;
  readonly running: readonly RunningTask[];
  victims: VictimSet | undefined;
  /** Smallest requiredSlots an unconstrained task failed to find room for in this round. */
  minFailedSlots: number;
}

type Accept = ((node: NodeSlot) => boolean) | undefined;

/** Plans one scheduling round. See the file header for the rules and `README.md` for the applier's side. */
export function schedule(state: SchedulerState, options?: ScheduleOptions): Plan {
  const config = resolveScheduleOptions(options);
  const placements: Placement[] = [];
  const preemptions: Preemption[] = [];
  const withdrawals: Withdrawal[] = [];
  const unplaced: UnplacedTask[] = [];
  const blocked: BlockedTask[] = [];
  let examinedTasks = 0;
  let truncated = false;

  const pools = new Map<string, SchedulerPool>();
  for (const pool of state.pools) if (!pools.has(idKey(pool.id))) pools.set(idKey(pool.id), pool);
  const runningByPool = new Map<string, RunningTask[]>();
  const addRunning = (task: RunningTask): void => {
    const key = idKey(task.poolId);
    const list = runningByPool.get(key);
    if (list === undefined) runningByPool.set(key, [task]);
    else list.push(task);
  };
  for (const task of state.running ?? []) addRunning(task);
  // Runs waiting on nodes are victims any placement may take back (preemption.ts).
  const priorities = jobPriorities(state.jobs);
  for (const pool of pools.values()) {
    for (const node of pool.nodes) {
      for (const run of node.waiting ?? []) {
        addRunning({
          poolId: pool.id, jobId: run.jobId, taskId: run.taskId, nodeIds: [node.id], slots: run.slots ?? 1,
          jobPriority: priorities.get(idKey(run.jobId)) ?? waitingOfInactiveJob, allowTaskPreemption: true, sequence: run.sequence,
          waiting: true, assignmentId: run.assignmentId,
        });
      }
    }
  }
  const contexts = new Map<string, PoolContext | undefined>();
  const poolContext = (poolId: string): PoolContext | undefined => {
    const key = idKey(poolId);
    if (contexts.has(key)) return contexts.get(key);
    const pool = pools.get(key);
    const context = pool && { table: createSlotTable(pool), running: runningByPool.get(key) ?? [], victims: undefined, minFailedSlots: Infinity };
    contexts.set(key, context);
    return context;
  };
  const victimsOf = (context: PoolContext): VictimSet => (context.victims ??= createVictimSet(context.table, context.running));
  const overBudget = (): boolean => placements.length >= config.maxPlacements || examinedTasks >= config.maxExaminedTasks;
  const report = (job: SchedulerJob, task: SchedulerTask, reason: UnplacedReason): void => {
    unplaced.push({ jobId: job.id, taskId: task.id, reason });
  };

  /** Schedules one job's candidates; returns false when the round's budget ran out. */
  const scheduleJob = (job: SchedulerJob): boolean => {
    const { ordered, managers } = orderTasks(job.tasks);
    const context = poolContext(job.poolId);
    if (context === undefined) {
      if (overBudget()) return false;
      examinedTasks++;
      report(job, managers[0] ?? (ordered[0] as SchedulerTask), "poolNotFound");
      return true;
    }
    const { table } = context;
    const priority = job.priority ?? 0;
    const cap = job.maxParallelTasks ?? -1;
    let running = Math.max(0, job.runningTaskCount ?? 0);
    const excluded = job.excludedNodeIds !== undefined && job.excludedNodeIds.length > 0 ? new Set(job.excludedNodeIds.map(idKey)) : undefined;
    const prepared = job.hasJobPreparationTask === true ? new Set((job.preparedNodeIds ?? []).map(idKey)) : undefined;
    const acceptRegular: Accept = excluded && ((node) => !excluded.has(node.key));
    const acceptDedicated: Accept = (node) => node.dedicated && (acceptRegular === undefined || acceptRegular(node));
    let memo = excluded === undefined ? context.minFailedSlots : Infinity;

    const preparationNodes = (nodes: readonly NodeSlot[]): string[] =>
      prepared === undefined ? [] : nodes.filter((node) => !prepared.has(node.key)).map((node) => node.id);

    const mayFit = (): boolean => {
      if (excluded === undefined) memo = Math.min(memo, context.minFailedSlots);
      return memo > 1 && (table.hasFreeSlot() || victimsOf(context).minPriority < priority);
    };

    const placeMultiInstance = (task: SchedulerTask, instances: number): boolean => {
      if (!table.enableInterNodeCommunication || table.taskSlotsPerNode !== 1) {
        report(job, task, "multiInstanceUnsupportedByPool");
        return false;
      }
      const count = Math.max(1, Math.floor(instances));
      const nodes = table.findMany(count, acceptRegular);
      if (nodes.length < count) {
        report(job, task, "noCapacity");
        return false;
      }
      for (const node of nodes) table.take(node, 1, false);
      placements.push({
        jobId: job.id,
        taskId: task.id,
        nodeIds: nodes.map((node) => node.id),
        slots: 1,
        needsPreemption: nodes.some((node) => node.preempting),
        jobPreparationNodeIds: preparationNodes(nodes),
        lookAhead: false,
      });
      return true;
    };

    const placeSingle = (task: SchedulerTask): boolean => {
      const required = Math.max(1, Math.floor(task.requiredSlots ?? 1));
      if (required > table.taskSlotsPerNode) {
        report(job, task, "requiredSlotsExceedNodeSlots");
        return false;
      }
      const manager = task.isJobManager === true;
      const exclusive = manager && task.runExclusive !== false;
      const accept = manager && task.allowLowPriorityNode === false ? acceptDedicated : acceptRegular;
      const fit = exclusive ? table.taskSlotsPerNode : required;
      if (!manager && fit >= memo) {
        report(job, task, "noCapacity");
        return false;
      }
      let node = affinityNode(table, task, fit, accept) ?? table.find(fit, accept);
      if (node === undefined) {
        const victims = victimsOf(context);
        const choice = priority > victims.minPriority ? victims.find({ priority, slots: fit, accept }) : undefined;
        if (choice !== undefined) {
          victims.apply(choice);
          for (const victim of choice.victims) {
            const { jobId, taskId, nodeIds, assignmentId } = victim.task;
            if (victim.task.waiting === true && assignmentId !== undefined) withdrawals.push({ jobId, taskId, nodeId: nodeIds[0] ?? "", assignmentId, reason: "priority" });
            else preemptions.push({ jobId, taskId, nodeIds, forJobId: job.id, forTaskId: task.id });
          }
          context.minFailedSlots = Infinity;
          memo = Infinity;
          node = choice.node;
        }
      }
      if (node === undefined) {
        if (!manager) {
          memo = Math.min(memo, fit);
          if (excluded === undefined) context.minFailedSlots = Math.min(context.minFailedSlots, fit);
        }
        report(job, task, "noCapacity");
        return false;
      }
      table.take(node, required, exclusive);
      placements.push({
        jobId: job.id,
        taskId: task.id,
        nodeIds: [node.id],
        slots: required,
        needsPreemption: node.preempting,
        jobPreparationNodeIds: preparationNodes([node]),
        lookAhead: false,
      });
      return true;
    };

    /** Examines one candidate; returns whether it was placed. */
    const examine = (task: SchedulerTask): boolean => {
      examinedTasks++;
      const verdict = evaluateDependencies(task.dependsOn, job.dependencies);
      if (verdict.state === "pending") {
        report(job, task, "dependenciesPending");
        return false;
      }
      if (verdict.state === "blocked") {
        blocked.push({ jobId: job.id, taskId: task.id, parentTaskIds: verdict.blockedTaskIds });
        return false;
      }
      const placed = task.numberOfInstances !== undefined ? placeMultiInstance(task, task.numberOfInstances) : placeSingle(task);
      if (placed) running++;
      return placed;
    };

    const capReached = (task: SchedulerTask): boolean => {
      if (cap < 0 || running < cap) return false;
      report(job, task, "maxParallelTasksReached");
      return true;
    };

    for (const manager of managers) {
      if (overBudget()) return false;
      if (capReached(manager)) return true;
      if (!examine(manager)) {
        const next = ordered.find((task) => task.isJobManager !== true);
        if (next !== undefined) report(job, next, "waitingForJobManager");
        return true;
      }
    }
    for (const task of ordered) {
      if (task.isJobManager === true) continue;
      if (overBudget()) return false;
      if (capReached(task)) return true;
      if (!mayFit()) {
        report(job, task, "noCapacity");
        return true;
      }
      // A task that found no room and left nothing placeable for the job has already been reported: stop here.
      if (!examine(task) && !mayFit()) return true;
    }
    return true;
  };

  const jobs = state.jobs.filter((job) => job.state === "active" && job.tasks.length > 0).sort(compareJobs);
  for (const job of jobs) {
    if (!scheduleJob(job)) {
      truncated = true;
      break;
    }
  }
  if (!truncated) {
    const ahead = planLookAhead({
      jobs: state.jobs.filter((job) => job.state === "active").sort(compareJobs),
      pools,
      tableOf: (poolId) => poolContext(poolId)?.table,
      placements,
      withdrawals,
      maxPlacements: config.maxPlacements,
    });
    placements.push(...ahead.placements);
    withdrawals.push(...ahead.withdrawals);
  }
  return { placements, preemptions, withdrawals, unplaced, blocked, truncated, examinedTasks };
}

/** A waiting run whose job is not among the active jobs: any job may take its place. */
const waitingOfInactiveJob = -1001;

function jobPriorities(jobs: readonly SchedulerJob[]): Map<string, number> {
  const priorities = new Map<string, number>();
  for (const job of jobs) if (job.state === "active") priorities.set(idKey(job.id), job.priority ?? 0);
  return priorities;
}

/** The task's affinity node when it is eligible and has room; Azure treats affinity as a hint only. */
function affinityNode(table: SlotTable, task: SchedulerTask, fit: number, accept: Accept): NodeSlot | undefined {
  if (task.affinityId === undefined) return undefined;
  const node = table.byAffinity(idKey(task.affinityId));
  if (node === undefined || (accept !== undefined && !accept(node)) || table.free(node) < fit) return undefined;
  return node;
}

/** The job's candidates in (sequence, id) order, sorting a copy only when the caller's order differs. */
function orderTasks(tasks: readonly SchedulerTask[]): { ordered: readonly SchedulerTask[]; managers: SchedulerTask[] } {
  const managers: SchedulerTask[] = [];
  let sorted = true;
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i] as SchedulerTask;
    if (task.isJobManager === true) managers.push(task);
    if (sorted && i > 0 && compareTasks(tasks[i - 1] as SchedulerTask, task) > 0) sorted = false;
  }
  managers.sort(compareTasks);
  return { ordered: sorted ? tasks : [...tasks].sort(compareTasks), managers };
}
