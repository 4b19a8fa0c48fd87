/**
 * ComputeNode_UploadBatchServiceLogs against a real Azurite blob server: the node's agent log lands in the
 * container under `{poolId}/{nodeId}/{uuid}/`, through the official Python SDK; bad containers, SAS tokens and
 * identity references are refused with Batch errors that never echo the SAS.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startAzurite, type Azurite } from "../support/azurite.js";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const run = promisify(execFile);
const account = testAccounts.alpha;
const script = fileURLToPath(new URL("../../conformance/python/upload_service_logs.py", import.meta.url));

interface UploadResult {
  ok: boolean;
  virtualDirectoryName?: string;
  numberOfFilesUploaded?: number;
  error?: { code: string; statusCode: number; message: string; values: { key: string; value: string }[] };
  exception?: unknown;
}

async function uploadWithPython(server: TestServer, args: string[]): Promise<UploadResult> {
  const { stdout } = await run("/usr/bin/python3", [script, server.url, account.name, account.key, ...args], {
    timeout: 60_000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  return JSON.parse(stdout) as UploadResult;
}


function detail(values: { key: string; value: string }[] | undefined, key: string): string | undefined {
  return values?.find((entry) => entry.key === key)?.value;
}

describe("upload batch service logs", () => {
  let server: TestServer;
  let azurite: Azurite;
  let nodeId: string;
  const poolId = "logpool";
  const container = "servicelogs";
  const hourAgo = () => new Date(Date.now() - 60 * 60 * 1000).toISOString();

  before(async () => {
    azurite = await startAzurite();
    await azurite.createContainer(container);
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    const created = await batchRequest(server.url, {
      method: "POST", path: `/pools?api-version=${apiVersion}`, account,
      body: {
        id: poolId,
        vmSize: "standard_d2s_v3",
        virtualMachineConfiguration: {
          imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
          nodeAgentSKUId: "batch.node.ubuntu 22.04",
        },
        targetDedicatedNodes: 1,
      },
    });
    assert.equal(created.status, 201, created.text);
    nodeId = await waitFor("the node to be idle", async () => {
      const list = await batchRequest(server.url, { path: `/pools/${poolId}/nodes?api-version=${apiVersion}`, account });
      const nodes = list.json?.value as { id: string; state: string }[] | undefined;
      return nodes?.length === 1 && nodes[0]?.state === "idle" ? nodes[0].id : undefined;
    });
  });
  after(async () => {
    await server?.dispose();
    await azurite?.stop();
  });

  it("uploads the hosting agent's log under {poolId}/{nodeId}/{uuid}/ through the Python SDK", async () => {
    const sasUrl = azurite.containerSasUrl(container, "racwl");
    const result = await uploadWithPython(server, ["--pool", poolId, "--node", nodeId, "--container-url", sasUrl, "--start-time", hourAgo()]);
    assert.equal(result.ok, true, JSON.stringify(result));
    const escapedNode = nodeId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    assert.match(result.virtualDirectoryName ?? "", new RegExp(`^${poolId}/${escapedNode}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`));
    assert.equal(result.numberOfFilesUploaded, 1);

    const [agentLog] = readdirSync(join(server.dataDir, "agents")).filter((name) => name.endsWith(".log"));
    assert.ok(agentLog !== undefined, "the pool's agent has a log file");
    const blobs = await azurite.listBlobNames(container, `${result.virtualDirectoryName}/`);
    assert.deepEqual(blobs, [`${result.virtualDirectoryName}/agents/${agentLog}`]);
    const uploaded = await azurite.readBlob(container, blobs[0] as string);
    const onDisk = readFileSync(join(server.dataDir, "agents", agentLog), "utf8");
    assert.ok(uploaded.length > 0 && onDisk.startsWith(uploaded), "the blob holds the agent log as it was when uploaded");
    assert.match(uploaded, /"msg":"agent started"/);
    assert.match(uploaded, new RegExp(`"nodeId":"${escapedNode}"`));

    // A second upload gets its own directory.
    const again = await uploadWithPython(server, ["--pool", poolId, "--node", nodeId, "--container-url", sasUrl, "--start-time", hourAgo(), "--end-time", new Date(Date.now() + 60_000).toISOString()]);
    assert.equal(again.ok, true, JSON.stringify(again));
    assert.equal(again.numberOfFilesUploaded, 1);
    assert.notEqual(again.virtualDirectoryName, result.virtualDirectoryName);
  });

  it("uploads nothing when no log overlaps the time window", async () => {
    const result = await uploadWithPython(server, [
      "--pool", poolId, "--node", nodeId, "--container-url", azurite.containerSasUrl(container, "cw"),
      "--start-time", "2001-01-01T00:00:00Z", "--end-time", "2001-01-02T00:00:00Z",
    ]);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.numberOfFilesUploaded, 0);
    assert.deepEqual(await azurite.listBlobNames(container, `${result.virtualDirectoryName}/`), []);
  });

  it("refuses a container that does not exist, naming containerUrl, without echoing the SAS", async () => {
    const sasUrl = azurite.containerSasUrl("nosuchcontainer", "racwl");
    const result = await uploadWithPython(server, ["--pool", poolId, "--node", nodeId, "--container-url", sasUrl, "--start-time", hourAgo()]);
    assert.equal(result.ok, false);
    assert.equal(result.error?.statusCode, 400);
    assert.equal(result.error?.code, "InvalidPropertyValue");
    assert.equal(detail(result.error?.values, "PropertyName"), "containerUrl");
    assert.match(detail(result.error?.values, "Reason") ?? "", /does not exist \(404 ContainerNotFound\)/);
    const signature = new URL(sasUrl).searchParams.get("sig") as string;
    assert.ok(!JSON.stringify(result).includes(signature) && !JSON.stringify(result).includes("sig="), "the SAS signature is not echoed");
  });

  it("refuses a SAS without write permission and a SAS storage rejects", async () => {
    const readOnly = azurite.containerSasUrl(container, "rl");
    const refused = await batchRequest(server.url, {
      method: "POST", path: `/pools/${poolId}/nodes/${nodeId}/uploadbatchservicelogs?api-version=${apiVersion}`, account,
      body: { containerUrl: readOnly, startTime: hourAgo() },
    });
    assert.equal(refused.status, 400, refused.text);
    assert.equal(batchErrorCode(refused), "InvalidPropertyValue");
    assert.equal(detail(refused.json.values, "PropertyName"), "containerUrl");
    assert.match(detail(refused.json.values, "Reason") ?? "", /write/);

    // A write SAS whose signature storage does not accept: Azurite answers 403.
    const forged = new URL(azurite.containerSasUrl(container, "racwl"));
    const signature = forged.searchParams.get("sig") as string;
    const badSignature = Buffer.from("not the signature of this SAS, 32").toString("base64");
    forged.searchParams.set("sig", badSignature);
    const rejected = await batchRequest(server.url, {
      method: "POST", path: `/pools/${poolId}/nodes/${nodeId}/uploadbatchservicelogs?api-version=${apiVersion}`, account,
      body: { containerUrl: forged.toString(), startTime: hourAgo() },
    });
    assert.equal(rejected.status, 400, rejected.text);
    assert.equal(batchErrorCode(rejected), "InvalidPropertyValue");
    assert.match(detail(rejected.json.values, "Reason") ?? "", /\(403 /);
    for (const text of [rejected.text, refused.text]) {
      assert.ok(!text.includes(signature) && !text.includes(badSignature) && !text.includes(encodeURIComponent(badSignature)), "no signature in the error");
    }

    // Storage that cannot be reached (nothing listens on port 1).
    const unreachable = new URL(azurite.containerSasUrl(container, "racwl"));
    unreachable.port = "1";
    const offline = await batchRequest(server.url, {
      method: "POST", path: `/pools/${poolId}/nodes/${nodeId}/uploadbatchservicelogs?api-version=${apiVersion}`, account,
      body: { containerUrl: unreachable.toString(), startTime: hourAgo() },
    });
    assert.equal(offline.status, 400, offline.text);
    assert.equal(detail(offline.json.values, "PropertyName"), "containerUrl");
    assert.match(detail(offline.json.values, "Reason") ?? "", /could not be reached/);
    assert.ok(!offline.text.includes("sig="));

    const noSas = await batchRequest(server.url, {
      method: "POST", path: `/pools/${poolId}/nodes/${nodeId}/uploadbatchservicelogs?api-version=${apiVersion}`, account,
      body: { containerUrl: `${azurite.blobEndpoint}/${container}`, startTime: hourAgo() },
    });
    assert.equal(noSas.status, 400, noSas.text);
    assert.equal(detail(noSas.json.values, "PropertyName"), "containerUrl");
  });

  it("refuses identityReference (no managed identities), naming it", async () => {
    const result = await uploadWithPython(server, [
      "--pool", poolId, "--node", nodeId, "--container-url", azurite.containerSasUrl(container, "cw"), "--start-time", hourAgo(),
      "--identity-resource-id", "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
    ]);
    assert.equal(result.ok, false);
    assert.equal(result.error?.statusCode, 400);
    assert.equal(result.error?.code, "InvalidPropertyValue");
    assert.equal(detail(result.error?.values, "PropertyName"), "identityReference");
  });

  it("refuses an endTime before startTime, a missing node and a missing pool", async () => {
    const url = (pool: string, node: string) => `/pools/${pool}/nodes/${node}/uploadbatchservicelogs?api-version=${apiVersion}`;
    const body = { containerUrl: azurite.containerSasUrl(container, "cw"), startTime: hourAgo() };
    const backwards = await batchRequest(server.url, { method: "POST", path: url(poolId, nodeId), account, body: { ...body, endTime: "2001-01-01T00:00:00Z" } });
    assert.equal(backwards.status, 400, backwards.text);
    assert.equal(detail(backwards.json.values, "PropertyName"), "endTime");
    const noNode = await batchRequest(server.url, { method: "POST", path: url(poolId, "tvm-0000000000_99-20240101t000000z"), account, body });
    assert.equal(noNode.status, 404, noNode.text);
    assert.equal(batchErrorCode(noNode), "NodeNotFound");
    const noPool = await batchRequest(server.url, { method: "POST", path: url("nosuchpool", nodeId), account, body });
    assert.equal(noPool.status, 404, noPool.text);
    assert.equal(batchErrorCode(noPool), "PoolNotFound");
  });
});
