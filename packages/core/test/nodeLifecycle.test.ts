import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nextNodeState, type NodeLifecycleInput, type ProcessReport } from "../src/index.js";

const base: NodeLifecycleInput = {
  state: "creating",
  desiredGeneration: 1,
  reportedGeneration: 1,
  phase: "ready",
  startTask: undefined,
  startTaskAttempt: 0,
  outcome: undefined,
  runningTasks: 0,
  schedulingEnabled: true,
};
const done = (attempt: number, exitCode: number): ProcessReport => ({ attempt, state: "completed", startTime: "t1", endTime: "t2", exitCode });
const running = (attempt: number): ProcessReport => ({ attempt, state: "running", startTime: "t1" });

describe("nextNodeState", () => {
  const cases: [string, Partial<NodeLifecycleInput>, string, number][] = [
    ["preparing → starting", { phase: "preparing" }, "starting", 0],
    ["ready without a start task → idle", {}, "idle", 0],
    ["ready with tasks running → running", { runningTasks: 2 }, "running", 0],
    ["scheduling disabled, no tasks → offline", { schedulingEnabled: false }, "offline", 0],
    ["start task not yet run → waitingforstarttask, attempt 1 asked", { startTask: {} }, "waitingforstarttask", 1],
    ["start task running → waitingforstarttask", { startTask: {}, startTaskAttempt: 1, outcome: running(1) }, "waitingforstarttask", 1],
    ["start task running, waitForSuccess false → idle", { startTask: { waitForSuccess: false }, startTaskAttempt: 1, outcome: running(1) }, "idle", 1],
    ["start task succeeded → idle", { startTask: {}, startTaskAttempt: 1, outcome: done(1, 0) }, "idle", 1],
    ["start task failed, no retries → starttaskfailed", { startTask: {}, startTaskAttempt: 1, outcome: done(1, 2) }, "starttaskfailed", 1],
    ["start task failed, waitForSuccess false → idle", { startTask: { waitForSuccess: false }, startTaskAttempt: 1, outcome: done(1, 2) }, "idle", 1],
    ["start task failed with retries left → next attempt", { startTask: { maxTaskRetryCount: 2 }, startTaskAttempt: 1, outcome: done(1, 2) }, "waitingforstarttask", 2],
    ["last retry failed → starttaskfailed", { startTask: { maxTaskRetryCount: 2 }, startTaskAttempt: 3, outcome: done(3, 2) }, "starttaskfailed", 3],
    ["unlimited retries → always another attempt", { startTask: { maxTaskRetryCount: -1 }, startTaskAttempt: 9, outcome: done(9, 1) }, "waitingforstarttask", 10],
    ["stale outcome of an earlier attempt → waiting", { startTask: { maxTaskRetryCount: 2 }, startTaskAttempt: 2, outcome: done(1, 1) }, "waitingforstarttask", 2],
    ["agent behind the desired generation → rebooting", { desiredGeneration: 2, state: "idle" }, "rebooting", 0],
    ["reimage in progress stays reimaging", { desiredGeneration: 2, state: "reimaging" }, "reimaging", 0],
    ["leavingpool is held", { state: "leavingpool" }, "leavingpool", 0],
    ["unknown recovers on a report", { state: "unknown" }, "idle", 0],
    ["errors reported while preparing → unusable", { phase: "preparing", hasErrors: true }, "unusable", 0],
    ["errors reported after a lost contact → unusable again", { state: "unknown", phase: "preparing", hasErrors: true }, "unusable", 0],
    ["unusable is held", { state: "unusable" }, "unusable", 0],
    ["a leaving node with errors stays leaving", { state: "leavingpool", hasErrors: true }, "leavingpool", 0],
  ];
  for (const [name, input, state, attempt] of cases) {
    it(name, () => {
      const result = nextNodeState({ ...base, ...input });
      assert.equal(result.state, state);
      assert.equal(result.startTaskAttempt, attempt);
    });
  }

  it("describes a failed start task as the service does", () => {
    const result = nextNodeState({ ...base, startTask: {}, startTaskAttempt: 1, outcome: done(1, 3) });
    assert.deepEqual(result.startTaskInfo, {
      state: "completed", startTime: "t1", endTime: "t2", exitCode: 3, retryCount: 0, result: "failure",
      failureInfo: { category: "usererror", code: "FailureExitCode", message: "The task process exited with an unexpected exit code" },
    });
  });
});
