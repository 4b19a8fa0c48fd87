/**
 * Errors of the formula language. Syntax errors are found before anything runs (400 on add/enable/evaluate);
 * evaluation errors end one evaluation, which then changes nothing and is recorded in the pool's `autoScaleRun`.
 * Both carry the 1-based line and column of the offending token, rendered the way the service does:
 * `Line 15, Col 44: Insufficient data from data set: $RunningTasks wanted 70%, received 50%`.
 */
export type FormulaErrorCode =
  | "AutoScalingFormulaSyntaxError"
  | "AutoScalingFormulaTooLong"
  | "InvalidAutoScalingSettings"
  | "InsufficientSampleData"
  | "FormulaEvaluationError";

export interface Position {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export class FormulaError extends Error {
  override readonly name = "FormulaError";
  constructor(
    readonly code: FormulaErrorCode,
    /** The detail without its position. */
    readonly detail: string,
    readonly position: Position | undefined,
  ) {
    super(position === undefined ? detail : `Line ${position.line}, Col ${position.column}: ${detail}`);
  }

  /** True for errors found before evaluation (the request is refused with 400). */
  get isSyntaxError(): boolean {
    return this.code !== "InsufficientSampleData" && this.code !== "FormulaEvaluationError";
  }
}

export function syntaxError(detail: string, position: Position): FormulaError {
  return new FormulaError("AutoScalingFormulaSyntaxError", detail, position);
}

export function evaluationError(detail: string, position: Position): FormulaError {
  return new FormulaError("FormulaEvaluationError", detail, position);
}
