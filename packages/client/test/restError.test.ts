/**
 * The README's claim that `BatchError` is `RestError`-compatible, checked with the Azure SDK's own `isRestError`:
 * errors from a service answer and from a transport failure are recognised; cancellations are not (they are
 * `AbortError`s, as in the Azure SDK).
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { isRestError } from "@azure/core-rest-pipeline";
import { AbortError, BatchServiceClient, isBatchError } from "../src/index.js";
import { batchError, startScriptedServer } from "./support/scriptedServer.js";
import { rejection, testCredential } from "./support/scriptedClient.js";


it("a service error is a RestError to @azure/core-rest-pipeline, with the same code and statusCode", async () => {
  const server = await startScriptedServer((_q, r) => batchError(r, 404, "PoolNotFound"));
  const client = new BatchServiceClient(server.url, testCredential, { retryOptions: { maxRetries: 0 } });
  try {
    const error = await rejection(client.pool.get("missing"));
    assert.ok(isBatchError(error));
    assert.equal(isRestError(error), true);
    if (!isRestError(error)) return;
    assert.equal(error.code, "PoolNotFound");
    assert.equal(error.statusCode, 404);
  } finally {
    await client.close();
    await server.close();
  }
});

it("a transport failure is a RestError too; a cancellation is not", async () => {
  const server = await startScriptedServer(() => undefined);
  const url = server.url;
  await server.close();
  const client = new BatchServiceClient(url, testCredential, { retryOptions: { maxRetries: 0 } });
  try {
    const refused = await rejection(client.pool.get("p"));
    assert.equal(isRestError(refused), true);
    assert.equal((refused as { code?: string }).code, "ECONNREFUSED");
    const aborted = await rejection(client.pool.get("p", { abortSignal: AbortSignal.abort() }));
    assert.ok(aborted instanceof AbortError);
    assert.equal(isRestError(aborted), false);
  } finally {
    await client.close();
  }
});
