/**
 * Issue #14 items 1–5 through the official JavaScript SDK (@azure/batch 10.2.0, api-version 2022-10-01.16.0), the
 * same scenarios as pythonCompatibility.test.ts: pools without target counts, ARM id validation, a legacy PKCS#12
 * file and CertificateStateActive, inbound endpoints on nodes, terminate and reactivate against onTaskFailure.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BatchServiceClient, BatchSharedKeyCredentials, type BatchServiceModels } from "@azure/batch";
import { developmentSubscriptionId } from "@openbatch/server";
import { certificateFixture, sha1Thumbprint } from "../support/certificateFixtures.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const jammy: BatchServiceModels.VirtualMachineConfiguration = {
  imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
  nodeAgentSKUId: "batch.node.ubuntu 22.04",
};

interface SdkError {
  readonly statusCode?: number;
  readonly body?: { code?: string; values?: { key: string; value: string }[] };
}

async function rejection(call: Promise<unknown>): Promise<{ status: number | undefined; code: string | undefined; values: Record<string, string> }> {
  try {
    await call;
  } catch (error) {
    const { statusCode, body } = error as SdkError;
    return { status: statusCode, code: body?.code, values: Object.fromEntries((body?.values ?? []).map(({ key, value }) => [key, value])) };
  }
  return assert.fail("expected the SDK to raise");
}

describe("issue #14 through @azure/batch", () => {
  let server: TestServer;
  let client: BatchServiceClient;
  before(async () => {
    server = await startTestServer();
    client = new BatchServiceClient(new BatchSharedKeyCredentials(testAccounts.alpha.name, testAccounts.alpha.key), server.url);
  });
  after(() => server.dispose());

  it("adds pools and auto pools without target counts (item 1)", async () => {
    await client.pool.add({ id: "js_disk", vmSize: "standard_d2_v2", virtualMachineConfiguration: { ...jammy, dataDisks: [{ lun: 1, diskSizeGB: 50 }] } });
    const pool = await client.pool.get("js_disk");
    assert.deepEqual([pool.targetDedicatedNodes, pool.targetLowPriorityNodes], [0, 0]);
    assert.deepEqual(pool.virtualMachineConfiguration?.dataDisks, [{ lun: 1, caching: "none", diskSizeGB: 50, storageAccountType: "standard_lrs" }]);
    await client.job.add({ id: "js_job", poolInfo: { autoPoolSpecification: { poolLifetimeOption: "job", pool: { vmSize: "standard_d2_v2", virtualMachineConfiguration: jammy } } } });
    const job = await client.job.get("js_job");
    assert.equal(job.state, "active");
    assert.equal(job.executionInfo?.schedulingError, undefined);
    const auto = await client.pool.get(job.executionInfo?.poolId ?? "");
    assert.deepEqual([auto.targetDedicatedNodes, auto.targetLowPriorityNodes], [0, 0]);
  });

  it("refuses ARM ids of another subscription or in no ARM form, naming the property (item 2)", async () => {
    const subnet = (subscription: string) => `/subscriptions/${subscription}/resourceGroups/test/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/subnet1`;
    const other = await rejection(client.pool.add({ id: "js_net", vmSize: "standard_d2_v2", virtualMachineConfiguration: jammy, networkConfiguration: { subnetId: subnet("00000000-0000-0000-0000-000000000000") } }));
    assert.deepEqual([other.status, other.code, other.values["PropertyName"]], [400, "InvalidPropertyValue", "subnetId"]);
    assert.match(other.values["Reason"] ?? "", /different subscription/);
    const image = await rejection(
      client.pool.add({ id: "js_image", vmSize: "standard_d2_v2", virtualMachineConfiguration: { ...jammy, imageReference: { virtualMachineImageId: "/subscriptions/x/resourceGroups/test/providers/Microsoft.Compute/gallery/g/images/i" } } }),
    );
    assert.deepEqual([image.status, image.code, image.values["PropertyName"]], [400, "InvalidPropertyValue", "virtualMachineImageId"]);
    assert.match(image.values["Reason"] ?? "", /^The specified resource id must be of the format/);
    await client.pool.add({ id: "js_net", vmSize: "standard_d2_v2", virtualMachineConfiguration: jammy, networkConfiguration: { subnetId: subnet(developmentSubscriptionId) } });
    assert.equal((await client.pool.get("js_net")).networkConfiguration?.dynamicVNetAssignmentScope, "none");
  });

  it("adds a legacy PKCS#12 file and answers CertificateStateActive to cancelling an active one's deletion (item 3)", async () => {
    const thumbprint = sha1Thumbprint(certificateFixture("openbatch-legacy.cer"));
    await client.certificate.add({ thumbprint, thumbprintAlgorithm: "sha1", data: certificateFixture("openbatch-legacy.pfx").toString("base64"), certificateFormat: "pfx", password: "openbatch-legacy" });
    assert.equal((await client.certificate.get("sha1", thumbprint)).state, "active");
    const cancelled = await rejection(client.certificate.cancelDeletion("sha1", thumbprint));
    assert.deepEqual([cancelled.status, cancelled.code], [409, "CertificateStateActive"]);
  });

  it("lists the NAT pool's and the SSH rule's endpoints on the node (item 4)", async () => {
    await client.pool.add({
      id: "js_endpoints",
      vmSize: "standard_d2_v2",
      targetDedicatedNodes: 1,
      virtualMachineConfiguration: jammy,
      networkConfiguration: {
        endpointConfiguration: {
          inboundNATPools: [{ name: "TestEndpointConfig", protocol: "udp", backendPort: 64444, frontendPortRangeStart: 60000, frontendPortRangeEnd: 61000, networkSecurityGroupRules: [{ priority: 150, access: "allow", sourceAddressPrefix: "*" }] }],
        },
      },
    });
    const nodes = await waitFor("the pool's node", async () => {
      const listed = await client.computeNode.list("js_endpoints");
      return listed.length === 1 ? listed : undefined;
    });
    const endpoints = nodes[0]?.endpointConfiguration?.inboundEndpoints.map(({ name, protocol, frontendPort, backendPort }) => ({ name, protocol, frontendPort, backendPort }));
    assert.deepEqual(endpoints, [
      { name: "TestEndpointConfig.0", protocol: "udp", frontendPort: 60000, backendPort: 64444 },
      { name: "SSHRule.0", protocol: "tcp", frontendPort: 50000, backendPort: 22 },
    ]);
  });

  it("keeps the job active when a task that never ran is terminated, and refuses reactivation once the job completed (item 5)", async () => {
    await client.job.add({ id: "js_tasks", poolInfo: { poolId: "nopool" }, onTaskFailure: "performexitoptionsjobaction" });
    await client.task.add("js_tasks", { id: "never", commandLine: "/bin/true" });
    await client.task.terminate("js_tasks", "never");
    assert.equal((await client.task.get("js_tasks", "never")).state, "completed");
    assert.equal((await client.job.get("js_tasks")).state, "active");
    await client.task.reactivate("js_tasks", "never");
    await client.task.terminate("js_tasks", "never");
    await client.job.terminate("js_tasks");
    await waitFor("the job to complete", async () => (await client.job.get("js_tasks")).state === "completed");
    const refused = await rejection(client.task.reactivate("js_tasks", "never"));
    assert.deepEqual([refused.status, refused.code], [409, "JobCompleted"]);
  });
});
