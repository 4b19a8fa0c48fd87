import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

const main = new URL("../../../packages/cli/dist/src/main.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "openbatch-simulate-"));

function openbatch(args: string[]) {
  return spawnSync(process.execPath, [main, "autoscale", "simulate", ...args], { encoding: "utf8", timeout: 30_000 });
}

function file(name: string, content: string | object): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

/** Six hours of pending tasks, every 30 s: 0, then 30 from 02:00 to 04:00, then 0. */
const history = file("history.json", {
  series: {
    $PendingTasks: {
      start: "2024-03-05T00:00:00Z",
      values: Array.from({ length: 6 * 120 + 1 }, (_, i) => (i >= 240 && i < 480 ? 30 : 0)),
    },
  },
  evaluations: [{ time: "2024-03-05T02:30:00Z", targetDedicatedNodes: 3, targetLowPriorityNodes: 0 }],
});
const formula = file("formula.txt", "// a node per 10 pending tasks\n$TargetDedicatedNodes = avg($PendingTasks.GetSample(TimeInterval_Minute * 5)) / 10;\n");

describe("openbatch autoscale simulate", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the targets over time, every interval", () => {
    const result = openbatch(["--formula", formula, "--history", history, "--interval", "PT1H", "--start", "2024-03-05T00:30:00Z"]);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split("\n");
    assert.equal(lines.length, 6);
    assert.deepEqual(lines.map((line) => /dedicated=(\d+)/.exec(line)?.[1]), ["0", "0", "3", "3", "0", "0"]);
    assert.match(lines[2] as string, /^2024-03-05T02:30:00.000Z {2}dedicated=3 lowPriority=0 {2}\$TargetDedicatedNodes=3;/);
  });

  it("--json and --replay evaluate at the recorded instants", () => {
    const result = openbatch(["--formula-text", "$TargetDedicatedNodes = max($PendingTasks.GetSample(1)) / 10", "--history", history, "--replay", "--json"]);
    assert.equal(result.status, 0, result.stderr);
    const steps = JSON.parse(result.stdout) as { time: string; targetDedicatedNodes: number }[];
    assert.deepEqual(steps.map((step) => [step.time, step.targetDedicatedNodes]), [["2024-03-05T02:30:00.000Z", 3]]);
  });

  it("reports a syntax error with its position and a bad history naming the field, exiting 1", () => {
    const syntax = openbatch(["--formula-text", "$TargetDedicatedNodes = (1", "--history", history]);
    assert.equal(syntax.status, 1);
    assert.match(syntax.stderr, /AutoScalingFormulaSyntaxError: Line 1, Col 27: Expected '\)'/);
    const bad = openbatch(["--formula", formula, "--history", file("bad.json", { series: { $PendingTasks: [{ time: "yesterday", value: 1 }] } })]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /series\.\$PendingTasks\[0\]: the time must be an ISO-8601 date-time/);
  });
});
