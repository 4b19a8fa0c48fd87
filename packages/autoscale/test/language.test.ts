import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FormulaError, parseFormula } from "../src/index.js";
import { history, run, valueOf } from "./support.js";

/** [formula assigning x, expected formatted value of x]. */
type Case = readonly [string, string];

function table(name: string, cases: readonly Case[], options: Parameters<typeof valueOf>[1] = {}): void {
  describe(name, () => {
    for (const [formula, expected] of cases) {
      it(`${formula} → ${expected}`, () => assert.equal(valueOf(formula, options), expected));
    }
  });
}

/** [formula, error code, message fragment]. */
function errors(name: string, cases: readonly (readonly [string, string, string])[], options: Parameters<typeof valueOf>[1] = {}): void {
  describe(name, () => {
    for (const [formula, code, fragment] of cases) {
      it(`${formula} fails with ${code}`, () => {
        assert.throws(
          () => run(formula, options),
          (error: unknown) => error instanceof FormulaError && error.code === code && error.message.includes(fragment),
        );
      });
    }
  });
}

table("literals, statements and comments", [
  ["x = 1", "1"],
  ["x = 2.5", "2.5"],
  ["x = .5", "0.5"],
  ["x = 1e3", "1000"],
  ["x = \"text\"", "text"],
  ["x = 1; x = 2", "2"],
  ["x = 1;\n// x = 5\nx = x + 1;", "2"],
  ["x = 1 /* block */ + 1", "2"],
  ["x = 3;;", "3"],
  ["1 + 1; x = 4", "4"],
  ["$x = 6; x = $x", "6"],
  ["x = requeue", "requeue"],
  ["x = TaskCompletion", "taskcompletion"],
]);

table("double operators and precedence", [
  ["x = 1 + 2 * 3", "7"],
  ["x = (1 + 2) * 3", "9"],
  ["x = 7 - 2 - 1", "4"],
  ["x = 8 / 2 / 2", "2"],
  ["x = -3 + 1", "-2"],
  ["x = --3", "3"],
  ["x = !0", "1"],
  ["x = !5", "0"],
  ["x = 1 / 3", "0.333333333333333"],
  ["x = 2 < 3", "1"],
  ["x = 3 <= 3", "1"],
  ["x = 3 == 3", "1"],
  ["x = 4 >= 5", "0"],
  ["x = 4 > 5", "0"],
  ["x = 4 != 5", "1"],
  ["x = 1 && 0", "0"],
  ["x = 2 && 3", "1"],
  ["x = 0 || 0", "0"],
  ["x = 0 || 7", "1"],
  ["x = 1 + 1 == 2 && 3 > 2", "1"],
  ["x = 1 ? 10 : 20", "10"],
  ["x = 0 ? 10 : 20", "20"],
  ["x = 0 ? 1 : 0 ? 2 : 3", "3"],
  ["x = 1 || avg(sum(1))", "1"],
]);

table("vector operators", [
  ["v = $CurrentDedicatedNodes.GetSample(3); x = v + 1", "[2,3,4]"],
  ["v = $CurrentDedicatedNodes.GetSample(3); x = 10 - v", "[9,8,7]"],
  ["v = $CurrentDedicatedNodes.GetSample(3); x = v * v", "[1,4,9]"],
  ["v = $CurrentDedicatedNodes.GetSample(3); x = v / 2", "[0.5,1,1.5]"],
  ["v = $CurrentDedicatedNodes.GetSample(3); x = -v", "[-1,-2,-3]"],
], { history: history({ $CurrentDedicatedNodes: [1, 2, 3] }) });

table("time types and operators", [
  ["x = TimeInterval_Minute * 5", "00:05:00"],
  ["x = 2 * TimeInterval_Hour", "02:00:00"],
  ["x = TimeInterval_Hour / 4", "00:15:00"],
  ["x = TimeInterval_Day + TimeInterval_Hour", "1.01:00:00"],
  ["x = TimeInterval_Hour - TimeInterval_Minute", "00:59:00"],
  ["x = -TimeInterval_Second", "-00:00:01"],
  ["x = TimeInterval_Zero", "00:00:00"],
  ["x = TimeInterval_Millisecond", "00:00:00.0010000"],
  ["x = TimeInterval_Microsecond", "00:00:00.0000010"],
  ["x = TimeInterval_100ns", "00:00:00.0000001"],
  ["x = TimeInterval_Week", "7.00:00:00"],
  ["x = TimeInterval_Year", "365.00:00:00"],
  ["x = time()", "2024-03-05T10:00:00.000Z"],
  ["x = time(\"\")", "2024-03-05T10:00:00.000Z"],
  ["x = time(\"2024-01-02T03:04:05Z\")", "2024-01-02T03:04:05.000Z"],
  ["x = time(\"Tue, 02 Jan 2024 03:04:05 GMT\")", "2024-01-02T03:04:05.000Z"],
  ["x = time() + TimeInterval_Hour", "2024-03-05T11:00:00.000Z"],
  ["x = TimeInterval_Hour + time()", "2024-03-05T11:00:00.000Z"],
  ["x = time() - TimeInterval_Day", "2024-03-04T10:00:00.000Z"],
  ["x = time() - time(\"2024-03-05T09:30:00Z\")", "00:30:00"],
  ["x = time() + (-6 * TimeInterval_Hour)", "2024-03-05T04:00:00.000Z"],
  ["x = time().year", "2024"],
  ["x = time().month", "3"],
  ["x = time().day", "5"],
  ["x = time().weekday", "2"],
  ["x = time(\"2024-03-10T00:00:00Z\").weekday", "7"],
  ["x = time().hour", "10"],
  ["x = time(\"2024-03-05T10:11:12Z\").minute", "11"],
  ["x = time(\"2024-03-05T10:11:12Z\").second", "12"],
  ["x = TimeInterval_Hour > TimeInterval_Minute", "1"],
  ["x = time() == time()", "1"],
  ["x = time(\"2024-01-01T00:00:00Z\") < time()", "1"],
  ["x = \"a\" < \"b\"", "1"],
  ["x = \"a\" == \"a\"", "1"],
  ["x = \"a\" != \"a\"", "0"],
]);

