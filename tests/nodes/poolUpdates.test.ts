/**
 * Changing a pool's configuration (semantics.md §6.1): PATCH replaces only the elements it gives (an empty list
 * clears one), `updateproperties` replaces them all (an omitted start task is removed, an omitted
 * targetNodeCommunicationMode goes back to `default`, and the three lists must be given).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { certificateFixture, sha1Thumbprint } from "../support/certificateFixtures.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { makeZip } from "../support/zipFixture.js";

const account = testAccounts.alpha;
const thumbprint = sha1Thumbprint(certificateFixture("openbatch-second.cer")).toLowerCase();
const startTask = { commandLine: "/bin/echo configured", waitForSuccess: true, maxTaskRetryCount: 1 };
const certificateReferences = [{ thumbprint, thumbprintAlgorithm: "sha1", visibility: ["task"] }];
const applicationPackageReferences = [{ applicationId: "tool", version: "1.0" }];
const metadata = [{ name: "owner", value: "alice" }];

/** The updatable elements of a pool as GET returns them; an absent list reads as empty. */
function updatable(pool: any) {
  return {
    startTask: pool.startTask,
    certificateReferences: (pool.certificateReferences ?? []).map((ref: { thumbprint: string }) => ref.thumbprint),
    applicationPackageReferences: (pool.applicationPackageReferences ?? []).map((ref: { applicationId: string; version: string }) => `${ref.applicationId}/${ref.version}`),
    metadata: pool.metadata ?? [],
    targetNodeCommunicationMode: pool.targetNodeCommunicationMode,
  };
}

describe("pool patch and update properties", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object): Promise<BatchResponse> =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (id: string) => (await call("GET", `/pools/${id}`)).json;
  const addPool = async (id: string) => {
    const created = await call("POST", "/pools", {
      id, vmSize: "Standard_D2s_v3", targetDedicatedNodes: 0, virtualMachineConfiguration: ubuntuVm,
      startTask, certificateReferences, applicationPackageReferences, metadata, targetNodeCommunicationMode: "simplified",
    });
    assert.equal(created.status, 201, created.text);
  };

  before(async () => {
    server = await startTestServer({ localAgentEntry: undefined });
    const certificate = await call("POST", "/certificates", {
      thumbprint, thumbprintAlgorithm: "sha1", data: certificateFixture("openbatch-second.cer").toString("base64"), certificateFormat: "cer",
    });
    assert.equal(certificate.status, 201, certificate.text);
    const uploaded = await batchRequest(server.url, {
      method: "PUT", path: "/_admin/v1/applications/tool/versions/1.0", account,
      body: await makeZip([{ name: "tool.sh", mode: 0o755, content: "#!/bin/sh\necho tool\n" }]),
      headers: { "content-type": "application/zip" },
    });
    assert.equal(uploaded.status, 201, uploaded.text);
  });
  after(() => server.dispose());

  it("PATCH keeps every element it does not name, replaces the ones it names, and an empty list clears", async () => {
    await addPool("patched");
    const original = await get("patched");
    assert.deepEqual(updatable(original), {
      startTask, certificateReferences: [thumbprint], applicationPackageReferences: ["tool/1.0"], metadata, targetNodeCommunicationMode: "simplified",
    });

    const onlyMetadata = await call("PATCH", "/pools/patched", { metadata: [{ name: "owner", value: "bob" }] });
    assert.equal(onlyMetadata.status, 200, onlyMetadata.text);
    const afterMetadata = await get("patched");
    assert.deepEqual(updatable(afterMetadata), { ...updatable(original), metadata: [{ name: "owner", value: "bob" }] });
    assert.notEqual(afterMetadata["odata.etag"] ?? afterMetadata.eTag, original["odata.etag"] ?? original.eTag, "a change gets a new ETag");

    const nothing = await call("PATCH", "/pools/patched", {});
    assert.equal(nothing.status, 200, nothing.text);
    assert.deepEqual(updatable(await get("patched")), updatable(afterMetadata));

    const newStart = { commandLine: "/bin/echo patched" };
    assert.equal((await call("PATCH", "/pools/patched", { startTask: newStart, certificateReferences: [] })).status, 200);
    assert.deepEqual(updatable(await get("patched")), { ...updatable(afterMetadata), startTask: newStart, certificateReferences: [] });
  });

  it("updateproperties replaces everything: an omitted start task is removed, empty lists clear, the mode resets", async () => {
    await addPool("replaced");
    const cleared = await call("POST", "/pools/replaced/updateproperties", { certificateReferences: [], applicationPackageReferences: [], metadata: [] });
    assert.equal(cleared.status, 204, cleared.text);
    assert.deepEqual(updatable(await get("replaced")), {
      startTask: undefined, certificateReferences: [], applicationPackageReferences: [], metadata: [], targetNodeCommunicationMode: "default",
    });

    const replaced = await call("POST", "/pools/replaced/updateproperties", {
      startTask: { commandLine: "/bin/echo again" }, certificateReferences, applicationPackageReferences: [], metadata: [{ name: "k", value: "v" }],
    });
    assert.equal(replaced.status, 204, replaced.text);
    assert.deepEqual(updatable(await get("replaced")), {
      startTask: { commandLine: "/bin/echo again" }, certificateReferences: [thumbprint], applicationPackageReferences: [], metadata: [{ name: "k", value: "v" }],
      targetNodeCommunicationMode: "default",
    });
  });

  it("updateproperties refuses a body without one of its required lists, naming it, and changes nothing", async () => {
    await addPool("strict");
    const before = updatable(await get("strict"));
    for (const missing of ["certificateReferences", "applicationPackageReferences", "metadata"]) {
      const body: Record<string, unknown> = { certificateReferences: [], applicationPackageReferences: [], metadata: [] };
      delete body[missing];
      const refused = await call("POST", "/pools/strict/updateproperties", body);
      assert.equal(refused.status, 400, `${missing}: ${refused.text}`);
      assert.ok(batchErrorCode(refused), refused.text);
      assert.ok(refused.text.includes(missing), `the error names ${missing}: ${refused.text}`);
    }
    assert.deepEqual(updatable(await get("strict")), before);
  });
});
