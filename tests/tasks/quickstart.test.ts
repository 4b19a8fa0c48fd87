import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const run = promisify(execFile);
const account = testAccounts.alpha;
const script = new URL("../../conformance/python/quickstart.py", import.meta.url).pathname;

describe("a quickstart-shaped workload through the official Python SDK", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 2 });
  });
  after(() => server.dispose());

  it("runs 250 tasks added as a collection, retries a failing one, and serves every stdout.txt", async () => {
    const { stdout } = await run("/usr/bin/python3", [script, server.url, account.name, account.key, "--tasks", "250"], { timeout: 300_000 });
    const result = JSON.parse(stdout);
    assert.equal(result.ok, true, stdout);
    assert.equal(result.added, 251);
    assert.deepEqual(result.statuses, ["success"]);
    assert.equal(result.stdoutsOk, 250);
    assert.equal(result.succeeded, 250);
    assert.deepEqual(result.failing, { state: "completed", exitCode: 3, retryCount: 2, result: "failure", failureCode: "FailureExitCode" });
    assert.equal(result.wdFile, "7");
    assert.deepEqual(result.counts, { active: 0, running: 0, completed: 251, succeeded: 250, failed: 1, completedSlots: 251 });
    for (const file of ["stdout.txt", "stderr.txt", "wd/out.txt"]) assert.ok(result.files.includes(file), `${file} in ${result.files}`);
  });
});
