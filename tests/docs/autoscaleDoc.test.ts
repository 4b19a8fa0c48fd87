/**
 * docs/autoscale.md's snippets, as written: its history file (saved as day.json and exported.json) and its formula
 * (scale.txt) in a directory, and its two `npx openbatch autoscale simulate` commands run there by bash. The
 * directory is inside the repository (under tests/dist) because that is where `npx openbatch` finds the command.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, it } from "node:test";
import { fileURLToPath } from "node:url";
import { shellCommands, snippetsOf } from "./snippets.js";

const directory = mkdtempSync(join(fileURLToPath(new URL(".", import.meta.url)), "autoscale-doc-"));
after(() => rmSync(directory, { recursive: true, force: true }));

it("runs docs/autoscale.md's simulate commands on its history file and formula", () => {
  const snippets = snippetsOf("docs/autoscale.md");
  const history = snippets.filter((snippet) => snippet.language === "json");
  const formula = snippets.filter((snippet) => snippet.language === "text");
  const commands = snippets.filter((snippet) => snippet.language === "sh");
  assert.deepEqual([history.length, formula.length, commands.length], [1, 1, 1], "the snippets this test knows how to run");
  writeFileSync(join(directory, "day.json"), history[0]?.code as string);
  writeFileSync(join(directory, "exported.json"), history[0]?.code as string);
  writeFileSync(join(directory, "scale.txt"), formula[0]?.code as string);
  const outputs = shellCommands(commands[0]?.code as string).map((command) => {
    const result = spawnSync("bash", ["-euo", "pipefail", "-c", command], { cwd: directory, encoding: "utf8", timeout: 120_000 });
    assert.equal(result.status, 0, `${command}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  });
  // The interval run evaluates at the first sample: 4 pending tasks, so 4 nodes.
  assert.match(outputs[0] as string, /^2024-03-05T10:00:00\.000Z {2}dedicated=4 lowPriority=0 {2}\$TargetDedicatedNodes=4;/);
  // The replay evaluates at the recorded instant, where the last sample is 5.
  const replay = JSON.parse(outputs[1] as string) as { time: string; targetDedicatedNodes: number }[];
  assert.deepEqual(replay.map((step) => [step.time, step.targetDedicatedNodes]), [["2024-03-05T10:15:00.000Z", 5]]);
});
