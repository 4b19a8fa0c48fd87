/**
 * Per-call options against a local server: `timeout` (the and the REST API's name) as an alias of
 * `timeoutInSeconds`; `abortSignal` cancelling a request in flight, a streamed download being read and a bulk
 * `addCollection`; `onResponse` reaching the headers of results that are plain booleans (`exists`).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AbortError, CreateTasksError, operationUrl, type BatchResponseInfo } from "../src/index.js";
import { hang, json, type ScriptedHandler } from "./support/scriptedServer.js";
import { rejection, withScriptedClient } from "./support/scriptedClient.js";

const withServer = (handler: ScriptedHandler, body: Parameters<typeof withScriptedClient>[2]) => withScriptedClient(handler, { retryOptions: { maxRetries: 0 } }, body);
const context = { endpoint: "https://acct.westus.batch.azure.com", apiVersion: "2024-02-01.19.0" };

describe("timeout", () => {
  it("is sent as the timeout query parameter, like timeoutInSeconds", () => {
    assert.match(operationUrl(context, "Pool_Get", { path: { poolId: "p" }, options: { timeout: 20 } }), /[?&]timeout=20(&|$)/);
    assert.match(operationUrl(context, "Pool_Get", { path: { poolId: "p" }, options: { timeoutInSeconds: 20 } }), /[?&]timeout=20(&|$)/);
    assert.match(operationUrl(context, "Pool_Get", { path: { poolId: "p" }, options: { timeout: 20, timeoutInSeconds: 20 } }), /[?&]timeout=20(&|$)/);
  });

  it("refuses two different values and values that are not whole seconds", () => {
    assert.throws(() => operationUrl(context, "Pool_Get", { path: { poolId: "p" }, options: { timeout: 20, timeoutInSeconds: 10 } }), /same option/);
    assert.throws(() => operationUrl(context, "Pool_Get", { path: { poolId: "p" }, options: { timeout: 1.5 } }), RangeError);
    assert.throws(() => operationUrl(context, "Pool_Get", { path: { poolId: "p" }, options: { timeout: 0 } }), RangeError);
  });

  it("reaches the server on a real call", async () => {
    await withServer((_q, r) => json(r, 200, { id: "p" }), async (client, server) => {
      await client.pool.get("p", { timeout: 7 });
      assert.match(server.requests[0]?.url ?? "", /[?&]timeout=7(&|$)/);
    });
  });
});

describe("abortSignal", { timeout: 20_000 }, () => {
  it("cancels a request the server has not answered", async () => {
    await withServer(hang, async (client, server) => {
      const controller = new AbortController();
      const call = client.pool.get("p", { abortSignal: controller.signal });
      await server.requestCount(1);
      controller.abort();
      assert.ok((await rejection(call)) instanceof AbortError);
      await server.requests[0]?.closed;
    });
  });

  it("cancels a streamed download while it is being read: the stream fails with AbortError", async () => {
    await withServer(
      (_q, r) => {
        r.writeHead(200, { "content-type": "application/octet-stream", "content-length": "1000000" });
        r.write("first bytes");
      },
      async (client, server) => {
        const controller = new AbortController();
        const download = await client.file.getFromComputeNode("p", "n", "big.bin", { abortSignal: controller.signal });
        const reader = download.readableStreamBody[Symbol.asyncIterator]();
        const first = await reader.next();
        assert.equal(Buffer.from(first.value as Buffer).toString(), "first bytes");
        controller.abort();
        const error = await rejection(reader.next());
        assert.ok(error instanceof AbortError, String(error));
        await server.requests[0]?.closed;
      },
    );
  });

  it("cancels addCollection with a chunk in flight: AbortError, no further chunks sent", async () => {
    await withServer(hang, async (client, server) => {
      const controller = new AbortController();
      const tasks = Array.from({ length: 250 }, (_, i) => ({ id: `t${i}`, commandLine: "true" }));
      const call = client.task.addCollection("job-1", tasks, { abortSignal: controller.signal });
      await server.requestCount(1);
      controller.abort();
      const error = await rejection(call);
      assert.ok(error instanceof AbortError && !(error instanceof CreateTasksError), String(error));
      assert.equal(server.requests.length, 1);
      assert.equal((JSON.parse(server.requests[0]?.body ?? "{}") as { value: unknown[] }).value.length, 100);
    });
  });
});

describe("onResponse", () => {
  it("reaches the headers behind exists(), for true and for false", async () => {
    const handler: ScriptedHandler = (request, response) => {
      const found = request.url.startsWith("/pools/here");
      response.writeHead(found ? 200 : 404, { "request-id": found ? "req-here" : "req-gone", etag: "0x8D1", "last-modified": "Tue, 05 Mar 2024 10:00:00 GMT" });
      response.end();
    };
    await withServer(handler, async (client) => {
      const seen: BatchResponseInfo[] = [];
      assert.equal(await client.pool.exists("here", { onResponse: (response) => seen.push(response) }), true);
      assert.equal(await client.jobSchedule.exists("gone", { onResponse: (response) => seen.push(response) }), false);
      assert.deepEqual(
        seen.map((response) => [response.status, response.parsedHeaders.requestId]),
        [
          [200, "req-here"],
          [404, "req-gone"],
        ],
      );
      assert.equal(seen[0]?.parsedHeaders.eTag, "0x8D1");
      assert.equal(seen[0]?.parsedHeaders.lastModified?.toISOString(), "2024-03-05T10:00:00.000Z");
    });
  });

  it("is called for error answers too, and for each page of a list", async () => {
    await withServer(
      (request, response, index) => {
        if (request.url.startsWith("/jobs/missing")) return json(response, 404, { code: "JobNotFound", message: { value: "no" } }, { "request-id": "req-404" });
        const next = index === 1 ? { "odata.nextLink": `http://${request.headers.host}/pools?api-version=2024-02-01.19.0&page=2` } : {};
        json(response, 200, { value: [{ id: `p${index}` }], ...next }, { "request-id": `page-${index}` });
      },
      async (client) => {
        const seen: string[] = [];
        const record = (response: BatchResponseInfo) => seen.push(`${response.status} ${response.parsedHeaders.requestId}`);
        await rejection(client.job.get("missing", { onResponse: record }));
        const ids: string[] = [];
        for await (const pool of client.pool.list({ onResponse: record })) ids.push(pool.id ?? "");
        assert.deepEqual(ids, ["p1", "p2"]);
        assert.deepEqual(seen, ["404 req-404", "200 page-1", "200 page-2"]);
      },
    );
  });
});
