/** The syntax tree of a formula: statements of expressions, each node with the position of its first token. */
import type { Position } from "./formulaError.js";

export type BinaryOperator = "+" | "-" | "*" | "/" | "<" | "<=" | "==" | ">=" | ">" | "!=" | "&&" | "||";
export type UnaryOperator = "-" | "!";

export type Expression =
  | { readonly type: "number"; readonly value: number; readonly position: Position }
  | { readonly type: "string"; readonly value: string; readonly position: Position }
  | { readonly type: "name"; readonly name: string; readonly position: Position }
  | { readonly type: "unary"; readonly operator: UnaryOperator; readonly operand: Expression; readonly position: Position }
  | { readonly type: "binary"; readonly operator: BinaryOperator; readonly left: Expression; readonly right: Expression; readonly position: Position }
  | { readonly type: "ternary"; readonly condition: Expression; readonly whenTrue: Expression; readonly whenFalse: Expression; readonly position: Position }
  | { readonly type: "call"; readonly name: string; readonly args: readonly Expression[]; readonly position: Position }
  /** `x.hour` */
  | { readonly type: "property"; readonly object: Expression; readonly name: string; readonly position: Position }
  /** `$PendingTasks.GetSample(…)` */
  | { readonly type: "method"; readonly object: Expression; readonly name: string; readonly args: readonly Expression[]; readonly position: Position };

export type Statement =
  | { readonly type: "assign"; readonly name: string; readonly value: Expression; readonly position: Position }
  | { readonly type: "expression"; readonly value: Expression; readonly position: Position };

export interface Formula {
  readonly statements: readonly Statement[];
}
