import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

describe("exit conditions and job disable", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;
  const taskIn = (jobId: string, taskId: string, state: string) =>
    waitFor(`${jobId}/${taskId} ${state}`, async () => {
      const task = await get(`/jobs/${jobId}/tasks/${taskId}`);
      return task.state === state ? task : undefined;
    });
  const jobIn = (jobId: string, state: string) =>
    waitFor(`${jobId} ${state}`, async () => {
      const job = await get(`/jobs/${jobId}`);
      return job.state === state ? job : undefined;
    });
  const addJob = async (id: string, extra: object = {}) =>
    assert.equal((await call("POST", "/jobs", { id, poolInfo: { poolId: "exitpool" }, ...extra })).status, 201);
  const addTask = async (jobId: string, task: object) => {
    const added = await call("POST", `/jobs/${jobId}/tasks`, task);
    assert.equal(added.status, 201, added.text);
  };

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", {
      id: "exitpool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, taskSlotsPerNode: 4,
      virtualMachineConfiguration: ubuntuVm,
    })).status, 201);
  });
  after(() => server.dispose());

  it("refuses a job action in a job that does not perform exit options, naming the property", async () => {
    await addJob("plainjob");
    const refused = await call("POST", "/jobs/plainjob/tasks", {
      id: "t", commandLine: "/bin/true", exitConditions: { exitCodeRanges: [{ start: 1, end: 5, exitOptions: { jobAction: "none" } }] },
    });
    assert.equal(refused.status, 400);
    assert.equal(batchErrorCode(refused), "InvalidPropertyValue");
    assert.match(refused.text, /exitConditions\.exitCodeRanges\[0\]\.exitOptions\.jobAction/);
    const allowed = await call("POST", "/jobs/plainjob/tasks", { id: "t", commandLine: "/bin/true", exitConditions: { default: { dependencyAction: "satisfy" } } });
    assert.equal(allowed.status, 201, allowed.text);
  });

  it("an exit code mapped to jobAction none leaves the job active although the task failed", async () => {
    await addJob("tolerant", { onTaskFailure: "performexitoptionsjobaction" });
    await addTask("tolerant", { id: "three", commandLine: "/bin/sh -c 'exit 3'", exitConditions: { exitCodes: [{ code: 3, exitOptions: { jobAction: "none" } }] } });
    const task = await taskIn("tolerant", "three", "completed");
    assert.equal(task.executionInfo.result, "failure");
    assert.equal(task.executionInfo.exitCode, 3);
    assert.equal((await get("/jobs/tolerant")).state, "active");
  });

  it("an unlisted failure takes default; a listed success can terminate the job (TaskFailed)", async () => {
    await addJob("mapped", { onTaskFailure: "performexitoptionsjobaction" });
    await addTask("mapped", { id: "odd", commandLine: "/bin/sh -c 'exit 42'", exitConditions: { default: { jobAction: "none" } } });
    await taskIn("mapped", "odd", "completed");
    assert.equal((await get("/jobs/mapped")).state, "active");
    await addTask("mapped", { id: "zero", commandLine: "/bin/true", exitConditions: { exitCodes: [{ code: 0, exitOptions: { jobAction: "terminate" } }] } });
    const job = await jobIn("mapped", "completed");
    assert.equal(job.executionInfo.terminateReason, "TaskFailed");
    assert.equal((await get("/jobs/mapped/tasks/zero")).executionInfo.result, "success");
  });

  it("jobAction disable (from a range) disables the job and requeues its running tasks, which run again on enable", async () => {
    await addJob("disabler", { onTaskFailure: "performexitoptionsjobaction" });
    await addTask("disabler", { id: "bystander", commandLine: "/bin/sh -c 'echo go >> $AZ_BATCH_NODE_SHARED_DIR/bystander; sleep 3'" });
    const running = await taskIn("disabler", "bystander", "running");
    const runs = () => call("GET", `/pools/exitpool/nodes/${running.nodeInfo.nodeId}/files/shared%2Fbystander`);
    await waitFor("the bystander to start", async () => ((await runs()).text === "go\n" ? true : undefined));
    await addTask("disabler", { id: "trigger", commandLine: "/bin/sh -c 'exit 7'", exitConditions: { exitCodeRanges: [{ start: 5, end: 9, exitOptions: { jobAction: "disable" } }] } });
    await jobIn("disabler", "disabled");
    const requeued = await get("/jobs/disabler/tasks/bystander");
    assert.equal(requeued.state, "active");
    assert.equal(requeued.executionInfo.requeueCount, 1);
    assert.equal(requeued.executionInfo.retryCount, 0);
    assert.equal((await call("POST", "/jobs/disabler/enable")).status, 202);
    const done = await taskIn("disabler", "bystander", "completed");
    assert.equal(done.executionInfo.result, "success");
    assert.equal((await runs()).text, "go\ngo\n");
  });

  it("dependency actions: satisfy on a failure releases dependants, block on a success holds them", async () => {
    await addJob("deps", { usesTaskDependencies: true });
    await addTask("deps", { id: "fails", commandLine: "/bin/sh -c 'exit 1'", exitConditions: { default: { dependencyAction: "satisfy" } } });
    await addTask("deps", { id: "holds", commandLine: "/bin/true", exitConditions: { exitCodes: [{ code: 0, exitOptions: { dependencyAction: "block" } }] } });
    await addTask("deps", { id: "after-fails", commandLine: "/bin/true", dependsOn: { taskIds: ["fails"] } });
    await addTask("deps", { id: "after-holds", commandLine: "/bin/true", dependsOn: { taskIds: ["holds"] } });
    assert.equal((await taskIn("deps", "after-fails", "completed")).executionInfo.result, "success");
    await taskIn("deps", "holds", "completed");
    // Give the scheduler rounds that could place it: another task runs after the block was recorded.
    await addTask("deps", { id: "later", commandLine: "/bin/true" });
    await taskIn("deps", "later", "completed");
    assert.equal((await get("/jobs/deps/tasks/after-holds")).state, "active");
  });

  it("a pre-processing failure (program not found) takes preProcessingError and is not retried", async () => {
    await addJob("prep-error", { onTaskFailure: "performexitoptionsjobaction" });
    await addTask("prep-error", {
      id: "missing", commandLine: "/no/such/program", constraints: { maxTaskRetryCount: 3 },
      exitConditions: { preProcessingError: { jobAction: "none" } },
    });
    const task = await taskIn("prep-error", "missing", "completed");
    assert.equal(task.executionInfo.retryCount, 0);
    assert.equal(task.executionInfo.failureInfo.code, "CommandProgramNotFound");
    assert.equal((await get("/jobs/prep-error")).state, "active");
  });

  it("disable with wait keeps the job disabling until its running task finishes; terminate ends running tasks", async () => {
    await addJob("waiter");
    await addTask("waiter", { id: "slow", commandLine: "/bin/sleep 2" });
    await taskIn("waiter", "slow", "running");
    assert.equal((await call("POST", "/jobs/waiter/disable", { disableTasks: "wait" })).status, 202);
    assert.equal((await get("/jobs/waiter")).state, "disabling");
    assert.equal((await get("/jobs/waiter/tasks/slow")).state, "running");
    await jobIn("waiter", "disabled");
    assert.equal((await get("/jobs/waiter/tasks/slow")).executionInfo.result, "success");

    await addJob("stopper");
    await addTask("stopper", { id: "long", commandLine: "/bin/sleep 60" });
    await taskIn("stopper", "long", "running");
    assert.equal((await call("POST", "/jobs/stopper/disable", { disableTasks: "terminate" })).status, 202);
    assert.equal((await get("/jobs/stopper")).state, "disabled");
    const ended = await get("/jobs/stopper/tasks/long");
    assert.equal(ended.state, "completed");
    assert.equal(ended.executionInfo.failureInfo.code, "TaskEnded");
    const again = await call("POST", "/jobs/stopper/disable", { disableTasks: "requeue" });
    assert.equal(again.status, 202, "disabling a disabled job is accepted");
  });

  it("a disabling job is disabled once its last running task leaves its run for a retry or a requeue", async () => {
    await addJob("retried");
    await addTask("retried", { id: "flaky", commandLine: "/bin/sh -c 'sleep 1; exit 1'", constraints: { maxTaskRetryCount: 1 } });
    await taskIn("retried", "flaky", "running");
    assert.equal((await call("POST", "/jobs/retried/disable", { disableTasks: "wait" })).status, 202);
    assert.equal((await get("/jobs/retried")).state, "disabling");
    await jobIn("retried", "disabled");
    const retry = await get("/jobs/retried/tasks/flaky");
    assert.equal(retry.state, "active", "a disabled job starts no retry");
    assert.equal(retry.executionInfo.retryCount, 1);

    await addJob("requeued");
    await addTask("requeued", { id: "long", commandLine: "/bin/sleep 60" });
    const running = await taskIn("requeued", "long", "running");
    assert.equal((await call("POST", "/jobs/requeued/disable", { disableTasks: "wait" })).status, 202);
    assert.equal((await call("POST", `/pools/exitpool/nodes/${running.nodeInfo.nodeId}/reboot`, { nodeRebootOption: "requeue" })).status, 202);
    assert.equal((await get("/jobs/requeued")).state, "disabled", "the reboot's requeue left the job no running task");
    const requeued = await get("/jobs/requeued/tasks/long");
    assert.equal(requeued.state, "active");
    assert.equal(requeued.executionInfo.requeueCount, 1);
  });
});
