import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest, signPythonStyle } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { poolBody } from "./fixtures.js";

const account = testAccounts.alpha;
const poolsPath = `/pools?api-version=${apiVersion}`;

describe("request bodies", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.dispose());

  const add = (body: unknown, headers?: Record<string, string>) =>
    batchRequest(server.url, { method: "POST", path: poolsPath, account, body: body as object, ...(headers === undefined ? {} : { headers }) });

  const detail = (json: { values?: { key: string; value: string }[] }, key: string) => json.values?.find((v) => v.key === key)?.value;

  it("accepts the SDKs' content type and answers 201 with ETag, Last-Modified and DataServiceId", async () => {
    const response = await add(poolBody("created"));
    assert.equal(response.status, 201, response.text);
    assert.equal(response.text, "");
    assert.match(response.headers.get("etag") ?? "", /^0x/);
    assert.ok(response.headers.get("last-modified"));
    assert.equal(response.headers.get("dataserviceid"), `${server.url}/pools/created`);
  });

  it("refuses bodies over 1 MiB with 413 RequestBodyTooLarge as a Batch error", async () => {
    const huge = poolBody("huge", { metadata: [{ name: "blob", value: "x".repeat(1024 * 1024 + 10) }] });
    const response = await add(huge);
    assert.equal(response.status, 413);
    assert.equal(batchErrorCode(response), "RequestBodyTooLarge");
  });

  it("refuses malformed JSON with 400 InvalidRequestBody", async () => {
    for (const text of ["{", "not json", '{"id": "x",}', "[1,2]", "42", "null"]) {
      const response = await add(text);
      assert.equal(response.status, 400, text);
      assert.equal(batchErrorCode(response), "InvalidRequestBody", text);
    }
  });

  it("refuses an empty body where one is required", async () => {
    const response = await batchRequest(server.url, { method: "POST", path: poolsPath, account, body: "" });
    assert.equal(response.status, 400);
    assert.equal(batchErrorCode(response), "InvalidRequestBody");
  });

  it("names a missing required property", async () => {
    const { vmSize: _omitted, ...withoutVmSize } = poolBody("novmsize");
    const response = await add(withoutVmSize);
    assert.equal(response.status, 400);
    assert.equal(batchErrorCode(response), "MissingRequiredProperty");
    assert.equal(detail(response.json, "PropertyName"), "vmSize");
    const nested = await add(poolBody("nested", { startTask: { waitForSuccess: true } }));
    assert.equal(batchErrorCode(nested), "MissingRequiredProperty");
    assert.equal(detail(nested.json, "PropertyName"), "startTask.commandLine");
  });

  it("names a property with a wrong type or value", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ targetDedicatedNodes: "three" }, "targetDedicatedNodes"],
      [{ targetDedicatedNodes: 1.5 }, "targetDedicatedNodes"],
      [{ targetDedicatedNodes: 2 ** 40 }, "targetDedicatedNodes"],
      [{ resizeTimeout: "00:15:00" }, "resizeTimeout"],
      [{ enableAutoScale: "yes" }, "enableAutoScale"],
      [{ taskSchedulingPolicy: { nodeFillType: "diagonal" } }, "taskSchedulingPolicy.nodeFillType"],
      [{ metadata: [{ name: "a", value: 1 }] }, "metadata[0].value"],
      [{ displayName: null }, "displayName"],
    ];
    for (const [override, property] of cases) {
      const response = await add(poolBody("typed", override));
      assert.equal(response.status, 400, JSON.stringify(override));
      assert.equal(batchErrorCode(response), "InvalidPropertyValue", JSON.stringify(override));
      assert.equal(detail(response.json, "PropertyName"), property, JSON.stringify(override));
    }
  });

  it("refuses unknown properties rather than dropping them", async () => {
    const response = await add(poolBody("unknown", { colour: "blue" }));
    assert.equal(response.status, 400);
    assert.equal(batchErrorCode(response), "UnsupportedProperty");
    assert.equal(detail(response.json, "PropertyName"), "colour");
  });

  it("refuses bad ids, naming the property", async () => {
    for (const id of ["", "has space", "slash/id", "dot.id", "x".repeat(65), "ünïcode"]) {
      const response = await add(poolBody(id));
      assert.equal(response.status, 400, id);
      assert.equal(batchErrorCode(response), "InvalidPropertyValue", id);
      assert.equal(detail(response.json, "PropertyName"), "id", id);
    }
    const longest = await add(poolBody("x".repeat(64)));
    assert.equal(longest.status, 201);
  });

  it("treats ids case-insensitively but keeps their case", async () => {
    assert.equal((await add(poolBody("MixedCase"))).status, 201);
    const duplicate = await add(poolBody("mixedcase"));
    assert.equal(duplicate.status, 409);
    assert.equal(batchErrorCode(duplicate), "PoolExists");
    const fetched = await batchRequest(server.url, { path: `/pools/MIXEDCASE?api-version=${apiVersion}`, account });
    assert.equal(fetched.status, 200);
    assert.equal(fetched.json.id, "MixedCase");
  });

  it("accepts enum values in any casing and stores the wire spelling", async () => {
    const response = await add(poolBody("enumcase", { taskSchedulingPolicy: { nodeFillType: "Pack" } }));
    assert.equal(response.status, 201, response.text);
    const fetched = await batchRequest(server.url, { path: `/pools/enumcase?api-version=${apiVersion}`, account });
    assert.equal(fetched.json.taskSchedulingPolicy.nodeFillType, "pack");
  });

  it("stores and returns the 2023–2024 additions faithfully", async () => {
    const additions = {
      upgradePolicy: { mode: "rolling", rollingUpgradePolicy: { maxBatchInstancePercent: 20, pauseTimeBetweenBatches: "PT5S" } },
      resourceTags: { team: "render", cost: "42" },
      virtualMachineConfiguration: {
        imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
        nodeAgentSKUId: "batch.node.ubuntu 22.04",
        osDisk: { caching: "readwrite", managedDisk: { storageAccountType: "standardssd_lrs" }, diskSizeGB: 64, writeAcceleratorEnabled: false },
        securityProfile: { securityType: "trustedLaunch", encryptionAtHost: true, uefiSettings: { secureBootEnabled: true, vTpmEnabled: true } },
        extensions: [{ name: "ext", publisher: "p", type: "t", enableAutomaticUpgrade: true }],
      },
      networkConfiguration: { enableAcceleratedNetworking: true },
    };
    const response = await add(poolBody("additions", additions));
    assert.equal(response.status, 201, response.text);
    const fetched = await batchRequest(server.url, { path: `/pools/additions?api-version=${apiVersion}`, account });
    // As given, with the defaults the service fills in and reads back (its recordings).
    const expected = {
      ...additions,
      virtualMachineConfiguration: { ...additions.virtualMachineConfiguration, imageReference: { ...additions.virtualMachineConfiguration.imageReference, version: "latest" } },
      networkConfiguration: { ...additions.networkConfiguration, dynamicVNetAssignmentScope: "none" },
    };
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(fetched.json[key], value, key);
  });

  it("leaves stored data untouched when a request is refused", async () => {
    assert.equal((await add(poolBody("keeper", { displayName: "original" }))).status, 201);
    const before = await batchRequest(server.url, { path: `/pools/keeper?api-version=${apiVersion}`, account });
    await add(poolBody("keeper", { displayName: "changed" }));
    await add(poolBody("keeper", { displayName: 5 }));
    const after = await batchRequest(server.url, { path: `/pools/keeper?api-version=${apiVersion}`, account });
    assert.deepEqual(after.json, before.json);
  });
  it("accepts JSON bodies under the content types clients send", async () => {
    const accepted = [
      "application/json; odata=minimalmetadata; charset=utf-8",
      "application/json",
      "application/json;charset=UTF-8",
      'application/json; charset="utf-8"',
      "text/json",
    ];
    for (const [i, contentType] of accepted.entries()) {
      const response = await add(poolBody(`typed-${i}`), { "content-type": contentType });
      assert.equal(response.status, 201, `${contentType}: ${response.text}`);
    }
    // No Content-Type at all: a Batch body can only be JSON, so it is read as JSON.
    const url = new URL(`${server.url}${poolsPath}`);
    const body = Buffer.from(JSON.stringify(poolBody("untyped")));
    const headers: Record<string, string> = { "ocp-date": new Date().toUTCString(), "content-length": String(body.length) };
    headers["authorization"] = `SharedKey ${account.name}:${signPythonStyle("POST", url, headers, account)}`;
    const untyped = await fetch(url, { method: "POST", headers, body: new Uint8Array(body) });
    assert.equal(untyped.status, 201, await untyped.text());
  });

  it("refuses an empty Content-Type header with 400 InvalidHeaderValue naming it", async () => {
    const response = await add(poolBody("emptytype"), { "content-type": "" });
    assert.equal(response.status, 400, response.text);
    assert.equal(batchErrorCode(response), "InvalidHeaderValue");
    assert.equal(detail(response.json, "HeaderName"), "Content-Type");
  });

  it("refuses a body declared as something other than UTF-8 JSON with 400 InvalidHeaderValue naming Content-Type", async () => {
    const refused: [string, RegExp][] = [
      ["text/plain", /not 'text\/plain'/],
      ["text/plain;charset=UTF-8", /not 'text\/plain'/],
      ["application/x-www-form-urlencoded", /must be JSON/],
      ["application/xml", /must be JSON/],
      ["application/json; charset=iso-8859-1", /UTF-8, not 'iso-8859-1'/],
      ["application/json; odata=minimalmetadata; charset=utf-16", /UTF-8, not 'utf-16'/],
    ];
    for (const [i, [contentType, reason]] of refused.entries()) {
      const response = await add(JSON.stringify(poolBody(`mistyped-${i}`)), { "content-type": contentType });
      assert.equal(response.status, 400, contentType);
      assert.equal(batchErrorCode(response), "InvalidHeaderValue", contentType);
      assert.equal(detail(response.json, "HeaderName"), "Content-Type");
      assert.equal(detail(response.json, "HeaderValue"), contentType);
      assert.match(detail(response.json, "Reason") ?? "", reason);
      assert.equal((await batchRequest(server.url, { path: `/pools/mistyped-${i}?api-version=${apiVersion}`, account })).status, 404, "nothing was created");
    }
  });
});
