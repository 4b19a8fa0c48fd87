/**
 * Operators over typed values (semantics.md §7.2 table). Anything the table does not list is an evaluation error
 * naming both operand types. Vector operators work element-wise (vectors of different lengths are an error), and a
 * double with a vector applies to every element. Dividing by zero follows IEEE (±Infinity, NaN); a target that ends
 * up non-finite is refused when it is applied.
 */
import type { BinaryOperator } from "./ast.js";
import { evaluationError, type Position } from "./formulaError.js";
import { double, doubleVec, timeinterval, timestamp, type Value } from "./values.js";

type Scalar = Exclude<Value, { type: "metric" }>;

function arithmetic(operator: "+" | "-" | "*" | "/", a: number, b: number): number {
  switch (operator) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return a / b;
  }
}

function compare(operator: "<" | "<=" | "==" | ">=" | ">" | "!=", a: number | string, b: number | string): boolean {
  switch (operator) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case "==":
      return a === b;
    case ">=":
      return a >= b;
    case ">":
      return a > b;
    case "!=":
      return a !== b;
  }
}

function orderable(value: Scalar): number | string | undefined {
  switch (value.type) {
    case "double":
      return value.value;
    case "string":
      return value.value;
    case "timestamp":
    case "timeinterval":
      return value.ms;
    default:
      return undefined;
  }
}

export function applyBinary(operator: BinaryOperator, left: Scalar, right: Scalar, position: Position): Value {
  const refuse = () => evaluationError(`Operator '${operator}' is not defined for ${left.type} and ${right.type}`, position);
  switch (operator) {
    case "&&":
    case "||":
      throw evaluationError(`Operator '${operator}' must be evaluated with short-circuit`, position);
    case "<":
    case "<=":
    case "==":
    case ">=":
    case ">":
    case "!=": {
      const a = orderable(left);
      const b = orderable(right);
      if (left.type !== right.type || a === undefined || b === undefined) throw refuse();
      return double(compare(operator, a, b) ? 1 : 0);
    }
    case "+":
    case "-":
    case "*":
    case "/":
      break;
  }
  const l = left;
  const r = right;
  if (l.type === "double" && r.type === "double") return double(arithmetic(operator, l.value, r.value));
  if (l.type === "doubleVec" || r.type === "doubleVec") {
    const elementwise = (a: readonly number[] | number, b: readonly number[] | number): Value => {
      const length = typeof a === "number" ? (b as readonly number[]).length : a.length;
      if (typeof a !== "number" && typeof b !== "number" && a.length !== b.length) {
        throw evaluationError(`Operator '${operator}' needs vectors of the same length (${a.length} and ${b.length})`, position);
      }
      const at = (x: readonly number[] | number, i: number) => (typeof x === "number" ? x : (x[i] as number));
      return doubleVec(Array.from({ length }, (_, i) => arithmetic(operator, at(a, i), at(b, i))));
    };
    const operand = (value: Scalar) => (value.type === "double" ? value.value : value.type === "doubleVec" ? value.values : undefined);
    const a = operand(l);
    const b = operand(r);
    if (a === undefined || b === undefined) throw refuse();
    return elementwise(a, b);
  }
  switch (operator) {
    case "+":
      if (l.type === "timeinterval" && r.type === "timeinterval") return timeinterval(l.ms + r.ms);
      if (l.type === "timestamp" && r.type === "timeinterval") return timestamp(l.ms + r.ms);
      if (l.type === "timeinterval" && r.type === "timestamp") return timestamp(l.ms + r.ms);
      break;
    case "-":
      if (l.type === "timeinterval" && r.type === "timeinterval") return timeinterval(l.ms - r.ms);
      if (l.type === "timestamp" && r.type === "timestamp") return timeinterval(l.ms - r.ms);
      if (l.type === "timestamp" && r.type === "timeinterval") return timestamp(l.ms - r.ms);
      break;
    case "*":
      if (l.type === "double" && r.type === "timeinterval") return timeinterval(l.value * r.ms);
      if (l.type === "timeinterval" && r.type === "double") return timeinterval(l.ms * r.value);
      break;
    case "/":
      if (l.type === "timeinterval" && r.type === "double") return timeinterval(l.ms / r.value);
      break;
  }
  throw refuse();
}

export function applyUnary(operator: "-" | "!", operand: Scalar, position: Position): Value {
  if (operator === "-") {
    if (operand.type === "double") return double(-operand.value);
    if (operand.type === "doubleVec") return doubleVec(operand.values.map((v) => -v));
    if (operand.type === "timeinterval") return timeinterval(-operand.ms);
  } else if (operand.type === "double") {
    return double(operand.value === 0 ? 1 : 0);
  }
  throw evaluationError(`Operator '${operator}' is not defined for ${operand.type}`, position);
}
