/**
 * Usage statistics as runs end and tasks complete (docs/statistics.md; records/statistics.ts says where they live).
 *
 * Tasks and nodes carry their own figures in the rows the same transaction writes anyway. A job's figures change in
 * many transactions at once (every agent's report of every run of the job): each transaction gathers what it adds
 * to each job and writes every job's row once, just before it commits (effects/transaction.ts `beforeCommit`) — so
 * the job's figures move with its tasks, atomically, and a report that ends 50 runs of one job writes its row once.
 *
 * What counts:
 * - every run that ends, whatever its task did meanwhile (a run killed by a terminate, a requeue or a node leaving
 *   ends later than its task moved on, and still counts): its usage (the agent's measurement) and its wall clock
 *   (start to end on its node) go to its task and its job; a job preparation or release run to its job only;
 * - every retry (exit code not 0, retries left) is one of the job's `numTaskRetries`;
 * - every completion of a task is a success (result `success`) or a failure (`failure`, also a task ended by
 *   terminate, a job's end or its node leaving); reactivating a failed task takes its failure back;
 * - the wait time of a task (creation to its latest start) counts once, as of its latest completion.
 * Nodes: every run on the node (start tasks included) adds its CPU and I/O; the node's memory and disk samples are
 * integrated over time (`sampledNode`).
 */
import { formatTimestamp } from "@openbatch/core";
import type { AgentNodeReport, ProcessOutcome } from "@openbatch/protocol";
import { isStoreError, type WriteTx } from "@openbatch/store";
import { beforeCommit } from "../effects/transaction.js";
import { jobRef } from "../records/jobs.js";
import type { NodeRecord } from "../records/nodes.js";
import {
  addTotals, runTotals, statisticsRef, zeroJobTotals, zeroNodeTotals, zeroRunTotals, type JobTotals, type NodeTotals, type NodeUsage, type RunTotals,
} from "../records/statistics.js";
import type { TaskRecord } from "../records/tasks.js";

interface PendingJob {
  readonly account: string;
  readonly jobId: string;
  delta: JobTotals;
  /** The latest time a change was made at: the row's `lastModified`, which its statistics show as updated. */
  at: Date;
}

const pending = new WeakMap<WriteTx, Map<string, PendingJob>>();

/** Adds `delta` to the job's figures when `tx` commits. */
function addToJob(tx: WriteTx, account: string, jobId: string, delta: Partial<JobTotals>, time: Date | string): void {
  const at = typeof time === "string" ? new Date(time) : time;
  let jobs = pending.get(tx);
  if (jobs === undefined) {
    jobs = new Map();
    pending.set(tx, jobs);
    beforeCommit(tx, "jobStatistics", () => writeJobFigures(tx));
  }
  const key = `${account}\u0000${jobId.toLowerCase()}`;
  const entry = jobs.get(key);
  if (entry === undefined) {
    jobs.set(key, { account, jobId, delta: addTotals(zeroJobTotals(), delta), at });
  } else {
    entry.delta = addTotals(entry.delta, delta);
    if (at.getTime() > entry.at.getTime()) entry.at = at;
  }
}

/** Adds `delta` to the row at `ref`, making it when missing. */
async function addToRow<T extends object>(tx: WriteTx, ref: ReturnType<typeof statisticsRef>, zero: T, delta: Partial<Record<keyof T, unknown>>, now: Date): Promise<void> {
  const row = await tx.get<T>(ref);
  if (row !== undefined) {
    await tx.replace(ref, addTotals(row.body, delta), now);
    return;
  }
  try {
    await tx.insert(ref, addTotals(zero, delta), now);
  } catch (error) {
    // Made meanwhile by a concurrent transaction (PostgreSQL): add to it, or let the store run this one again.
    const raced = isStoreError(error, "conflict") ? await tx.get<T>(ref) : undefined;
    if (raced === undefined) throw error;
    await tx.replace(ref, addTotals(raced.body, delta), now);
  }
}

async function writeJobFigures(tx: WriteTx): Promise<void> {
  const jobs = pending.get(tx);
  pending.delete(tx);
  for (const { account, jobId, delta, at } of jobs?.values() ?? []) {
    // A job deleted in this transaction (its runs killed, its tasks ended) leaves its figures to the account's.
    const exists = (await tx.get(jobRef(account, jobId))) !== undefined;
    await addToRow(tx, exists ? statisticsRef(account, "job", jobId) : statisticsRef(account, "account", "jobs"), zeroJobTotals(), delta, at);
  }
}

/**
 * The task with one more run's usage and wall clock (the run's outcome, as its agent reported it), which its job
 * gets too. For every run that ends, whether or not its task still follows it.
 */
export function measuredRun(tx: WriteTx, account: string, jobId: string, task: TaskRecord, outcome: ProcessOutcome, time: string): TaskRecord {
  const run = runTotals(outcome.usage, outcome.startTime, outcome.endTime);
  addToJob(tx, account, jobId, run, time);
  return { ...task, _ob: { ...task._ob, stats: addTotals({ ...zeroRunTotals(), ...task._ob.stats }, run) } };
}

/** A job preparation or release run ended: its usage and wall clock are its job's. */
export function measuredJobRun(tx: WriteTx, account: string, jobId: string, outcome: ProcessOutcome, time: string): void {
  addToJob(tx, account, jobId, runTotals(outcome.usage, outcome.startTime, outcome.endTime), time);
}

/** The task is retried after a failed run: one of its job's task retries. */
export function countedRetry(tx: WriteTx, account: string, jobId: string, time: string): void {
  addToJob(tx, account, jobId, { retries: 1 }, time);
}

