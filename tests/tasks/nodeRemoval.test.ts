import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

describe("running tasks on nodes removed from their pool", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;
  const taskIn = (id: string, state: string) =>
    waitFor(`${id} ${state}`, async () => {
      const task = await get(`/jobs/rm/tasks/${id}`);
      return task.state === state ? task : undefined;
    });

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", {
      id: "rmpool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 2,
      virtualMachineConfiguration: ubuntuVm,
    })).status, 201);
    await waitFor("two idle nodes", async () => {
      const nodes = (await get("/pools/rmpool/nodes")).value as { state: string }[];
      return nodes.length === 2 && nodes.every((node) => node.state === "idle") ? true : undefined;
    });
    assert.equal((await call("POST", "/jobs", { id: "rm", poolInfo: { poolId: "rmpool" } })).status, 201);
  });
  after(() => server.dispose());

  it("requeues the task of a removed node (requeueCount, no retry used) and it runs again elsewhere", async () => {
    assert.equal((await call("POST", "/jobs/rm/tasks", { id: "moved", commandLine: "/bin/sleep 2" })).status, 201);
    const running = await taskIn("moved", "running");
    const removed = await call("POST", "/pools/rmpool/removenodes", { nodeList: [running.nodeInfo.nodeId], nodeDeallocationOption: "requeue" });
    assert.equal(removed.status, 202, removed.text);
    const done = await waitFor("moved to complete elsewhere", async () => {
      const task = await get("/jobs/rm/tasks/moved");
      return task.state === "completed" ? task : undefined;
    }, 30_000);
    assert.equal(done.executionInfo.result, "success");
    assert.equal(done.executionInfo.requeueCount, 1);
    assert.notEqual(done.nodeInfo.nodeId, running.nodeInfo.nodeId);
  });

  it("terminates the task of a removed node with nodeDeallocationOption terminate", async () => {
    await waitFor("the pool to be steady", async () => ((await get("/pools/rmpool")).allocationState === "steady" ? true : undefined), 30_000);
    assert.equal((await call("POST", "/jobs/rm/tasks", { id: "ended", commandLine: "/bin/sleep 60" })).status, 201);
    const running = await taskIn("ended", "running");
    const removed = await call("POST", "/pools/rmpool/removenodes", { nodeList: [running.nodeInfo.nodeId], nodeDeallocationOption: "terminate" });
    assert.equal(removed.status, 202, removed.text);
    const done = await taskIn("ended", "completed");
    assert.equal(done.executionInfo.failureInfo.code, "TaskEnded");
    assert.equal(done.executionInfo.requeueCount, 0);
  });
});

describe("running tasks when a manual resize shrinks the pool", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;
  const nodesOf = async () => (await get("/pools/rspool/nodes")).value as { id: string; state: string }[];
  const bothRunning = (ids: readonly string[]) =>
    waitFor(`${ids.join(", ")} running`, async () => {
      const tasks = await Promise.all(ids.map((id) => get(`/jobs/rs/tasks/${id}`)));
      return tasks.every((task) => task.state === "running") ? tasks : undefined;
    });
  const steadyWith = (count: number) =>
    waitFor(`a steady pool of ${count} idle node(s)`, async () => {
      const pool = await get("/pools/rspool");
      const nodes = await nodesOf();
      return pool.allocationState === "steady" && nodes.length === count && nodes.every((node) => node.state === "idle") ? true : undefined;
    }, 60_000);

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", {
      id: "rspool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 2,
      virtualMachineConfiguration: ubuntuVm,
    })).status, 201);
    await steadyWith(2);
    assert.equal((await call("POST", "/jobs", { id: "rs", poolInfo: { poolId: "rspool" } })).status, 201);
  });
  after(() => server.dispose());

  it("taskcompletion lets the running tasks finish before their node leaves", async () => {
    for (const id of ["a", "b"]) assert.equal((await call("POST", "/jobs/rs/tasks", { id, commandLine: "/bin/sleep 2" })).status, 201);
    await bothRunning(["a", "b"]);
    assert.equal((await call("POST", "/pools/rspool/resize", { targetDedicatedNodes: 1, nodeDeallocationOption: "taskcompletion" })).status, 202);
    await steadyWith(1);
    for (const id of ["a", "b"]) {
      const task = await get(`/jobs/rs/tasks/${id}`);
      assert.equal(task.executionInfo.result, "success", id);
      assert.equal(task.executionInfo.requeueCount, 0, id);
    }
  });

  it("terminate ends the running task of the node that leaves", async () => {
    assert.equal((await call("POST", "/pools/rspool/resize", { targetDedicatedNodes: 2 })).status, 202);
    await steadyWith(2);
    for (const id of ["c", "d"]) assert.equal((await call("POST", "/jobs/rs/tasks", { id, commandLine: "/bin/sleep 60" })).status, 201);
    await bothRunning(["c", "d"]);
    assert.equal((await call("POST", "/pools/rspool/resize", { targetDedicatedNodes: 1, nodeDeallocationOption: "terminate" })).status, 202);
    const ended = await waitFor("one task to end", async () => {
      const tasks = await Promise.all(["c", "d"].map((id) => get(`/jobs/rs/tasks/${id}`)));
      const done = tasks.filter((task) => task.state === "completed");
      return done.length === 1 ? done[0] : undefined;
    }, 30_000);
    assert.equal(ended.executionInfo.failureInfo.code, "TaskEnded");
    assert.equal(ended.executionInfo.requeueCount, 0);
  });
});
