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

type Counts = Record<string, number>;
interface Snapshot {
  /** Per-state counts tallied from the node list (non-zero entries and total). */
  listed: { dedicated: Counts; lowPriority: Counts };
  /** The account's node counts for the pool, read between two identical node lists. */
  counted: { dedicated: Counts; lowPriority: Counts } | null;
}
interface TaskView {
  state: string;
  nodeId: string | null;
  result: string | null;
  exitCode: number | null;
  retryCount: number | null;
  requeueCount: number | null;
  lastRequeueTime: boolean | null;
  failureInfo: { category: string; code: string } | null;
}

/** The node counts agree with the node list state by state, and both are what the step expects (dedicated only). */
function assertCounts(snapshot: Snapshot, expected: Counts, step: string): void {
  assert.deepEqual(snapshot.counted, snapshot.listed, `${step}: node counts differ from the node list`);
  assert.deepEqual(snapshot.listed, { dedicated: expected, lowPriority: { total: 0 } }, step);
}

describe("pool and node operations through the official Python SDK", () => {
  let server: TestServer;
  let steps: any;
  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    const { stdout } = await run("/usr/bin/python3", [script, server.url, account.name, account.key, "--pool", "ops", "--timeout", "180"], { timeout: 600_000 });
    const result = JSON.parse(stdout);
    assert.equal(result.ok, true, stdout);
    steps = result.steps;
  });
  after(() => server.dispose());

  it("creates 3 idle nodes whose start task output is served, then grows to 5 (no second resize meanwhile)", () => {
    assert.equal(steps.created.nodes, 3);
    assert.equal(steps.created.stdout, `booted ${steps.created.nodeId}\n`);
    assertCounts(steps.created.snapshot, { idle: 3, total: 3 }, "created");
    assert.equal(steps.resizeWhileResizing, "PoolBeingResized");
    assert.equal(steps.grown.nodes, 5);
    assertCounts(steps.grown.snapshot, { idle: 5, total: 5 }, "grown");
  });

  it("shrinks with requeue: the leaving node's task goes back to active (requeueCount 1, no retry) and completes elsewhere", () => {
    const step = steps.shrunk[0];
    assert.equal(step.option, "requeue");
    assertCounts(step.busy, { running: 5, total: 5 }, "requeue, busy");
    assert.equal(step.victimAfterResize.state, "active");
    assert.equal(step.victimAfterResize.requeueCount, 1);
    assert.equal(step.victimAfterResize.retryCount, 0);
    assert.equal(step.victimAfterResize.lastRequeueTime, true);
    assert.deepEqual(step.othersAfterResize, ["running"]);
    assertCounts(step.afterResize, { running: 4, total: 4 }, "requeue, after the resize");
    const victim: TaskView = step.victim;
    assert.equal(victim.state, "completed");
    assert.equal(victim.result, "success");
    assert.equal(victim.exitCode, 0);
    assert.equal(victim.requeueCount, 1);
    assert.equal(victim.retryCount, 0);
    assert.notEqual(victim.nodeId, step.victimFirstNode, "it ran again on a node that stayed");
    assert.deepEqual(step.others, [["success", 0]]);
    assert.equal(step.nodesAfterCompletion, 4);
    assertCounts(step.settled, { idle: 4, total: 4 }, "requeue, settled");
  });

  it("shrinks with terminate: the leaving node's task completes as failed with TaskEnded and is not rerun", () => {
    const step = steps.shrunk[1];
    assert.equal(step.option, "terminate");
    assertCounts(step.busy, { running: 4, total: 4 }, "terminate, busy");
    for (const view of [step.victimAfterResize, step.victim] as TaskView[]) {
      assert.equal(view.state, "completed");
      assert.equal(view.result, "failure");
      assert.deepEqual(view.failureInfo, { category: "usererror", code: "TaskEnded" });
      assert.equal(view.requeueCount, 0);
      assert.equal(view.retryCount, 0);
    }
    assert.deepEqual(step.othersAfterResize, ["running"]);
    assertCounts(step.afterResize, { running: 3, total: 3 }, "terminate, after the resize");
    assert.deepEqual(step.others, [["success", 0]]);
    assertCounts(step.settled, { idle: 3, total: 3 }, "terminate, settled");
  });

  for (const [index, option, size] of [[2, "taskcompletion", 3], [3, "retaineddata", 2]] as const) {
    it(`shrinks with ${option}: the node stays leavingpool, the pool resizing, until its task completes normally`, () => {
      const step = steps.shrunk[index];
      assert.equal(step.option, option);
      assertCounts(step.busy, { running: size, total: size }, `${option}, busy`);
      assert.equal(step.drainingNode, "leavingpool");
      assert.equal(step.drainingPool, "resizing");
      assert.equal(step.victimWhileDraining.state, "running");
      assert.equal(step.victimWhileDraining.nodeId, step.victimFirstNode);
      assertCounts(step.afterResize, { running: size - 1, leaving_pool: 1, total: size }, `${option}, draining`);
      const victim: TaskView = step.victim;
      assert.equal(victim.state, "completed");
      assert.equal(victim.result, "success");
      assert.equal(victim.exitCode, 0);
      assert.equal(victim.requeueCount, 0);
      assert.equal(victim.nodeId, step.victimFirstNode, "it finished where it ran");
      assert.equal(step.nodesAfterCompletion, size - 1);
      assertCounts(step.settled, { idle: size - 1, total: size - 1 }, `${option}, settled`);
    });
  }

  it("removes a named node and lowers the target", () => {
    assert.deepEqual({ ...steps.removed, snapshot: undefined }, { victimGone: true, target: 2, snapshot: undefined });
    assertCounts(steps.removed.snapshot, { idle: 2, total: 2 }, "removed");
  });

  it("reboots a node through rebooting before idle, requeues its task and runs the start task again", (t) => {
    const { reboot } = steps;
    t.diagnostic(`seconds after the reboot call: ${JSON.stringify(reboot.seconds)}`);
    assert.equal(reboot.states[0], "rebooting", `states after the reboot call: ${reboot.states}`);
    assert.equal(reboot.states.at(-1), "idle");
    for (const state of reboot.states) assert.ok(["rebooting", "starting", "waitingforstarttask", "running", "idle"].includes(state), `${reboot.states}`);
    assert.equal(reboot.states.indexOf("rebooting"), 0, "rebooting only at first");
    // The other node is idle, or already runs the requeued task.
    const other: Counts = reboot.during.listed.dedicated.running === 1 ? { running: 1 } : { idle: 1 };
    assertCounts(reboot.during, { rebooting: 1, ...other, total: 2 }, "rebooting");
    assert.equal(reboot.taskDuringReboot.requeueCount, 1);
    assert.equal(reboot.taskDuringReboot.retryCount, 0);
    assert.equal(reboot.task.result, "success");
    assert.equal(reboot.task.requeueCount, 1);
    assert.equal(reboot.boots, 2, "the start task ran again after the reboot");
    assert.equal(reboot.bootTimeAdvanced, true);
    assertCounts(reboot.after, { idle: 2, total: 2 }, "rebooted");
  });

  it("disables and enables scheduling, and adds, updates and deletes a node user", () => {
    const { scheduling, users } = steps;
    assert.deepEqual(scheduling.disabled, ["disabled", "offline"]);
    assert.equal(scheduling.again, "NodeAlreadyInTargetSchedulingState");
    assertCounts(scheduling.snapshot, { offline: 1, idle: 1, total: 2 }, "scheduling disabled");
    assert.deepEqual(scheduling.enabled, ["enabled", "idle"]);
    assertCounts(scheduling.after, { idle: 2, total: 2 }, "scheduling enabled");
    assert.deepEqual({ ...users, snapshot: undefined }, { duplicate: "NodeUserExists", missing: "NodeUserNotFound", login: ["127.0.0.1", 22], snapshot: undefined });
    assertCounts(users.snapshot, { idle: 2, total: 2 }, "user added");
  });

  it("deletes the pool: deleting while its nodes leave (no resize meanwhile), its task requeued, then gone", async () => {
    const { deleted } = steps;
    assert.equal(deleted.state, "deleting");
    assert.equal(deleted.resize, "PoolBeingDeleted");
    assert.deepEqual(deleted.snapshot.counted, deleted.snapshot.listed, "node counts differ from the node list while deleting");
    const leaving = deleted.snapshot.listed.dedicated;
    assert.ok(leaving.total >= 1 && leaving.leaving_pool === leaving.total, JSON.stringify(leaving));
    assert.equal(deleted.gone, true);
    // Azure shrinks a deleted pool with requeue: the task can run again if its job moves to another pool.
    assert.equal(deleted.lastTask.state, "active");
    assert.equal(deleted.lastTask.requeueCount, 1);
    // Every agent process of the pool exits and every node directory is removed.
    const poolDir = join(server.dataDir, "nodes", "ops");
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const agents = spawnSync("pgrep", ["-f", "--", `--data-dir ${join(server.dataDir, "nodes")}`]).stdout.toString().trim();
      const dirs = existsSync(poolDir) ? readdirSync(poolDir) : [];
      if (agents === "" && dirs.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail("agent processes or node directories were left behind");
  });
});
