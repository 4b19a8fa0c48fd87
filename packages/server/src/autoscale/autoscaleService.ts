/**
 * Autoscale operations (semantics.md §7.1): enable, disable, evaluate, and the evaluation itself, shared by enable,
 * pool creation and the periodic loop (autoscaleLoop.ts).
 *
 * An evaluation, in one store transaction with the pool: samples the pool's metrics now and records the sample,
 * evaluates the formula over the recorded history, records the evaluation, sets `autoScaleRun`, and — when it
 * succeeded and the targets differ — sets the new targets and `allocationState: resizing`, which is all a manual
 * resize does; the pool reconciler then allocates or releases nodes, applying the `$NodeDeallocationOption` the
 * evaluation chose (kept in the pool's autoscale record). A failed evaluation changes nothing but `autoScaleRun`.
 * The next evaluation is due one interval after the last `autoScaleRun.timestamp`; enable evaluates at once, so a
 * new interval restarts the schedule at request time.
 */
import { formatTimestamp, parseDuration, propertyDetails, serviceError } from "@openbatch/core";
import { evaluateFormula, FormulaError, parseFormula, type AutoscaleEvaluation } from "@openbatch/autoscale";
import type { AutoScaleRun, CloudPool, PoolEnableAutoScaleParameter } from "@openbatch/protocol";
import type { Store, WriteTx } from "@openbatch/store";
import type { PoolService, StoredPool } from "../services/poolService.js";
import { historyDocument, loadHistory, readAutoscaleState, recordEvaluation, recordSample, writeAutoscaleState } from "./autoscaleRecords.js";
import { sampleMetrics } from "./metricSampler.js";

const minimumIntervalInMs = 5 * 60_000;
const maximumIntervalInMs = 168 * 60 * 60_000;
export const defaultEvaluationInterval = "PT15M";
/** semantics.md §7.1: at most one enable request per pool every 30 seconds. */
const enableCooldownInMs = 30_000;

/** Checks a formula's syntax and limits; 400 with the service's code and the position in the message. */
export function checkFormula(formula: string): void {
  try {
    parseFormula(formula);
  } catch (error) {
    if (!(error instanceof FormulaError)) throw error;
    throw serviceError(error.code === "AutoScalingFormulaTooLong" || error.code === "InvalidAutoScalingSettings" ? error.code : "AutoScalingFormulaSyntaxError", {
      message: `The autoscale formula is not valid: ${error.message}`,
      values: [...propertyDetails("autoScaleFormula"), { key: "Message", value: error.message }],
    });
  }
}

/** Checks an evaluation interval (PT5M–PT168H); returns it in ms. */
export function checkEvaluationInterval(interval: string): number {
  const ms = parseDuration(interval);
  if (ms === undefined || ms < minimumIntervalInMs || ms > maximumIntervalInMs) {
    const reason = "The autoscale evaluation interval must be between 5 minutes and 168 hours.";
    throw serviceError("InvalidPropertyValue", {
      message: `The value provided for the property 'autoScaleEvaluationInterval' is invalid. ${reason}`,
      values: propertyDetails("autoScaleEvaluationInterval", reason, interval),
    });
  }
  return ms;
}

function runError(error: FormulaError): NonNullable<AutoScaleRun["error"]> {
  const message = error.code === "InsufficientSampleData" ? "Autoscale evaluation failed due to insufficient sample data" : "Autoscale evaluation failed";
  return { code: error.code, message, values: [{ name: "Message", value: error.message }] };
}

export class AutoscaleService {
  constructor(
    private readonly store: Store,
    private readonly pools: PoolService,
  ) {}

  /** POST /pools/{id}/enableautoscale. */
  enable(account: string, poolId: string, request: PoolEnableAutoScaleParameter, ifMatch: string, now: Date): Promise<StoredPool> {
    if (request.autoScaleFormula !== undefined) checkFormula(request.autoScaleFormula);
    if (request.autoScaleEvaluationInterval !== undefined) checkEvaluationInterval(request.autoScaleEvaluationInterval);
    return this.pools.mutate(account, poolId, ifMatch, now, async (pool, tx) => {
      const state = await readAutoscaleState(tx, account, poolId);
      if (state?.lastEnableTime !== undefined && now.getTime() - Date.parse(state.lastEnableTime) < enableCooldownInMs) {
        throw serviceError("TooManyEnableAutoScaleRequests", {
          message: `Autoscale was enabled on the pool '${poolId}' less than 30 seconds ago; retry later.`,
          values: [{ key: "PoolId", value: poolId }],
        });
      }
      if (pool.allocationState !== "steady") {
        throw serviceError("PoolBeingResized", { message: `The pool '${poolId}' is resizing; autoscale can be enabled once it is steady.` });
      }
      const formula = request.autoScaleFormula ?? (pool.enableAutoScale === true ? pool.autoScaleFormula : undefined);
      if (formula === undefined) {
        throw serviceError("MissingRequiredProperty", {
          message: "The property 'autoScaleFormula' is required to enable autoscale on a pool that does not have it enabled.",
          values: propertyDetails("autoScaleFormula"),
        });
      }
      const enabled: CloudPool = {
        ...pool,
        enableAutoScale: true,
        autoScaleFormula: formula,
        autoScaleEvaluationInterval: request.autoScaleEvaluationInterval ?? (pool.enableAutoScale === true ? pool.autoScaleEvaluationInterval : undefined) ?? defaultEvaluationInterval,
      };
      await writeAutoscaleState(tx, account, { poolId: pool.id ?? poolId, nodeDeallocationOption: state?.nodeDeallocationOption ?? "requeue", lastEnableTime: formatTimestamp(now) }, now);
      return this.evaluateIn(tx, account, enabled, now);
    });
  }

