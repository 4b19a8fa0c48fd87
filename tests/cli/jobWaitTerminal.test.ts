/**
 * `openbatch job wait` in a real terminal: tmux runs it in a pseudo-terminal, the test reads the screen with
 * capture-pane. The job's tasks each wait for a gate file the test creates, so the display is seen at 0 %, then at
 * 50 % once half the gates are open, then at 100 % with the command's summary and exit code — an update the test
 * causes, not one it hopes to catch.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BatchServiceClient, BatchSharedKeyCredential } from "@openbatch/client";
import { cliEnvironment, cliMain } from "../support/cli.js";
import { ubuntuVm } from "../support/pools.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const socket = `openbatch-cli-test-${process.pid}`;

function tmux(...args: string[]): string {
  const result = spawnSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
  if (result.error !== undefined) throw new Error(`tmux could not run (is it installed? .ci/run installs it): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`tmux ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

const screen = (session = "wait") => tmux("capture-pane", "-p", "-t", session);

/** A shell script that runs the command with the test's connection, then says how it ended and stays on screen. */
function scriptFor(directory: string, name: string, environment: Record<string, string>, args: string): string {
  const script = join(directory, `${name}.sh`);
  const exports = Object.entries(environment)
    .filter(([variable]) => /^(OPENBATCH_|PATH$|HOME$)/.test(variable))
    .map(([variable, value]) => `export ${variable}='${value.replace(/'/g, `'\\''`)}'`)
    .join("\n");
  writeFileSync(script, `${exports}\n'${process.execPath}' '${cliMain}' ${args}\necho "exit code $?"\nsleep 600\n`);
  return script;
}

describe("openbatch job wait in a terminal", () => {
  let server: TestServer;
  let client: BatchServiceClient;
  let directory: string;

  before(async () => {
    server = await startTestServer();
    client = new BatchServiceClient(server.url, new BatchSharedKeyCredential(testAccounts.alpha.name, testAccounts.alpha.key));
    directory = mkdtempSync(join(tmpdir(), "openbatch-cli-tty-"));
  });
  after(async () => {
    spawnSync("tmux", ["-L", socket, "kill-server"]);
    await client.close();
    await server.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  it("draws a progress bar that follows the job's tasks and ends at 100 %", async () => {
    await client.pool.add({ id: "ttypool", vmSize: "standard_d2s_v3", targetDedicatedNodes: 1, taskSlotsPerNode: 8, virtualMachineConfiguration: ubuntuVm });
    await client.waitForNodesIdle("ttypool", { pollIntervalInMs: 200, minNodes: 1 });
    await client.job.add({ id: "ttyjob", poolInfo: { poolId: "ttypool" } });
    const gates = join(directory, "gates");
    await client.task.addCollection(
      "ttyjob",
      Array.from({ length: 8 }, (_, i) => ({ id: `gated-${i}`, commandLine: `/bin/sh -c 'while [ ! -e ${gates}-${i} ]; do sleep 0.1; done'` })),
    );

    const environment = cliEnvironment({ url: server.url, account: testAccounts.alpha });
    const script = scriptFor(directory, "wait", environment, "job wait ttyjob --interval 0.2");
    tmux("new-session", "-d", "-s", "wait", "-x", "180", "-y", "30", `/bin/sh ${script}`);

    const started = await waitFor("the bar at 0 %", async () => {
      const text = screen();
      return /ttyjob \[░+\]\s+0% \| 0\/8 completed \| 0 active, 8 running, 0 failed/.test(text) ? text : undefined;
    });
    assert.ok(!started.includes("exit code"), started);

    for (let i = 0; i < 4; i++) writeFileSync(`${gates}-${i}`, "");
    const half = await waitFor("the bar at 50 %", async () => {
      const text = screen();
      return /ttyjob \[█+░+\]\s+50% \| 4\/8 completed \| 0 active, 4 running, 0 failed \| [\d.]+ tasks\/s \| ETA \S+/.test(text) ? text : undefined;
    });
    assert.ok(!half.includes("exit code"), "still waiting");

    for (let i = 4; i < 8; i++) writeFileSync(`${gates}-${i}`, "");
    const done = await waitFor("the bar at 100 % and the command's end", async () => {
      const text = screen();
      return text.includes("exit code") ? text : undefined;
    });
    assert.match(done, /ttyjob \[█+\] 100% \| 8\/8 completed \| 0 active, 0 running, 0 failed/);
    assert.match(done, /8 of 8 tasks succeeded, 0 failed, in \S+\./);
    assert.match(done, /State\s+Tasks\s+Slots\n-+\s+-+\s+-+\nactive\s+0\s+0\nrunning\s+0\s+0\ncompleted\s+8\s+8/, "the counts as a table on a terminal");
    assert.match(done, /exit code 0/);
  });

  it("draws the upload of many tasks, and fits tables to a narrow terminal", async () => {
    const environment = cliEnvironment({ url: server.url, account: testAccounts.alpha });
    const tasks = join(directory, "tasks.json");
    writeFileSync(tasks, JSON.stringify(Array.from({ length: 250 }, (_, i) => ({ id: `upload-task-with-a-long-name-${i}`, commandLine: "/bin/true" }))));
    await client.job.add({ id: "upjob", poolInfo: { poolId: "ttypool" } });
    tmux("new-session", "-d", "-s", "upload", "-x", "180", "-y", "30", `/bin/sh ${scriptFor(directory, "upload", environment, `task create upjob --json-file ${tasks} -o none`)}`);
    const uploaded = await waitFor("the upload to end", async () => {
      const text = screen("upload");
      return text.includes("exit code") ? text : undefined;
    });
    assert.match(uploaded, /Adding tasks to upjob \[█+\] 100% \| 250\/250/);
    assert.match(uploaded, /exit code 0/);

    tmux("new-session", "-d", "-s", "narrow", "-x", "60", "-y", "30", `/bin/sh ${scriptFor(directory, "narrow", environment, "task list upjob --filter \"id eq 'upload-task-with-a-long-name-7'\"")}`);
    const narrow = await waitFor("the table", async () => {
      const text = screen("narrow");
      return text.includes("exit code") ? text : undefined;
    });
    const lines = narrow.split("\n").filter((line) => line.trim() !== "");
    assert.match(lines[0] ?? "", /^Task Id\s+State\s+Exit Code\s+Node Id\s+Command Line/, narrow);
    // How much of the id is left depends on the other columns: the task may have run (node id, exit code) or not.
    assert.match(narrow, /\nupload-[\w-]*…\s/, "the widest columns gave up room");
    assert.ok(lines.every((line) => line.length <= 60), narrow);
  });
});
