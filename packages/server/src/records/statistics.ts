/**
 * Usage statistics (docs/statistics.md): what the server accumulates from the agents' measurements, and the wire
 * views made of it. Types and pure helpers only; lifecycle/statistics.ts accumulates, services/statisticsService.ts
 * reads.
 *
 * Where the figures live:
 * - a task's own, under its `_ob.stats` (every run's usage and wall clock, retries included);
 * - a job's, in a `statistics` row (scope `job`, id: the job), written in the transactions in which its runs end
 *   and its tasks complete; deleted with the job after being added to the account's row (scope `account`, id `jobs`),
 *   so the account's lifetime figures keep what deleted jobs used;
 * - a node's, under its `_ob.usage` (its processes' CPU and I/O, its memory and disk samples); added to its pool's
 *   row (scope `pool`, id: the pool) when the node leaves, and the pool's row to the account's (id `pools`) when the
 *   pool is deleted. Core time comes from the node allocation records (records/usage.ts).
 */
import { formatDuration, formatTimestamp } from "@openbatch/core";
import type { JobStatistics, PoolStatistics, ProcessUsage, TaskStatistics } from "@openbatch/protocol";
import type { EntityRef } from "@openbatch/store";

/** What runs used: CPU, wall clock and I/O. */
export interface RunTotals {
  userCpuMicroseconds: number;
  kernelCpuMicroseconds: number;
  wallClockMs: number;
  readIOps: number;
  writeIOps: number;
  readIOBytes: number;
  writeIOBytes: number;
}

/** A task's figures (`_ob.stats`). */
export interface TaskTotals extends RunTotals {
  /** The wait time this task last added to its job (creation to its latest start). */
  waitMs?: number;
  /** The result its latest completion added to its job's counts (taken back when it is reactivated). */
  counted?: "success" | "failure";
}

/** A job's figures, and the account's of deleted jobs. */
export interface JobTotals extends RunTotals {
  succeeded: number;
  failed: number;
  retries: number;
  waitMs: number;
}

/** A node's figures (`_ob.usage`), a pool's of its departed nodes, and the account's of deleted pools. */
export interface NodeTotals {
  cpuMicroseconds: number;
  readIOps: number;
  writeIOps: number;
  readIOBytes: number;
  writeIOBytes: number;
  /** Memory and disk samples integrated over time, and the time they cover. */
  memoryByteSeconds: number;
  diskByteSeconds: number;
  sampledSeconds: number;
  peakMemoryBytes: number;
  peakDiskBytes: number;
}

/** A node's running figures: its totals and the latest sample, held until the next one. */
export interface NodeUsage extends NodeTotals {
  lastSample?: { readonly at: string; readonly memoryBytes: number; readonly diskBytes: number };
}

export const zeroRunTotals = (): RunTotals => ({ userCpuMicroseconds: 0, kernelCpuMicroseconds: 0, wallClockMs: 0, readIOps: 0, writeIOps: 0, readIOBytes: 0, writeIOBytes: 0 });
export const zeroJobTotals = (): JobTotals => ({ ...zeroRunTotals(), succeeded: 0, failed: 0, retries: 0, waitMs: 0 });
export const zeroNodeTotals = (): NodeTotals => ({
  cpuMicroseconds: 0, readIOps: 0, writeIOps: 0, readIOBytes: 0, writeIOBytes: 0, memoryByteSeconds: 0, diskByteSeconds: 0, sampledSeconds: 0, peakMemoryBytes: 0, peakDiskBytes: 0,
});

const peakFields = new Set(["peakMemoryBytes", "peakDiskBytes"]);

/** `base` plus `delta`, field by field (peaks: the larger); fields `base` does not count are left out. */
export function addTotals<T extends object>(base: T, delta: Partial<Record<keyof T, unknown>>): T {
  const sum = { ...base } as Record<string, unknown>;
  for (const [name, value] of Object.entries(delta)) {
    const current = sum[name];
    if (typeof value !== "number" || typeof current !== "number") continue;
    sum[name] = peakFields.has(name) ? Math.max(current, value) : current + value;
  }
  return sum as T;
}

/** A run's totals from its outcome: the agent's usage (absent: nothing measured) and its start-to-end time. */
export function runTotals(usage: ProcessUsage | undefined, startTime: string | undefined, endTime: string | undefined): RunTotals {
  const start = startTime === undefined ? NaN : Date.parse(startTime);
  const end = endTime === undefined ? NaN : Date.parse(endTime);
  return {
    userCpuMicroseconds: usage?.userCpuMicroseconds ?? 0,
    kernelCpuMicroseconds: usage?.kernelCpuMicroseconds ?? 0,
    wallClockMs: Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, end - start) : 0,
    readIOps: usage?.readOperations ?? 0,
    writeIOps: usage?.writeOperations ?? 0,
    readIOBytes: usage?.readBytes ?? 0,
    writeIOBytes: usage?.writeBytes ?? 0,
  };
}

export function statisticsRef(account: string, scope: "job" | "pool" | "account", id: string): EntityRef {
  return { account, kind: "statistics", scope, id };
}

