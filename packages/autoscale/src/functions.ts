/**
 * Built-in functions (semantics.md §7.2). Aggregates take a `doubleVecList`: any mix of doubles and vectors,
 * flattened before the call (`avg(v, 7)` = `avg(1, 2, 3, 7)` for `v = [1, 2, 3]`). `lg`/`ln`/`log` and
 * `ceil`/`floor`/`round` return a double for a single double and a vector otherwise. Aggregates that have no value
 * for an empty list (`avg`, `min`, `max`, `range`, `std`, `percentile`) are evaluation errors on one; `sum`, `len`
 * and `norm` give 0.
 */
import { parseHttpDate, parseTimestamp } from "@openbatch/core";
import { evaluationError, type Position } from "./formulaError.js";
import { double, doubleVec, timestamp, type Value } from "./values.js";

type Scalar = Exclude<Value, { type: "metric" }>;

export interface FunctionContext {
  readonly nowMs: number;
  readonly random: () => number;
}

/** Thrown by `stop()`; the evaluator ends the formula and keeps what was assigned. */
export class StopEvaluation {}

function flatten(name: string, args: readonly Scalar[], position: Position): number[] {
  const values: number[] = [];
  for (const arg of args) {
    if (arg.type === "double") values.push(arg.value);
    else if (arg.type === "doubleVec") values.push(...arg.values);
    else throw evaluationError(`Function ${name} expects doubles or doubleVecs, not ${arg.type}`, position);
  }
  return values;
}

function nonEmpty(name: string, values: number[], position: Position): number[] {
  if (values.length === 0) throw evaluationError(`Function ${name} needs at least one value`, position);
  return values;
}

function arity(name: string, args: readonly Scalar[], min: number, max: number, position: Position): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    throw evaluationError(`Function ${name} takes ${expected} argument${max === 1 ? "" : "s"}, not ${args.length}`, position);
  }
}

function mean(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0) / values.length;
}

/** Sample standard deviation (n − 1); a single value has none, so 0. */
function std(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((total, v) => total + (v - m) ** 2, 0) / (values.length - 1));
}

/** Linear interpolation between closest ranks (PERCENTILE.INC): p = 0 is the minimum, 100 the maximum. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (rank - low);
}

/** Half away from zero: round(2.5) = 3, round(-2.5) = -3. */
function roundHalfAwayFromZero(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value));
}

function elementwise(name: string, args: readonly Scalar[], position: Position, f: (v: number) => number): Value {
  arity(name, args, 1, Number.POSITIVE_INFINITY, position);
  const only = args[0] as Scalar;
  if (args.length === 1 && only.type === "double") return double(f(only.value));
  return doubleVec(flatten(name, args, position).map(f));
}

function parseTime(textValue: string, position: Position): number {
  const parsed = parseTimestamp(textValue) ?? parseHttpDate(textValue);
  if (parsed === undefined) throw evaluationError(`time("${textValue}") is neither a W3C-DTF nor an RFC 1123 date`, position);
  return parsed.getTime();
}

export function callFunction(name: string, args: readonly Scalar[], context: FunctionContext, position: Position): Value {
  const list = () => flatten(name, args, position);
  switch (name) {
    case "avg":
      return double(mean(nonEmpty(name, list(), position)));
    case "sum":
      return double(list().reduce((total, v) => total + v, 0));
    case "min":
      return double(Math.min(...nonEmpty(name, list(), position)));
    case "max":
      return double(Math.max(...nonEmpty(name, list(), position)));
    case "len":
      return double(list().length);
    case "range": {
      const values = nonEmpty(name, list(), position);
      return double(Math.max(...values) - Math.min(...values));
    }
    case "std":
      return double(std(nonEmpty(name, list(), position)));
    case "norm":
      return double(Math.sqrt(list().reduce((total, v) => total + v * v, 0)));
    case "lg":
      return elementwise(name, args, position, Math.log2);
    case "ln":
      return elementwise(name, args, position, Math.log);
    case "log":
      return elementwise(name, args, position, Math.log10);
    case "ceil":
      return elementwise(name, args, position, Math.ceil);
    case "floor":
      return elementwise(name, args, position, Math.floor);
    case "round":
      return elementwise(name, args, position, roundHalfAwayFromZero);
    case "percentile": {
      arity(name, args, 2, 2, position);
      const [vector, p] = args as [Scalar, Scalar];
      if (p.type !== "double") throw evaluationError(`Function percentile expects a double percentile, not ${p.type}`, position);
      if (p.value < 0 || p.value > 100) throw evaluationError(`Function percentile expects a percentile between 0 and 100, not ${p.value}`, position);
      return double(percentile(nonEmpty(name, flatten(name, [vector], position), position), p.value));
    }
    case "val": {
      arity(name, args, 2, 2, position);
      const [vector, index] = args as [Scalar, Scalar];
      if (vector.type !== "doubleVec" || index.type !== "double") {
        throw evaluationError(`Function val expects (doubleVec, double), not (${vector.type}, ${index.type})`, position);
      }
      const element = Number.isInteger(index.value) ? vector.values[index.value] : undefined;
      if (element === undefined) throw evaluationError(`val: index ${index.value} is outside the vector of ${vector.values.length} elements`, position);
      return double(element);
    }
    case "rand":
      arity(name, args, 0, 0, position);
      return double(context.random());
    case "time": {
      arity(name, args, 0, 1, position);
      const arg = args[0];
      if (arg === undefined) return timestamp(context.nowMs);
      if (arg.type !== "string") throw evaluationError(`Function time expects a string, not ${arg.type}`, position);
      return timestamp(arg.value === "" ? context.nowMs : parseTime(arg.value, position));
    }
    case "stop":
      arity(name, args, 0, 0, position);
      throw new StopEvaluation();
    default:
      throw evaluationError(`Unknown function '${name}'`, position);
  }
}
