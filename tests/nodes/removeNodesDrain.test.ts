/**
 * Remove nodes with `taskcompletion` / `retaineddata`: the named node turns `leavingpool`, takes no new task, lets
 * its running task finish and only then leaves; `resizeTimeout` bounds the removal as it bounds a resize (the pool
 * settles with `AllocationTimedOut`, keeping a node still draining). requeue and terminate are covered in
 * tests/tasks/nodeRemoval.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { pythonSnippet } from "../support/pythonSnippet.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

interface Task {
  state: string;
  nodeInfo?: { nodeId: string };
  executionInfo?: { result?: string; requeueCount?: number };
}

/** A real server whose clock can be moved forward; agents report against it. */
async function serverWithClock(): Promise<{ server: TestServer; advance: (ms: number) => void; now: () => Date }> {
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  // A long heartbeat timeout: moving the clock must not make the agents look silent.
  const server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1, nodeHeartbeatTimeoutInSeconds: 3600, clock: { now } });
  return { server, now, advance: (ms) => (offset += ms) };
}

describe("remove nodes that let their running tasks finish", () => {
  let server: TestServer;
  let advance: (ms: number) => void;
  let now: () => Date;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, date: now(), ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;
  const task = (id: string): Promise<Task> => get(`/jobs/dj/tasks/${id}`);
  const taskIn = (id: string, state: string) => waitFor(`${id} ${state}`, async () => ((await task(id)).state === state ? task(id) : undefined), 60_000);
  const nodes = async () => (await get("/pools/dp/nodes")).value as { id: string; state: string }[];
  const steadyWith = (count: number) =>
    waitFor(`a steady pool of ${count} idle node(s)`, async () => {
      const [pool, list] = await Promise.all([get("/pools/dp"), nodes()]);
      return pool.allocationState === "steady" && list.length === count && list.every((node) => node.state === "idle") ? pool : undefined;
    }, 60_000);
  const add = async (id: string, commandLine: string) => assert.equal((await call("POST", "/jobs/dj/tasks", { id, commandLine })).status, 201);

  before(async () => {
    ({ server, advance, now } = await serverWithClock());
    assert.equal((await call("POST", "/pools", {
      id: "dp", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 2, taskSlotsPerNode: 2, virtualMachineConfiguration: ubuntuVm,
    })).status, 201);
    await steadyWith(2);
    assert.equal((await call("POST", "/jobs", { id: "dj", poolInfo: { poolId: "dp" } })).status, 201);
  });
  after(() => server.dispose());

  it("taskcompletion: the named node drains as leavingpool, takes no new task, and leaves once its task ended", async () => {
    await add("a", "/bin/sh -c 'sleep 8; echo finished'");
    const running = await taskIn("a", "running");
    const leaver = running.nodeInfo?.nodeId as string;
    const state = await pythonSnippet(server.url, account, `
client.pool.remove_nodes("dp", batchmodels.NodeRemoveParameter(node_list=[${JSON.stringify(leaver)}], node_deallocation_option="taskcompletion"))
emit(client.compute_node.get("dp", ${JSON.stringify(leaver)}).state)
`);
    assert.equal(state, "leavingpool");
    const pool = await get("/pools/dp");
    assert.equal(pool.allocationState, "resizing");
    assert.equal(pool.targetDedicatedNodes, 1);
    assert.equal((await task("a")).state, "running", "its task keeps running");

    // The leaving node has a free slot, but a new task goes to the node that stays.
    await add("b", "/bin/true");
    const placed = await taskIn("b", "completed");
    assert.notEqual(placed.nodeInfo?.nodeId, leaver);
    assert.ok((await nodes()).some((node) => node.id === leaver && node.state === "leavingpool"), "still draining");

    const done = await taskIn("a", "completed");
    assert.equal(done.executionInfo?.result, "success");
    assert.equal(done.executionInfo?.requeueCount, 0);
    const settled = await steadyWith(1);
    assert.equal(settled.currentDedicatedNodes, 1);
    assert.ok(!(await nodes()).some((node) => node.id === leaver), "the node left once its task had ended");
  });

  it("retaineddata: the named node's task finishes before the node leaves", async () => {
    assert.equal((await call("POST", "/pools/dp/resize", { targetDedicatedNodes: 2 })).status, 202);
    await steadyWith(2);
    await add("c", "/bin/sh -c 'sleep 4; echo finished'");
    const leaver = (await taskIn("c", "running")).nodeInfo?.nodeId as string;
    const removed = await call("POST", "/pools/dp/removenodes", { nodeList: [leaver], nodeDeallocationOption: "retaineddata" });
    assert.equal(removed.status, 202, removed.text);
    const done = await taskIn("c", "completed");
    assert.equal(done.executionInfo?.result, "success");
    assert.equal(done.executionInfo?.requeueCount, 0);
    await steadyWith(1);
    assert.ok(!(await nodes()).some((node) => node.id === leaver));
  });

  it("resizeTimeout: a removal still draining when it expires settles the pool with AllocationTimedOut and keeps the node", async () => {
    assert.equal((await call("POST", "/pools/dp/resize", { targetDedicatedNodes: 2 })).status, 202);
    await steadyWith(2);
    await add("long", "/bin/sleep 120");
    const leaver = (await taskIn("long", "running")).nodeInfo?.nodeId as string;
    const removed = await call("POST", "/pools/dp/removenodes", { nodeList: [leaver], nodeDeallocationOption: "taskcompletion", resizeTimeout: "PT5M" });
    assert.equal(removed.status, 202, removed.text);
    const resizing = await get("/pools/dp");
    assert.equal(resizing.resizeTimeout, "PT5M", "the removal's timeout is the pool's resize timeout");
    assert.equal(resizing.allocationState, "resizing");

    advance(6 * 60_000);
    const pool = await waitFor("the removal to time out", async () => {
      const body = await get("/pools/dp");
      return body.allocationState === "steady" ? body : undefined;
    }, 30_000);
    assert.equal(pool.resizeErrors?.[0]?.code, "AllocationTimedOut");
    assert.deepEqual(pool.resizeErrors?.[0]?.values, [{ name: "ResizeTimeout", value: "PT5M" }]);
    assert.equal(pool.currentDedicatedNodes, 2, "the draining node stays");
    assert.equal(pool.targetDedicatedNodes, 1);
    const kept = (await nodes()).find((node) => node.id === leaver);
    assert.equal(kept?.state, "running", "it takes tasks again");
    assert.equal((await task("long")).state, "running", "its task was never touched");
    assert.equal((await call("POST", "/jobs/dj/tasks/long/terminate")).status, 204);
  });
});
