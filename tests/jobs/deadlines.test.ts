import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

describe("job wall clock and task retention", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1, retentionSweepInMs: 200 });
    assert.equal((await call("POST", "/pools", {
      id: "timepool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, taskSlotsPerNode: 2,
      virtualMachineConfiguration: ubuntuVm,
    })).status, 201);
    // The job's 3 s wall clock must start with a node ready to run its task, however long agents take to start.
    await waitFor("the node to be idle", async () => ((await get("/pools/timepool/nodes")).value?.[0]?.state === "idle" ? true : undefined), 30_000);
  });
  after(() => server.dispose());

  it("ends a job past its maxWallClockTime with MaxWallClockTimeExpiry, killing its running task", async () => {
    assert.equal((await call("POST", "/jobs", { id: "hurried", poolInfo: { poolId: "timepool" }, constraints: { maxWallClockTime: "PT6S" } })).status, 201);
    assert.equal((await call("POST", "/jobs/hurried/tasks", { id: "slow", commandLine: "/bin/sleep 60" })).status, 201);
    // The clock counts from the job's creation: the task must be running before it runs out for the kill to show.
    await waitFor("the task to run", async () => ((await get("/jobs/hurried/tasks/slow")).state === "running" ? true : undefined), 6_000);
    const job = await waitFor("the job to end", async () => {
      const current = await get("/jobs/hurried");
      return current.state === "completed" ? current : undefined;
    }, 20_000);
    assert.equal(job.executionInfo.terminateReason, "MaxWallClockTimeExpiry");
    const elapsed = Date.parse(job.executionInfo.endTime) - Date.parse(job.creationTime);
    assert.ok(elapsed >= 6000 && elapsed < 11_000, `ended ${elapsed} ms after creation`);
    const slow = await get("/jobs/hurried/tasks/slow");
    assert.equal(slow.executionInfo?.failureInfo?.code, "TaskEnded", JSON.stringify(slow));
  });

  it("removes a completed task's directory after its retentionTime; its files then answer TaskFilesCleanedup", async () => {
    assert.equal((await call("POST", "/jobs", { id: "tidy", poolInfo: { poolId: "timepool" } })).status, 201);
    assert.equal((await call("POST", "/jobs/tidy/tasks", { id: "brief", commandLine: "/bin/sh -c 'echo kept for a moment'", constraints: { retentionTime: "PT2S" } })).status, 201);
    assert.equal((await call("POST", "/jobs/tidy/tasks", { id: "lasting", commandLine: "/bin/sh -c 'echo kept'" })).status, 201);
    const brief = await waitFor("brief to complete", async () => {
      const task = await get("/jobs/tidy/tasks/brief");
      return task.state === "completed" ? task : undefined;
    });
    await waitFor("lasting to complete", async () => ((await get("/jobs/tidy/tasks/lasting")).state === "completed" ? true : undefined));
    assert.equal((await call("GET", "/jobs/tidy/tasks/brief/files/stdout.txt")).text, "kept for a moment\n");
    const cleaned = await waitFor("brief's files to go", async () => {
      const read = await call("GET", "/jobs/tidy/tasks/brief/files/stdout.txt");
      // Only the cleanup's answer counts: a node briefly out of reach answers 409 too (OperationNotValidOnNode).
      return batchErrorCode(read) === "TaskFilesCleanedup" ? read : undefined;
    }, 15_000);
    assert.equal(batchErrorCode(cleaned), "TaskFilesCleanedup");
    const directory = `/pools/timepool/nodes/${brief.nodeInfo.nodeId}/files/${encodeURIComponent(brief.nodeInfo.taskRootDirectory + "/stdout.txt")}`;
    assert.equal((await call("GET", directory)).status, 404, "the directory is gone from the node");
    assert.equal((await get("/jobs/tidy/tasks/brief")).state, "completed", "the task record stays");
    assert.equal((await call("GET", "/jobs/tidy/tasks/lasting/files/stdout.txt")).text, "kept\n", "the default 7 days keep the other");
  });
});
