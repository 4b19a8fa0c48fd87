import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;


const pool = (id: string, extra: object = {}) => ({
  id,
  vmSize: "Standard_D2s_v3",
  virtualMachineConfiguration: {
    imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
    nodeAgentSKUId: "batch.node.ubuntu 22.04",
    extensions: [{ name: "monitor", publisher: "Microsoft.Azure.Monitor", type: "AzureMonitorLinuxAgent", typeHandlerVersion: "1.0", enableAutomaticUpgrade: true }],
  },
  targetDedicatedNodes: 1,
  ...extra,
});

describe("nodes across a server restart", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
  });
  after(() => server.dispose());

  it("keeps a running start task alive while the server restarts, and reports its outcome afterwards", async () => {
    const started = await batchRequest(server.url, {
      method: "POST", path: `/pools?api-version=${apiVersion}`, account,
      body: pool("restart", { startTask: { commandLine: "/bin/sh -c 'echo begun > $AZ_BATCH_NODE_SHARED_DIR/state; sleep 3; echo finished >> $AZ_BATCH_NODE_SHARED_DIR/state'" } }),
    });
    assert.equal(started.status, 201, started.text);
    const node = await waitFor("the start task to run", async () => {
      const list = await batchRequest(server.url, { path: `/pools/restart/nodes?api-version=${apiVersion}`, account });
      const first = list.json.value[0];
      return first?.startTaskInfo?.state === "running" ? first : undefined;
    });
    const { dataDir, url } = server;
    await server.close();
    // The same data directory and port: the detached agent reconnects by itself.
    server = await startTestServer({ keepDataDir: dataDir, port: Number(new URL(url).port), agentHeartbeatIntervalInSeconds: 1 });
    const settled = await waitFor("the node to become idle", async () => {
      const response = await batchRequest(server.url, { path: `/pools/restart/nodes/${node.id}?api-version=${apiVersion}`, account });
      return response.json.state === "idle" ? response.json : undefined;
    });
    assert.equal(settled.startTaskInfo.exitCode, 0);
    const state = await batchRequest(server.url, { path: `/pools/restart/nodes/${node.id}/files/shared%2Fstate?api-version=${apiVersion}`, account });
    assert.equal(state.text, "begun\nfinished\n", "the start task ran once, to completion, across the restart");
  });

  it("lists and gets the pool's VM extensions on its nodes", async () => {
    const [node] = await waitFor("a node", async () => {
      const list = await batchRequest(server.url, { path: `/pools/restart/nodes?api-version=${apiVersion}`, account });
      return list.json.value?.length === 1 ? list.json.value : undefined;
    });
    const list = await batchRequest(server.url, { path: `/pools/restart/nodes/${node.id}/extensions?api-version=${apiVersion}`, account });
    assert.equal(list.status, 200);
    assert.equal(list.json.value.length, 1);
    assert.equal(list.json.value[0].vmExtension.name, "monitor");
    assert.equal(list.json.value[0].provisioningState, "Succeeded");
    const one = await batchRequest(server.url, { path: `/pools/restart/nodes/${node.id}/extensions/monitor?api-version=${apiVersion}`, account });
    assert.equal(one.json.vmExtension.type, "AzureMonitorLinuxAgent");
    const missing = await batchRequest(server.url, { path: `/pools/restart/nodes/${node.id}/extensions/none?api-version=${apiVersion}`, account });
    assert.equal(missing.status, 404);
    const rdp = await batchRequest(server.url, { path: `/pools/restart/nodes/${node.id}/rdp?api-version=${apiVersion}`, account });
    assert.equal(rdp.status, 409);
    assert.equal(batchErrorCode(rdp), "OperationNotValidOnNode");
  });

  it("refuses pool configurations the local provider cannot honour, naming the field", async () => {
    const cases: [object, string][] = [
      [{ vmSize: "Standard_Imaginary_v9" }, "vmSize"],
      [{ vmSize: "Standard_D2s_v3", taskSlotsPerNode: 9 }, "taskSlotsPerNode"],
      [{ mountConfiguration: [{ nfsMountConfiguration: { source: "host:/x", relativeMountPath: "x" } }] }, "mountConfiguration"],
      [{ virtualMachineConfiguration: { imageReference: { publisher: "microsoftwindowsserver", offer: "windowsserver", sku: "2022-datacenter" }, nodeAgentSKUId: "batch.node.windows amd64" } }, "virtualMachineConfiguration.nodeAgentSKUId"],
      [{ virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "x", sku: "y" }, nodeAgentSKUId: "batch.node.nothing 1.0" } }, "virtualMachineConfiguration.nodeAgentSKUId"],
      [{ virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "x", sku: "y" }, nodeAgentSKUId: "batch.node.ubuntu 22.04", containerConfiguration: { type: "dockerCompatible", containerImageNames: ["Not an image"] } } }, "virtualMachineConfiguration.containerConfiguration.containerImageNames[0]"],
    ];
    for (const [override, property] of cases) {
      const response = await batchRequest(server.url, { method: "POST", path: `/pools?api-version=${apiVersion}`, account, body: { ...pool("refused"), ...override } });
      assert.equal(response.status, 400, JSON.stringify(override));
      assert.equal(response.json.values.find((v: { key: string }) => v.key === "PropertyName")?.value, property);
    }
    const slots = await batchRequest(server.url, { method: "POST", path: `/pools?api-version=${apiVersion}`, account, body: { ...pool("slots"), vmSize: "Standard_D2s_v3", taskSlotsPerNode: 8, targetDedicatedNodes: 0 } });
    assert.equal(slots.status, 201, slots.text);
  });
});
