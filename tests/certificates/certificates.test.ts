/**
 * Certificates over the wire (issue #7): add with its validation (format, password, thumbprint, algorithm), get,
 * list with a state filter, delete (gone at once, or `deletefailed` while a pool references it), cancel deletion.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { certificateFixture, sha1Thumbprint } from "../support/certificateFixtures.js";
import { apiVersion, batchErrorCode, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const account = testAccounts.alpha;
const q = `api-version=${apiVersion}`;

describe("certificates", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object): Promise<BatchResponse> =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}${q}`, account, ...(body === undefined ? {} : { body }) });
  const pfx = certificateFixture("openbatch-test.pfx").toString("base64");
  const cer = certificateFixture("openbatch-test.cer");
  const second = certificateFixture("openbatch-second.cer");
  const thumbprint = sha1Thumbprint(cer);
  const secondThumbprint = sha1Thumbprint(second);
  const path = (print: string) => `/certificates(thumbprintAlgorithm=sha1,thumbprint=${print})`;

  before(async () => {
    server = await startTestServer({ localAgentEntry: undefined });
  });
  after(() => server.dispose());

  it("refuses certificates that are not what they claim, with 400 naming the property", async () => {
    const cases: [object, string, string][] = [
      [{ thumbprint, thumbprintAlgorithm: "md5", data: pfx, certificateFormat: "pfx", password: "openbatch-test" }, "InvalidPropertyValue", "thumbprintAlgorithm"],
      [{ thumbprint, thumbprintAlgorithm: "sha1", data: pfx, certificateFormat: "pfx", password: "wrong" }, "InvalidPropertyValue", "password"],
      [{ thumbprint, thumbprintAlgorithm: "sha1", data: pfx, certificateFormat: "pfx" }, "InvalidPropertyValue", "password"],
      [{ thumbprint, thumbprintAlgorithm: "sha1", data: cer.toString("base64"), certificateFormat: "cer", password: "x" }, "InvalidPropertyValue", "password"],
      [{ thumbprint: secondThumbprint, thumbprintAlgorithm: "sha1", data: cer.toString("base64"), certificateFormat: "cer" }, "InvalidPropertyValue", "thumbprint"],
      [{ thumbprint: "zz", thumbprintAlgorithm: "sha1", data: cer.toString("base64"), certificateFormat: "cer" }, "InvalidPropertyValue", "thumbprint"],
      [{ thumbprint, thumbprintAlgorithm: "sha1", data: Buffer.from("not a certificate").toString("base64"), certificateFormat: "cer" }, "InvalidPropertyValue", "data"],
      [{ thumbprint, thumbprintAlgorithm: "sha1", data: "***", certificateFormat: "cer" }, "InvalidPropertyValue", "data"],
      [{ thumbprint, thumbprintAlgorithm: "sha1", certificateFormat: "cer" }, "MissingRequiredProperty", "data"],
      [{ thumbprint, thumbprintAlgorithm: "sha1", data: cer.toString("base64"), certificateFormat: "pem" }, "InvalidPropertyValue", "certificateFormat"],
    ];
    for (const [body, code, property] of cases) {
      const response = await call("POST", "/certificates", body);
      assert.equal(response.status, 400, `${JSON.stringify(body).slice(0, 120)} → ${response.text}`);
      assert.equal(batchErrorCode(response), code, response.text);
      assert.ok(JSON.stringify(response.json.values ?? []).includes(property), `${property} named in ${response.text}`);
    }
    assert.equal((await call("GET", "/certificates")).json.value.length, 0, "nothing was stored");
  });

  it("adds a pfx and a cer, gets and lists them, refuses a duplicate", async () => {
    const added = await call("POST", "/certificates", { thumbprint: thumbprint.toLowerCase(), thumbprintAlgorithm: "sha1", data: pfx, certificateFormat: "pfx", password: "openbatch-test" });
    assert.equal(added.status, 201, added.text);
    assert.match(added.headers.get("dataserviceid") ?? "", /\/certificates\(thumbprintAlgorithm=sha1,thumbprint=[0-9a-f]{40}\)$/);
    const spaced = secondThumbprint.replace(/(.{8})/g, "$1 ").trim();
    assert.equal((await call("POST", "/certificates", { thumbprint: spaced, thumbprintAlgorithm: "SHA1", data: second.toString("base64"), certificateFormat: "cer" })).status, 201);
    const got = await call("GET", path(thumbprint));
    assert.equal(got.status, 200, got.text);
    assert.equal(got.json.state, "active");
    assert.equal(got.json.thumbprintAlgorithm, "sha1");
    assert.equal(got.json.thumbprint.toLowerCase(), thumbprint.toLowerCase());
    assert.equal(got.json.publicData, cer.toString("base64"), "publicData is the public certificate");
    assert.equal(got.json.data, undefined);
    assert.equal(got.json.password, undefined);
    assert.equal(got.json._ob, undefined);
    assert.match(got.json["odata.metadata"], /#certificates\/@Element$/);
    const duplicate = await call("POST", "/certificates", { thumbprint, thumbprintAlgorithm: "sha1", data: pfx, password: "openbatch-test" });
    assert.equal(duplicate.status, 409);
    assert.equal(batchErrorCode(duplicate), "CertificateExists");
    const listed = await call("GET", "/certificates?$filter=state%20eq%20'active'&$select=thumbprint,state");
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.json.value.map((c: any) => c.thumbprint.toLowerCase()).sort(), [thumbprint, secondThumbprint].map((t) => t.toLowerCase()).sort());
    assert.deepEqual(Object.keys(listed.json.value[0]).sort(), ["state", "thumbprint"]);
    const missing = await call("GET", path("00".repeat(20)));
    assert.equal(missing.status, 404);
    assert.equal(batchErrorCode(missing), "CertificateNotFound");
  });

  it("fails the deletion of a certificate a pool references, until the pool lets go; cancel deletion makes it active", async () => {
    const pool = await call("POST", "/pools", {
      id: "certpool",
      vmSize: "standard_d1_v2",
      virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts", version: "latest" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
      targetDedicatedNodes: 0,
      certificateReferences: [{ thumbprint, thumbprintAlgorithm: "sha1", visibility: ["task"] }],
    });
    assert.equal(pool.status, 201, pool.text);
    const notActive = await call("POST", `${path(thumbprint)}/canceldelete`);
    assert.equal(notActive.status, 409);
    assert.equal(batchErrorCode(notActive), "CertificateStateActive");

    assert.equal((await call("DELETE", path(thumbprint))).status, 202);
    let got = (await call("GET", path(thumbprint))).json;
    assert.equal(got.state, "deletefailed");
    assert.equal(got.previousState, "deleting");
    assert.equal(got.deleteCertificateError.code, "CertificateInUse");
    assert.deepEqual(got.deleteCertificateError.values, [{ key: "PoolId", value: "certpool" }]);
    const failedOnly = await call("GET", "/certificates?$filter=state%20eq%20'deletefailed'");
    assert.deepEqual(failedOnly.json.value.map((c: any) => c.thumbprint.toLowerCase()), [thumbprint.toLowerCase()]);

    const cancelled = await call("POST", `${path(thumbprint)}/canceldelete`);
    assert.equal(cancelled.status, 204, cancelled.text);
    got = (await call("GET", path(thumbprint))).json;
    assert.equal(got.state, "active");
    assert.equal(got.deleteCertificateError, undefined);

    assert.equal((await call("PATCH", "/pools/certpool", { certificateReferences: [] })).status, 200);
    assert.equal((await call("DELETE", path(thumbprint))).status, 202);
    assert.equal((await call("GET", path(thumbprint))).status, 404, "unreferenced: gone at once");
    assert.equal((await call("DELETE", path(thumbprint))).status, 404);
    const again = await call("POST", "/certificates", { thumbprint, thumbprintAlgorithm: "sha1", data: pfx, password: "openbatch-test" });
    assert.equal(again.status, 201, "the thumbprint may be added again after deletion");
  });
});
