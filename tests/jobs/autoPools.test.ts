import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const poolSpecification = {
  vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1,
  virtualMachineConfiguration: ubuntuVm,
};

describe("auto pools", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
  });
  after(() => server.dispose());

  it("makes a pool for the job, runs its tasks there and deletes the pool when the job completes", async () => {
    const added = await call("POST", "/jobs", {
      id: "auto", onAllTasksComplete: "noaction",
      poolInfo: { autoPoolSpecification: { autoPoolIdPrefix: "render", poolLifetimeOption: "job", pool: poolSpecification } },
    });
    assert.equal(added.status, 201, added.text);
    const job = await get("/jobs/auto");
    const poolId = job.executionInfo.poolId as string;
    assert.match(poolId, /^render_[0-9A-F-]{36}$/);
    assert.deepEqual(job.poolInfo.autoPoolSpecification.autoPoolIdPrefix, "render");
    assert.equal((await get(`/pools/${poolId}`)).vmSize, "Standard_D2s_v3");
    assert.equal((await call("POST", "/jobs/auto/tasks", { id: "t", commandLine: "/bin/sh -c 'echo $AZ_BATCH_POOL_ID'" })).status, 201);
    const task = await waitFor("the task to complete", async () => {
      const current = await get("/jobs/auto/tasks/t");
      return current.state === "completed" ? current : undefined;
    });
    assert.equal(task.nodeInfo.poolId, poolId);
    assert.equal((await call("GET", "/jobs/auto/tasks/t/files/stdout.txt")).text, `${poolId}\n`);
    assert.equal((await call("PATCH", "/jobs/auto", { onAllTasksComplete: "terminatejob" })).status, 200);
    assert.equal((await get("/jobs/auto")).state, "completed");
    await waitFor("the auto pool to be gone", async () => ((await call("GET", `/pools/${poolId}`)).status === 404 ? true : undefined));
  });

  it("keeps the pool with keepAlive, and removes an unneeded one when its job is deleted", async () => {
    for (const [id, keepAlive] of [["kept", true], ["dropped", false]] as const) {
      const added = await call("POST", "/jobs", { id, poolInfo: { autoPoolSpecification: { poolLifetimeOption: "job", keepAlive, pool: { ...poolSpecification, targetDedicatedNodes: 0 } } } });
      assert.equal(added.status, 201, added.text);
    }
    const kept = (await get("/jobs/kept")).executionInfo.poolId as string;
    const dropped = (await get("/jobs/dropped")).executionInfo.poolId as string;
    assert.match(dropped, /^[0-9A-F-]{36}$/, "without a prefix the id is the GUID");
    assert.equal((await call("POST", "/jobs/kept/terminate")).status, 202);
    assert.equal((await call("DELETE", "/jobs/dropped")).status, 202);
    await waitFor("the dropped pool to be gone", async () => ((await call("GET", `/pools/${dropped}`)).status === 404 ? true : undefined));
    assert.equal((await call("GET", `/pools/${kept}`)).status, 200);
  });

  it("deletes the pool of a job deleted while its release tasks run, once they end and the job is gone (also a schedule's job)", async () => {
    const jobSpecification = {
      poolInfo: { autoPoolSpecification: { poolLifetimeOption: "job", keepAlive: false, pool: poolSpecification } },
      jobPreparationTask: { commandLine: "/bin/true" },
      jobReleaseTask: { commandLine: "/bin/sh -c 'sleep 2'" },
    };
    assert.equal((await call("POST", "/jobs", { id: "released", ...jobSpecification })).status, 201);
    const scheduled = await call("POST", "/jobschedules", { id: "releasing", schedule: {}, jobSpecification });
    assert.equal(scheduled.status, 201, scheduled.text);
    const scheduleJob = await waitFor("the schedule's job", async () => (await call("GET", "/jobs/releasing:job-1")).status === 200 ? "releasing:job-1" : undefined);
    for (const jobId of ["released", scheduleJob]) {
      const poolId = (await get(`/jobs/${jobId}`)).executionInfo.poolId as string;
      assert.equal((await call("POST", `/jobs/${jobId}/tasks`, { id: "t", commandLine: "/bin/true" })).status, 201);
      await waitFor(`${jobId}'s task to complete`, async () => ((await get(`/jobs/${jobId}/tasks/t`)).state === "completed" ? true : undefined));
      assert.equal((await call("DELETE", `/jobs/${jobId}`)).status, 202);
      assert.equal((await get(`/jobs/${jobId}`)).state, "deleting", "the release task runs first");
      assert.equal((await get(`/pools/${poolId}`)).state, "active", "the pool stays while the release runs on it");
      await waitFor(`${jobId} to be gone`, async () => ((await call("GET", `/jobs/${jobId}`)).status === 404 ? true : undefined));
      await waitFor(`${jobId}'s auto pool to be gone`, async () => ((await call("GET", `/pools/${poolId}`)).status === 404 ? true : undefined));
    }
  });

  it("completes the job with InvalidAutoPoolSettings when the pool specification is refused, and refuses bad auto pool settings", async () => {
    const added = await call("POST", "/jobs", { id: "badspec", poolInfo: { autoPoolSpecification: { poolLifetimeOption: "job", pool: { ...poolSpecification, taskSlotsPerNode: 999 } } } });
    assert.equal(added.status, 201, added.text);
    const job = await get("/jobs/badspec");
    assert.equal(job.state, "completed");
    assert.equal(job.executionInfo.schedulingError.code, "InvalidAutoPoolSettings");
    assert.equal(job.executionInfo.schedulingError.category, "usererror");
    const lifetime = await call("POST", "/jobs", { id: "wrong", poolInfo: { autoPoolSpecification: { poolLifetimeOption: "jobschedule", pool: poolSpecification } } });
    assert.equal(lifetime.status, 400);
    assert.match(lifetime.text, /poolLifetimeOption/);
    const both = await call("POST", "/jobs", { id: "both", poolInfo: { poolId: "p", autoPoolSpecification: { poolLifetimeOption: "job", pool: poolSpecification } } });
    assert.equal(batchErrorCode(both), "InvalidPropertyValue");
    const taken = await call("POST", "/jobs", { id: "AUTO", poolInfo: { autoPoolSpecification: { poolLifetimeOption: "job", pool: poolSpecification } } });
    assert.equal(batchErrorCode(taken), "JobExists");
  });
});
