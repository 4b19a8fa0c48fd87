import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";
import { ubuntuVm } from "../support/pools.js";

const account = testAccounts.alpha;

describe("task terminate, delete, reactivate and update", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const task = async (id: string) => (await call("GET", `/jobs/ctl/tasks/${id}`)).json;
  const settled = (id: string, state: string) => waitFor(`${id} ${state}`, async () => ((await task(id)).state === state ? task(id) : undefined));

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", {
      id: "ctlpool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, taskSlotsPerNode: 2,
      virtualMachineConfiguration: ubuntuVm,
    })).status, 201);
    assert.equal((await call("POST", "/jobs", { id: "ctl", poolInfo: { poolId: "ctlpool" } })).status, 201);
  });
  after(() => server.dispose());

  it("terminates a running task: its process is killed, it completes with TaskEnded and frees its slot", async () => {
    assert.equal((await call("POST", "/jobs/ctl/tasks", { id: "sleeper", commandLine: "/bin/sleep 60" })).status, 201);
    await settled("sleeper", "running");
    const terminated = await call("POST", "/jobs/ctl/tasks/sleeper/terminate");
    assert.equal(terminated.status, 204, terminated.text);
    const done = await task("sleeper");
    assert.equal(done.state, "completed");
    assert.equal(done.executionInfo.failureInfo.code, "TaskEnded");
    const again = await call("POST", "/jobs/ctl/tasks/sleeper/terminate");
    assert.equal(again.status, 409);
    assert.equal(batchErrorCode(again), "TaskCompleted");
    await waitFor("the node to be idle", async () => {
      const nodes = (await call("GET", "/pools/ctlpool/nodes")).json.value;
      return nodes[0]?.state === "idle" && nodes[0]?.runningTasksCount === 0 ? true : undefined;
    });
  });

  it("reactivates a failed task with its retry count reset, and refuses succeeded or unfinished ones", async () => {
    assert.equal((await call("POST", "/jobs/ctl/tasks", { id: "flaky", commandLine: "/bin/sh -c 'exit 4'" })).status, 201);
    assert.equal((await call("POST", "/jobs/ctl/tasks", { id: "fine", commandLine: "/bin/true" })).status, 201);
    const failed = await settled("flaky", "completed");
    assert.equal(failed.executionInfo.exitCode, 4);
    await settled("fine", "completed");
    const refused = await call("POST", "/jobs/ctl/tasks/fine/reactivate");
    assert.equal(refused.status, 409);
    assert.equal(batchErrorCode(refused), "TaskSucceeded");
    assert.equal((await call("POST", "/jobs/ctl/tasks/flaky/reactivate")).status, 204);
    const rerun = await waitFor("the rerun", async () => {
      const current = await task("flaky");
      return current.state === "completed" && current.previousState === "running" && Date.parse(current.stateTransitionTime) > Date.parse(failed.stateTransitionTime) ? current : undefined;
    });
    assert.equal(rerun.executionInfo.retryCount, 0);
    assert.equal(rerun.executionInfo.exitCode, 4);
  });

  it("updates constraints (PUT replaces them) and deletes a running task", async () => {
    assert.equal((await call("POST", "/jobs/ctl/tasks", { id: "long", commandLine: "/bin/sleep 60", constraints: { maxTaskRetryCount: 3 } })).status, 201);
    const updated = await call("PUT", "/jobs/ctl/tasks/long", { constraints: { maxWallClockTime: "PT1H" } });
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual((await task("long")).constraints, { maxTaskRetryCount: 0, retentionTime: "P7D", maxWallClockTime: "PT1H" });
    await settled("long", "running");
    assert.equal((await call("DELETE", "/jobs/ctl/tasks/long")).status, 200);
    assert.equal((await call("GET", "/jobs/ctl/tasks/long")).status, 404);
    await waitFor("the slot to be freed", async () => {
      const nodes = (await call("GET", "/pools/ctlpool/nodes")).json.value;
      return nodes[0]?.runningTasksCount === 0 ? true : undefined;
    });
  });
});

describe("running tasks on nodes that restart or leave", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const task = async (id: string) => (await call("GET", `/jobs/rq/tasks/${id}`)).json;

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", {
      id: "rqpool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1,
      virtualMachineConfiguration: ubuntuVm,
    })).status, 201);
    assert.equal((await call("POST", "/jobs", { id: "rq", poolInfo: { poolId: "rqpool" } })).status, 201);
  });
  after(() => server.dispose());

  it("requeues a running task when its node reboots (requeueCount, no retry used), and it runs again", async () => {
    assert.equal((await call("POST", "/jobs/rq/tasks", { id: "survivor", commandLine: "/bin/sh -c 'echo run >> $AZ_BATCH_NODE_SHARED_DIR/runs; sleep 2'" })).status, 201);
    const running = await waitFor("the task to run", async () => ((await task("survivor")).state === "running" ? task("survivor") : undefined));
    // "running" is set when the task is assigned; reboot only once its process has really written, or there is nothing to requeue.
    await waitFor("the first run to write", async () =>
      (await call("GET", `/pools/rqpool/nodes/${running.nodeInfo.nodeId}/files/shared%2Fruns`)).text === "run\n" ? true : undefined);
    const rebooted = await call("POST", `/pools/rqpool/nodes/${running.nodeInfo.nodeId}/reboot`);
    assert.equal(rebooted.status, 202, rebooted.text);
    const done = await waitFor("the task to complete after the reboot", async () => ((await task("survivor")).state === "completed" ? task("survivor") : undefined), 60_000);
    assert.equal(done.executionInfo.result, "success");
    assert.equal(done.executionInfo.requeueCount, 1);
    assert.equal(done.executionInfo.retryCount, 0);
    const runs = await call("GET", `/pools/rqpool/nodes/${running.nodeInfo.nodeId}/files/shared%2Fruns`);
    assert.equal(runs.text, "run\nrun\n");
  });

  it("completes running tasks as failed when scheduling is disabled with terminate", async () => {
    assert.equal((await call("POST", "/jobs/rq/tasks", { id: "victim", commandLine: "/bin/sleep 60" })).status, 201);
    const running = await waitFor("the task to run", async () => ((await task("victim")).state === "running" ? task("victim") : undefined));
    const disabled = await call("POST", `/pools/rqpool/nodes/${running.nodeInfo.nodeId}/disablescheduling`, { nodeDisableSchedulingOption: "terminate" });
    assert.equal(disabled.status, 200, disabled.text);
    const done = await task("victim");
    assert.equal(done.state, "completed");
    assert.equal(done.executionInfo.failureInfo.code, "TaskEnded");
    await waitFor("the node to be offline", async () => ((await call("GET", `/pools/rqpool/nodes/${running.nodeInfo.nodeId}`)).json.state === "offline" ? true : undefined));
  });
});
