/**
 * Operating a server from the command line: the banner, readable logs, the status page at `/`, one server per data
 * directory, and the node agents that outlive it — counted when it stops, listed and stopped with
 * `openbatch agents`, or stopped with it by `serve --stop-agents-on-exit`.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { developmentAccount, DataDirLockedError } from "@openbatch/server";
import { cliFor, cliMain, show, type CliResult } from "../support/cli.js";
import { startTestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const ok = (result: CliResult) => assert.equal(result.code, 0, show(result));

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
}

const children = new Set<ChildProcess>();
const directories: string[] = [];

function dataDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), "openbatch-serve-ops-"));
  directories.push(directory);
  return directory;
}

async function serve(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [cliMain, "serve", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", () => {
      const match = /listening on (http:\/\/\S+)\n[\s\S]*Status page: /.exec(output);
      if (match !== null) resolve(match[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
  return { child, url, output: () => output };
}

async function stop(running: Running, signal: NodeJS.Signals): Promise<number | null> {
  const closed = once(running.child, "close");
  running.child.kill(signal);
  const [code] = (await closed) as [number | null];
  return code;
}

const agentsOf = (dataDir: string) => spawnSync("pgrep", ["-f", "--", `--data-dir ${join(dataDir, "nodes")}`], { encoding: "utf8" }).stdout.trim().split("\n").filter((line) => line !== "");

describe("operating the server from the command line", () => {
  after(() => {
    for (const child of children) child.kill("SIGKILL");
    for (const directory of directories) {
      spawnSync("pkill", ["-KILL", "-f", "--", `--data-dir ${join(directory, "nodes")}`]);
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("prints the endpoint and ready-to-paste AZURE_BATCH_* lines, answers / with a status page, and logs pretty when asked", async () => {
    const dataDir = dataDirectory();
    const running = await serve(["--data-dir", dataDir, "--log-format", "pretty"]);
    try {
      const banner = running.output();
      assert.ok(banner.includes(`  export AZURE_BATCH_ENDPOINT=${running.url}\n  export AZURE_BATCH_ACCOUNT=devbatch\n  export AZURE_BATCH_ACCESS_KEY=${developmentAccount.key}\n`), banner);
      const page = await fetch(`${running.url}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
      assert.ok(page.headers.get("request-id") !== null);
      const html = await page.text();
      assert.match(html, /<strong id="status">ready<\/strong>/);
      assert.ok(html.includes(`export AZURE_BATCH_ACCESS_KEY=${developmentAccount.key}`));
      const json = (await (await fetch(`${running.url}/`, { headers: { accept: "application/json" } })).json()) as Record<string, unknown>;
      assert.deepEqual({ service: json.service, status: json.status, accounts: json.accounts, endpoint: json.endpoint }, { service: "OpenBatch", status: "ready", accounts: ["devbatch"], endpoint: running.url });
      ok(await cliFor({ url: running.url, account: developmentAccount })("pool", "list"));
      await waitFor("the pretty access line", async () => /INFO.*: GET \/pools 200 \(\d+ ms\) devbatch/.test(running.output()));
      assert.ok(!running.output().split("\n").some((line) => line.startsWith('{"level"')), "no JSON lines");
    } finally {
      await stop(running, "SIGTERM");
    }
    const configured = await serve(["--data-dir", dataDir, "--account", `opsacct:${Buffer.from("ops-account-key-0123456789abcdef").toString("base64")}`]);
    try {
      assert.match(configured.output(), /export AZURE_BATCH_ACCOUNT=opsacct\n  export AZURE_BATCH_ACCESS_KEY=<the account's key>\n/);
      const json = (await (await fetch(`${configured.url}/`, { headers: { accept: "application/json" } })).json()) as Record<string, unknown>;
      assert.equal(json.developmentAccount, undefined, "a configured account's key is never shown");
      await waitFor("a JSON log line", async () => running.output() !== "" && /\n\{"level":30/.test(`\n${configured.output()}`));
    } finally {
      await stop(configured, "SIGTERM");
    }
  });

  it("refuses a second server on the same data directory, and takes over the lock of one that died", async () => {
    const dataDir = dataDirectory();
    const first = await serve(["--data-dir", dataDir]);
    try {
      const second = spawnSync(process.execPath, [cliMain, "serve", "--port", "0", "--data-dir", dataDir], { encoding: "utf8", timeout: 60_000 });
      assert.equal(second.status, 1, second.stderr);
      assert.ok(
        second.stderr.includes(`Another OpenBatch server (pid ${first.child.pid}, ${first.url}, started `) && second.stderr.includes(`is using the data directory ${dataDir}. Stop it first`),
        second.stderr,
      );
      await assert.rejects(startTestServer({ keepDataDir: dataDir }), DataDirLockedError);
    } finally {
      await stop(first, "SIGKILL");
    }
    // A lock left by a process that is gone is stale.
    writeFileSync(join(dataDir, "server.lock"), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import("node:os")).hostname(), startedAt: "2020-01-01T00:00:00Z" }));
    const restarted = await startTestServer({ keepDataDir: dataDir, localAgentEntry: undefined });
    await assert.rejects(startTestServer({ keepDataDir: dataDir }), /Another OpenBatch server \(pid \d+, http:\/\/127\.0\.0\.1:\d+/);
    await restarted.close();
    const again = await startTestServer({ keepDataDir: dataDir, localAgentEntry: undefined });
    await again.close();
  });

  it("says how many agents keep running tasks when it stops, and `agents stop` ends them", async () => {
    const dataDir = dataDirectory();
    const running = await serve(["--data-dir", dataDir, "--log-level", "warn"]);
    const cli = cliFor({ url: running.url, account: developmentAccount });
    ok(await cli("pool", "create", "--id", "keep", "--vm-size", "standard_d2s_v3", "--target-dedicated-nodes", "1"));
    ok(await cli("pool", "wait", "keep", "--interval", "0.2"));
    ok(await cli("job", "create", "--id", "long", "--pool-id", "keep"));
    // A duration no other process uses, so that pgrep finds this task's process only.
    const sleeper = `/bin/sleep ${600 + (process.pid % 1000) / 1000}`;
    ok(await cli("task", "create", "long", "--task-id", "sleeper", "--command-line", sleeper));
    await waitFor("the task to run", async () => (await cli("task", "show", "long", "sleeper", "--query", "state")).json() === "running");
    const refused = await cliFor(undefined)("agents", "stop", "--data-dir", dataDir);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /a server \(pid \d+, http:\/\/127\.0\.0\.1:\d+\) is running on .* and would start its agents again/);

    assert.equal(await stop(running, "SIGINT"), 0);
    assert.match(running.output(), /SIGINT received, shutting down\nStopped\. 1 node agent keeps running with 1 running task; a server started on this data directory takes them back\.\n/);
    assert.ok(running.output().includes(`To stop them: npx openbatch agents stop --data-dir ${dataDir}`), running.output());
    assert.equal(spawnSync("pgrep", ["-fx", sleeper]).status, 0, "the task is still running");

    const local = cliFor(undefined);
    const listed = await local("agents", "list", "--data-dir", dataDir);
    ok(listed);
    assert.equal(listed.json().length, 1);
    assert.match(listed.json()[0].agentId, /^agent-/);
    const stopped = await local("agents", "stop", "--data-dir", dataDir, "-o", "table");
    ok(stopped);
    assert.match(stopped.stderr, /Stopped 1 node agent\./);
    assert.deepEqual(agentsOf(dataDir), []);
    assert.equal((await local("agents", "list", "--data-dir", dataDir)).json().length, 0);
    await waitFor("the task process to end", async () => spawnSync("pgrep", ["-fx", sleeper]).status === 1);
  });

  it("stops its agents with it under --stop-agents-on-exit", async () => {
    const dataDir = dataDirectory();
    const running = await serve(["--data-dir", dataDir, "--stop-agents-on-exit", "--log-level", "warn"]);
    const cli = cliFor({ url: running.url, account: developmentAccount });
    ok(await cli("pool", "create", "--id", "gone", "--vm-size", "standard_d2s_v3", "--target-dedicated-nodes", "1"));
    ok(await cli("pool", "wait", "gone", "--interval", "0.2"));
    assert.equal(agentsOf(dataDir).length, 1);
    assert.equal(await stop(running, "SIGTERM"), 0);
    assert.match(running.output(), /Stopped 1 node agent and their tasks\.\n/);
    assert.deepEqual(agentsOf(dataDir), []);
  });
});
