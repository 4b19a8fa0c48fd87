/**
 * What the server keeps for autoscale, beside the pool: one `autoscale` entity per pool (the deallocation option the
 * last evaluation chose, the time of the last enable request) and its metric samples and evaluations as
 * `autoscaleSample` entities under the pool. Samples are written in the same transaction as the evaluation that
 * used them, so a restarted server evaluates from exactly the history it had, and an exported history replays in
 * the simulator to the same targets. Ids sort by time (`s…`/`e…` + zero-padded epoch milliseconds), so reads are
 * keyset ranges. Samples older than `retentionInMs` (25 h: a day of history plus margin) are pruned as new ones come.
 */
import { formatTimestamp } from "@openbatch/core";
import { historyFromSeries, type HistoryDocument, type MetricHistory, type MetricSample, type NodeDeallocationOption, type RecordedEvaluation } from "@openbatch/autoscale";
import { isStoreError, type ListPage, type ReadTx, type WriteTx } from "@openbatch/store";
import type { MetricValues } from "./metricSampler.js";

export const samplePeriodInMs = 30_000;
export const retentionInMs = 25 * 60 * 60_000;

export interface AutoscaleState {
  poolId: string;
  nodeDeallocationOption: NodeDeallocationOption;
  /** Of the last enable request (the 30-second rate limit). */
  lastEnableTime?: string;
}

interface SampleRecord {
  time: string;
  values: MetricValues;
}

type EvaluationRecord = RecordedEvaluation;

const stateRef = (account: string, poolId: string) => ({ account, kind: "autoscale" as const, scope: "", id: poolId });
const sampleKey = (prefix: "s" | "e", ms: number) => `${prefix}${String(Math.max(0, Math.floor(ms))).padStart(15, "0")}`;

export async function readAutoscaleState(tx: ReadTx, account: string, poolId: string): Promise<AutoscaleState | undefined> {
  return (await tx.get<AutoscaleState>(stateRef(account, poolId)))?.body;
}

export async function writeAutoscaleState(tx: WriteTx, account: string, state: AutoscaleState, now: Date): Promise<void> {
  const ref = stateRef(account, state.poolId);
  if ((await tx.get(ref)) === undefined) await tx.insert(ref, state, now);
  else await tx.replace(ref, state, now);
}

/** Forgets a pool's autoscale records (its pool is gone). */
export async function deleteAutoscaleRecords(tx: WriteTx, account: string, poolId: string): Promise<void> {
  await tx.deleteAll({ account, kind: "autoscaleSample", scope: poolId });
  try {
    await tx.delete(stateRef(account, poolId));
  } catch (error) {
    if (!isStoreError(error, "notFound")) throw error;
  }
}

async function put<T>(tx: WriteTx, account: string, poolId: string, id: string, body: T, now: Date): Promise<void> {
  const ref = { account, kind: "autoscaleSample" as const, scope: poolId, id };
  try {
    await tx.insert(ref, body, now);
  } catch (error) {
    // Two samples in the same millisecond (a stopped test clock): the later one stands.
    if (!isStoreError(error, "conflict")) throw error;
    await tx.replace(ref, body, now);
  }
}

export async function recordSample(tx: WriteTx, account: string, poolId: string, now: Date, values: MetricValues): Promise<void> {
  // A sample at an instant that has one already (a stopped test clock) keeps the first: an evaluation may have read
  // it, and the recorded history must replay to what that evaluation decided.
  const ref = { account, kind: "autoscaleSample" as const, scope: poolId, id: sampleKey("s", now.getTime()) };
  if ((await tx.get(ref)) === undefined) await tx.insert(ref, { time: formatTimestamp(now), values } satisfies SampleRecord, now);
  const collection = { account, kind: "autoscaleSample" as const, scope: poolId };
  const expired = await tx.list<SampleRecord>(collection, { limit: 100, afterKey: "s" });
  for (const sample of expired.items) {
    if (!sample.id.startsWith("s") || sample.id >= sampleKey("s", now.getTime() - retentionInMs)) break;
    await tx.delete({ ...collection, id: sample.id });
  }
}

export async function recordEvaluation(tx: WriteTx, account: string, poolId: string, now: Date, evaluation: EvaluationRecord): Promise<void> {
  await put(tx, account, poolId, sampleKey("e", now.getTime()), evaluation, now);
  const collection = { account, kind: "autoscaleSample" as const, scope: poolId };
  const expired = await tx.list<EvaluationRecord>(collection, { limit: 100, afterKey: "e" });
  for (const record of expired.items) {
    if (!record.id.startsWith("e") || record.id >= sampleKey("e", now.getTime() - retentionInMs)) break;
    await tx.delete({ ...collection, id: record.id });
  }
}

async function listRange<T>(tx: ReadTx, account: string, poolId: string, prefix: "s" | "e", fromMs: number): Promise<T[]> {
  const items: T[] = [];
  let afterKey: string | undefined = sampleKey(prefix, fromMs - 1);
  do {
    const page: ListPage<T> = await tx.list<T>({ account, kind: "autoscaleSample", scope: poolId }, { limit: 1000, afterKey });
    for (const item of page.items) {
      if (!item.id.startsWith(prefix)) return items;
      items.push(item.body);
    }
    afterKey = page.nextKey;
  } while (afterKey !== undefined);
  return items;
}

/** The pool's retained samples as series per variable. */
async function loadSeries(tx: ReadTx, account: string, poolId: string, nowMs: number): Promise<Record<string, MetricSample[]>> {
  const series: Record<string, MetricSample[]> = {};
  for (const sample of await listRange<SampleRecord>(tx, account, poolId, "s", nowMs - retentionInMs)) {
    const time = Date.parse(sample.time);
    if (time > nowMs) continue;
    for (const [name, value] of Object.entries(sample.values)) (series[name] ??= []).push({ time, value });
  }
  return series;
}

export async function loadHistory(tx: ReadTx, account: string, poolId: string, now: Date, extra?: { time: Date; values: MetricValues }): Promise<MetricHistory> {
  const series = await loadSeries(tx, account, poolId, now.getTime());
  if (extra !== undefined) {
    // The sample `extra` stands for replaces one recorded at the same instant, as recording it would.
    const time = extra.time.getTime();
    for (const [name, value] of Object.entries(extra.values)) series[name] = [...(series[name] ?? []).filter((s) => s.time !== time), { time, value }];
  }
  return historyFromSeries(series, samplePeriodInMs);
}

/** The pool's recorded history and evaluations, in the simulator's file format. */
export async function historyDocument(tx: ReadTx, account: string, poolId: string, now: Date): Promise<HistoryDocument> {
  const series = await loadSeries(tx, account, poolId, now.getTime());
  const evaluations = await listRange<EvaluationRecord>(tx, account, poolId, "e", now.getTime() - retentionInMs);
  return {
    samplePeriodInSeconds: samplePeriodInMs / 1000,
    series: Object.fromEntries(Object.entries(series).map(([name, samples]) => [name, samples.map((s) => ({ time: new Date(s.time).toISOString(), value: s.value }))])),
    evaluations,
  };
}
