/**
 * Spot evictions on their own run on the injected clock (issue #14 item 11): with a simulated clock standing still
 * no node is evicted; moved ten hours at a rate of six an hour, every Spot node is preempted, and no dedicated one.
 * Recovery through the system clock is pythonCompatibility.test.ts's.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SimulatedClock } from "@openbatch/core";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const day = 86_400;

describe("Spot evictions on the injected clock", () => {
  let server: TestServer;
  const clock = new SimulatedClock(new Date());
  before(async () => {
    server = await startTestServer({
      clock,
      clockSkewInSeconds: 2 * day,
      spotEvictionRatePerHour: 6,
      // Evicted nodes stay preempted for the rest of the test (recovery is timed on the clock, which stops).
      spotRecoveryInSeconds: day,
      // Moving the clock must not make the agents look silent.
      nodeHeartbeatTimeoutInSeconds: 30 * day,
      unknownNodeTimeoutInSeconds: 30 * day,
    });
  });
  after(() => server.dispose());

  const nodes = async () => (await batchRequest(server.url, { path: `/pools/evict/nodes?api-version=${apiVersion}`, account })).json.value as { id: string; state: string; isDedicated: boolean }[];

  it("evicts every Spot node once the clock has moved, and never a dedicated one", async () => {
    const created = await batchRequest(server.url, {
      method: "POST",
      path: `/pools?api-version=${apiVersion}`,
      account,
      body: { id: "evict", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, targetLowPriorityNodes: 2, virtualMachineConfiguration: ubuntuVm },
    });
    assert.equal(created.status, 201, created.text);
    const before = await waitFor("3 idle nodes", async () => {
      const list = await nodes();
      return list.length === 3 && list.every((node) => node.state === "idle") ? list : undefined;
    });
    assert.deepEqual(before.map((node) => node.state), ["idle", "idle", "idle"], "no eviction while the clock stands still");

    // Ten hours at six an hour: the chance that a node is not evicted is e^-60.
    clock.advance(10 * 3_600_000);
    const after = await waitFor("the Spot nodes to be preempted", async () => {
      const list = await nodes();
      return list.filter((node) => node.isDedicated === false).every((node) => node.state === "preempted") ? list : undefined;
    });
    assert.deepEqual(after.map((node) => node.id).sort(), before.map((node) => node.id).sort(), "the same nodes, kept through preemption");
    assert.deepEqual(after.filter((node) => node.isDedicated !== false).map((node) => node.state), ["idle"]);
  });
});
