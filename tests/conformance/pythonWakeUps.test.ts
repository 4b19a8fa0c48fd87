/**
 * Issue #11's acceptance through the official Python SDK (tests/conformance/python/wake_ups.py): a job with only a
 * job manager completes with JMComplete, and so do jobs with a preparation task, an auto pool, a schedule's job;
 * disable/enable, terminate, dependencies and node scheduling start the work they release. The server's scheduling
 * safety net runs once an hour here, so none of it can start except through a wake-up; the figures the script
 * measures (from the server's own timestamps) are printed, not asserted — the machine's load decides them.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const execFileAsync = promisify(execFile);

function script(name: string): string {
  return fileURLToPath(new URL(`../../conformance/python/${name}`, import.meta.url));
}

describe("work released without a new task starts on a wake-up (Python SDK)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ schedulingSafetyNetInSeconds: 3600 });
  });
  after(() => server.dispose());

  it("runs job managers, preparations, auto pools, schedules, re-enabled and released tasks with no safety net", async (t) => {
    const account = testAccounts.alpha;
    const { stdout } = await execFileAsync("/usr/bin/python3", [script("wake_ups.py"), server.url, account.name, account.key], {
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
      timeout: 600_000,
    });
    const result = JSON.parse(stdout);
    assert.equal(result.ok, true, stdout);

    const jm = result.jobManagerOnly;
    assert.deepEqual([jm.state, jm.terminateReason, jm.taskState, jm.taskExitCode], ["completed", "JMComplete", "completed", 0]);
    assert.deepEqual(
      [result.preparation.state, result.preparation.terminateReason, result.preparation.preparations, result.preparation.preparationResults],
      ["completed", "JMComplete", ["completed"], ["success"]],
    );
    assert.deepEqual(result.autoPool, { state: "completed", terminateReason: "JMComplete", poolPrefix: "wake", poolGone: true, taskState: "completed" });
    assert.deepEqual([result.schedule.state, result.schedule.terminateReason], ["completed", "JMComplete"]);

    const control = result.control;
    assert.deepEqual([control.requeued, control.requeueCount, control.disabled, control.enabled, control.rerunState], ["active", 1, "disabled", "active", "running"]);
    assert.equal(control.waitingBeforeTerminate, "active", "the other job's task waits while both nodes are busy");
    assert.equal(control.terminated, "completed");
    assert.deepEqual(control.endedTasks, [["long", "completed", "TaskEnded"], ["long2", "completed", "TaskEnded"]]);
    assert.equal(control.quickExitCode, 0);

    assert.deepEqual([result.dependencies.parent, result.dependencies.child, result.dependencies.childExitCode], ["completed", "completed", 0]);
    assert.deepEqual(result.nodeScheduling, { waitingWhileDisabled: "active", nodeAfterEnable: "enabled", task: "completed", ranOn: true });

    assert.equal(server.health().missedWakeUps, 0);
    t.diagnostic(
      `seconds to start: job manager only ${jm.secondsToStart.toFixed(3)} (job completed after ${jm.secondsToComplete.toFixed(3)}), ` +
        `with preparation ${result.preparation.secondsToStart.toFixed(3)}, schedule's job ${result.schedule.secondsToStart.toFixed(3)}, ` +
        `after enable ${control.secondsToRerun.toFixed(3)}, after terminate ${control.secondsToStartAfterTerminate.toFixed(3)}, ` +
        `dependant after its parent ${result.dependencies.secondsFromParentEndToChildStart.toFixed(3)}`,
    );
  });
});
