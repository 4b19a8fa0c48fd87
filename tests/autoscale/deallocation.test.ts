/**
 * $NodeDeallocationOption on a real local pool (real agents and task processes; the server clock runs 60× so the
 * enable cooldown passes quickly): `taskcompletion` lets the running task finish before its node leaves, `terminate`
 * ends it at once as failed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const image = { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" };

describe("autoscale $NodeDeallocationOption", () => {
  let server: TestServer;
  const realStart = Date.now();
  const clock = { now: () => new Date(realStart + (Date.now() - realStart) * 60) };
  before(async () => {
    server = await startTestServer({ clock, autoscaleTickInMs: 100, nodeHeartbeatTimeoutInSeconds: 30 * 24 * 3600, clockSkewInSeconds: 365 * 24 * 3600 });
  });
  after(() => server.dispose());

  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, date: clock.now(), ...(body === undefined ? {} : { body }) });

  async function shrinkWhileRunning(poolId: string, option: string) {
    const created = await call("POST", "/pools", { id: poolId, vmSize: "Standard_D2s_v3", virtualMachineConfiguration: image, enableAutoScale: true, autoScaleFormula: "$TargetDedicatedNodes = 1" });
    assert.equal(created.status, 201, created.text);
    await waitFor("a steady pool with one node", async () => {
      const pool = (await call("GET", `/pools/${poolId}`)).json;
      return pool.allocationState === "steady" && pool.currentDedicatedNodes === 1 ? true : undefined;
    });
    assert.equal((await call("POST", "/jobs", { id: `${poolId}-job`, poolInfo: { poolId } })).status, 201);
    assert.equal((await call("POST", `/jobs/${poolId}-job/tasks`, { id: "long", commandLine: "/bin/sh -c 'sleep 8'" })).status, 201);
    await waitFor("the task to run", async () => ((await call("GET", `/jobs/${poolId}-job/tasks/long`)).json.state === "running" ? true : undefined));
    const enabled = await waitFor("enable to be accepted", async () => {
      const response = await call("POST", `/pools/${poolId}/enableautoscale`, { autoScaleFormula: `$TargetDedicatedNodes = 0; $NodeDeallocationOption = ${option}` });
      return response.status === 200 ? response : undefined;
    });
    assert.equal(enabled.status, 200);
    return {
      task: () => call("GET", `/jobs/${poolId}-job/tasks/long`).then((r) => r.json),
      nodes: () => call("GET", `/pools/${poolId}/nodes`).then((r) => r.json.value as { state: string }[]),
      pool: () => call("GET", `/pools/${poolId}`).then((r) => r.json),
    };
  }

  it("taskcompletion: the node turns leavingpool, the task finishes successfully, then the node goes", async () => {
    const pool = await shrinkWhileRunning("drain-complete", "taskcompletion");
    await waitFor("the node to turn leavingpool", async () => ((await pool.nodes())[0]?.state === "leavingpool" ? true : undefined));
    assert.equal((await pool.task()).state, "running", "the task keeps running on the leaving node");
    const task = await waitFor("the task to complete", async () => {
      const current = await pool.task();
      return current.state === "completed" ? current : undefined;
    });
    assert.equal(task.executionInfo.exitCode, 0);
    assert.equal(task.executionInfo.result, "success");
    assert.equal(task.executionInfo.requeueCount, 0);
    await waitFor("the node to go and the pool to settle", async () => {
      const current = await pool.pool();
      return current.allocationState === "steady" && current.currentDedicatedNodes === 0 && (await pool.nodes()).length === 0 ? true : undefined;
    });
  });

  it("terminate: the running task ends at once as failed and is not rerun", async () => {
    const pool = await shrinkWhileRunning("drain-terminate", "terminate");
    const task = await waitFor("the task to end", async () => {
      const current = await pool.task();
      return current.state === "completed" ? current : undefined;
    });
    assert.equal(task.executionInfo.result, "failure");
    assert.equal(task.executionInfo.requeueCount, 0);
    await waitFor("the pool to settle empty", async () => {
      const current = await pool.pool();
      return current.allocationState === "steady" && current.currentDedicatedNodes === 0 && (await pool.nodes()).length === 0 ? true : undefined;
    });
  });
});
