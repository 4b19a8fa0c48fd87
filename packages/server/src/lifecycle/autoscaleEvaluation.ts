/**
 * An autoscale evaluation (semantics.md §7.1), in one transaction with the pool: samples the pool's metrics now and
 * records the sample, evaluates the formula over the recorded history, records the evaluation, sets
 * `autoScaleRun`, and — when it succeeded and the targets differ — sets the new targets and resizes the pool
 * (lifecycle/pools.ts), which is all a manual resize does; the reconciler then allocates or releases nodes,
 * applying the `$NodeDeallocationOption` the evaluation chose (kept in the pool's autoscale record). A failed
 * evaluation changes nothing but `autoScaleRun`. Shared by enable, pool creation (services/) and the periodic loop
 * (loops/autoscaleLoop.ts).
 */
import { formatTimestamp, parseDuration } from "@openbatch/core";
import { evaluateFormula, FormulaError, type AutoscaleEvaluation } from "@openbatch/autoscale";
import type { AutoScaleRun, CloudPool } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import { loadHistory, readAutoscaleState, recordEvaluation, recordSample, writeAutoscaleState } from "../autoscale/autoscaleRecords.js";
import { sampleMetrics } from "../autoscale/metricSampler.js";
import { recordEffect } from "../effects/transaction.js";
import { poolRef } from "../records/pools.js";
import { resizingPool } from "./pools.js";

export const defaultEvaluationInterval = "PT15M";

function runError(error: FormulaError): NonNullable<AutoScaleRun["error"]> {
  const message = error.code === "InsufficientSampleData" ? "Autoscale evaluation failed due to insufficient sample data" : "Autoscale evaluation failed";
  return { code: error.code, message, values: [{ name: "Message", value: error.message }] };
}

/** The run `formula` gives over `history` now; changes nothing. */
export function runFormula(formula: string, pool: CloudPool, history: Awaited<ReturnType<typeof loadHistory>>, now: Date): { run: AutoScaleRun; evaluation?: AutoscaleEvaluation; error?: FormulaError } {
  const timestamp = formatTimestamp(now);
  try {
    const evaluation = evaluateFormula(formula, {
      now,
      history,
      currentTargets: { dedicated: pool.targetDedicatedNodes ?? 0, lowPriority: pool.targetLowPriorityNodes ?? 0 },
    });
    return { run: { timestamp, results: evaluation.results }, evaluation };
  } catch (error) {
    if (!(error instanceof FormulaError)) throw error;
    return { run: { timestamp, error: runError(error) }, error };
  }
}

/** When the pool's next evaluation is due (ms), or undefined when autoscale is off. */
export function nextEvaluationAt(pool: CloudPool): number | undefined {
  if (pool.enableAutoScale !== true) return undefined;
  const last = pool.autoScaleRun?.timestamp;
  if (last === undefined) return Number.NEGATIVE_INFINITY;
  return Date.parse(last) + (parseDuration(pool.autoScaleEvaluationInterval ?? defaultEvaluationInterval) ?? 15 * 60_000);
}

/** Samples, evaluates, records and applies, inside the caller's transaction; returns the pool to write. */
export async function evaluatedPool(tx: WriteTx, account: string, pool: CloudPool, now: Date): Promise<CloudPool> {
  const poolId = pool.id ?? "";
  await recordSample(tx, account, poolId, now, await sampleMetrics(tx, account, pool));
  const history = await loadHistory(tx, account, poolId, now);
  const { run, evaluation, error } = runFormula(pool.autoScaleFormula ?? "", pool, history, now);
  const dedicated = evaluation?.targetDedicatedNodes ?? pool.targetDedicatedNodes ?? 0;
  const lowPriority = evaluation?.targetLowPriorityNodes ?? pool.targetLowPriorityNodes ?? 0;
  await recordEvaluation(tx, account, poolId, now, {
    time: now.toISOString(),
    targetDedicatedNodes: dedicated,
    targetLowPriorityNodes: lowPriority,
    ...(run.results === undefined ? {} : { results: run.results }),
    ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }),
  });
  if (evaluation === undefined) return { ...pool, autoScaleRun: run };
  const state = await readAutoscaleState(tx, account, poolId);
  await writeAutoscaleState(tx, account, { ...state, poolId, nodeDeallocationOption: evaluation.nodeDeallocationOption }, now);
  if (dedicated === pool.targetDedicatedNodes && lowPriority === pool.targetLowPriorityNodes) return { ...pool, autoScaleRun: run };
  return resizingPool(tx, account, pool, { autoScaleRun: run, targetDedicatedNodes: dedicated, targetLowPriorityNodes: lowPriority }, formatTimestamp(now));
}

/** Evaluates the pool's formula now and applies it (pool creation and the periodic loop); nothing unless enabled and active. */
export async function evaluatePoolNow(tx: WriteTx, account: string, poolId: string, now: Date): Promise<void> {
  const ref = poolRef(account, poolId);
  const pool = await tx.get<CloudPool>(ref);
  if (pool === undefined || pool.body.enableAutoScale !== true || pool.body.state !== "active") return;
  if ((await readAutoscaleState(tx, account, poolId)) === undefined) {
    await writeAutoscaleState(tx, account, { poolId: pool.body.id ?? poolId, nodeDeallocationOption: "requeue" }, now);
  }
  recordEffect(tx, { kind: "reconcilePool", account, poolId });
  await tx.replace(ref, await evaluatedPool(tx, account, pool.body, now), now);
}

/** Records a sample of the pool's metrics now (between evaluations). */
export async function samplePool(tx: WriteTx, account: string, poolId: string, now: Date): Promise<void> {
  const pool = await tx.get<CloudPool>(poolRef(account, poolId));
  if (pool === undefined || pool.body.enableAutoScale !== true) return;
  await recordSample(tx, account, poolId, now, await sampleMetrics(tx, account, pool.body));
}
