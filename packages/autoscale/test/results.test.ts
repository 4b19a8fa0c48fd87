import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { history, run } from "./support.js";

describe("targets and the results string", () => {
  const cases: readonly { formula: string; targets?: { dedicated: number; lowPriority: number }; results: string }[] = [
    { formula: "$TargetDedicatedNodes=3", results: "$TargetDedicatedNodes=3;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue" },
    { formula: "$TargetLowPriorityNodes = 2", targets: { dedicated: 5, lowPriority: 1 }, results: "$TargetDedicatedNodes=5;$TargetLowPriorityNodes=2;$NodeDeallocationOption=requeue" },
    { formula: "x = 1", targets: { dedicated: 4, lowPriority: 7 }, results: "$TargetDedicatedNodes=4;$TargetLowPriorityNodes=7;$NodeDeallocationOption=requeue;x=1" },
    { formula: "$TargetDedicatedNodes = 2.9", results: "$TargetDedicatedNodes=2;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue" },
    { formula: "$TargetDedicatedNodes = 0.5", results: "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue" },
    { formula: "$TargetDedicatedNodes = -3", results: "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue" },
    { formula: "$TargetDedicated = 6; $TargetLowPriority = 2", results: "$TargetDedicatedNodes=6;$TargetLowPriorityNodes=2;$NodeDeallocationOption=requeue" },
    { formula: "$TargetDedicated = 6; $TargetDedicatedNodes = 1", results: "$TargetDedicatedNodes=1;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue" },
    { formula: "$TargetDedicatedNodes = 1; $TargetDedicated = 6", results: "$TargetDedicatedNodes=1;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue" },
    { formula: "$TargetDedicatedNodes = $TargetDedicatedNodes + 1", targets: { dedicated: 2, lowPriority: 0 }, results: "$TargetDedicatedNodes=3;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue" },
    { formula: "$NodeDeallocationOption = taskcompletion", results: "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion" },
    { formula: "$NodeDeallocationOption = Terminate", results: "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=terminate" },
    { formula: "$NodeDeallocationOption = \"retaineddata\"", results: "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=retaineddata" },
    {
      formula: "zeta = 1; $b = 2; alpha = time(); Beta = TimeInterval_Minute; v = $CurrentDedicatedNodes.GetSample(2); s = \"hi\"; t = 1 > 0",
      results:
        "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$b=2;Beta=00:01:00;alpha=2024-03-05T10:00:00.000Z;s=hi;t=1;v=[4,5];zeta=1",
    },
  ];
  for (const { formula, targets, results } of cases) {
    it(formula, () => {
      const evaluation = run(formula, { targets, history: history({ $CurrentDedicatedNodes: [4, 5] }) });
      assert.equal(evaluation.results, results);
    });
  }
});
