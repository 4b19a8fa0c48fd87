import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";
import { ubuntuVm } from "../support/pools.js";

const account = testAccounts.alpha;

describe("resize timeout", () => {
  let server: TestServer;
  let now = new Date();
  before(async () => {
    // No agents: nodes are never reached, so only the resize timeout can settle the pool. The clock is ours.
    server = await startTestServer({ localAgentEntry: undefined, clock: { now: () => now } });
  });
  after(() => server.dispose());

  const get = (path: string) => batchRequest(server.url, { path: `${path}?api-version=${apiVersion}`, account, date: now });

  it("gives up unreached nodes, records AllocationTimedOut and settles the pool; a pool without reached nodes deletes at once", async () => {
    const created = await batchRequest(server.url, {
      method: "POST", path: `/pools?api-version=${apiVersion}`, account, date: now,
      body: {
        id: "stuck", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 2, resizeTimeout: "PT5M",
        virtualMachineConfiguration: ubuntuVm,
      },
    });
    assert.equal(created.status, 201, created.text);
    await waitFor("two creating nodes", async () => ((await get("/pools/stuck/nodes")).json.value.length === 2 ? true : undefined));
    assert.equal((await get("/pools/stuck")).json.allocationState, "resizing");

    now = new Date(now.getTime() + 4 * 60_000);
    await batchRequest(server.url, { method: "PATCH", path: `/pools/stuck?api-version=${apiVersion}`, account, date: now, body: { metadata: [{ name: "tick", value: "1" }] } });
    await waitFor("the reconcile after the patch", async () => ((await get("/pools/stuck")).json.metadata?.length === 1 ? true : undefined));
    assert.equal((await get("/pools/stuck")).json.allocationState, "resizing", "still within the timeout");

    now = new Date(now.getTime() + 2 * 60_000);
    await batchRequest(server.url, { method: "PATCH", path: `/pools/stuck?api-version=${apiVersion}`, account, date: now, body: { metadata: [{ name: "tick", value: "2" }] } });
    const pool = await waitFor("the pool to settle", async () => {
      const response = await get("/pools/stuck");
      return response.json.allocationState === "steady" ? response.json : undefined;
    });
    assert.equal(pool.resizeErrors[0].code, "AllocationTimedOut");
    assert.equal(pool.currentDedicatedNodes, 0);
    assert.equal(pool.targetDedicatedNodes, 2, "the targets stay; the pool does not chase them while steady");
    assert.deepEqual((await get("/pools/stuck/nodes")).json.value, []);

    const resized = await batchRequest(server.url, { method: "POST", path: `/pools/stuck/resize?api-version=${apiVersion}`, account, date: now, body: { targetDedicatedNodes: 1 } });
    assert.equal(resized.status, 202, resized.text);
    const again = await get("/pools/stuck");
    assert.equal(again.json.resizeErrors, undefined, "a new resize clears the last one's errors");

    const deleted = await batchRequest(server.url, { method: "DELETE", path: `/pools/stuck?api-version=${apiVersion}`, account, date: now });
    assert.equal(deleted.status, 202);
    await waitFor("the pool to be gone", async () => ((await get("/pools/stuck")).status === 404 ? true : undefined));
  });
});