table("functions over doubleVecList", [
  ["v = $CurrentDedicatedNodes.GetSample(3); x = avg(v, 7)", "3.25"],
  ["x = avg(1, 2, 3, 7)", "3.25"],
  ["x = sum(1, 2, 3)", "6"],
  ["x = sum()", "0"],
  ["x = min(4, 2, 8)", "2"],
  ["x = max(4, 2, 8)", "8"],
  ["x = len(4, 2, 8)", "3"],
  ["v = $CurrentDedicatedNodes.GetSample(3); x = len(v, v)", "6"],
  ["x = range(4, 2, 8)", "6"],
  ["x = std(2, 4, 4, 4, 5, 5, 7, 9)", "2.1380899352994"],
  ["x = std(5)", "0"],
  ["x = norm(3, 4)", "5"],
  ["x = lg(8)", "3"],
  ["x = ln(1)", "0"],
  ["x = log(1000)", "3"],
  ["x = lg(2, 4)", "[1,2]"],
  ["v = $CurrentDedicatedNodes.GetSample(3); x = log(v * 10)", "[1,1.30102999566398,1.47712125471966]"],
  ["v = $CurrentDedicatedNodes.GetSample(1); x = lg(v)", "[1.58496250072116]"],
  ["x = percentile($CurrentDedicatedNodes.GetSample(3), 50)", "2"],
  ["x = percentile($CurrentDedicatedNodes.GetSample(3), 25)", "1.5"],
  ["x = percentile($CurrentDedicatedNodes.GetSample(3), 100)", "3"],
  ["x = val($CurrentDedicatedNodes.GetSample(3), 0)", "1"],
  ["x = val($CurrentDedicatedNodes.GetSample(3), 2)", "3"],
  ["x = rand()", "0.25"],
  ["x = ceil(1.2)", "2"],
  ["x = floor(1.8)", "1"],
  ["x = round(2.5)", "3"],
  ["x = round(-2.5)", "-3"],
  ["x = round(2.4)", "2"],
  ["x = ceil(1.2, 2.5)", "[2,3]"],
  ["x = floor($CurrentDedicatedNodes.GetSample(3) / 2)", "[0,1,1]"],
], { history: history({ $CurrentDedicatedNodes: [1, 2, 3] }) });

describe("stop()", () => {
  it("ends the formula and keeps what was assigned before it", () => {
    const result = run("x = 1; $TargetDedicatedNodes = 4; stop(); x = 2; $TargetDedicatedNodes = 9");
    assert.equal(result.stopped, true);
    assert.equal(result.targetDedicatedNodes, 4);
    assert.equal(result.results, "$TargetDedicatedNodes=4;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;x=1");
  });
  it("runs only in the branch taken", () => {
    assert.equal(run("x = 0 ? stop() : 1; y = 2").stopped, false);
  });
});

