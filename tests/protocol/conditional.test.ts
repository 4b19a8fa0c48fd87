import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { poolBody } from "./fixtures.js";

const account = testAccounts.alpha;

describe("conditional requests", () => {
  let server: TestServer;
  let eTag: string;
  let lastModified: Date;
  before(async () => {
    server = await startTestServer();
    const created = await batchRequest(server.url, { method: "POST", path: `/pools?api-version=${apiVersion}`, account, body: poolBody("cond") });
    eTag = created.headers.get("etag") as string;
    lastModified = new Date(created.headers.get("last-modified") as string);
  });
  after(() => server.dispose());

  const get = (headers: Record<string, string>, method = "GET", id = "cond") =>
    batchRequest(server.url, { method, path: `/pools/${id}?api-version=${apiVersion}`, account, headers });
  const later = () => new Date(lastModified.getTime() + 60_000).toUTCString();
  const earlier = () => new Date(lastModified.getTime() - 60_000).toUTCString();

  it("If-Match: 200 when it matches, 412 ConditionNotMet when it does not", async () => {
    assert.equal((await get({ "if-match": eTag })).status, 200);
    assert.equal((await get({ "if-match": "*" })).status, 200);
    const stale = await get({ "if-match": "0x8D000000000000" });
    assert.equal(stale.status, 412);
    assert.equal(batchErrorCode(stale), "ConditionNotMet");
  });

  it("If-None-Match: 304 without a body on a matching read, 200 otherwise", async () => {
    const notModified = await get({ "if-none-match": eTag });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.text, "");
    assert.ok(notModified.headers.get("request-id"));
    assert.equal((await get({ "if-none-match": "0x8D000000000000" })).status, 200);
  });

  it("If-Modified-Since: 304 when unchanged since, 200 when changed", async () => {
    assert.equal((await get({ "if-modified-since": later() })).status, 304);
    assert.equal((await get({ "if-modified-since": earlier() })).status, 200);
  });

  it("If-Unmodified-Since: 412 when changed since, 200 otherwise", async () => {
    const changed = await get({ "if-unmodified-since": earlier() });
    assert.equal(changed.status, 412);
    assert.equal(batchErrorCode(changed), "ConditionNotMet");
    assert.equal((await get({ "if-unmodified-since": later() })).status, 200);
  });

  it("refuses a malformed date header with 400 InvalidHeaderValue naming it", async () => {
    const response = await get({ "if-modified-since": "yesterday" });
    assert.equal(response.status, 400);
    assert.equal(batchErrorCode(response), "InvalidHeaderValue");
    assert.ok(response.json.values.some((v: { key: string; value: string }) => v.key === "HeaderName" && v.value === "if-modified-since"));
  });

  it("applies conditions to HEAD (exists), which answers without a body", async () => {
    assert.equal((await get({ "if-match": eTag }, "HEAD")).status, 200);
    const stale = await get({ "if-match": "0x1" }, "HEAD");
    assert.equal(stale.status, 412);
    assert.equal(stale.text, "");
    const missing = await get({}, "HEAD", "nosuchpool");
    assert.equal(missing.status, 404);
    assert.equal(missing.text, "");
  });

  it("a write with a stale If-Match is refused with 412 and changes nothing; a current one succeeds", async () => {
    await batchRequest(server.url, { method: "POST", path: `/pools?api-version=${apiVersion}`, account, body: poolBody("doomed") });
    const current = await get({}, "GET", "doomed");
    const refused = await batchRequest(server.url, { method: "DELETE", path: `/pools/doomed?api-version=${apiVersion}`, account, headers: { "if-match": "0x1" } });
    assert.equal(refused.status, 412);
    assert.equal(batchErrorCode(refused), "ConditionNotMet");
    assert.deepEqual((await get({}, "GET", "doomed")).json, current.json);
    const refusedByNoneMatch = await batchRequest(server.url, { method: "DELETE", path: `/pools/doomed?api-version=${apiVersion}`, account, headers: { "if-none-match": current.headers.get("etag") as string } });
    assert.equal(refusedByNoneMatch.status, 412, "an unmet condition on a write is 412, never 304");
    const accepted = await batchRequest(server.url, { method: "DELETE", path: `/pools/doomed?api-version=${apiVersion}`, account, headers: { "if-match": current.headers.get("etag") as string } });
    assert.equal(accepted.status, 202);
    assert.equal((await get({}, "GET", "doomed")).status, 404);
  });

  it("every write yields a new ETag", async () => {
    const first = await batchRequest(server.url, { method: "POST", path: `/pools?api-version=${apiVersion}`, account, body: poolBody("etag-a") });
    const second = await batchRequest(server.url, { method: "POST", path: `/pools?api-version=${apiVersion}`, account, body: poolBody("etag-b") });
    assert.notEqual(first.headers.get("etag"), second.headers.get("etag"));
  });
});