const gib = 1024 ** 3;
/** GiB with the precision the service shows (doubles, rounded to 1e-9 GiB: about a byte). */
const toGiB = (bytes: number) => Math.round((bytes / gib) * 1e9) / 1e9;
const micros = (microseconds: number) => formatDuration(microseconds / 1000);

/** The usage part of the wire statistics of a task, a job or the account's jobs. */
function runView(totals: RunTotals) {
  return {
    userCPUTime: micros(totals.userCpuMicroseconds),
    kernelCPUTime: micros(totals.kernelCpuMicroseconds),
    wallClockTime: formatDuration(totals.wallClockMs),
    readIOps: totals.readIOps,
    writeIOps: totals.writeIOps,
    readIOGiB: toGiB(totals.readIOBytes),
    writeIOGiB: toGiB(totals.writeIOBytes),
  };
}

export interface TaskStatisticsInput {
  readonly url: string | undefined;
  readonly creationTime: string | undefined;
  readonly state: string | undefined;
  /** The latest run's start (`executionInfo.startTime`). */
  readonly startTime: string | undefined;
  readonly totals: RunTotals | undefined;
}

/**
 * A task's TaskStatistics at `now`: its runs' figures, the wall clock of a run in progress up to now, and its wait
 * time (creation to its latest start; none before it first started).
 */
export function taskStatistics(task: TaskStatisticsInput, now: Date): TaskStatistics {
  const totals = task.totals ?? zeroRunTotals();
  const started = task.startTime === undefined ? NaN : Date.parse(task.startTime);
  const created = task.creationTime === undefined ? NaN : Date.parse(task.creationTime);
  const running = task.state === "running" && Number.isFinite(started) ? Math.max(0, now.getTime() - started) : 0;
  const wait = Number.isFinite(started) && Number.isFinite(created) ? Math.max(0, started - created) : 0;
  return {
    url: `${task.url ?? ""}/stats`,
    ...(task.creationTime === undefined ? {} : { startTime: task.creationTime }),
    lastUpdateTime: formatTimestamp(now),
    ...runView({ ...totals, wallClockMs: totals.wallClockMs + running }),
    waitTime: formatDuration(wait),
  };
}

/**
 * JobStatistics (and JobScheduleStatistics) of `totals`. `waitTime` is the service's "only in the account's lifetime
 * statistics": a job's own shows PT0S.
 */
export function jobStatistics(url: string, startTime: string | undefined, lastUpdateTime: string, totals: JobTotals, lifetime: boolean): JobStatistics {
  return {
    url,
    ...(startTime === undefined ? {} : { startTime }),
    lastUpdateTime,
    ...runView(totals),
    numSucceededTasks: totals.succeeded,
    numFailedTasks: totals.failed,
    numTaskRetries: totals.retries,
    waitTime: lifetime ? formatDuration(totals.waitMs) : "PT0S",
  };
}

export interface PoolFigures {
  readonly totals: NodeTotals;
  /** Wall-clock time × cores of the dedicated nodes the pool had. */
  readonly dedicatedCoreMs: number;
  /** The same over every node, dedicated or Spot: what CPU use is a percentage of. */
  readonly coreMs: number;
  /** The latest samples of the nodes there are, for averages while fewer than two samples were folded. */
  readonly currentMemoryBytes: number;
  readonly currentDiskBytes: number;
  readonly currentNodes: number;
}

/** PoolStatistics of a pool or of the account's pools. */
export function poolStatistics(url: string, startTime: string | undefined, lastUpdateTime: string, figures: PoolFigures): PoolStatistics {
  const { totals } = figures;
  const window = { ...(startTime === undefined ? {} : { startTime }), lastUpdateTime };
  const average = (byteSeconds: number, current: number) =>
    totals.sampledSeconds > 0 ? byteSeconds / totals.sampledSeconds : figures.currentNodes > 0 ? current / figures.currentNodes : 0;
  return {
    url,
    ...window,
    usageStats: { ...window, dedicatedCoreTime: formatDuration(figures.dedicatedCoreMs) },
    resourceStats: {
      ...window,
      avgCPUPercentage: figures.coreMs > 0 ? Math.round(((totals.cpuMicroseconds / 1000 / figures.coreMs) * 100) * 1e6) / 1e6 : 0,
      avgMemoryGiB: toGiB(average(totals.memoryByteSeconds, figures.currentMemoryBytes)),
      peakMemoryGiB: toGiB(totals.peakMemoryBytes),
      avgDiskGiB: toGiB(average(totals.diskByteSeconds, figures.currentDiskBytes)),
      peakDiskGiB: toGiB(totals.peakDiskBytes),
      diskReadIOps: totals.readIOps,
      diskWriteIOps: totals.writeIOps,
      diskReadGiB: toGiB(totals.readIOBytes),
      diskWriteGiB: toGiB(totals.writeIOBytes),
      // Task processes use the host's network directly, which Linux does not account per process.
      networkReadGiB: 0,
      networkWriteGiB: 0,
    },
  };
}
