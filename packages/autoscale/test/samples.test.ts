import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FormulaError } from "../src/index.js";
import { history, run, valueOf } from "./support.js";

/** 21 samples of $PendingTasks: 0, 1, …, 20, the last one now; $RunningTasks with half its samples missing. */
const full = history({
  $PendingTasks: Array.from({ length: 21 }, (_, i) => i),
  $RunningTasks: Array.from({ length: 21 }, (_, i) => (i % 2 === 0 ? null : 5)),
});

describe("sample methods", () => {
  const cases: readonly (readonly [string, string])[] = [
    ["x = $PendingTasks.GetSample(1)", "[20]"],
    ["x = $PendingTasks.GetSample(3)", "[18,19,20]"],
    ["x = $PendingTasks.GetSample(0)", "[]"],
    ["x = $PendingTasks.GetSample(TimeInterval_Minute)", "[18,19,20]"],
    ["x = $PendingTasks.GetSample(TimeInterval_Minute * 10)", "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]"],
    ["x = $PendingTasks.GetSample(1 * TimeInterval_Minute, 2 * TimeInterval_Minute)", "[16,17,18]"],
    ["x = $PendingTasks.GetSample(2 * TimeInterval_Minute, 1 * TimeInterval_Minute)", "[16,17,18]"],
    ["x = $PendingTasks.GetSample(time() - TimeInterval_Minute)", "[18,19,20]"],
    ["x = $PendingTasks.GetSample(time() - 2 * TimeInterval_Minute, time() - TimeInterval_Minute)", "[16,17,18]"],
    ["x = $PendingTasks.GetSample(TimeInterval_Minute, 100)", "[18,19,20]"],
    ["x = $RunningTasks.GetSample(TimeInterval_Minute * 10, 50)", "[5,5,5,5,5,5,5,5,5,5]"],
    ["x = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 10)", "100"],
    ["x = $RunningTasks.GetSamplePercent(TimeInterval_Minute * 10)", "50"],
    ["x = $RunningTasks.GetSamplePercent(TimeInterval_Minute * 10, TimeInterval_Minute * 5)", "50"],
    ["x = $PendingTasks.GetSamplePercent(TimeInterval_Hour)", "17.5"],
    ["x = $ActiveTasks.GetSamplePercent(TimeInterval_Minute)", "0"],
    ["x = $PendingTasks.GetSamplePeriod()", "00:00:30"],
    ["x = $PendingTasks.Count()", "21"],
    ["x = $RunningTasks.Count()", "10"],
    ["x = $ActiveTasks.Count()", "0"],
    ["x = $PendingTasks.HistoryBeginTime()", "2024-03-05T09:50:00.000Z"],
    ["x = $ActiveTasks.HistoryBeginTime()", "2024-03-05T10:00:00.000Z"],
    ["x = $PendingTasks + 1", "21"],
    ["x = avg($PendingTasks.GetSample(3))", "19"],
    ["x = max($PendingTasks.GetSample(2), $RunningTasks.GetSample(1))", "20"],
  ];
  for (const [formula, expected] of cases) {
    it(`${formula} → ${expected}`, () => assert.equal(valueOf(formula, { history: full }), expected));
  }

  const failures: readonly (readonly [string, string, string])[] = [
    ["x = $PendingTasks.GetSample(22)", "InsufficientSampleData", "Line 1, Col 19: Insufficient data from data set: $PendingTasks wanted 22 samples, received 21"],
    ["x = 1;\nx = $RunningTasks.GetSample(TimeInterval_Minute * 10, 70)", "InsufficientSampleData", "Line 2, Col 19: Insufficient data from data set: $RunningTasks wanted 70%, received 50%"],
    ["x = $ActiveTasks + 1", "InsufficientSampleData", "$ActiveTasks has no samples"],
    ["x = $PendingTasks.GetSample(\"a\")", "FormulaEvaluationError", "expects a timeinterval or timestamp"],
    ["x = $PendingTasks.GetSample(TimeInterval_Minute, TimeInterval_Second, \"a\")", "FormulaEvaluationError", "percentage must be a double"],
    ["x = $PendingTasks.GetSample(1, 2)", "FormulaEvaluationError", "takes one argument"],
    ["x = $PendingTasks.Count(1)", "FormulaEvaluationError", "takes no arguments"],
    ["x = $PendingTasks.GetSamplePercent()", "FormulaEvaluationError", "takes 1 or 2 arguments"],
  ];
  for (const [formula, code, message] of failures) {
    it(`${formula} fails with ${code}`, () => {
      assert.throws(() => run(formula, { history: full }), (error: unknown) => error instanceof FormulaError && error.code === code && error.message.includes(message));
    });
  }
});
