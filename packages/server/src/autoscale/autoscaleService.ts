/**
 * Autoscale operations (semantics.md §7.1): enable, disable, evaluate, the evaluation of a new pool, and the history.
 * The evaluation itself is lifecycle/autoscaleEvaluation.ts's, shared with the periodic loop
 * (loops/autoscaleLoop.ts). The next evaluation is due one interval after the last `autoScaleRun.timestamp`;
 * enable evaluates at once, so a new interval restarts the schedule at request time.
 */
import { formatTimestamp, parseDuration, propertyDetails, serviceError } from "@openbatch/core";
import { FormulaError, parseFormula } from "@openbatch/autoscale";
import type { AutoScaleRun, CloudPool, PoolEnableAutoScaleParameter } from "@openbatch/protocol";
import type { Store } from "@openbatch/store";
import { defaultEvaluationInterval, evaluatedPool, evaluatePoolNow, runFormula } from "../lifecycle/autoscaleEvaluation.js";
import type { PoolService, StoredPool } from "../services/poolService.js";
import { historyDocument, loadHistory, readAutoscaleState, writeAutoscaleState } from "./autoscaleRecords.js";
import { sampleMetrics } from "./metricSampler.js";

const minimumIntervalInMs = 5 * 60_000;
const maximumIntervalInMs = 168 * 60 * 60_000;
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

export class AutoscaleService {
  constructor(
    private readonly store: Store,
    private readonly pools: PoolService,
  ) {}

  /** POST /pools/{id}/enableautoscale. */
  enable(account: string, poolId: string, request: PoolEnableAutoScaleParameter, ifMatch: string | undefined, now: Date): Promise<StoredPool> {
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
      return evaluatedPool(tx, account, enabled, now);
    });
  }

  /** POST /pools/{id}/disableautoscale: the pool keeps its current targets. */
  disable(account: string, poolId: string, ifMatch: string | undefined, now: Date): Promise<StoredPool> {
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
      return runFormula(formula, pool, history, now).run;
    });
  }

  /** Evaluates the pool's formula now and applies it (pool creation); no-op unless enabled. */
  evaluateNow(account: string, poolId: string, now: Date): Promise<void> {
    return this.store.write((tx) => evaluatePoolNow(tx, account, poolId, now));
  }

  /** The pool's recorded metric history and evaluations, in the simulator's file format. */
  async history(account: string, poolId: string, now: Date) {
    await this.pools.get(account, poolId);
    return this.store.read((tx) => historyDocument(tx, account, poolId, now));
  }
}
