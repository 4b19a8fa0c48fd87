/**
 * The two knobs over the safe retry default, against a local server that misbehaves on purpose:
 * `retryOptions.retryNonIdempotent` (retry creating POSTs, reboot, terminate… after 5xx or a dropped connection, as
 * azure-batch's msrest does) and `requestTimeoutInMs` (a hung or stalled response becomes a retriable transport
 * failure instead of hanging the call).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BatchServiceClient, isBatchError, type BatchServiceClientOptions } from "../src/index.js";
import { batchError, dropConnection, hang, json, type ScriptedHandler } from "./support/scriptedServer.js";
import { rejection, testCredential, withScriptedClient } from "./support/scriptedClient.js";

const fast = { maxRetries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 20 };

/** Fails the first `failures` requests with `fail`, then answers 201/200 as the operation expects. */
function failing(failures: number, fail: ScriptedHandler): ScriptedHandler {
  return (request, response, index) => {
    if (index < failures) return fail(request, response, index);
    if (request.method === "GET") return json(response, 200, { id: "p", state: "active" });
    response.writeHead(request.url.startsWith("/pools?") ? 201 : 202, { "request-id": "ok" });
    response.end();
  };
}

const pool = { id: "p", vmSize: "standard_d2s_v3", targetDedicatedNodes: 0 };

describe("retryOptions.retryNonIdempotent", { timeout: 20_000 }, () => {
  it("is off by default: a creating POST answered 500 is not repeated", async () => {
    await withScriptedClient(failing(1, (_q, r) => batchError(r, 500, "InternalError")), { retryOptions: fast }, async (client, { requests }) => {
      const error = await rejection(client.pool.add(pool));
      assert.ok(isBatchError(error) && error.statusCode === 500 && error.code === "InternalError");
      assert.equal(requests.length, 1);
    });
  });

  it("set on the client, repeats a creating POST after 500 and 502, with the same client-request-id", async () => {
    const statuses = [500, 502];
    await withScriptedClient(failing(2, (_q, r, i) => batchError(r, statuses[i] ?? 500, "InternalError")), { retryOptions: { ...fast, retryNonIdempotent: true } }, async (client, { requests }) => {
      const added = await client.pool.add(pool);
      assert.equal(added._response.status, 201);
      assert.equal(requests.length, 3);
      assert.equal(new Set(requests.map((request) => request.headers["client-request-id"])).size, 1);
    });
  });

  it("repeats a reboot whose connection dropped after the request was read — only when asked, per call", async () => {
    await withScriptedClient(failing(1, (_q, r) => dropConnection(r)), { retryOptions: fast }, async (client, { requests }) => {
      const error = await rejection(client.computeNode.reboot("p", "n1"));
      assert.ok(isBatchError(error) && error.statusCode === undefined && error.code === "ECONNRESET", String(error));
      assert.equal(requests.length, 1);
    });
    await withScriptedClient(failing(1, (_q, r) => dropConnection(r)), { retryOptions: fast }, async (client, { requests }) => {
      const rebooted = await client.computeNode.reboot("p", "n1", { retryOptions: { retryNonIdempotent: true } });
      assert.equal(rebooted._response.status, 202);
      assert.equal(requests.length, 2);
    });
  });

  it("a call's retryOptions override the client's field by field", async () => {
    // The client allows 5 retries; the call only adds retryNonIdempotent and keeps them (the default would be 3).
    await withScriptedClient(failing(5, (_q, r) => batchError(r, 500, "InternalError")), { retryOptions: { ...fast, maxRetries: 5 } }, async (client, { requests }) => {
      await client.job.terminate("j", { retryOptions: { retryNonIdempotent: true } });
      assert.equal(requests.length, 6);
    });
  });

  it("does not make 4xx answers retriable", async () => {
    await withScriptedClient(failing(1, (_q, r) => batchError(r, 409, "PoolExists")), { retryOptions: { ...fast, retryNonIdempotent: true } }, async (client, { requests }) => {
      const error = await rejection(client.pool.add(pool));
      assert.ok(isBatchError(error) && error.code === "PoolExists");
      assert.equal(requests.length, 1);
    });
  });
});

describe("requestTimeoutInMs", { timeout: 20_000 }, () => {
  it("turns a response that never comes into ETIMEDOUT, retried for a GET", async () => {
    await withScriptedClient(failing(1, hang), { retryOptions: fast, requestTimeoutInMs: 150 }, async (client, { requests }) => {
      const started = Date.now();
      const found = await client.pool.get("p");
      assert.equal(found.id, "p");
      assert.equal(requests.length, 2);
      assert.ok(Date.now() - started >= 140, "the first attempt waited for the timeout");
      await requests[0]?.closed;
    });
  });

  it("fails a creating POST with ETIMEDOUT without repeating it, unless retryNonIdempotent", async () => {
    await withScriptedClient(failing(1, hang), { retryOptions: fast, requestTimeoutInMs: 150 }, async (client, { requests }) => {
      const error = await rejection(client.pool.add(pool));
      assert.ok(isBatchError(error) && error.code === "ETIMEDOUT" && error.statusCode === undefined, String(error));
      assert.match((error as Error).message, /150 ms/);
      assert.equal(requests.length, 1);
    });
    await withScriptedClient(failing(1, hang), { retryOptions: { ...fast, retryNonIdempotent: true }, requestTimeoutInMs: 150 }, async (client, { requests }) => {
      await client.pool.add(pool);
      assert.equal(requests.length, 2);
    });
  });

  it("covers a body that stalls half-way", async () => {
    const stall: ScriptedHandler = (_q, r) => {
      r.writeHead(200, { "content-type": "application/json;odata=minimalmetadata" });
      r.write('{"id":"p","st');
    };
    await withScriptedClient(failing(1, stall), { retryOptions: fast, requestTimeoutInMs: 150 }, async (client, { requests }) => {
      const found = await client.pool.get("p");
      assert.equal(found.state, "active");
      assert.equal(requests.length, 2);
    });
  });

  it("can be set per call, and 0 turns it off", async () => {
    await withScriptedClient(failing(1, hang), { retryOptions: { ...fast, maxRetries: 0 } }, async (client) => {
      const error = await rejection(client.pool.get("p", { requestTimeoutInMs: 100 }));
      assert.ok(isBatchError(error) && error.code === "ETIMEDOUT");
    });
    const slow: ScriptedHandler = (_q, r) => setTimeout(() => json(r, 200, { id: "p" }), 300);
    await withScriptedClient(slow, { retryOptions: { ...fast, maxRetries: 0 }, requestTimeoutInMs: 100 }, async (client) => {
      assert.equal((await client.pool.get("p", { requestTimeoutInMs: 0 })).id, "p");
    });
    assert.throws(() => new BatchServiceClient("http://127.0.0.1:1", testCredential, { requestTimeoutInMs: -1 }), RangeError);
  });

  it("stops timing a streamed download once its headers arrive: the reader sets the pace", async () => {
    const slowFile: ScriptedHandler = (_q, r) => {
      r.writeHead(200, { "content-type": "application/octet-stream", "content-length": "10" });
      r.write("hello");
      setTimeout(() => r.end("world"), 400);
    };
    await withScriptedClient(slowFile, { retryOptions: { ...fast, maxRetries: 0 }, requestTimeoutInMs: 150 }, async (client) => {
      const download = await client.file.getFromTask("j", "t", "out.txt");
      const chunks: Buffer[] = [];
      for await (const chunk of download.readableStreamBody) chunks.push(chunk as Buffer);
      assert.equal(Buffer.concat(chunks).toString(), "helloworld");
    });
  });
});
