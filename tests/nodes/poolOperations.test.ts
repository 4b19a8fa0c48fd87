import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const run = promisify(execFile);
const account = testAccounts.alpha;
const script = new URL("../../conformance/python/pool_operations.py", import.meta.url).pathname;

describe("pool and node operations through the official Python SDK", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
  });
  after(() => server.dispose());

  it("resizes, removes a node, reboots, toggles scheduling and deletes, with node counts matching at each step", async () => {
    const { stdout } = await run("/usr/bin/python3", [script, server.url, account.name, account.key, "--pool", "ops"], { timeout: 300_000 });
    const result = JSON.parse(stdout);
    assert.equal(result.ok, true, stdout);
    const steps = result.steps;
    assert.deepEqual(steps.created, { nodes: 3, counts: { idle: 3, total: 3, offline: 0, rebooting: 0, leavingPool: 0 } });
    assert.equal(steps.resizeWhileResizing, "PoolBeingResized");
    assert.deepEqual(steps.grown, { nodes: 5, counts: { idle: 5, total: 5, offline: 0, rebooting: 0, leavingPool: 0 } });
    assert.deepEqual(steps.shrunk.map((s: { nodes: number; counts: { total: number } }) => [s.nodes, s.counts.total]), [[4, 4], [3, 3], [2, 2], [1, 1]]);
    assert.deepEqual(steps.removed, { victimGone: true, target: 2, counts: { idle: 2, total: 2, offline: 0, rebooting: 0, leavingPool: 0 } });
    // A local reboot takes milliseconds, so the state read right after the call may already be further along.
    assert.ok(["rebooting", "starting", "waitingforstarttask", "idle"].includes(steps.reboot.stateAfterCall), steps.reboot.stateAfterCall);
    assert.equal(steps.reboot.boots, 2, "the start task ran again after the reboot");
    assert.equal(steps.reboot.bootTimeAdvanced, true);
    assert.deepEqual(steps.scheduling.disabled, ["disabled", "offline"]);
    assert.equal(steps.scheduling.again, "NodeAlreadyInTargetSchedulingState");
    assert.equal(steps.scheduling.counts.offline, 1);
    assert.deepEqual(steps.scheduling.enabled, ["enabled", "idle"]);
    assert.deepEqual(steps.users, { duplicate: "NodeUserExists", missing: "NodeUserNotFound", login: ["127.0.0.1", 22] });
    assert.equal(steps.deleted, true);
    // Every agent process of the pool exits and every node directory is removed.
    const poolDir = join(server.dataDir, "nodes", "ops");
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const agents = spawnSync("pgrep", ["-f", "--", `--data-dir ${join(server.dataDir, "nodes")}`]).stdout.toString().trim();
      const dirs = existsSync(poolDir) ? readdirSync(poolDir) : [];
      if (agents === "" && dirs.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail("agent processes or node directories were left behind");
  });
});
