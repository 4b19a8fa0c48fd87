/** The formulas of semantics.md §7.5 (the Azure autoscale documentation), with the results they document. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateFormula, historyFromSeries, type MetricHistory } from "../src/index.js";
import { history, run, series } from "./support.js";

const pendingTasks = `
// Pending tasks
p = $PendingTasks.GetSamplePercent(180 * TimeInterval_Second);
n = p < 70 ? 1 : avg($PendingTasks.GetSample(180 * TimeInterval_Second));
$TargetDedicatedNodes = min(25, n);
$NodeDeallocationOption = taskcompletion;`;

const preemption = `$TargetDedicatedNodes = min(25, $PreemptedNodeCount.GetSample(180 * TimeInterval_Second));
$TargetLowPriorityNodes = min(25, 25 - $TargetDedicatedNodes);
$NodeDeallocationOption = taskcompletion;`;

const cpu = `$t = (min($CPUPercent.GetSample(TimeInterval_Minute * 10)) > 0.7) ? ($CurrentDedicatedNodes * 1.1) : $CurrentDedicatedNodes;
$t = (avg($CPUPercent.GetSample(TimeInterval_Minute * 60)) < 0.2) ? ($CurrentDedicatedNodes * 0.9) : $t;
$TargetDedicatedNodes = min(400, $t)`;

const clock = `$now = time();
$work = $now.hour >= 8 && $now.hour < 18;
$wk = $now.weekday >= 1 && $now.weekday <= 5;
$TargetDedicatedNodes = ($work && $wk) ? 20 : 10;`;

const warmUp = (created: string) => `$TargetDedicatedNodes = 4;
life = time() - time("${created}");
span = TimeInterval_Minute * 60;
ratio = 50;
$TargetDedicatedNodes = life > TimeInterval_Minute * 10 ?
  (max($RunningTasks.GetSample(span, ratio), $ActiveTasks.GetSample(span, ratio)) == 0 ? 0 : $TargetDedicatedNodes) : 4;`;

describe("documented formula 1: pending tasks", () => {
  it("averages the last 3 minutes of pending tasks, capped at 25", () => {
    const evaluation = run(pendingTasks, { history: history({ $PendingTasks: [6, 8, 10, 12, 14, 16, 18] }) });
    assert.equal(evaluation.results, "$TargetDedicatedNodes=12;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion;n=12;p=100");
  });
  it("caps at 25", () => {
    assert.equal(run(pendingTasks, { history: history({ $PendingTasks: [100, 100, 100, 100, 100, 100, 100] }) }).targetDedicatedNodes, 25);
  });
  it("falls back to one node below 70% of the samples", () => {
    const evaluation = run(pendingTasks, { history: history({ $PendingTasks: [null, null, null, 40, null, null, 40] }) });
    assert.equal(evaluation.targetDedicatedNodes, 1);
    assert.equal(evaluation.nodeDeallocationOption, "taskcompletion");
  });
});

describe("documented formula 2: preemption backfill", () => {
  it("replaces preempted Spot nodes with dedicated ones, 25 nodes in all", () => {
    const evaluation = run(preemption, { history: history({ $PreemptedNodeCount: [0, 0, 1, 2, 3, 3, 4] }) });
    assert.equal(evaluation.targetDedicatedNodes, 0, "min(25, vector) takes the minimum over the list");
    assert.equal(evaluation.targetLowPriorityNodes, 25);
    const preempted = run(preemption, { history: history({ $PreemptedNodeCount: [4, 4, 4, 4, 4, 4, 4] }) });
    assert.equal(preempted.results, "$TargetDedicatedNodes=4;$TargetLowPriorityNodes=21;$NodeDeallocationOption=taskcompletion");
  });
});

describe("documented formula 3: CPU", () => {
  const cpuHistory = (recent: number, older: number): MetricHistory =>
    historyFromSeries({
      // 60 minutes of samples: the older 50 minutes at `older`, the last 10 minutes at `recent`.
      $CPUPercent: series(Array.from({ length: 121 }, (_, i) => (i >= 100 ? recent : older))),
      $CurrentDedicatedNodes: series([10]),
    });
  it("grows by 10% when the CPU stayed above 70% for 10 minutes", () => {
    assert.equal(run(cpu, { history: cpuHistory(0.9, 0.8) }).targetDedicatedNodes, 11);
  });
  it("shrinks by 10% when the hour's average is below 20%", () => {
    assert.equal(run(cpu, { history: cpuHistory(0.1, 0.1) }).targetDedicatedNodes, 9);
  });
  it("keeps the node count otherwise", () => {
    assert.equal(run(cpu, { history: cpuHistory(0.5, 0.5) }).targetDedicatedNodes, 10);
  });
});

describe("documented formula 4: clock", () => {
  const at = (iso: string) => evaluateFormula(clock, { now: new Date(iso), history: history(), currentTargets: { dedicated: 0, lowPriority: 0 } });
  it("20 nodes in working hours on weekdays, 10 otherwise", () => {
    assert.equal(at("2024-03-05T10:00:00Z").targetDedicatedNodes, 20);
    assert.equal(at("2024-03-05T18:00:00Z").targetDedicatedNodes, 10);
    assert.equal(at("2024-03-05T07:59:59Z").targetDedicatedNodes, 10);
    assert.equal(at("2024-03-09T10:00:00Z").targetDedicatedNodes, 10, "Saturday");
    assert.equal(at("2024-03-10T10:00:00Z").targetDedicatedNodes, 10, "Sunday");
  });
  it("prints its user variables alphabetically", () => {
    assert.equal(at("2024-03-05T10:00:00Z").results, "$TargetDedicatedNodes=20;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$now=2024-03-05T10:00:00.000Z;$wk=1;$work=1");
  });
});

describe("documented formula 5: warm-up", () => {
  it("keeps 4 nodes in the first 10 minutes", () => {
    assert.equal(run(warmUp("Tue, 05 Mar 2024 09:55:00 GMT")).targetDedicatedNodes, 4);
  });
  it("drops to 0 after that when nothing ran or waited", () => {
    const idle = history({ $RunningTasks: Array.from({ length: 121 }, () => 0), $ActiveTasks: Array.from({ length: 121 }, () => 0) });
    assert.equal(run(warmUp("Tue, 05 Mar 2024 08:00:00 GMT"), { history: idle }).targetDedicatedNodes, 0);
  });
  it("keeps 4 when there is work", () => {
    const busy = history({ $RunningTasks: Array.from({ length: 121 }, () => 2), $ActiveTasks: Array.from({ length: 121 }, () => 0) });
    assert.equal(run(warmUp("Tue, 05 Mar 2024 08:00:00 GMT"), { history: busy }).targetDedicatedNodes, 4);
  });
  it("fails with InsufficientSampleData below 50% of an hour's samples", () => {
    assert.throws(() => run(warmUp("Tue, 05 Mar 2024 08:00:00 GMT"), { history: history({ $RunningTasks: [0, 0], $ActiveTasks: [0, 0] }) }), /InsufficientSampleData|Insufficient data/);
  });
});
