/**
 * The retry policy and transport, against recording servers that fail on purpose: 503/429 retried for every
 * operation, 500 only for idempotent ones, Retry-After honoured, 4xx never retried, transport failures retried only
 * when safe, abort during back-off, keep-alive connection reuse and close().
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import type { ServerResponse } from "node:http";
import { describe, it } from "node:test";
import {
  AbortError,
  BatchServiceClient,
  BatchSharedKeyCredential,
  NodeHttpTransport,
  isBatchError,
  type BatchServiceClientOptions,
  type HttpTransport,
} from "@openbatch/client";
import { testAccounts } from "../support/testServer.js";
import { answerAsService, startRecordingServer, type RecordedRequest, type RecordingHandler } from "./recordingServer.js";

const account = testAccounts.alpha;
const fast = { maxRetries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 20 };

function batchError(response: ServerResponse, status: number, code: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json;odata=minimalmetadata", "request-id": `req-${status}`, ...headers });
  response.end(JSON.stringify({ code, message: { lang: "en-US", value: `${code} for the test` } }));
}

/** Fails the first `failures` requests with `fail`, then answers like the service. */
function failing(failures: number, fail: RecordingHandler): RecordingHandler {
  return (request, response, index) => (index < failures ? fail(request, response, index) : answerAsService(request, response));
}

async function withServer(handler: RecordingHandler, options: BatchServiceClientOptions, body: (client: BatchServiceClient, requests: RecordedRequest[]) => Promise<void>): Promise<void> {
  const server = await startRecordingServer(handler);
  const client = new BatchServiceClient(server.url, new BatchSharedKeyCredential(account.name, account.key), options);
  try {
    await body(client, server.requests);
  } finally {
    await client.close();
    await server.close();
  }
}

async function rejection(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  return assert.fail("expected the call to fail");
}

describe("retries", () => {
  it("retries 503 ServerBusy and succeeds, with the same client-request-id and a fresh signature", async () => {
    await withServer(failing(1, (_q, r) => batchError(r, 503, "ServerBusy")), { retryOptions: fast }, async (client, requests) => {
      const job = await client.job.getTaskCounts("job-1");
      assert.equal(job._response.status, 200);
      assert.equal(requests.length, 2);
      assert.equal(requests[0]?.headers["client-request-id"], requests[1]?.headers["client-request-id"]);
      assert.ok(requests[1]?.headers["authorization"]?.startsWith("SharedKey "));
    });
  });

  it("retries 429 and 503 even for creating POSTs (the service did not act)", async () => {
    let calls = 0;
    await withServer(failing(2, (_q, r) => batchError(r, calls++ === 0 ? 429 : 503, calls === 1 ? "TooManyRequests" : "ServerBusy")), { retryOptions: fast }, async (client, requests) => {
      await client.pool.add({ id: "p", vmSize: "standard_d2s_v3", targetDedicatedNodes: 0 });
      assert.equal(requests.length, 3);
    });
  });

  it("retries 500 for GET and idempotent POSTs, not for creating POSTs", async () => {
    await withServer(failing(1, (_q, r) => batchError(r, 500, "InternalError")), { retryOptions: fast }, async (client, requests) => {
      await client.pool.get("p");
      assert.equal(requests.length, 2);
    });
    await withServer(failing(1, (_q, r) => batchError(r, 500, "InternalError")), { retryOptions: fast }, async (client, requests) => {
      await client.pool.resize("p", { targetDedicatedNodes: 1 });
      assert.equal(requests.length, 2);
    });
    await withServer(failing(1, (_q, r) => batchError(r, 500, "InternalError")), { retryOptions: fast }, async (client, requests) => {
      const error = await rejection(client.job.add({ id: "j", poolInfo: { poolId: "p" } }));
      assert.ok(isBatchError(error));
      assert.equal(error.code, "InternalError");
      assert.equal(error.statusCode, 500);
      assert.equal(requests.length, 1);
    });
  });

  it("never retries 4xx, nor 501", async () => {
    for (const [status, code] of [[400, "InvalidPropertyValue"], [404, "PoolNotFound"], [409, "PoolExists"], [501, "NotImplemented"]] as const) {
      await withServer((_q, r) => batchError(r, status, code), { retryOptions: fast }, async (client, requests) => {
        const error = await rejection(client.pool.get("p"));
        assert.ok(isBatchError(error));
        assert.equal(error.code, code);
        assert.equal(error.statusCode, status);
        assert.equal(error.requestId, `req-${status}`);
        assert.equal(requests.length, 1);
      });
    }
  });

  it("gives up after maxRetries with the last error", async () => {
    await withServer((_q, r) => batchError(r, 503, "ServerBusy"), { retryOptions: { ...fast, maxRetries: 2 } }, async (client, requests) => {
      const error = await rejection(client.pool.get("p"));
      assert.ok(isBatchError(error));
      assert.equal(error.code, "ServerBusy");
      assert.equal(requests.length, 3);
    });
  });

  it("per-call retryOptions override the client's", async () => {
    await withServer((_q, r) => batchError(r, 503, "ServerBusy"), { retryOptions: fast }, async (client, requests) => {
      await rejection(client.pool.get("p", { retryOptions: { maxRetries: 0 } }));
      assert.equal(requests.length, 1);
    });
  });

  it("honours Retry-After (seconds) and retry-after-ms over its own back-off", async () => {
    await withServer(failing(1, (_q, r) => batchError(r, 503, "ServerBusy", { "Retry-After": "1" })), { retryOptions: fast }, async (client, requests) => {
      await client.pool.get("p");
      const waited = (requests[1]?.receivedAt ?? 0) - (requests[0]?.receivedAt ?? 0);
      assert.ok(waited >= 950, `waited ${waited} ms`);
    });
    await withServer(failing(1, (_q, r) => batchError(r, 429, "TooManyRequests", { "retry-after-ms": "200" })), { retryOptions: fast }, async (client, requests) => {
      await client.pool.get("p");
      const waited = (requests[1]?.receivedAt ?? 0) - (requests[0]?.receivedAt ?? 0);
      assert.ok(waited >= 190 && waited < 900, `waited ${waited} ms`);
    });
  });

  it("backs off exponentially within maxRetryDelayInMs", async () => {
    await withServer(failing(3, (_q, r) => batchError(r, 503, "ServerBusy")), { retryOptions: { maxRetries: 3, retryDelayInMs: 40, maxRetryDelayInMs: 100 } }, async (client, requests) => {
      await client.pool.get("p");
      const gaps = requests.slice(1).map((request, index) => request.receivedAt - (requests[index]?.receivedAt ?? 0));
      // Delays are drawn from [d/2, d] with d = 40, 80, 100 (capped).
      assert.ok((gaps[0] ?? 0) >= 15, `gaps ${gaps.join(",")}`);
      assert.ok((gaps[1] ?? 0) >= 35, `gaps ${gaps.join(",")}`);
      assert.ok(gaps.every((gap) => gap < 1500), `gaps ${gaps.join(",")}`);
    });
  });

  it("abortSignal cancels a call waiting in back-off", async () => {
    await withServer((_q, r) => batchError(r, 503, "ServerBusy", { "Retry-After": "30" }), { retryOptions: fast }, async (client) => {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 50);
      const error = await rejection(client.pool.get("p", { abortSignal: controller.signal }));
      assert.ok(error instanceof AbortError, String(error));
      assert.equal((error as Error).name, "AbortError");
      assert.ok(Date.now() - started < 2000);
    });
  });
});

