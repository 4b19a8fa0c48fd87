import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";
import { ubuntuVm } from "../support/pools.js";

const account = testAccounts.alpha;

describe("jobs react to their tasks", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;
  const jobState = (jobId: string, state: string) => waitFor(`${jobId} ${state}`, async () => ((await get(`/jobs/${jobId}`)).state === state ? get(`/jobs/${jobId}`) : undefined));

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", {
      id: "reactpool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, taskSlotsPerNode: 2,
      virtualMachineConfiguration: ubuntuVm,
    })).status, 201);
  });
  after(() => server.dispose());

  it("onAllTasksComplete terminatejob ends the job with AllTasksComplete once every task finished", async () => {
    assert.equal((await call("POST", "/jobs", { id: "alldone", poolInfo: { poolId: "reactpool" } })).status, 201);
    for (const id of ["a", "b", "c"]) assert.equal((await call("POST", "/jobs/alldone/tasks", { id, commandLine: "/bin/sleep 0.3" })).status, 201);
    assert.equal((await call("PATCH", "/jobs/alldone", { onAllTasksComplete: "terminatejob" })).status, 200);
    assert.equal((await get("/jobs/alldone")).state, "active", "tasks are still running");
    const job = await jobState("alldone", "completed");
    assert.equal(job.executionInfo.terminateReason, "AllTasksComplete");
    const tasks = (await get("/jobs/alldone/tasks")).value;
    assert.ok(tasks.every((task: { state: string }) => task.state === "completed"));
  });

  it("onTaskFailure performexitoptionsjobaction ends the job with TaskFailed and kills its running tasks", async () => {
    assert.equal((await call("POST", "/jobs", { id: "failfast", poolInfo: { poolId: "reactpool" }, onTaskFailure: "performexitoptionsjobaction" })).status, 201);
    assert.equal((await call("POST", "/jobs/failfast/tasks", { id: "sleeper", commandLine: "/bin/sleep 60" })).status, 201);
    await waitFor("the sleeper to run", async () => ((await get("/jobs/failfast/tasks/sleeper")).state === "running" ? true : undefined));
    assert.equal((await call("POST", "/jobs/failfast/tasks", { id: "broken", commandLine: "/bin/sh -c 'exit 9'" })).status, 201);
    const job = await jobState("failfast", "completed");
    assert.equal(job.executionInfo.terminateReason, "TaskFailed");
    const sleeper = await get("/jobs/failfast/tasks/sleeper");
    assert.equal(sleeper.state, "completed");
    assert.equal(sleeper.executionInfo.failureInfo.code, "TaskEnded");
    // The sleeper's process is really killed: its slot frees long before its 60 seconds.
    await waitFor("the sleeper's slot to be freed", async () => ((await get("/pools/reactpool/nodes")).value[0]?.runningTasksCount === 0 ? true : undefined), 10_000);
  });

  it("terminate kills running tasks and leaves active ones active", async () => {
    assert.equal((await call("POST", "/jobs", { id: "stopme", poolInfo: { poolId: "reactpool" } })).status, 201);
    assert.equal((await call("POST", "/jobs/stopme/tasks", { id: "runner", commandLine: "/bin/sleep 60" })).status, 201);
    // Needs more slots than a node has: it stays active.
    assert.equal((await call("POST", "/jobs/stopme/tasks", { id: "waiter", commandLine: "/bin/true", requiredSlots: 5 })).status, 201);
    await waitFor("the runner to run", async () => ((await get("/jobs/stopme/tasks/runner")).state === "running" ? true : undefined));
    assert.equal((await call("POST", "/jobs/stopme/terminate", { terminateReason: "enough" })).status, 202);
    const job = await get("/jobs/stopme");
    assert.equal(job.state, "completed");
    assert.equal(job.executionInfo.terminateReason, "enough");
    assert.equal((await get("/jobs/stopme/tasks/runner")).executionInfo.failureInfo.code, "TaskEnded");
    assert.equal((await get("/jobs/stopme/tasks/waiter")).state, "active");
    await waitFor("the slots to be freed", async () => ((await get("/pools/reactpool/nodes")).value[0]?.runningTasksCount === 0 ? true : undefined));
  });
});
