/**
 * The evaluator: runs a formula's statements in order against a MetricHistory at one instant and returns the
 * targets and the service's results string. Pure: time, randomness and samples all come from the context.
 *
 * Rules (semantics.md §7.1–7.3): later assignments win; `stop()` ends the formula keeping what was assigned;
 * targets not assigned keep the pool's current targets; fractional targets are truncated toward zero, negative ones
 * become 0 and non-finite ones fail the evaluation; `$NodeDeallocationOption` defaults to `requeue`; the legacy
 * aliases count when their full name is not assigned. `? :`, `&&` and `||` evaluate only what they need, so a guard
 * such as `p < 70 ? 1 : avg(…)` keeps a failing branch from running. Names are case-sensitive. A service metric
 * used as a number stands for its current value (the context's, else its latest sample).
 */
import type { Expression, Formula } from "./ast.js";
import { FormulaError, evaluationError, type Position } from "./formulaError.js";
import { callFunction, StopEvaluation } from "./functions.js";
import type { MetricHistory } from "./history.js";
import { applyBinary, applyUnary } from "./operators.js";
import { parseFormula } from "./parser.js";
import { callSampleMethod } from "./samples.js";
import { double, formatNumber, formatValue, text, timeIntervalConstants, type Value } from "./values.js";
import {
  isMetric, nodeDeallocationOption, nodeDeallocationOptions, targetAliases, targetDedicated, targetLowPriority, type NodeDeallocationOption,
} from "./variables.js";

type Scalar = Exclude<Value, { type: "metric" }>;

export interface EvaluationContext {
  readonly now: Date;
  readonly history: MetricHistory;
  /** The pool's targets now: what a formula that does not assign one leaves in place. */
  readonly currentTargets: { readonly dedicated: number; readonly lowPriority: number };
  /** Current values of metrics used directly as numbers; a metric missing here reads its latest sample. */
  readonly currentValues?: Readonly<Record<string, number>>;
  /** For `rand()`. @default Math.random */
  readonly random?: () => number;
}

export interface AutoscaleEvaluation {
  readonly targetDedicatedNodes: number;
  readonly targetLowPriorityNodes: number;
  readonly nodeDeallocationOption: NodeDeallocationOption;
  /** Every variable the formula assigned, by name as written. */
  readonly variables: ReadonlyMap<string, Value>;
  /** `AutoScaleRun.results`. */
  readonly results: string;
  readonly stopped: boolean;
}

/**
 * Evaluates `formula` (text or parsed). Throws a FormulaError: a syntax error for text that does not parse, an
 * evaluation error (`InsufficientSampleData`, `FormulaEvaluationError`) for one that fails while running.
 */
export function evaluateFormula(formula: string | Formula, context: EvaluationContext): AutoscaleEvaluation {
  const parsed = typeof formula === "string" ? parseFormula(formula) : formula;
  const run = new Run(context);
  let stopped = false;
  try {
    for (const statement of parsed.statements) {
      const value = run.evaluate(statement.value);
      if (statement.type === "assign") run.assign(statement.name, value, statement.position);
    }
  } catch (error) {
    if (!(error instanceof StopEvaluation)) throw error;
    stopped = true;
  }
  return run.finish(stopped);
}

class Run {
  private readonly variables = new Map<string, Value>();
  /** Where each variable was last assigned, for errors found when the targets are applied. */
  private readonly assignedAt = new Map<string, Position>();
  private readonly nowMs: number;
  private readonly random: () => number;

  constructor(private readonly context: EvaluationContext) {
    this.nowMs = context.now.getTime();
    this.random = context.random ?? Math.random;
  }

  assign(name: string, value: Value, position: Position): void {
    this.assignedAt.set(name, position);
    const canonical = targetAliases[name] ?? name;
    if (canonical === targetDedicated || canonical === targetLowPriority) {
      const scalar = this.scalar(value, position);
      if (scalar.type !== "double") throw evaluationError(`${name} must be a double, not ${scalar.type}`, position);
      this.variables.set(name, scalar);
      return;
    }
    if (name === nodeDeallocationOption) {
      const option = value.type === "string" ? value.value.toLowerCase() : undefined;
      if (option === undefined || !(nodeDeallocationOptions as readonly string[]).includes(option)) {
        throw evaluationError(`${name} must be one of ${nodeDeallocationOptions.join(", ")}, not ${formatValue(value)}`, position);
      }
      this.variables.set(name, text(option));
      return;
    }
    this.variables.set(name, value);
  }

