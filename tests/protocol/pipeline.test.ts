import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { extensionOperations, operations } from "@openbatch/protocol";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const account = testAccounts.alpha;

describe("request pipeline", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.dispose());

  it("answers /healthz without api-version or authentication", async () => {
    const response = await fetch(`${server.url}/healthz`);
    assert.equal(response.status, 200);
  });

  it("gives every response a fresh request-id", async () => {
    const first = await batchRequest(server.url, { path: `/supportedimages?api-version=${apiVersion}`, account });
    const second = await batchRequest(server.url, { path: `/supportedimages?api-version=${apiVersion}`, account });
    assert.match(first.headers.get("request-id") ?? "", /^[0-9a-f-]{36}$/);
    assert.notEqual(first.headers.get("request-id"), second.headers.get("request-id"));
    assert.equal(first.status, 200);
  });

  it("echoes client-request-id only when return-client-request-id is true", async () => {
    const clientRequestId = "9c4b5f8e-0000-4000-8000-000000000001";
    const echoed = await batchRequest(server.url, {
      path: `/supportedimages?api-version=${apiVersion}`,
      account,
      headers: { "client-request-id": clientRequestId, "return-client-request-id": "true" },
    });
    assert.equal(echoed.headers.get("client-request-id"), clientRequestId);
    const silent = await batchRequest(server.url, {
      path: `/supportedimages?api-version=${apiVersion}`,
      account,
      headers: { "client-request-id": clientRequestId },
    });
    assert.equal(silent.headers.get("client-request-id"), null);
  });

  it("requires api-version", async () => {
    const response = await batchRequest(server.url, { path: "/supportedimages", account });
    assert.equal(response.status, 400);
    assert.equal(batchErrorCode(response), "MissingRequiredQueryParameter");
    assert.deepEqual(response.json.values, [{ key: "QueryParameterName", value: "api-version" }]);
    assert.match(response.json.message.value, /RequestId:[0-9a-f-]{36}\nTime:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    assert.match(response.json["odata.metadata"], /\$metadata#Microsoft\.Azure\.Batch\.Protocol\.Entities\.Container\.errors\/@Element$/);
  });

  it("refuses an unsupported api-version and accepts all four supported ones", async () => {
    const response = await batchRequest(server.url, { path: "/supportedimages?api-version=2021-06-01.14.0", account });
    assert.equal(response.status, 400);
    assert.equal(batchErrorCode(response), "InvalidQueryParameterValue");
    assert.ok(response.json.values.some((v: { key: string; value: string }) => v.key === "QueryParameterValue" && v.value === "2021-06-01.14.0"));
    for (const version of ["2022-10-01.16.0", "2023-05-01.17.0", "2023-11-01.18.0", "2024-02-01.19.0"]) {
      const ok = await batchRequest(server.url, { path: `/supportedimages?api-version=${version}`, account });
      assert.equal(ok.status, 200, version);
    }
  });

  it("serves the lifetime statistics operations only to api-versions that still have them", async () => {
    const removed = await batchRequest(server.url, { path: `/lifetimepoolstats?api-version=${apiVersion}`, account });
    assert.equal(removed.status, 400);
    assert.equal(batchErrorCode(removed), "InvalidUri");
  });

  it("refuses query parameters the operation does not take, naming them", async () => {
    const response = await batchRequest(server.url, { path: `/applications?api-version=${apiVersion}&$filter=id%20eq%20'a'`, account });
    assert.equal(response.status, 400);
    assert.equal(batchErrorCode(response), "UnsupportedQueryParameter");
    assert.deepEqual(response.json.values, [{ key: "QueryParameterName", value: "$filter" }]);
  });

  it("validates timeout", async () => {
    const bad = await batchRequest(server.url, { path: `/supportedimages?api-version=${apiVersion}&timeout=abc`, account });
    assert.equal(bad.status, 400);
    assert.equal(batchErrorCode(bad), "InvalidQueryParameterValue");
    const large = await batchRequest(server.url, { path: `/supportedimages?api-version=${apiVersion}&timeout=600`, account });
    assert.equal(large.status, 200);
  });

  it("answers unknown paths with 400 InvalidUri and known paths with the wrong verb with 405", async () => {
    const unknown = await batchRequest(server.url, { path: `/nothing/here?api-version=${apiVersion}`, account });
    assert.equal(unknown.status, 400);
    assert.equal(batchErrorCode(unknown), "InvalidUri");
    const verb = await batchRequest(server.url, { method: "PUT", path: `/supportedimages?api-version=${apiVersion}`, account, body: {} });
    assert.equal(verb.status, 405);
    assert.equal(batchErrorCode(verb), "UnsupportedHttpVerb");
  });

  it("routes on the raw path, so an encoded '/' stays inside one parameter", async () => {
    const response = await batchRequest(server.url, { path: `/applications/a%2Fb?api-version=${apiVersion}`, account });
    assert.equal(response.status, 404);
    assert.equal(batchErrorCode(response), "ApplicationNotFound");
    assert.match(response.json.message.value, /'a\/b'/);
  });

  it("implements every operation of the table, the lifetime statistics at the api-version that still has them", async () => {
    for (const path of ["/lifetimejobstats", "/lifetimepoolstats"]) {
      const response = await batchRequest(server.url, { path: `${path}?api-version=2022-10-01.16.0`, account });
      assert.equal(response.status, 200, `${path}: ${response.text}`);
      assert.equal(response.json.url, `${server.url}${path}`);
    }
    const all = [...operations, ...extensionOperations].map((operation) => operation.operationId);
    assert.deepEqual(all.filter((id) => !server.implementedOperations.has(id)), []);
  });

  it("parses query parameters as their declared types before the handler runs, naming a malformed one", async () => {
    const refused = async (path: string, code = "InvalidQueryParameterValue", method = "GET") => {
      const response = await batchRequest(server.url, { method, path: `${path}&api-version=${apiVersion}`, account });
      assert.equal(response.status, 400, `${path}: ${response.text}`);
      assert.equal(batchErrorCode(response), code, path);
      return Object.fromEntries(response.json.values.map(({ key, value }: { key: string; value: string }) => [key, value]));
    };
    // Malformed values are refused before the pool is looked up (it does not exist).
    assert.deepEqual(await refused("/pools/none/nodes?maxresults=ten"), {
      QueryParameterName: "maxresults",
      QueryParameterValue: "ten",
      Reason: "maxresults must be a whole number",
    });
    assert.equal((await refused("/pools/none/nodes/n/files?recursive=yes")).QueryParameterName, "recursive");
    assert.equal((await refused("/pools/none/nodes/n/preempt?recoverafterseconds=-5", undefined, "POST")).QueryParameterName, "recoverafterseconds");
    assert.equal((await refused("/poolusagemetrics?endtime=soon")).QueryParameterName, "endtime");
    // Well-formed values reach the handler, which checks what depends on the operation.
    assert.equal((await refused("/pools/none/nodes?maxresults=0", "OutOfRangeQueryParameterValue")).QueryParameterName, "maxresults");
    assert.equal((await refused("/pools/none/nodes/n/preempt?recoverafterseconds=90000", undefined, "POST")).QueryParameterName, "recoverafterseconds");
    const files = await batchRequest(server.url, { path: `/pools/none/nodes/n/files?recursive=TRUE&api-version=${apiVersion}`, account });
    assert.equal(files.status, 404, files.text);
    assert.equal(batchErrorCode(files), "PoolNotFound");
  });

  it("returns entities with odata.metadata, ETag and Last-Modified", async () => {
    await server.services.applications.register(account.name, { applicationId: "render", version: "1.0" }, new Date());
    const response = await batchRequest(server.url, { path: `/applications/render?api-version=${apiVersion}`, account });
    assert.equal(response.status, 200);
    assert.equal(Object.keys(response.json)[0], "odata.metadata");
    assert.match(response.json["odata.metadata"], /\/\$metadata#applications\/@Element$/);
    assert.match(response.headers.get("etag") ?? "", /^0x[0-9A-F]+$/);
    assert.match(response.headers.get("last-modified") ?? "", /GMT$/);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  });
});
