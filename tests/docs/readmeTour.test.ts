/**
 * A newcomer follows the README from the top: `npm start`, the Python tour (a pool, its nodes, tasks, their
 * output), the TypeScript snippet, the `openbatch` command's tour (a pool, a job, a task, its output, a run over 20
 * inputs, the status screen), an application package, a server for one's own account, stopping the agents left
 * running, and the client packed and installed outside the repository — every README snippet, as written
 * (readmeTourDriver.ts says how), in a private network namespace of its own (`unshare --net`) so that the README's
 * port 8090 is free. Each step must succeed and show what the README says it does.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { TourReport, TourStep } from "./readmeTourDriver.js";
import { executableLanguages, repositoryRoot, snippetsOf } from "./snippets.js";

const workspace = mkdtempSync(join(tmpdir(), "openbatch-readme-tour-"));
let report: TourReport | undefined;
after(() => {
  rmSync(workspace, { recursive: true, force: true });
  if (report !== undefined) rmSync(report.home, { recursive: true, force: true });
});

function requireTool(name: string): void {
  const found = spawnSync("sh", ["-c", `command -v ${name}`]);
  assert.equal(found.status, 0, `${name} is needed to run the README in a network namespace of its own (.ci/run installs it)`);
}

it("a newcomer following the README from a fresh clone gets tasks completed and their output read, without an error", { timeout: 30 * 60_000 }, () => {
  requireTool("unshare");
  requireTool("ip");
  // `npx openbatch` finds the bin npm linked when it installed the workspaces: the committed launcher.
  assert.equal(readlinkSync(join(repositoryRoot, "node_modules/.bin/openbatch")), "../@openbatch/cli/bin/openbatch.js");

  const reportPath = join(workspace, "report.json");
  const driver = fileURLToPath(new URL("./readmeTourDriver.js", import.meta.url));
  const ran = spawnSync("unshare", ["--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", process.execPath, driver, reportPath], {
    encoding: "utf8",
    timeout: 25 * 60_000,
  });
  assert.equal(ran.status, 0, `the driver failed:\n${ran.stdout}\n${ran.stderr}`);
  report = JSON.parse(readFileSync(reportPath, "utf8")) as TourReport;
  const steps = report.steps;
  const failed = steps.find((step) => step.status === "failed");
  assert.equal(failed, undefined, failed === undefined ? "" : `README.md:${failed.line} failed (exit ${failed.exitCode}):\n${failed.command}\n${failed.output}`);

  // Every runnable snippet was reached (the driver stops at the first failure).
  const lines = new Set(steps.map((step) => step.line));
  const snippets = snippetsOf("README.md").filter((snippet) => executableLanguages.has(snippet.language));
  assert.deepEqual(snippets.filter((snippet) => !lines.has(snippet.line)).map((snippet) => snippet.line), [], "README snippets not run");
  assert.deepEqual(
    steps.filter((step) => step.status === "skipped").map((step) => step.command),
    ["npm ci      # installs the dependencies and builds everything (TypeScript, the node agents' process spawner)", "npm test    # the whole test suite: lint, type check, unit, protocol, conformance, CLI and docs tests"],
    "only npm ci and npm test are not repeated",
  );

  const output = (predicate: (step: TourStep) => boolean) => steps.filter(predicate).map((step) => step.output).join("\n");
  const firstServer = steps.find((step) => step.status === "server") as TourStep;
  assert.match(firstServer.output, /OpenBatch listening on http:\/\/127\.0\.0\.1:8090\n/);
  assert.match(firstServer.output, /export AZURE_BATCH_ACCOUNT=devbatch\n/);

  const python = output((step) => step.language === "python");
  assert.match(python, /^batch\.node\.ubuntu 22\.04 0001-com-ubuntu-server-jammy$/m);
  assert.equal(python.match(/^tvm-\S+ hello from tvm-\S+$/gm)?.length, 2, python);
  for (let i = 0; i < 4; i++) assert.match(python, new RegExp(`^task${i} 0 task ${i} ran on tvm-\\S+$`, "m"), "tasks completed, output read");

  const typescript = output((step) => step.language === "ts");
  assert.equal(typescript.match(/^tvm-\S+ idle$/gm)?.length, 2, typescript);

  const commands = output((step) => step.language === "sh" && step.command.includes("npx openbatch"));
  assert.match(commands, /^hello from tvm-\S+$/m, "the task's output, read by task logs");
  assert.match(commands, /"taskCounts": \{\s+"active": 0,\s+"running": 0,\s+"completed": 1,\s+"succeeded": 1,\s+"failed": 0/);
  assert.match(commands, /^Task Id\s+State\s+Exit Code\s+Node Id\s+Command Line\n-+.*\nhello\s+completed\s+0\s+tvm-/m);
  assert.match(commands, /"jobId": "run-\d{8}-\d{6}",\s+"poolId": "cli-pool",\s+"tasks": 20,\s+"succeeded": 20,\s+"failed": 0/);
  assert.match(commands, /"id": "cli-job",\s+"state": "active",\s+"pool": "cli-pool"/, "openbatch status");
  assert.match(commands, /"id": "blender",[\s\S]*"defaultVersion": "2\.7"/, "the application package");
  assert.match(commands, /Stopped \d+ node agents?\./, "agents stop");

  const stops = steps.filter((step) => step.command === "(Ctrl-C to the running server)");
  assert.match(stops[0]?.output ?? "", /SIGINT received, shutting down\n[\s\S]*^Stopped\. \d+ node agents? keeps? running with \d+ running tasks?; a server started on this data directory takes them back\./m);
  const ownAccount = steps.filter((step) => step.status === "server")[1] as TourStep;
  assert.match(ownAccount.output, /Accounts: myaccount\n/);
  assert.match(ownAccount.output, /AZURE_BATCH_ACCESS_KEY=<the account's key>/);

  assert.match(output((step) => step.command.includes("npm pack")), /^function 2024-02-01\.19\.0$/m, "the packed client works in an empty project");
});