  evaluate(expression: Expression): Value {
    switch (expression.type) {
      case "number":
        return double(expression.value);
      case "string":
        return text(expression.value);
      case "name":
        return this.lookup(expression.name, expression.position);
      case "unary":
        return applyUnary(expression.operator, this.scalar(this.evaluate(expression.operand), expression.position), expression.position);
      case "binary": {
        const left = this.scalar(this.evaluate(expression.left), expression.position);
        if (expression.operator === "&&" || expression.operator === "||") {
          const leftTrue = this.truth(left, expression.position);
          if (expression.operator === "&&" ? !leftTrue : leftTrue) return double(leftTrue ? 1 : 0);
          return double(this.truth(this.scalar(this.evaluate(expression.right), expression.position), expression.position) ? 1 : 0);
        }
        return applyBinary(expression.operator, left, this.scalar(this.evaluate(expression.right), expression.position), expression.position);
      }
      case "ternary": {
        const condition = this.scalar(this.evaluate(expression.condition), expression.position);
        return this.evaluate(this.truth(condition, expression.position) ? expression.whenTrue : expression.whenFalse);
      }
      case "call": {
        const args = expression.args.map((arg) => this.scalar(this.evaluate(arg), arg.position));
        return callFunction(expression.name, args, { nowMs: this.nowMs, random: this.random }, expression.position);
      }
      case "property": {
        const object = this.scalar(this.evaluate(expression.object), expression.position);
        if (object.type !== "timestamp") throw evaluationError(`Property '${expression.name}' needs a timestamp, not ${object.type}`, expression.position);
        return double(timestampPart(object.ms, expression.name));
      }
      case "method": {
        const object = this.evaluate(expression.object);
        if (object.type !== "metric") {
          throw evaluationError(`Method '${expression.name}' needs a service-defined sampled variable, not ${object.type}`, expression.position);
        }
        const args = expression.args.map((arg) => this.scalar(this.evaluate(arg), arg.position));
        return callSampleMethod(object.name, expression.name, args, this.context.history, this.nowMs, expression.position);
      }
    }
  }

  private lookup(name: string, position: Position): Value {
    const assigned = this.variables.get(name);
    if (assigned !== undefined) return assigned;
    const canonical = targetAliases[name] ?? name;
    if (canonical === targetDedicated) return this.variables.get(targetDedicated) ?? double(this.context.currentTargets.dedicated);
    if (canonical === targetLowPriority) return this.variables.get(targetLowPriority) ?? double(this.context.currentTargets.lowPriority);
    if (name === nodeDeallocationOption) return text("requeue");
    if (isMetric(name)) return { type: "metric", name };
    const constant = timeIntervalConstants[name];
    if (constant !== undefined) return { type: "timeinterval", ms: constant };
    if ((nodeDeallocationOptions as readonly string[]).includes(name.toLowerCase())) return text(name.toLowerCase());
    throw evaluationError(`Undefined variable '${name}'`, position);
  }

  /** A metric used as a number: its current value. */
  private scalar(value: Value, position: Position): Scalar {
    if (value.type !== "metric") return value;
    const current = this.context.currentValues?.[value.name] ?? this.context.history.samples(value.name).at(-1)?.value;
    if (current === undefined) {
      throw new FormulaError("InsufficientSampleData", `Insufficient data from data set: ${value.name} has no samples`, position);
    }
    return { type: "double", value: current };
  }

  private truth(value: Scalar, position: Position): boolean {
    if (value.type !== "double") throw evaluationError(`A condition must be a double, not ${value.type}`, position);
    return value.value !== 0;
  }

  finish(stopped: boolean): AutoscaleEvaluation {
    const target = (name: string, current: number): number => {
      const alias = Object.keys(targetAliases).find((key) => targetAliases[key] === name) as string;
      const assigned = this.variables.has(name) ? name : alias;
      const value = this.variables.get(assigned);
      if (value === undefined || value.type !== "double") return current;
      if (!Number.isFinite(value.value)) {
        throw evaluationError(`${name} evaluated to ${formatNumber(value.value)}`, this.assignedAt.get(assigned) ?? { line: 1, column: 1 });
      }
      return Math.max(0, Math.trunc(value.value));
    };
    const dedicated = target(targetDedicated, this.context.currentTargets.dedicated);
    const lowPriority = target(targetLowPriority, this.context.currentTargets.lowPriority);
    const option = this.variables.get(nodeDeallocationOption);
    const deallocation = (option?.type === "string" ? option.value : "requeue") as NodeDeallocationOption;
    const service = new Set([targetDedicated, targetLowPriority, nodeDeallocationOption, ...Object.keys(targetAliases)]);
    const user = [...this.variables.keys()].filter((name) => !service.has(name)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const results = [
      `${targetDedicated}=${dedicated}`,
      `${targetLowPriority}=${lowPriority}`,
      `${nodeDeallocationOption}=${deallocation}`,
      ...user.map((name) => `${name}=${formatValue(this.variables.get(name) as Value)}`),
    ].join(";");
    return { targetDedicatedNodes: dedicated, targetLowPriorityNodes: lowPriority, nodeDeallocationOption: deallocation, variables: new Map(this.variables), results, stopped };
  }
}

/** `.year .month(1–12) .day(1–31) .weekday(1 = Monday … 7 = Sunday) .hour .minute .second`, in UTC. */
function timestampPart(ms: number, name: string): number {
  const date = new Date(ms);
  switch (name) {
    case "year":
      return date.getUTCFullYear();
    case "month":
      return date.getUTCMonth() + 1;
    case "day":
      return date.getUTCDate();
    case "weekday":
      return date.getUTCDay() === 0 ? 7 : date.getUTCDay();
    case "hour":
      return date.getUTCHours();
    case "minute":
      return date.getUTCMinutes();
    default:
      return date.getUTCSeconds();
  }
}
