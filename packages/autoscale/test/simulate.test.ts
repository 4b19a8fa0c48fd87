import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FormulaError, historyFromSeries, simulate } from "../src/index.js";

const start = Date.parse("2024-03-05T00:00:00Z");
const minute = 60_000;

/** A day of pending-task load: 0 overnight, 40 from 09:00 to 17:00, sampled every 30 s. */
const day = historyFromSeries({
  $PendingTasks: Array.from({ length: 2 * 24 * 60 + 1 }, (_, i) => {
    const time = start + i * 30_000;
    const hour = new Date(time).getUTCHours();
    return { time, value: hour >= 9 && hour < 17 ? 40 : 0 };
  }),
});

describe("simulate", () => {
  const formula = "$TargetDedicatedNodes = min(10, avg($PendingTasks.GetSample(TimeInterval_Minute * 5, 50)) / 4)";

  it("evaluates every interval over the history and follows the load", () => {
    const steps = simulate(formula, day, { startMs: start + 15 * minute, intervalInMs: 60 * minute });
    assert.equal(steps.length, 24);
    const targets = steps.map((step) => step.targetDedicatedNodes);
    assert.deepEqual(targets, [0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 10, 10, 10, 10, 10, 10, 10, 0, 0, 0, 0, 0, 0, 0]);
    assert.ok(steps.every((step) => step.ok));
  });

  it("defaults: every 15 minutes from the first sample to the last", () => {
    const steps = simulate(formula, day);
    assert.equal(steps.length, 24 * 4 + 1);
    assert.equal(steps[0]?.timeMs, start);
  });

  it("a failed evaluation keeps the previous targets and reports the service's error", () => {
    const steps = simulate("$TargetDedicatedNodes = avg($PendingTasks.GetSample(TimeInterval_Minute * 10, 90)) + 1", day, {
      evaluationTimesMs: [start + 2 * minute, start + 20 * minute],
      initialTargets: { dedicated: 3, lowPriority: 1 },
    });
    const [first, second] = steps;
    assert.equal(first?.ok, false);
    assert.equal(first?.targetDedicatedNodes, 3);
    assert.equal(first?.ok === false ? first.error.code : "", "InsufficientSampleData");
    assert.equal(second?.ok, true);
    assert.equal(second?.targetDedicatedNodes, 1);
    assert.equal(second?.targetLowPriorityNodes, 1);
  });

  it("each evaluation starts from the targets the previous one left", () => {
    const steps = simulate("$TargetDedicatedNodes = $TargetDedicatedNodes + 1", day, { evaluationTimesMs: [start, start + minute, start + 2 * minute] });
    assert.deepEqual(steps.map((step) => step.targetDedicatedNodes), [1, 2, 3]);
  });

  it("sees only the samples taken by each instant", () => {
    const steps = simulate("$TargetDedicatedNodes = $PendingTasks.Count()", day, { evaluationTimesMs: [start, start + 10 * minute] });
    assert.deepEqual(steps.map((step) => step.targetDedicatedNodes), [1, 21]);
  });

  it("refuses a formula that does not parse", () => {
    assert.throws(() => simulate("x = ", day), FormulaError);
  });
});
