import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";
import { ubuntuVm } from "../support/pools.js";

const account = testAccounts.alpha;


describe("Spot/low-priority nodes", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
  });
  after(() => server.dispose());

  const nodes = async () => (await batchRequest(server.url, { path: `/pools/spot/nodes?api-version=${apiVersion}`, account })).json.value as any[];

  it("are created for targetLowPriorityNodes, can be preempted on demand, and come back with the same id", async () => {
    const created = await batchRequest(server.url, {
      method: "POST", path: `/pools?api-version=${apiVersion}`, account,
      body: {
        id: "spot", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, targetLowPriorityNodes: 2,
        virtualMachineConfiguration: ubuntuVm,
        startTask: { commandLine: "/bin/sh -c 'echo $AZ_BATCH_NODE_IS_DEDICATED > $AZ_BATCH_NODE_STARTUP_DIR/dedicated'" },
      },
    });
    assert.equal(created.status, 201, created.text);
    const all = await waitFor("3 idle nodes", async () => {
      const list = await nodes();
      return list.length === 3 && list.every((node) => node.state === "idle") ? list : undefined;
    });
    const spot = all.filter((node) => node.isDedicated === false);
    assert.equal(spot.length, 2);
    const victim = spot[0];
    const flag = await batchRequest(server.url, { path: `/pools/spot/nodes/${victim.id}/files/startup%2Fdedicated?api-version=${apiVersion}`, account });
    assert.equal(flag.text, "false\n");

    const dedicated = all.find((node) => node.isDedicated !== false);
    const refused = await batchRequest(server.url, { method: "POST", path: `/pools/spot/nodes/${dedicated.id}/preempt?api-version=${apiVersion}`, account });
    assert.equal(refused.status, 409);
    assert.equal(batchErrorCode(refused), "OperationNotValidOnNode");

    const preempted = await batchRequest(server.url, { method: "POST", path: `/pools/spot/nodes/${victim.id}/preempt?api-version=${apiVersion}&recoverafterseconds=2`, account });
    assert.equal(preempted.status, 202, preempted.text);
    const during = await batchRequest(server.url, { path: `/pools/spot/nodes/${victim.id}?api-version=${apiVersion}`, account });
    assert.equal(during.json.state, "preempted");
    const counts = await batchRequest(server.url, { path: `/nodecounts?api-version=${apiVersion}`, account });
    const spotCounts = counts.json.value.find((entry: { poolId: string }) => entry.poolId === "spot");
    assert.equal(spotCounts.lowPriority.preempted, 1);
    assert.equal(spotCounts.lowPriority.total, 2);
    const pool = await batchRequest(server.url, { path: `/pools/spot?api-version=${apiVersion}`, account });
    assert.equal(pool.json.currentLowPriorityNodes, 2, "preempted nodes still count");

    // The node's data is lost while it is preempted.
    await waitFor("the node's files to be wiped", async () => {
      const file = await batchRequest(server.url, { path: `/pools/spot/nodes/${victim.id}/files/startup%2Fdedicated?api-version=${apiVersion}`, account });
      return file.status === 404 ? true : undefined;
    });
    const back = await waitFor("the node to come back", async () => {
      const node = await batchRequest(server.url, { path: `/pools/spot/nodes/${victim.id}?api-version=${apiVersion}`, account });
      return node.json.state === "idle" ? node.json : undefined;
    });
    assert.equal(back.id, victim.id);
    const again = await batchRequest(server.url, { path: `/pools/spot/nodes/${victim.id}/files/startup%2Fdedicated?api-version=${apiVersion}`, account });
    assert.equal(again.text, "false\n", "the start task ran again on recovery");
  });
});
