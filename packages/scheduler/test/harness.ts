/**
 * Test harness for the scheduler: builders with sensible defaults for pools, nodes, jobs, tasks and running tasks,
 * `run()` returning the plan, and a compact text summary of plans for table-driven assertions.
 *
 * Defaults: pools have 1 slot per node and fill `spread`; nodes are `idle`, enabled and dedicated; jobs are
 * `active`, priority 0, unlimited `maxParallelTasks`, no preemption; every id gets the next sequence number in the
 * order it was declared. A running task declared through `job.runs(...)` takes its job's priority and
 * `allowTaskPreemption` and adds its slots to its nodes' `usedSlots` and 1 to its job's `runningTaskCount`.
 *
 * Summary notation:
 * - placed     `job/task@node` (multi-instance `@n1+n2+n3`), `*` appended when it needs preemption first,
 *              `[prep:n1]` appended when the job preparation task must run on those nodes first
 * - preempted  `job/task@node>forJob/forTask`
 * - unplaced   `job/task:reason`
 * - blocked    `job/task<parent,parent`
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import {
  createDependencyIndex,
  schedule,
  type ParentState,
  type Plan,
  type RunningTask,
  type ScheduleOptions,
  type SchedulerJob,
  type SchedulerNode,
  type SchedulerPool,
  type SchedulerState,
  type SchedulerTask,
} from "../src/index.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type NodeOptions = Partial<Omit<SchedulerNode, "id">>;
export type PoolOptions = Partial<Omit<SchedulerPool, "id" | "nodes">>;
export type JobOptions = Partial<Omit<SchedulerJob, "id" | "tasks" | "dependencies" | "sequence">> & { readonly pool?: string };
export type TaskOptions = Partial<Omit<SchedulerTask, "id" | "sequence">>;
export interface RunningOptions {
  readonly slots?: number;
  readonly runExclusive?: boolean;
  /** Start order; defaults to the next sequence number (later declarations started more recently). */
  readonly sequence?: number;
}

export interface PoolHandle {
  node(id: string, options?: NodeOptions): PoolHandle;
  /** Adds `count` nodes `n1`…`nN` (zero-padded when N > 9), or `<prefix>1`… */
  nodes(count: number, options?: NodeOptions & { readonly prefix?: string }): PoolHandle;
}

export interface JobHandle {
  task(id: string, options?: TaskOptions): JobHandle;
  /** Adds `count` tasks `<prefix>1`…`<prefix>N` (prefix `t`). */
  tasks(count: number, options?: TaskOptions & { readonly prefix?: string }): JobHandle;
  jobManager(id: string, options?: TaskOptions): JobHandle;
  /** Records the state of a parent task for the job's dependency oracle. */
  parent(taskId: string, state: ParentState): JobHandle;
  /** Declares a running task of this job on `nodeIds` (in the job's pool). */
  runs(taskId: string, nodeIds: string | readonly string[], options?: RunningOptions): JobHandle;
}

export interface Harness {
  pool(id: string, options?: PoolOptions): PoolHandle;
  job(id: string, options?: JobOptions): JobHandle;
  state(): SchedulerState;
  run(options?: ScheduleOptions): Plan;
}

interface PoolRecord {
  readonly id: string;
  readonly options: PoolOptions;
  readonly nodes: Mutable<SchedulerNode>[];
}

interface JobRecord {
  readonly id: string;
  readonly sequence: number;
  readonly options: JobOptions;
  readonly tasks: SchedulerTask[];
  readonly parents: [string, ParentState][];
  readonly running: { taskId: string; nodeIds: readonly string[]; options: RunningOptions; sequence: number }[];
}

