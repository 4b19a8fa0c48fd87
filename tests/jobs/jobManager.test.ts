import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

describe("job manager tasks", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;
  const jobIn = (jobId: string, state: string) =>
    waitFor(`${jobId} ${state}`, async () => {
      const job = await get(`/jobs/${jobId}`);
      return job.state === state ? job : undefined;
    });

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", {
      id: "jmpool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, taskSlotsPerNode: 2,
      virtualMachineConfiguration: ubuntuVm,
    })).status, 201);
  });
  after(() => server.dispose());

  it("runs the job manager first and alone on its node; its completion ends the job with JMComplete", async () => {
    const marker = "$AZ_BATCH_NODE_SHARED_DIR/jm-done";
    const added = await call("POST", "/jobs", {
      id: "managed", poolInfo: { poolId: "jmpool" },
      jobManagerTask: { id: "manager", commandLine: `/bin/sh -c 'sleep 1; touch ${marker}; sleep 1'` },
    });
    assert.equal(added.status, 201, added.text);
    const manager = await get("/jobs/managed/tasks/manager");
    assert.equal(manager.commandLine, `/bin/sh -c 'sleep 1; touch ${marker}; sleep 1'`);
    const clash = await call("POST", "/jobs/managed/tasks", { id: "MANAGER", commandLine: "/bin/true" });
    assert.equal(batchErrorCode(clash), "TaskExists");
    assert.equal((await call("POST", "/jobs/managed/tasks", { id: "worker", commandLine: "/bin/true" })).status, 201);
    const running = await waitFor("the manager to run", async () => {
      const task = await get("/jobs/managed/tasks/manager");
      return task.state === "running" ? task : undefined;
    });
    const nodePath = `/pools/jmpool/nodes/${running.nodeInfo.nodeId}`;
    // The node has a free slot, but the exclusive job manager keeps it: the worker waits.
    await waitFor("the manager to be half-way", async () => ((await call("GET", `${nodePath}/files/shared%2Fjm-done`)).status === 200 ? true : undefined));
    assert.equal((await get("/jobs/managed/tasks/worker")).state, "active");
    const job = await jobIn("managed", "completed");
    assert.equal(job.executionInfo.terminateReason, "JMComplete");
    assert.equal((await get("/jobs/managed/tasks/manager")).executionInfo.result, "success");
    assert.equal((await get("/jobs/managed/tasks/worker")).state, "active", "a completed job schedules nothing more");
  });

  it("without runExclusive and killJobOnCompletion the manager shares its node and the job ends when all tasks do", async () => {
    const added = await call("POST", "/jobs", {
      id: "shared", poolInfo: { poolId: "jmpool" }, onAllTasksComplete: "terminatejob",
      jobManagerTask: { id: "lead", commandLine: "/bin/sleep 2", runExclusive: false, killJobOnCompletion: false },
    });
    assert.equal(added.status, 201, added.text);
    assert.equal((await get("/jobs/shared")).state, "active", "the job manager is an unfinished task");
    assert.equal((await call("POST", "/jobs/shared/tasks", { id: "helper", commandLine: "/bin/sleep 1" })).status, 201);
    await waitFor("both to run at once", async () => {
      const tasks = (await get("/jobs/shared/tasks")).value as { state: string }[];
      return tasks.length === 2 && tasks.every((task) => task.state === "running") ? true : undefined;
    });
    const job = await jobIn("shared", "completed");
    assert.equal(job.executionInfo.terminateReason, "AllTasksComplete");
  });
});
