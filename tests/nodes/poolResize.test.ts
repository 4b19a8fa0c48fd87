/**
 * Resizing with real agents: stop resize settles a shrink halfway (`stopping` → `steady`, the nodes the pool still
 * has are kept), and Spot/low-priority targets are resized apart from the dedicated ones.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

describe("resizing pools", () => {
  let server: TestServer;
  let gates: string;
  const call = (method: string, path: string, body?: object): Promise<BatchResponse> =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;
  const nodesOf = async (poolId: string) => (await get(`/pools/${poolId}/nodes`)).value as any[];
  const countsOf = async (poolId: string) => (await get("/nodecounts")).value.find((entry: { poolId: string }) => entry.poolId === poolId);

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    gates = mkdtempSync(join(tmpdir(), "openbatch-gates-"));
  });
  after(async () => {
    // Start tasks still looping (a failed test) end when they see this; they ignore the agent's SIGTERM.
    writeFileSync(join(gates, "end"), "");
    await new Promise((resolve) => setTimeout(resolve, 500));
    await server.dispose();
    rmSync(gates, { recursive: true, force: true });
  });

  it("stops a shrink halfway: stopping, then steady with a node count between the old and the new target", async () => {
    // The start task runs until the test ends and ignores SIGTERM (waitForSuccess false, so nodes are idle
    // meanwhile): a node that leaves takes the agent's kill grace period to go, which keeps the shrink in progress
    // long enough to stop it.
    const created = await call("POST", "/pools", {
      id: "halfway", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 4, virtualMachineConfiguration: ubuntuVm,
      startTask: {
        commandLine: `/bin/sh -c "trap '' TERM; touch ${gates}/started-$AZ_BATCH_NODE_ID; while [ ! -e ${join(gates, "end")} ]; do sleep 0.2; done"`,
        waitForSuccess: false,
      },
    });
    assert.equal(created.status, 201, created.text);
    await waitFor("4 idle nodes whose start task process is up", async () => {
      const nodes = await nodesOf("halfway");
      const started = readdirSync(gates).filter((name) => name.startsWith("started-")).length;
      return nodes.length === 4 && nodes.every((node) => node.state === "idle") && started === 4 ? true : undefined;
    });
    assert.equal((await call("POST", "/jobs", { id: "halfjob", poolInfo: { poolId: "halfway" } })).status, 201);
    const gate = join(gates, "halfway");
    for (const id of ["a", "b"]) {
      assert.equal((await call("POST", "/jobs/halfjob/tasks", { id, commandLine: `/bin/sh -c "while [ ! -e ${gate} ]; do sleep 0.1; done"` })).status, 201);
    }
    await waitFor("two running nodes", async () => ((await nodesOf("halfway")).filter((node) => node.state === "running").length === 2 ? true : undefined));

    // To 1 with taskcompletion: the two idle nodes leave now, one busy node drains, one busy node stays.
    assert.equal((await call("POST", "/pools/halfway/resize", { targetDedicatedNodes: 1, nodeDeallocationOption: "taskcompletion" })).status, 202);
    await waitFor("three nodes leaving", async () => ((await nodesOf("halfway")).filter((node) => node.state === "leavingpool").length === 3 ? true : undefined));
    const stopped = await call("POST", "/pools/halfway/stopresize");
    assert.equal(stopped.status, 202, stopped.text);
    const stopping = await get("/pools/halfway");
    assert.equal(stopping.allocationState, "stopping", "while the removed nodes are still going");

    const steady = await waitFor("the pool to settle", async () => {
      const pool = await get("/pools/halfway");
      return pool.allocationState === "steady" ? pool : undefined;
    }, 60_000);
    assert.equal(steady.currentDedicatedNodes, 2, "the draining node is kept, the removed ones are gone");
    assert.equal(steady.targetDedicatedNodes, 2, "the targets become what the pool has");
    assert.ok(steady.allocationStateTransitionTime > stopping.allocationStateTransitionTime);
    const nodes = await nodesOf("halfway");
    assert.deepEqual(nodes.map((node) => node.state), ["running", "running"], "the kept node takes work again");
    const counts = await countsOf("halfway");
    assert.deepEqual([counts.dedicated.running, counts.dedicated.total], [2, 2]);

    writeFileSync(gate, "");
    for (const id of ["a", "b"]) {
      const task = await waitFor(`task ${id} to complete`, async () => {
        const current = await get(`/jobs/halfjob/tasks/${id}`);
        return current.state === "completed" ? current : undefined;
      });
      assert.equal(task.executionInfo.result, "success", id);
      assert.equal(task.executionInfo.requeueCount, 0, id);
    }
    assert.equal((await call("POST", "/pools/halfway/stopresize")).status, 202, "stopping a steady pool is accepted and changes nothing");
    assert.equal((await get("/pools/halfway")).allocationState, "steady");
    writeFileSync(join(gates, "end"), "");
    assert.equal((await call("DELETE", "/pools/halfway")).status, 202);
    await waitFor("the pool to be gone", async () => ((await call("GET", "/pools/halfway")).status === 404 ? true : undefined), 60_000);
  });

  it("resizes Spot/low-priority targets apart from the dedicated ones", async () => {
    const created = await call("POST", "/pools", { id: "mixed", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, virtualMachineConfiguration: ubuntuVm });
    assert.equal(created.status, 201, created.text);
    const settled = (dedicated: number, lowPriority: number) =>
      waitFor(`${dedicated} dedicated and ${lowPriority} Spot idle nodes`, async () => {
        const pool = await get("/pools/mixed");
        const nodes = await nodesOf("mixed");
        const spot = nodes.filter((node) => node.isDedicated === false);
        const ready = pool.allocationState === "steady" && nodes.length === dedicated + lowPriority && spot.length === lowPriority &&
          nodes.every((node) => node.state === "idle");
        return ready ? { pool, nodes } : undefined;
      }, 60_000);
    const first = await settled(1, 0);
    const dedicatedNode = first.nodes[0].id;

    assert.equal((await call("POST", "/pools/mixed/resize", { targetDedicatedNodes: 1, targetLowPriorityNodes: 2 })).status, 202);
    const grown = await settled(1, 2);
    assert.deepEqual([grown.pool.targetDedicatedNodes, grown.pool.targetLowPriorityNodes], [1, 2]);
    assert.deepEqual([grown.pool.currentDedicatedNodes, grown.pool.currentLowPriorityNodes], [1, 2]);
    assert.ok(grown.nodes.some((node) => node.id === dedicatedNode), "the dedicated node stayed");
    let counts = await countsOf("mixed");
    assert.deepEqual([counts.dedicated.idle, counts.dedicated.total, counts.lowPriority.idle, counts.lowPriority.total], [1, 1, 2, 2]);

    assert.equal((await call("POST", "/pools/mixed/resize", { targetDedicatedNodes: 0, targetLowPriorityNodes: 1 })).status, 202);
    const swapped = await settled(0, 1);
    assert.deepEqual([swapped.pool.currentDedicatedNodes, swapped.pool.currentLowPriorityNodes], [0, 1]);
    assert.equal(swapped.nodes[0].isDedicated, false);
    assert.ok(grown.nodes.some((node) => node.id === swapped.nodes[0].id), "a Spot node that was there stayed");
    counts = await countsOf("mixed");
    assert.deepEqual([counts.dedicated.total, counts.lowPriority.idle, counts.lowPriority.total], [0, 1, 1]);
  });
});