export function createHarness(): Harness {
  const pools: PoolRecord[] = [];
  const jobs: JobRecord[] = [];
  let sequence = 0;

  const harness: Harness = {
    pool(id, options = {}) {
      const record: PoolRecord = { id, options, nodes: [] };
      pools.push(record);
      const handle: PoolHandle = {
        node(nodeId, nodeOptions = {}) {
          record.nodes.push({ id: nodeId, state: "idle", schedulingState: "enabled", isDedicated: true, usedSlots: 0, ...nodeOptions });
          return handle;
        },
        nodes(count, { prefix = "n", ...nodeOptions } = {}) {
          const width = count > 9 ? String(count).length : 1;
          for (let i = 1; i <= count; i++) handle.node(`${prefix}${String(i).padStart(width, "0")}`, nodeOptions);
          return handle;
        },
      };
      return handle;
    },
    job(id, options = {}) {
      const record: JobRecord = { id, sequence: ++sequence, options, tasks: [], parents: [], running: [] };
      jobs.push(record);
      const handle: JobHandle = {
        task(taskId, taskOptions = {}) {
          record.tasks.push({ id: taskId, sequence: ++sequence, ...taskOptions });
          return handle;
        },
        tasks(count, { prefix = "t", ...taskOptions } = {}) {
          for (let i = 1; i <= count; i++) handle.task(`${prefix}${i}`, taskOptions);
          return handle;
        },
        jobManager(taskId, taskOptions = {}) {
          return handle.task(taskId, { isJobManager: true, ...taskOptions });
        },
        parent(taskId, state) {
          record.parents.push([taskId, state]);
          return handle;
        },
        runs(taskId, nodeIds, runningOptions = {}) {
          const ids = typeof nodeIds === "string" ? [nodeIds] : nodeIds;
          record.running.push({ taskId, nodeIds: ids, options: runningOptions, sequence: runningOptions.sequence ?? ++sequence });
          return handle;
        },
      };
      return handle;
    },
    state() {
      const poolList: SchedulerPool[] = pools.map((pool) => ({
        id: pool.id,
        ...pool.options,
        nodes: pool.nodes.map((node) => ({ ...node })),
      }));
      const running: RunningTask[] = [];
      const jobList: SchedulerJob[] = jobs.map((job) => {
        const { pool: poolOption, ...options } = job.options;
        const poolId = poolOption ?? options.poolId ?? pools[0]?.id ?? "pool";
        const pool = poolList.find((p) => p.id === poolId);
        for (const task of job.running) {
          const slots = task.options.slots ?? 1;
          running.push({
            poolId,
            jobId: job.id,
            taskId: task.taskId,
            nodeIds: task.nodeIds,
            slots,
            jobPriority: options.priority ?? 0,
            allowTaskPreemption: options.allowTaskPreemption ?? false,
            sequence: task.sequence,
            runExclusive: task.options.runExclusive ?? false,
          });
          for (const nodeId of task.nodeIds) {
            const node = pool?.nodes.find((n) => n.id === nodeId) as Mutable<SchedulerNode> | undefined;
            if (node === undefined) continue;
            node.usedSlots = (node.usedSlots ?? 0) + slots;
            if (task.options.runExclusive === true) node.exclusive = true;
          }
        }
        return {
          id: job.id,
          poolId,
          state: "active",
          sequence: job.sequence,
          ...options,
          runningTaskCount: (options.runningTaskCount ?? 0) + job.running.length,
          tasks: [...job.tasks],
          dependencies: createDependencyIndex(job.parents),
        };
      });
      return { pools: poolList, jobs: jobList, running };
    },
    run(options) {
      return schedule(harness.state(), options);
    },
  };
  return harness;
}

export interface Summary {
  readonly placed: readonly string[];
  readonly preempted: readonly string[];
  readonly unplaced: readonly string[];
  readonly blocked: readonly string[];
}

export function summarize(plan: Plan): Summary {
  return {
    placed: plan.placements.map((p) => {
      const prep = p.jobPreparationNodeIds.length > 0 ? `[prep:${p.jobPreparationNodeIds.join("+")}]` : "";
      return `${p.jobId}/${p.taskId}@${p.nodeIds.join("+")}${p.needsPreemption ? "*" : ""}${prep}`;
    }),
    preempted: plan.preemptions.map((p) => `${p.jobId}/${p.taskId}@${p.nodeIds.join("+")}>${p.forJobId}/${p.forTaskId}`),
    unplaced: plan.unplaced.map((u) => `${u.jobId}/${u.taskId}:${u.reason}`),
    blocked: plan.blocked.map((b) => `${b.jobId}/${b.taskId}<${b.parentTaskIds.join(",")}`),
  };
}

/** Asserts the parts of the plan's summary that `expected` names (an omitted part is not checked). */
export function assertPlan(plan: Plan, expected: Partial<Summary>): void {
  const actual = summarize(plan);
  const picked: Partial<Summary> = {};
  for (const key of Object.keys(expected) as (keyof Summary)[]) (picked as Record<string, unknown>)[key] = actual[key];
  assert.deepEqual(picked, expected);
}

export interface Case {
  readonly name: string;
  readonly given: (h: Harness) => void;
  readonly expect: Partial<Summary>;
  readonly options?: ScheduleOptions;
}

/** One `it` per case: build the state, run the scheduler, compare the summary. */
export function runCases(cases: readonly Case[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const h = createHarness();
      c.given(h);
      assertPlan(h.run(c.options), c.expect);
    });
  }
}