errors("type rules", [
  ["x = \"a\" + 1", "FormulaEvaluationError", "not defined for string and double"],
  ["x = time() + time()", "FormulaEvaluationError", "not defined for timestamp and timestamp"],
  ["x = TimeInterval_Hour * TimeInterval_Hour", "FormulaEvaluationError", "not defined for timeinterval and timeinterval"],
  ["x = 1 / TimeInterval_Hour", "FormulaEvaluationError", "not defined for double and timeinterval"],
  ["x = 1 < \"a\"", "FormulaEvaluationError", "not defined for double and string"],
  ["x = !TimeInterval_Hour", "FormulaEvaluationError", "'!' is not defined for timeinterval"],
  ["x = -\"a\"", "FormulaEvaluationError", "'-' is not defined for string"],
  ["x = \"a\" ? 1 : 2", "FormulaEvaluationError", "condition must be a double"],
  ["x = \"a\" && 1", "FormulaEvaluationError", "condition must be a double"],
  ["x = (1).hour", "FormulaEvaluationError", "needs a timestamp"],
  ["x = avg(\"a\")", "FormulaEvaluationError", "expects doubles or doubleVecs"],
  ["x = avg()", "FormulaEvaluationError", "at least one value"],
  ["x = min()", "FormulaEvaluationError", "at least one value"],
  ["x = val($CurrentDedicatedNodes.GetSample(3), 3)", "FormulaEvaluationError", "outside the vector"],
  ["x = val(1, 0)", "FormulaEvaluationError", "expects (doubleVec, double)"],
  ["x = percentile($CurrentDedicatedNodes.GetSample(3), 101)", "FormulaEvaluationError", "between 0 and 100"],
  ["x = rand(1)", "FormulaEvaluationError", "takes 0 arguments"],
  ["x = time(1)", "FormulaEvaluationError", "expects a string"],
  ["x = time(\"yesterday\")", "FormulaEvaluationError", "neither a W3C-DTF nor an RFC 1123 date"],
  ["x = $CurrentDedicatedNodes.GetSample(3) + $CurrentDedicatedNodes.GetSample(2)", "FormulaEvaluationError", "same length"],
  ["x = y + 1", "FormulaEvaluationError", "Undefined variable 'y'"],
  ["x = X; X = 1", "FormulaEvaluationError", "Undefined variable 'X'"],
  ["$TargetDedicatedNodes = time()", "FormulaEvaluationError", "must be a double"],
  ["x = 1;\n$TargetDedicatedNodes = 1 / 0", "FormulaEvaluationError", "Line 2, Col 1: $TargetDedicatedNodes evaluated to Infinity"],
  ["$TargetLowPriority = 0 / 0", "FormulaEvaluationError", "Line 1, Col 1: $TargetLowPriorityNodes evaluated to NaN"],
  ["$NodeDeallocationOption = 3", "FormulaEvaluationError", "must be one of requeue, terminate, taskcompletion, retaineddata"],
  ["$NodeDeallocationOption = \"later\"", "FormulaEvaluationError", "must be one of"],
  ["x = (1 + 1).GetSample(1)", "FormulaEvaluationError", "needs a service-defined sampled variable"],
], { history: history({ $CurrentDedicatedNodes: [1, 2, 3] }) });

errors("syntax errors carry the position and the service's code", [
  ["x = ", "AutoScalingFormulaSyntaxError", "Line 1, Col 5: Unexpected end of formula"],
  ["x = 1 +\n  * 2", "AutoScalingFormulaSyntaxError", "Line 2, Col 3: Unexpected '*'"],
  ["x = (1 + 2", "AutoScalingFormulaSyntaxError", "Expected ')'"],
  ["x = 1 y = 2", "AutoScalingFormulaSyntaxError", "Line 1, Col 7: Expected ';' but found 'y'"],
  ["x = 1 % 2", "AutoScalingFormulaSyntaxError", "Unexpected character '%'"],
  ["x = 2 ^ 3", "AutoScalingFormulaSyntaxError", "Unexpected character '^'"],
  ["x = \"open", "AutoScalingFormulaSyntaxError", "Unterminated string literal"],
  ["x = 1 /* open", "AutoScalingFormulaSyntaxError", "Unterminated block comment"],
  ["x = foo(1)", "AutoScalingFormulaSyntaxError", "Unknown function 'foo'"],
  ["x = $PendingTasks.GetSamples(1)", "AutoScalingFormulaSyntaxError", "Unknown method 'GetSamples'"],
  ["x = time().hours", "AutoScalingFormulaSyntaxError", "Unknown property 'hours'"],
  ["$PendingTasks = 3", "AutoScalingFormulaSyntaxError", "Line 1, Col 1: The variable $PendingTasks is read-only"],
  ["x = 1 ? 2", "AutoScalingFormulaSyntaxError", "Expected ':'"],
  ["if (1) x = 2", "AutoScalingFormulaSyntaxError", "Unknown function 'if'"],
]);

describe("limits", () => {
  it("accepts 8192 characters and refuses 8193 with AutoScalingFormulaTooLong", () => {
    const body = "x = 1;";
    const exact = `${body}${" ".repeat(8192 - body.length)}`;
    assert.equal(parseFormula(exact).statements.length, 1);
    assert.throws(() => parseFormula(`${exact} `), (error: unknown) => error instanceof FormulaError && error.code === "AutoScalingFormulaTooLong");
  });
  it("accepts 100 statements and refuses 101", () => {
    const statements = (n: number) => Array.from({ length: n }, (_, i) => `v${i} = ${i}`).join(";");
    assert.equal(parseFormula(statements(100)).statements.length, 100);
    assert.throws(() => parseFormula(statements(101)), (error: unknown) => error instanceof FormulaError && error.code === "InvalidAutoScalingSettings");
  });
  it("the error is a syntax error, evaluation errors are not", () => {
    try {
      parseFormula("x = ");
      assert.fail("expected a syntax error");
    } catch (error) {
      assert.ok(error instanceof FormulaError && error.isSyntaxError);
    }
    try {
      run("x = y");
      assert.fail("expected an evaluation error");
    } catch (error) {
      assert.ok(error instanceof FormulaError && !error.isSyntaxError);
    }
  });
});
