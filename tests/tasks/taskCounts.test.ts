import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

describe("task counts at every step, and the wall clock of a task", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;
  const counts = async () => (await get("/jobs/counted/taskcounts")) as { taskCounts: Record<string, number>; taskSlotCounts: Record<string, number> };
  const countsBecome = (expected: Record<string, number>) =>
    waitFor(`task counts ${JSON.stringify(expected)}`, async () => {
      const current = await counts();
      return JSON.stringify(current.taskCounts) === JSON.stringify(expected) ? current : undefined;
    });

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", { id: "countpool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, taskSlotsPerNode: 4, virtualMachineConfiguration: ubuntuVm })).status, 201);
    assert.equal((await call("POST", "/jobs", { id: "counted", poolInfo: { poolId: "countpool" } })).status, 201);
  });
  after(() => server.dispose());

  it("counts tasks and slots as they go from active to running to completed", async () => {
    // Needs more slots than the node has: stays active until its slots are asked for less.
    assert.equal((await call("POST", "/jobs/counted/tasks", { id: "waits", commandLine: "/bin/true", requiredSlots: 5 })).status, 201);
    assert.equal((await call("POST", "/jobs/counted/tasks", { id: "runs", commandLine: "/bin/sleep 5", requiredSlots: 2 })).status, 201);
    const running = await countsBecome({ active: 1, running: 1, completed: 0, succeeded: 0, failed: 0 });
    assert.deepEqual(running.taskSlotCounts, { active: 5, running: 2, completed: 0, succeeded: 0, failed: 0 });
    assert.equal((await call("POST", "/jobs/counted/tasks", { id: "fails", commandLine: "/bin/sh -c 'exit 3'" })).status, 201);
    await countsBecome({ active: 1, running: 1, completed: 1, succeeded: 0, failed: 1 });
    const done = await countsBecome({ active: 1, running: 0, completed: 2, succeeded: 1, failed: 1 });
    assert.deepEqual(done.taskSlotCounts, { active: 5, running: 0, completed: 3, succeeded: 2, failed: 1 });
    assert.equal((await call("POST", "/jobs/counted/tasks/waits/terminate")).status, 204);
    await countsBecome({ active: 0, running: 0, completed: 3, succeeded: 1, failed: 2 });
  });

  it("kills a task past its maxWallClockTime: completed with TaskEnded, never retried", async () => {
    const added = await call("POST", "/jobs/counted/tasks", { id: "overdue", commandLine: "/bin/sleep 60", constraints: { maxWallClockTime: "PT1S", maxTaskRetryCount: 3 } });
    assert.equal(added.status, 201, added.text);
    const task = await waitFor("overdue to complete", async () => {
      const current = await get("/jobs/counted/tasks/overdue");
      return current.state === "completed" ? current : undefined;
    }, 30_000);
    assert.equal(task.executionInfo.result, "failure");
    assert.equal(task.executionInfo.failureInfo.code, "TaskEnded");
    assert.equal(task.executionInfo.retryCount, 0);
    const ranFor = Date.parse(task.executionInfo.endTime) - Date.parse(task.executionInfo.startTime);
    assert.ok(ranFor >= 900 && ranFor < 20_000, `ran for ${ranFor} ms`);
  });
});
