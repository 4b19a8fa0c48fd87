import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

describe("job priority and task preemption", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;
  const taskIn = (path: string, state: string) =>
    waitFor(`${path} ${state}`, async () => {
      const task = await get(path);
      return task.state === state ? task : undefined;
    });

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", {
      id: "onepool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, taskSlotsPerNode: 1,
      virtualMachineConfiguration: ubuntuVm,
    })).status, 201);
    await waitFor("the node to be idle", async () => ((await get("/pools/onepool/nodes")).value[0]?.state === "idle" ? true : undefined));
  });
  after(() => server.dispose());

  it("runs waiting tasks of the higher-priority job first", async () => {
    assert.equal((await call("POST", "/jobs", { id: "blocker", poolInfo: { poolId: "onepool" } })).status, 201);
    assert.equal((await call("POST", "/jobs/blocker/tasks", { id: "hold", commandLine: "/bin/sleep 1" })).status, 201);
    await taskIn("/jobs/blocker/tasks/hold", "running");
    assert.equal((await call("POST", "/jobs", { id: "low", poolInfo: { poolId: "onepool" }, priority: -5 })).status, 201);
    assert.equal((await call("POST", "/jobs/low/tasks", { id: "l", commandLine: "/bin/true" })).status, 201);
    assert.equal((await call("POST", "/jobs", { id: "high", poolInfo: { poolId: "onepool" }, priority: 5 })).status, 201);
    assert.equal((await call("POST", "/jobs/high/tasks", { id: "h", commandLine: "/bin/true" })).status, 201);
    const high = await taskIn("/jobs/high/tasks/h", "completed");
    const low = await taskIn("/jobs/low/tasks/l", "completed");
    assert.ok(Date.parse(high.executionInfo.startTime) <= Date.parse(low.executionInfo.startTime), "the high-priority task started first");
  });

  it("preempts (requeues) a running task of a lower-priority job that allows it, which then runs again", async () => {
    assert.equal((await call("POST", "/jobs", { id: "patient", poolInfo: { poolId: "onepool" }, priority: 0, allowTaskPreemption: true })).status, 201);
    assert.equal((await call("POST", "/jobs/patient/tasks", { id: "long", commandLine: "/bin/sh -c 'echo start >> $AZ_BATCH_NODE_SHARED_DIR/long; sleep 3'" })).status, 201);
    const running = await taskIn("/jobs/patient/tasks/long", "running");
    const marks = () => call("GET", `/pools/onepool/nodes/${running.nodeInfo.nodeId}/files/shared%2Flong`);
    await waitFor("the long task to start", async () => ((await marks()).text === "start\n" ? true : undefined));
    assert.equal((await call("POST", "/jobs", { id: "urgent", poolInfo: { poolId: "onepool" }, priority: 100 })).status, 201);
    assert.equal((await call("POST", "/jobs/urgent/tasks", { id: "now", commandLine: "/bin/true" })).status, 201);
    const urgent = await taskIn("/jobs/urgent/tasks/now", "completed");
    assert.equal(urgent.executionInfo.result, "success");
    const long = await taskIn("/jobs/patient/tasks/long", "completed");
    assert.equal(long.executionInfo.result, "success");
    assert.equal(long.executionInfo.requeueCount, 1);
    assert.equal(long.executionInfo.retryCount, 0);
    assert.equal((await marks()).text, "start\nstart\n", "it ran again from the start");
  });

  it("never preempts a job that does not allow it", async () => {
    assert.equal((await call("POST", "/jobs", { id: "steadfast", poolInfo: { poolId: "onepool" }, priority: 0 })).status, 201);
    assert.equal((await call("POST", "/jobs/steadfast/tasks", { id: "keep", commandLine: "/bin/sleep 2" })).status, 201);
    await taskIn("/jobs/steadfast/tasks/keep", "running");
    assert.equal((await call("POST", "/jobs", { id: "vip", poolInfo: { poolId: "onepool" }, priority: 500 })).status, 201);
    assert.equal((await call("POST", "/jobs/vip/tasks", { id: "v", commandLine: "/bin/true" })).status, 201);
    const keep = await taskIn("/jobs/steadfast/tasks/keep", "completed");
    assert.equal(keep.executionInfo.requeueCount, 0);
    await taskIn("/jobs/vip/tasks/v", "completed");
  });
});