  /** POST /pools/{id}/disableautoscale: the pool keeps its current targets. */
  disable(account: string, poolId: string, ifMatch: string, now: Date): Promise<StoredPool> {
    return this.pools.mutate(account, poolId, ifMatch, now, (pool) => {
      const { autoScaleFormula: _formula, autoScaleEvaluationInterval: _interval, ...rest } = pool;
      return { ...rest, enableAutoScale: false };
    });
  }

  /** POST /pools/{id}/evaluateautoscale: the run the formula would produce now; changes nothing. */
  async evaluate(account: string, poolId: string, formula: string, now: Date): Promise<AutoScaleRun> {
    checkFormula(formula);
    return this.store.read(async (tx) => {
      const pool = (await tx.get<CloudPool>({ account, kind: "pool", scope: "", id: poolId }))?.body;
      if (pool === undefined) throw serviceError("PoolNotFound", { message: `The specified pool '${poolId}' does not exist.`, values: [{ key: "PoolId", value: poolId }] });
      if (pool.enableAutoScale !== true) {
        throw serviceError("OperationNotValidOnPool", { message: `Autoscale is not enabled on the pool '${poolId}'; enable it before evaluating a formula.` });
      }
      const values = await sampleMetrics(tx, account, pool);
      const history = await loadHistory(tx, account, poolId, now, { time: now, values });
      return this.run(formula, pool, history, now).run;
    });
  }

  /** Evaluates the pool's formula now and applies it (pool creation and the periodic loop); no-op unless enabled. */
  async evaluateNow(account: string, poolId: string, now: Date): Promise<void> {
    const pool = await this.pools.find(account, poolId);
    if (pool === undefined || pool.body.enableAutoScale !== true || pool.body.state !== "active") return;
    await this.pools.mutate(account, poolId, undefined, now, async (current, tx) => {
      if (current.enableAutoScale !== true) return current;
      if ((await readAutoscaleState(tx, account, poolId)) === undefined) {
        await writeAutoscaleState(tx, account, { poolId: current.id ?? poolId, nodeDeallocationOption: "requeue" }, now);
      }
      return this.evaluateIn(tx, account, current, now);
    });
  }

  /** Records a sample of the pool's metrics now (between evaluations). */
  async sample(account: string, poolId: string, now: Date): Promise<void> {
    await this.store.write(async (tx) => {
      const pool = await tx.get<CloudPool>({ account, kind: "pool", scope: "", id: poolId });
      if (pool === undefined || pool.body.enableAutoScale !== true) return;
      await recordSample(tx, account, poolId, now, await sampleMetrics(tx, account, pool.body));
    });
  }

  /** The pool's recorded metric history and evaluations, in the simulator's file format. */
  async history(account: string, poolId: string, now: Date) {
    await this.pools.get(account, poolId);
    return this.store.read((tx) => historyDocument(tx, account, poolId, now));
  }

  /** When the pool's next evaluation is due (ms), or undefined when autoscale is off. */
  static nextEvaluationAt(pool: CloudPool): number | undefined {
    if (pool.enableAutoScale !== true) return undefined;
    const last = pool.autoScaleRun?.timestamp;
    if (last === undefined) return Number.NEGATIVE_INFINITY;
    return Date.parse(last) + (parseDuration(pool.autoScaleEvaluationInterval ?? defaultEvaluationInterval) ?? 15 * 60_000);
  }

  private run(formula: string, pool: CloudPool, history: Awaited<ReturnType<typeof loadHistory>>, now: Date): { run: AutoScaleRun; evaluation?: AutoscaleEvaluation; error?: FormulaError } {
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

  /** Samples, evaluates, records and applies, inside the caller's transaction; returns the changed pool. */
  private async evaluateIn(tx: WriteTx, account: string, pool: CloudPool, now: Date): Promise<CloudPool> {
    const poolId = pool.id ?? "";
    await recordSample(tx, account, poolId, now, await sampleMetrics(tx, account, pool));
    const history = await loadHistory(tx, account, poolId, now);
    const { run, evaluation, error } = this.run(pool.autoScaleFormula ?? "", pool, history, now);
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
    const { resizeErrors: _lastErrors, ...rest } = pool;
    return {
      ...rest,
      autoScaleRun: run,
      targetDedicatedNodes: dedicated,
      targetLowPriorityNodes: lowPriority,
      allocationState: "resizing",
      allocationStateTransitionTime: pool.allocationState === "resizing" ? pool.allocationStateTransitionTime : formatTimestamp(now),
    };
  }
}
