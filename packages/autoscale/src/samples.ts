/**
 * Sample methods on service-defined variables (semantics.md §7.4), over a MetricHistory.
 *
 * - `GetSample(n)`: the last n samples; fewer than n retained fails the evaluation (`InsufficientSampleData`).
 * - `GetSample(start [, percent])`, `GetSample(start, end [, percent])`: the samples in a window. A time interval
 *   counts back from now (`GetSample(1 * TimeInterval_Minute, 6 * TimeInterval_Minute)` = from 6 to 1 minutes
 *   ago, whichever order the two are given in); a timestamp is absolute; a missing end is now. When fewer than
 *   `percent` % of the samples the window should hold (its length / the sample period) are present, the whole
 *   evaluation fails with `InsufficientSampleData`.
 * - `GetSamplePercent(start [, end])`: that percentage (at most 100). `GetSamplePeriod()`: the sampling interval.
 *   `Count()`: samples retained. `HistoryBeginTime()`: the oldest retained sample's time (now when there is none).
 * Vectors are in time order, oldest first.
 */
import { FormulaError, evaluationError, type Position } from "./formulaError.js";
import type { MetricHistory, MetricSample } from "./history.js";
import { double, doubleVec, timeinterval, timestamp, type Value } from "./values.js";

type Scalar = Exclude<Value, { type: "metric" }>;

interface Window {
  readonly from: number;
  readonly to: number;
}

function insufficient(detail: string, position: Position): FormulaError {
  return new FormulaError("InsufficientSampleData", detail, position);
}

function bound(value: Scalar, nowMs: number, method: string, position: Position): number {
  if (value.type === "timeinterval") return nowMs - value.ms;
  if (value.type === "timestamp") return value.ms;
  throw evaluationError(`${method} expects a timeinterval or timestamp, not ${value.type}`, position);
}

function window(start: Scalar, end: Scalar | undefined, nowMs: number, method: string, position: Position): Window {
  const a = bound(start, nowMs, method, position);
  const b = end === undefined ? nowMs : bound(end, nowMs, method, position);
  return { from: Math.min(a, b), to: Math.max(a, b) };
}

function inWindow(samples: readonly MetricSample[], { from, to }: Window): MetricSample[] {
  return samples.filter((sample) => sample.time >= from && sample.time <= to);
}

function percentIn(history: MetricHistory, count: number, { from, to }: Window): number {
  const expected = Math.floor((to - from) / history.samplePeriodInMs);
  return expected <= 0 ? (count > 0 ? 100 : 0) : Math.min(100, (count / expected) * 100);
}

function percentArgument(value: Scalar | undefined, position: Position): number {
  if (value === undefined) return 0;
  if (value.type !== "double") throw evaluationError(`The sample percentage must be a double, not ${value.type}`, position);
  return value.value;
}

export function callSampleMethod(variable: string, method: string, args: readonly Scalar[], history: MetricHistory, nowMs: number, position: Position): Value {
  const samples = history.samples(variable);
  const noArguments = () => {
    if (args.length > 0) throw evaluationError(`${method} takes no arguments`, position);
  };
  switch (method) {
    case "GetSamplePeriod":
      noArguments();
      return timeinterval(history.samplePeriodInMs);
    case "Count":
      noArguments();
      return double(samples.length);
    case "HistoryBeginTime":
      noArguments();
      return timestamp(samples[0]?.time ?? nowMs);
    case "GetSamplePercent": {
      if (args.length < 1 || args.length > 2) throw evaluationError(`GetSamplePercent takes 1 or 2 arguments, not ${args.length}`, position);
      const span = window(args[0] as Scalar, args[1], nowMs, method, position);
      return double(percentIn(history, inWindow(samples, span).length, span));
    }
    case "GetSample": {
      const [first, second, third] = args;
      if (first === undefined || args.length > 3) throw evaluationError(`GetSample takes 1 to 3 arguments, not ${args.length}`, position);
      if (first.type === "double") {
        if (args.length > 1) throw evaluationError("GetSample(count) takes one argument", position);
        const count = Math.floor(first.value);
        if (count < 0) throw evaluationError(`GetSample: the sample count ${first.value} is negative`, position);
        if (samples.length < count) {
          throw insufficient(`Insufficient data from data set: ${variable} wanted ${count} samples, received ${samples.length}`, position);
        }
        return doubleVec(samples.slice(samples.length - count).map((sample) => sample.value));
      }
      const hasEnd = second !== undefined && second.type !== "double";
      if (!hasEnd && third !== undefined) throw evaluationError("GetSample(start, percent) takes two arguments", position);
      const span = window(first, hasEnd ? second : undefined, nowMs, method, position);
      const wanted = percentArgument(hasEnd ? third : second, position);
      const found = inWindow(samples, span);
      const received = percentIn(history, found.length, span);
      if (received < wanted) {
        throw insufficient(`Insufficient data from data set: ${variable} wanted ${wanted}%, received ${Math.floor(received)}%`, position);
      }
      return doubleVec(found.map((sample) => sample.value));
    }
    default:
      throw evaluationError(`Unknown method '${method}'`, position);
  }
}