/** A transport that counts attempts, over the real one. */
function countingTransport(): HttpTransport & { attempts: number } {
  const inner = new NodeHttpTransport();
  const transport = {
    attempts: 0,
    send(request: Parameters<HttpTransport["send"]>[0]) {
      transport.attempts++;
      return inner.send(request);
    },
    close: () => inner.close(),
  };
  return transport;
}

describe("transport failures", () => {
  it("connection refused: retried even for creating POSTs, then a BatchError with the Node code", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const transport = countingTransport();
    const client = new BatchServiceClient(`http://127.0.0.1:${port}`, new BatchSharedKeyCredential(account.name, account.key), { retryOptions: fast, transport });
    try {
      const error = await rejection(client.pool.add({ id: "p", vmSize: "standard_d2s_v3", targetDedicatedNodes: 0 }));
      assert.ok(isBatchError(error), String(error));
      assert.equal(error.code, "ECONNREFUSED");
      assert.equal(error.statusCode, undefined);
      assert.equal(transport.attempts, 4);
    } finally {
      await client.close();
    }
  });

  it("connection dropped after the request was sent: GET retried, creating POST not", async () => {
    const drop: RecordingHandler = (_request, response) => {
      response.socket?.destroy();
    };
    await withServer(failing(1, drop), { retryOptions: fast }, async (client, requests) => {
      await client.pool.get("p");
      assert.equal(requests.length, 2);
    });
    await withServer(failing(1, drop), { retryOptions: fast }, async (client, requests) => {
      const error = await rejection(client.pool.add({ id: "p", vmSize: "standard_d2s_v3", targetDedicatedNodes: 0 }));
      assert.ok(isBatchError(error), String(error));
      assert.ok(error.code === "ECONNRESET" || error.code === undefined, String(error.code));
      assert.equal(requests.length, 1);
    });
  });
});

describe("connections", () => {
  it("reuses one keep-alive connection for sequential requests; close() ends the client", async () => {
    await withServer(answerAsService, {}, async (client, requests) => {
      for (let i = 0; i < 5; i++) await client.pool.get("p");
      await client.pool.add({ id: "p", vmSize: "standard_d2s_v3", targetDedicatedNodes: 0 });
      assert.equal(new Set(requests.map((request) => request.remotePort)).size, 1);
      await client.close();
      const error = await rejection(client.pool.get("p"));
      assert.ok(error instanceof AbortError);
    });
  });
});
