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

  it("every write to an entity yields a new ETag and a Last-Modified no earlier than before", async () => {
    const created = await batchRequest(server.url, { method: "POST", path: `/pools?api-version=${apiVersion}`, account, body: poolBody("etag-pool") });
    assert.equal(created.status, 201);
    const before = await get({}, "GET", "etag-pool");
    assert.equal(before.headers.get("etag"), created.headers.get("etag"));
    const seen = new Set([before.headers.get("etag")]);
    let lastModified = Date.parse(before.headers.get("last-modified") as string);
    for (const value of ["one", "two"]) {
      const patched = await batchRequest(server.url, { method: "PATCH", path: `/pools/etag-pool?api-version=${apiVersion}`, account, body: { metadata: [{ name: "step", value }] } });
      assert.equal(patched.status, 200, patched.text);
      const after = await get({}, "GET", "etag-pool");
      assert.equal(after.headers.get("etag"), patched.headers.get("etag"), "the write answers with the ETag a read then sees");
      assert.ok(!seen.has(after.headers.get("etag")), `patch '${value}' changed the ETag`);
      seen.add(after.headers.get("etag"));
      const modified = Date.parse(after.headers.get("last-modified") as string);
      assert.ok(modified >= lastModified);
      lastModified = modified;
      // The old ETag no longer satisfies If-Match.
      assert.equal((await get({ "if-match": before.headers.get("etag") as string }, "GET", "etag-pool")).status, 412);
    }
  });

  it("date conditions on writes: an unmet If-Unmodified-Since or If-Modified-Since is 412 (never 304) and changes nothing", async () => {
    await batchRequest(server.url, { method: "POST", path: `/pools?api-version=${apiVersion}`, account, body: poolBody("dated") });
    const current = await get({}, "GET", "dated");
    const modified = new Date(current.headers.get("last-modified") as string);
    const patch = (headers: Record<string, string>) =>
      batchRequest(server.url, { method: "PATCH", path: `/pools/dated?api-version=${apiVersion}`, account, headers, body: { metadata: [{ name: "k", value: "v" }] } });
    const shifted = (seconds: number) => new Date(modified.getTime() + seconds * 1000).toUTCString();

    for (const headers of [{ "if-unmodified-since": shifted(-60) }, { "if-modified-since": shifted(60) }, { "if-modified-since": shifted(0) }] as Record<string, string>[]) {
      const refused = await patch(headers);
      assert.equal(refused.status, 412, JSON.stringify(headers));
      assert.equal(batchErrorCode(refused), "ConditionNotMet");
    }
    assert.equal((await get({}, "GET", "dated")).headers.get("etag"), current.headers.get("etag"), "refused writes changed nothing");

    const accepted = await patch({ "if-unmodified-since": shifted(60), "if-modified-since": shifted(-60) });
    assert.equal(accepted.status, 200, accepted.text);
    assert.notEqual(accepted.headers.get("etag"), current.headers.get("etag"));
  });

  describe("on jobs and tasks", () => {
    const jobPath = `/jobs/condjob`;
    const taskPath = `/jobs/condjob/tasks/condtask`;
    const request = (method: string, path: string, headers: Record<string, string> = {}, body?: object) =>
      batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, headers, ...(body === undefined ? {} : { body }) });
    const versionOf = async (path: string) => {
      const response = await request("GET", path);
      assert.equal(response.status, 200, response.text);
      return { eTag: response.headers.get("etag") as string, lastModified: new Date(response.headers.get("last-modified") as string) };
    };
    const shifted = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000).toUTCString();

    before(async () => {
      assert.equal((await request("POST", "/jobs", {}, { id: "condjob", poolInfo: { poolId: "cond" } })).status, 201);
      assert.equal((await request("POST", "/jobs/condjob/tasks", {}, { id: "condtask", commandLine: "/bin/true" })).status, 201);
    });

    it("a job: reads answer 304 or 412, writes 412, and a current If-Match patches it", async () => {
      const { eTag, lastModified } = await versionOf(jobPath);
      assert.equal((await request("GET", jobPath, { "if-none-match": eTag })).status, 304);
      assert.equal((await request("GET", jobPath, { "if-modified-since": shifted(lastModified, 60) })).status, 304);
      assert.equal((await request("GET", jobPath, { "if-match": "0x1" })).status, 412);
      assert.equal((await request("GET", jobPath, { "if-unmodified-since": shifted(lastModified, -60) })).status, 412);

      const body = { priority: 10 };
      for (const headers of [{ "if-match": "0x1" }, { "if-none-match": eTag }, { "if-unmodified-since": shifted(lastModified, -60) }, { "if-modified-since": shifted(lastModified, 60) }] as Record<string, string>[]) {
        const refused = await request("PATCH", jobPath, headers, body);
        assert.equal(refused.status, 412, JSON.stringify(headers));
        assert.equal(batchErrorCode(refused), "ConditionNotMet");
      }
      assert.equal((await versionOf(jobPath)).eTag, eTag, "refused writes changed nothing");
      const accepted = await request("PATCH", jobPath, { "if-match": eTag }, body);
      assert.equal(accepted.status, 200, accepted.text);
      const after = await versionOf(jobPath);
      assert.notEqual(after.eTag, eTag);
      assert.equal((await request("GET", jobPath)).json.priority, 10);
    });

    it("a task: If-None-Match reads 304, a stale If-Match or If-Unmodified-Since update is 412, a current one succeeds", async () => {
      const { eTag, lastModified } = await versionOf(taskPath);
      assert.equal((await request("GET", taskPath, { "if-none-match": eTag })).status, 304);
      const body = { constraints: { maxTaskRetryCount: 2 } };
      for (const headers of [{ "if-match": "0x1" }, { "if-unmodified-since": shifted(lastModified, -60) }] as Record<string, string>[]) {
        const refused = await request("PUT", taskPath, headers, body);
        assert.equal(refused.status, 412, JSON.stringify(headers));
        assert.equal(batchErrorCode(refused), "ConditionNotMet");
      }
      const accepted = await request("PUT", taskPath, { "if-match": eTag, "if-unmodified-since": shifted(lastModified, 60) }, body);
      assert.equal(accepted.status, 200, accepted.text);
      assert.notEqual((await versionOf(taskPath)).eTag, eTag);
      assert.equal((await request("GET", taskPath)).json.constraints.maxTaskRetryCount, 2);
    });
  });
});
