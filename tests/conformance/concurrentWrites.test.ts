/**
 * Writes racing each other, on both stores (the conformance suite runs again on PostgreSQL). A request reads its
 * entity, checks its conditions, then writes in a transaction of its own, so other writes land in between. Azure
 * refuses a write for that only when the request set a condition (If-Match and the like); without one the write
 * applies to whatever version it finds — a pool the reconciler is writing can still be deleted or resized.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { poolBody } from "../protocol/fixtures.js";

const account = testAccounts.alpha;

describe("concurrent writes", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    const created = await batchRequest(server.url, { method: "POST", path: `/pools?api-version=${apiVersion}`, account, body: poolBody("raced") });
    assert.equal(created.status, 201);
  });
  after(() => server.dispose());

  const patch = (value: string, headers: Record<string, string> = {}) =>
    batchRequest(server.url, { method: "PATCH", path: `/pools/raced?api-version=${apiVersion}`, account, headers, body: { metadata: [{ name: "writer", value }] } });

  it("applies every write without conditions, however many change the entity at once", async () => {
    const patches = await Promise.all(Array.from({ length: 12 }, (_, index) => patch(String(index))));
    assert.deepEqual(patches.map((response) => [response.status, batchErrorCode(response)]), patches.map(() => [200, undefined]));
    const pool = await batchRequest(server.url, { path: `/pools/raced?api-version=${apiVersion}`, account });
    assert.ok(patches.some((response) => response.headers.get("etag") === pool.headers.get("etag")), "the pool holds one of the writes, the last");
  });

  it("applies one of several writes conditioned on the same version and refuses the others with 412", async () => {
    const current = (await batchRequest(server.url, { path: `/pools/raced?api-version=${apiVersion}`, account })).headers.get("etag") as string;
    const conditioned = await Promise.all(Array.from({ length: 4 }, (_, index) => patch(`conditioned ${index}`, { "if-match": current })));
    assert.equal(conditioned.filter((response) => response.status === 200).length, 1);
    for (const response of conditioned.filter((response) => response.status !== 200)) {
      assert.equal(response.status, 412);
      assert.equal(batchErrorCode(response), "ConditionNotMet");
    }
  });
});
