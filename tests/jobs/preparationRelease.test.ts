import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

interface StatusEntry {
  nodeId: string;
  jobPreparationTaskExecutionInfo?: { state: string; result?: string; exitCode?: number; retryCount?: number };
  jobReleaseTaskExecutionInfo?: { state: string; result?: string };
}

describe("job preparation and release tasks", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;
  const status = async (jobId: string): Promise<StatusEntry[]> => (await get(`/jobs/${jobId}/jobpreparationandreleasetaskstatus`)).value;
  const nodeFile = (nodeId: string, path: string) => call("GET", `/pools/preppool/nodes/${nodeId}/files/${encodeURIComponent(path)}`);
  const jobIn = (jobId: string, state: string) =>
    waitFor(`${jobId} ${state}`, async () => {
      const job = await get(`/jobs/${jobId}`);
      return job.state === state ? job : undefined;
    });

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", {
      id: "preppool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 3, taskSlotsPerNode: 2,
      virtualMachineConfiguration: ubuntuVm,
    })).status, 201);
    await waitFor("three idle nodes", async () => {
      const nodes = (await get("/pools/preppool/nodes")).value as { state: string }[];
      return nodes.length === 3 && nodes.every((node) => node.state === "idle") ? true : undefined;
    });
  });
  after(() => server.dispose());

  it("refuses the status list for a job without a preparation task", async () => {
    assert.equal((await call("POST", "/jobs", { id: "noprep", poolInfo: { poolId: "preppool" } })).status, 201);
    const refused = await call("GET", "/jobs/noprep/jobpreparationandreleasetaskstatus");
    assert.equal(refused.status, 409);
    assert.equal(batchErrorCode(refused), "JobPreparationTaskNotSpecified");
  });

  it("prepares only the nodes that run the job's tasks, before them, and releases exactly those when the job ends", async () => {
    const added = await call("POST", "/jobs", {
      id: "prepped", poolInfo: { poolId: "preppool" },
      jobPreparationTask: { commandLine: "/bin/sh -c 'sleep 0.5; echo prepared > $AZ_BATCH_NODE_SHARED_DIR/prepped-prep'" },
      jobReleaseTask: { commandLine: "/bin/sh -c 'echo released > $AZ_BATCH_NODE_SHARED_DIR/prepped-release'" },
    });
    assert.equal(added.status, 201, added.text);
    // The task reads what preparation wrote: it ran after it, on the same node.
    assert.equal((await call("POST", "/jobs/prepped/tasks", { id: "one", commandLine: "/bin/sh -c 'cat $AZ_BATCH_NODE_SHARED_DIR/prepped-prep'" })).status, 201);
    const preparing = await waitFor("the task to be preparing or beyond", async () => {
      const task = await get("/jobs/prepped/tasks/one");
      return task.state !== "active" ? task : undefined;
    });
    assert.ok(["preparing", "running", "completed"].includes(preparing.state), preparing.state);
    const done = await waitFor("the task to complete", async () => {
      const task = await get("/jobs/prepped/tasks/one");
      return task.state === "completed" ? task : undefined;
    });
    assert.equal(done.executionInfo.result, "success");
    const nodeId = done.nodeInfo.nodeId as string;
    assert.equal((await call("GET", `/jobs/prepped/tasks/one/files/stdout.txt`)).text, "prepared\n");
    const entries = await status("prepped");
    assert.deepEqual(entries.map((entry) => entry.nodeId), [nodeId], "only the node that ran a task was prepared");
    assert.equal(entries[0]?.jobPreparationTaskExecutionInfo?.state, "completed");
    assert.equal(entries[0]?.jobPreparationTaskExecutionInfo?.result, "success");
    assert.equal(entries[0]?.jobReleaseTaskExecutionInfo, undefined);

    assert.equal((await call("POST", "/jobs/prepped/terminate")).status, 202);
    const job = await jobIn("prepped", "completed");
    assert.equal(job.executionInfo.terminateReason, "UserTerminate");
    const released = await status("prepped");
    assert.equal(released[0]?.jobReleaseTaskExecutionInfo?.state, "completed");
    assert.equal(released[0]?.jobReleaseTaskExecutionInfo?.result, "success");
    assert.equal((await nodeFile(nodeId, "shared/prepped-release")).text, "released\n");
    const otherNodes = ((await get("/pools/preppool/nodes")).value as { id: string }[]).filter((node) => node.id !== nodeId);
    for (const other of otherNodes) assert.equal((await nodeFile(other.id, "shared/prepped-release")).status, 404);
  });

  it("retries a failing preparation, then sends the waiting task elsewhere and never uses that node for the job", async () => {
    const nodes = (await get("/pools/preppool/nodes")).value as { id: string; affinityId: string }[];
    const bad = nodes[0] as { id: string; affinityId: string };
    const added = await call("POST", "/jobs", {
      id: "picky", poolInfo: { poolId: "preppool" },
      jobPreparationTask: { commandLine: `/bin/sh -c 'test "$AZ_BATCH_NODE_ID" != "${bad.id}"'`, constraints: { maxTaskRetryCount: 1 } },
    });
    assert.equal(added.status, 201, added.text);
    // Affinity sends the task to the bad node first.
    assert.equal((await call("POST", "/jobs/picky/tasks", { id: "work", commandLine: "/bin/true", affinityInfo: { affinityId: bad.affinityId } })).status, 201);
    const done = await waitFor("the task to complete", async () => {
      const task = await get("/jobs/picky/tasks/work");
      return task.state === "completed" ? task : undefined;
    });
    assert.equal(done.executionInfo.result, "success");
    assert.notEqual(done.nodeInfo.nodeId, bad.id, "the task ran on a node whose preparation succeeded");
    assert.equal(done.executionInfo.retryCount, 0, "a failed preparation costs the task no retry");
    const entries = await status("picky");
    const failed = entries.find((entry) => entry.nodeId === bad.id);
    assert.equal(failed?.jobPreparationTaskExecutionInfo?.result, "failure");
    assert.equal(failed?.jobPreparationTaskExecutionInfo?.retryCount, 1);
    assert.equal(entries.find((entry) => entry.nodeId === done.nodeInfo.nodeId)?.jobPreparationTaskExecutionInfo?.result, "success");
    // The excluded node is not used again for this job, affinity or not.
    assert.equal((await call("POST", "/jobs/picky/tasks", { id: "again", commandLine: "/bin/true", affinityInfo: { affinityId: bad.affinityId } })).status, 201);
    const again = await waitFor("the second task to complete", async () => {
      const task = await get("/jobs/picky/tasks/again");
      return task.state === "completed" ? task : undefined;
    });
    assert.notEqual(again.nodeInfo.nodeId, bad.id);
  });

  it("deleting an active job runs its release tasks first (deleting), then the job is gone", async () => {
    assert.equal((await call("POST", "/jobs", {
      id: "doomed", poolInfo: { poolId: "preppool" },
      jobPreparationTask: { commandLine: "/bin/true" },
      jobReleaseTask: { commandLine: "/bin/sh -c 'sleep 1; touch $AZ_BATCH_NODE_SHARED_DIR/doomed-released'" },
    })).status, 201);
    assert.equal((await call("POST", "/jobs/doomed/tasks", { id: "t", commandLine: "/bin/true" })).status, 201);
    const done = await waitFor("the task to complete", async () => {
      const task = await get("/jobs/doomed/tasks/t");
      return task.state === "completed" ? task : undefined;
    });
    assert.equal((await call("DELETE", "/jobs/doomed")).status, 202);
    assert.equal((await get("/jobs/doomed")).state, "deleting");
    assert.equal(batchErrorCode(await call("POST", "/jobs/doomed/tasks", { id: "late", commandLine: "/bin/true" })), "JobBeingDeleted");
    await waitFor("the job to be gone", async () => ((await call("GET", "/jobs/doomed")).status === 404 ? true : undefined));
    assert.equal((await nodeFile(done.nodeInfo.nodeId, "shared/doomed-released")).status, 200);
  });
});
