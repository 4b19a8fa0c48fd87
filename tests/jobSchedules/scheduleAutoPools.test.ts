/**
 * Auto pools of job schedules: lifetime `jobSchedule` (one pool made with the first job, shared by the schedule's
 * jobs, deleted with the schedule) and lifetime `job` (one pool per job, deleted when that job completes). The
 * server runs no agents; the pools' nodes stay `creating`, which is all these rules need.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SimulatedClock } from "@openbatch/core";
import { apiVersion, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const minute = 60_000;
const pool = {
  vmSize: "Standard_D2s_v3", targetDedicatedNodes: 0,
  virtualMachineConfiguration: ubuntuVm,
};

describe("job schedules with auto pools", () => {
  let server: TestServer;
  const clock = new SimulatedClock(new Date("2030-02-01T00:00:00Z"));
  const call = (method: string, path: string, body?: object): Promise<BatchResponse> =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, date: clock.now(), ...(body === undefined ? {} : { body }) });
  const job = async (id: string) => (await call("GET", `/jobs/${encodeURIComponent(id)}`)).json;
  const jobExists = (id: string) => waitFor(`job ${id}`, async () => ((await call("GET", `/jobs/${encodeURIComponent(id)}`)).status === 200 ? job(id) : undefined), 20_000);
  const poolGone = (id: string) => waitFor(`pool ${id} gone`, async () => ((await call("GET", `/pools/${id}`)).status === 404 ? true : undefined), 20_000);

  before(async () => {
    server = await startTestServer({ localAgentEntry: undefined, clock, clockSkewInSeconds: 10 * 365 * 86_400 });
  });
  after(() => server.dispose());

  it("lifetime jobSchedule: one pool for every job of the schedule, deleted with the schedule", async () => {
    const added = await call("POST", "/jobschedules", {
      id: "shared", schedule: { recurrenceInterval: "PT1M" },
      jobSpecification: { poolInfo: { autoPoolSpecification: { autoPoolIdPrefix: "sched", poolLifetimeOption: "jobschedule", pool } } },
    });
    assert.equal(added.status, 201, added.text);
    const first = await jobExists("shared:job-1");
    const poolId = first.executionInfo.poolId as string;
    assert.match(poolId, /^sched_[0-9A-F-]{36}$/);
    assert.equal((await call("GET", `/pools/${poolId}`)).status, 200);
    assert.equal((await call("POST", "/jobs/shared:job-1/terminate")).status, 202);
    clock.advance(minute);
    const second = await jobExists("shared:job-2");
    assert.equal(second.executionInfo.poolId, poolId, "the schedule's jobs share its pool");
    assert.equal((await call("GET", `/pools/${poolId}`)).status, 200, "a job's end does not take the schedule's pool");
    assert.equal((await call("DELETE", "/jobschedules/shared")).status, 202);
    await poolGone(poolId);
  });

  it("lifetime job: a pool per job, deleted when that job completes", async () => {
    const added = await call("POST", "/jobschedules", {
      id: "own", schedule: { recurrenceInterval: "PT1M" },
      jobSpecification: { poolInfo: { autoPoolSpecification: { poolLifetimeOption: "job", pool } } },
    });
    assert.equal(added.status, 201, added.text);
    const first = await jobExists("own:job-1");
    const firstPool = first.executionInfo.poolId as string;
    assert.equal((await call("POST", "/jobs/own:job-1/terminate")).status, 202);
    await poolGone(firstPool);
    clock.advance(minute);
    const second = await jobExists("own:job-2");
    assert.notEqual(second.executionInfo.poolId, firstPool);
    assert.equal((await call("GET", `/pools/${second.executionInfo.poolId}`)).status, 200);
    assert.equal((await call("POST", "/jobschedules/own/terminate")).status, 202);
    await poolGone(second.executionInfo.poolId);
  });
});