/** The task just completed: a success or a failure of its job, and its wait time, counted once. */
export function countedCompletion(tx: WriteTx, account: string, jobId: string, task: TaskRecord, time: string): TaskRecord {
  const result = task.executionInfo?.result === "success" ? "success" : "failure";
  const started = task.executionInfo?.startTime === undefined ? NaN : Date.parse(task.executionInfo.startTime);
  const created = task.creationTime === undefined ? NaN : Date.parse(task.creationTime);
  const waitMs = Number.isFinite(started) && Number.isFinite(created) ? Math.max(0, started - created) : (task._ob.stats?.waitMs ?? 0);
  const stats: RunTotals & { waitMs?: number; counted?: "success" | "failure" } = { ...zeroRunTotals(), ...task._ob.stats };
  addToJob(tx, account, jobId, { [result === "success" ? "succeeded" : "failed"]: 1, waitMs: waitMs - (stats.waitMs ?? 0) }, time);
  return { ...task, _ob: { ...task._ob, stats: { ...stats, waitMs, counted: result } } };
}

/** A completed task active again: a failure it counted is its job's no more. */
export function uncountedCompletion(tx: WriteTx, account: string, jobId: string, task: TaskRecord, time: string): TaskRecord {
  const counted = task._ob.stats?.counted;
  if (counted === undefined || task._ob.stats === undefined) return task;
  addToJob(tx, account, jobId, { [counted === "success" ? "succeeded" : "failed"]: -1 }, time);
  const { counted: _taken, ...stats } = task._ob.stats;
  return { ...task, _ob: { ...task._ob, stats } };
}

/** The job is removed: what it used stays in the account's lifetime figures. */
export async function retiredJobFigures(tx: WriteTx, account: string, jobId: string, now: Date): Promise<void> {
  const ref = statisticsRef(account, "job", jobId);
  const row = await tx.get<JobTotals>(ref);
  if (row === undefined) return;
  await addToRow(tx, statisticsRef(account, "account", "jobs"), zeroJobTotals(), row.body, now);
  await tx.delete(ref);
}

function nodeUsage(node: NodeRecord): NodeUsage {
  return { ...zeroNodeTotals(), ...node._ob.usage };
}

/** The node with what runs on it used (their outcomes as reported). */
export function measuredNodeRuns(node: NodeRecord, outcomes: readonly ProcessOutcome[]): NodeRecord {
  const measured = outcomes.filter((outcome) => outcome.usage !== undefined);
  if (measured.length === 0) return node;
  let usage = nodeUsage(node);
  for (const { usage: run } of measured) {
    if (run === undefined) continue;
    usage = addTotals(usage, {
      cpuMicroseconds: run.userCpuMicroseconds + run.kernelCpuMicroseconds,
      readIOps: run.readOperations,
      writeIOps: run.writeOperations,
      readIOBytes: run.readBytes,
      writeIOBytes: run.writeBytes,
      peakMemoryBytes: run.peakMemoryBytes ?? 0,
    });
  }
  return { ...node, _ob: { ...node._ob, usage } };
}

/** A sample older than this is folded in again even when unchanged, so a quiet node's time still counts. */
const refoldAfterMs = 60_000;
/** The longest a sample stands for: a node silent for longer (its agent down) has no figures for the gap. */
const longestHoldMs = 120_000;

/**
 * The node with its agent's latest memory and disk sample: the previous sample stands for the time since it was
 * taken (at most `longestHoldMs`), and the peaks take the new one. Unchanged (same object) when the sample is the
 * one already folded and not yet a minute old, so a quiet node's row is not written on every report.
 */
export function sampledNode(node: NodeRecord, sample: AgentNodeReport["resources"], now: Date): NodeRecord {
  if (sample === undefined) return node;
  const usage = nodeUsage(node);
  const last = usage.lastSample;
  const elapsed = last === undefined ? 0 : now.getTime() - Date.parse(last.at);
  if (last !== undefined && last.memoryBytes === sample.memoryBytes && last.diskBytes === sample.diskBytes && elapsed < refoldAfterMs) return node;
  const held = last === undefined || !(elapsed > 0) ? 0 : Math.min(elapsed, longestHoldMs) / 1000;
  const folded: NodeUsage = {
    ...addTotals<NodeTotals>(usage, {
      memoryByteSeconds: (last?.memoryBytes ?? 0) * held,
      diskByteSeconds: (last?.diskBytes ?? 0) * held,
      sampledSeconds: held,
      peakMemoryBytes: sample.memoryBytes,
      peakDiskBytes: sample.diskBytes,
    }),
    lastSample: { at: formatTimestamp(now), memoryBytes: sample.memoryBytes, diskBytes: sample.diskBytes },
  };
  return { ...node, _ob: { ...node._ob, usage: folded } };
}

/** The node leaves its pool: what it used stays in its pool's figures. */
export async function retiredNodeFigures(tx: WriteTx, account: string, poolId: string, node: NodeRecord, now: Date): Promise<void> {
  if (node._ob.usage === undefined) return;
  const { lastSample: _last, ...totals } = node._ob.usage;
  await addToRow(tx, statisticsRef(account, "pool", poolId), zeroNodeTotals(), totals, now);
}

/** The pool is removed: what its nodes used stays in the account's lifetime figures. */
export async function retiredPoolFigures(tx: WriteTx, account: string, poolId: string, now: Date): Promise<void> {
  const ref = statisticsRef(account, "pool", poolId);
  const row = await tx.get<NodeTotals>(ref);
  if (row === undefined) return;
  await addToRow(tx, statisticsRef(account, "account", "pools"), zeroNodeTotals(), row.body, now);
  await tx.delete(ref);
}
