/**
 * Wire shape of every operation, against a local recording server: the method, the percent-encoded path, the query,
 * the headers (signed as azure-batch signs, checked with the independent signer of tests/support) and the JSON
 * body our client sends. Detailed checks for a representative set: job add, task add, node reboot, file get with
 * ocp-range (streamed), certificate get, list options, conditions and nextLink.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { operationsById } from "@openbatch/protocol";
import { BatchServiceClient, BatchSharedKeyCredential, isBatchError, toArray } from "@openbatch/client";
import { signPythonStyle } from "../support/batchRequest.js";
import { testAccounts } from "../support/testServer.js";
import { encoded, expectedPath, ids, operationCalls } from "./operationCalls.js";
import { startRecordingServer, type RecordedRequest, type RecordingServer } from "./recordingServer.js";

const account = testAccounts.alpha;
const apiVersion = "2024-02-01.19.0";
const jsonContentType = "application/json; odata=minimalmetadata; charset=utf-8";
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks the SharedKey header of a recorded request with the independent Python-style signer. */
function assertSigned(request: RecordedRequest, baseUrl: string): void {
  const authorization = request.headers["authorization"] ?? "";
  const match = /^SharedKey ([^:]+):(.+)$/.exec(authorization);
  assert.ok(match, `Authorization: ${authorization}`);
  assert.equal(match[1], account.name);
  const expected = signPythonStyle(request.method, new URL(baseUrl + request.rawUrl), request.headers, account);
  assert.equal(match[2], expected, `signature of ${request.method} ${request.rawUrl}`);
}

function query(request: RecordedRequest): [string, string][] {
  return [...new URLSearchParams(request.rawQuery)];
}

describe("wire shape (recording server)", () => {
  let server: RecordingServer;
  let client: BatchServiceClient;
  before(async () => {
    server = await startRecordingServer();
    client = new BatchServiceClient(server.url, new BatchSharedKeyCredential(account.name, account.key), { retryOptions: { maxRetries: 0 } });
  });
  after(async () => {
    await client.close();
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
  });

  for (const call of operationCalls) {
    it(`${call.operationId}: method, encoded path, query, headers, signature, body`, async () => {
      const spec = operationsById.get(call.operationId);
      assert.ok(spec);
      await call.invoke(client);
      assert.equal(server.requests.length, 1);
      const request = server.requests[0] as RecordedRequest;
      assert.equal(request.method, spec.method);
      assert.equal(request.rawPath, expectedPath(spec.path));
      assert.equal(request.operation?.operationId, call.operationId);
      assert.deepEqual(query(request), [["api-version", apiVersion]]);
      assert.match(request.headers["client-request-id"] ?? "", uuid);
      assert.equal(request.headers["return-client-request-id"], "false");
      assert.ok(!Number.isNaN(Date.parse(request.headers["ocp-date"] ?? "")));
      assert.match(request.headers["ocp-date"] ?? "", / GMT$/);
      assert.equal(request.headers["accept"], "application/json");
      assertSigned(request, server.url);
      if (call.body === undefined) {
        assert.equal(request.body.length, 0);
        assert.equal(request.headers["content-type"], undefined);
        assert.equal(request.headers["content-length"], spec.method === "GET" || spec.method === "HEAD" ? undefined : "0");
      } else {
        assert.equal(request.headers["content-type"], jsonContentType);
        assert.equal(request.headers["content-length"], String(request.body.length));
        assert.deepEqual(request.json, call.body);
      }
    });
  }

  it("job add: the body verbatim, camelCase keys, nothing added", async () => {
    const job = {
      id: "job-x",
      priority: 100,
      constraints: { maxWallClockTime: "PT1H", maxTaskRetryCount: 2 },
      poolInfo: { autoPoolSpecification: { poolLifetimeOption: "job" as const, pool: { vmSize: "standard_d2s_v3", targetDedicatedNodes: 1 } } },
      onAllTasksComplete: "terminatejob" as const,
      usesTaskDependencies: true,
      metadata: [{ name: "owner", value: "tests" }],
    };
    const result = await client.job.add(job, { clientRequestId: "11111111-2222-3333-4444-555555555555", returnClientRequestId: true });
    const request = server.requests[0] as RecordedRequest;
    assert.equal(request.rawUrl, `/jobs?api-version=${apiVersion}`);
    assert.equal(request.body.toString("utf8"), JSON.stringify(job));
    assert.equal(request.headers["client-request-id"], "11111111-2222-3333-4444-555555555555");
    assert.equal(request.headers["return-client-request-id"], "true");
    assert.equal(result.clientRequestId, "11111111-2222-3333-4444-555555555555");
    assertSigned(request, server.url);
  });

  it("task add: path with the job id encoded, the task body", async () => {
    const task = { id: "t 1", commandLine: "/bin/sh -c 'echo $HOME'", environmentSettings: [{ name: "A", value: "b=c" }], constraints: { maxTaskRetryCount: 1 } };
    await client.task.add("job/with slash", task, { timeoutInSeconds: 10 });
    const request = server.requests[0] as RecordedRequest;
    assert.equal(request.method, "POST");
    assert.equal(request.rawPath, "/jobs/job%2Fwith%20slash/tasks");
    assert.deepEqual(query(request), [["api-version", apiVersion], ["timeout", "10"]]);
    assert.deepEqual(request.json, task);
    assertSigned(request, server.url);
  });

  it("node reboot: with an option it sends the body; without, an empty POST with Content-Length 0", async () => {
    await client.computeNode.reboot("pool-1", "tvm-1_2", { nodeRebootOption: "retaineddata" });
    await client.computeNode.reboot("pool-1", "tvm-1_2");
    const [withBody, without] = server.requests as [RecordedRequest, RecordedRequest];
    assert.equal(withBody.rawPath, "/pools/pool-1/nodes/tvm-1_2/reboot");
    assert.deepEqual(withBody.json, { nodeRebootOption: "retaineddata" });
    assert.equal(without.body.length, 0);
    assert.equal(without.headers["content-length"], "0");
    assert.equal(without.headers["content-type"], undefined);
    assertSigned(withBody, server.url);
    assertSigned(without, server.url);
  });

  it("certificate get: the (thumbprintAlgorithm=…,thumbprint=…) path, $select", async () => {
    await client.certificate.get("sha1", "94C1B6F5B6DB4E3C", { select: ["thumbprint", "state"] });
    const request = server.requests[0] as RecordedRequest;
    assert.equal(request.rawPath, "/certificates(thumbprintAlgorithm=sha1,thumbprint=94C1B6F5B6DB4E3C)");
    assert.deepEqual(query(request), [["api-version", apiVersion], ["$select", "thumbprint,state"]]);
    assertSigned(request, server.url);
  });

  it("list options: $filter, $select, $expand, maxresults, timeout, percent-encoded and signed decoded", async () => {
    await toArray(client.pool.list({ filter: "state eq 'active' and startswith(id,'a b')", select: ["id", "state"], expand: "stats", maxResults: 10, timeoutInSeconds: 5 }));
    await toArray(client.pool.listUsageMetrics({ startTime: new Date("2024-03-05T10:00:00Z"), endTime: "2024-03-05T11:00:00Z" }));
    await toArray(client.file.listFromTask("job-1", "task-1", { recursive: true, filter: "startswith(name,'wd')" }));
    const [pools, metrics, files] = server.requests as [RecordedRequest, RecordedRequest, RecordedRequest];
    assert.deepEqual(query(pools), [
      ["api-version", apiVersion],
      ["$filter", "state eq 'active' and startswith(id,'a b')"],
      ["$select", "id,state"],
      ["$expand", "stats"],
      ["maxresults", "10"],
      ["timeout", "5"],
    ]);
    assert.ok(!pools.rawQuery.includes(" ") && !pools.rawQuery.includes("'"), pools.rawQuery);
    assert.deepEqual(query(metrics), [["api-version", apiVersion], ["starttime", "2024-03-05T10:00:00.000Z"], ["endtime", "2024-03-05T11:00:00Z"]]);
    assert.deepEqual(query(files), [["api-version", apiVersion], ["$filter", "startswith(name,'wd')"], ["recursive", "true"]]);
    for (const request of [pools, metrics, files]) assertSigned(request, server.url);
  });

  it("conditions: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since sent and signed", async () => {
    const since = new Date("2024-03-05T10:00:00Z");
    await client.pool.delete("pool-1", { ifMatch: "0x8DC1", ifNoneMatch: "0x8DC2", ifModifiedSince: since, ifUnmodifiedSince: "Wed, 06 Mar 2024 10:00:00 GMT" });
    const request = server.requests[0] as RecordedRequest;
    assert.equal(request.headers["if-match"], "0x8DC1");
    assert.equal(request.headers["if-none-match"], "0x8DC2");
    assert.equal(request.headers["if-modified-since"], "Tue, 05 Mar 2024 10:00:00 GMT");
    assert.equal(request.headers["if-unmodified-since"], "Wed, 06 Mar 2024 10:00:00 GMT");
    assertSigned(request, server.url);
    await assert.rejects(client.application.get("x", { ifMatch: "y" } as never), /does not accept the option ifMatch/);
    await assert.rejects(toArray(client.application.list({ filter: "id eq 'x'" } as never)), /does not accept the option filter/);
  });

  it("ocpDate fixed by the caller is sent verbatim on every attempt", async () => {
    await client.job.getTaskCounts("job-1", { ocpDate: new Date("2024-03-05T10:00:00Z") });
    assert.equal((server.requests[0] as RecordedRequest).headers["ocp-date"], "Tue, 05 Mar 2024 10:00:00 GMT");
  });
});

describe("wire shape: file download with ocp-range, streamed", () => {
  let server: RecordingServer;
  let client: BatchServiceClient;
  let release: () => void = () => undefined;
  const firstChunk = Buffer.alloc(64 * 1024, "a");
  const lastChunk = Buffer.from("the end");
  before(async () => {
    server = await startRecordingServer(async (request, response) => {
      if (request.method === "HEAD") {
        response.writeHead(200, {
          "request-id": "req-head",
          "content-type": "text/plain",
          "content-length": "7",
          "last-modified": "Tue, 05 Mar 2024 10:00:00 GMT",
          "ocp-creation-time": "Mon, 04 Mar 2024 09:00:00 GMT",
          "ocp-batch-file-isdirectory": "False",
          "ocp-batch-file-url": "https://account/jobs/job-1/tasks/task-1/files/wd%2Fsub%20dir%2Fout%2B1%282%29.txt",
          "ocp-batch-file-mode": "0644",
        });
        response.end();
        return;
      }
      response.writeHead(200, {
        "request-id": "req-get",
        "content-type": "application/octet-stream",
        "content-length": String(firstChunk.length + lastChunk.length),
        "ocp-batch-file-isdirectory": "false",
        "ocp-batch-file-mode": "0600",
      });
      response.write(firstChunk);
      // The rest only after the client has the stream in hand: the download must not buffer the body.
      await new Promise<void>((resolve) => (release = resolve));
      response.end(lastChunk);
    });
    client = new BatchServiceClient(server.url, new BatchSharedKeyCredential(account.name, account.key));
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it("sends ocp-range (signed), resolves before the body has ended, streams as Node and web streams", async () => {
    const download = await client.file.getFromTask(ids.jobId, ids.taskId, ids.filePath, { ocpRange: "bytes=0-65541" });
    const request = server.requests[0] as RecordedRequest;
    assert.equal(request.rawPath, `/jobs/job-1/tasks/task-1/files/${encoded.filePath}`);
    assert.equal(request.headers["ocp-range"], "bytes=0-65541");
    assertSigned(request, server.url);
    assert.equal(download.contentLength, firstChunk.length + lastChunk.length);
    assert.equal(download.ocpBatchFileIsdirectory, false);
    assert.equal(download.ocpBatchFileMode, "0600");
    assert.equal(download.requestId, "req-get");
    release();
    const reader = download.body.getReader();
    let length = 0;
    let tail = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.length;
      tail = (tail + Buffer.from(value).toString("latin1")).slice(-7);
    }
    assert.equal(length, firstChunk.length + lastChunk.length);
    assert.equal(tail, "the end");
  });

  it("getFromComputeNode streams through readableStreamBody", async () => {
    server.requests.length = 0;
    const pending = client.file.getFromComputeNode("pool-1", "tvm-1_2", "startup/stdout.txt");
    const download = await pending;
    release();
    const chunks: Buffer[] = [];
    for await (const chunk of download.readableStreamBody) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).length, firstChunk.length + lastChunk.length);
    assert.equal((server.requests[0] as RecordedRequest).rawPath, "/pools/pool-1/nodes/tvm-1_2/files/startup%2Fstdout.txt");
  });

  it("getProperties parses the ocp-* file headers", async () => {
    const properties = await client.file.getPropertiesFromTask(ids.jobId, ids.taskId, ids.filePath, { ifModifiedSince: new Date("2024-01-01T00:00:00Z") });
    assert.deepEqual(properties, {
      requestId: "req-head",
      lastModified: new Date("2024-03-05T10:00:00Z"),
      ocpCreationTime: new Date("2024-03-04T09:00:00Z"),
      ocpBatchFileIsdirectory: false,
      ocpBatchFileUrl: "https://account/jobs/job-1/tasks/task-1/files/wd%2Fsub%20dir%2Fout%2B1%282%29.txt",
      ocpBatchFileMode: "0644",
      contentType: "text/plain",
      contentLength: 7,
    });
    const head = server.requests.at(-1) as RecordedRequest;
    assert.equal(head.method, "HEAD");
    assert.equal(head.headers["if-modified-since"], "Mon, 01 Jan 2024 00:00:00 GMT");
    const nodeProperties = await client.file.getPropertiesFromComputeNode("pool-1", "tvm-1_2", "startup/stdout.txt");
    assert.equal(nodeProperties.ocpBatchFileMode, "0644");
  });
});

describe("wire shape: paging follows odata.nextLink verbatim", () => {
  let server: RecordingServer;
  let client: BatchServiceClient;
  let counter = 0;
  const randomish = () => `req-${++counter}`;
  before(async () => {
    server = await startRecordingServer((request, response) => {
      const base = `http://127.0.0.1:${(response.socket?.localPort ?? 0).toString()}`;
      const page = new URLSearchParams(request.rawQuery).get("$skiptoken");
      const bodies: Record<string, unknown> = {
        first: { value: [{ id: "a" }, { id: "b" }], "odata.nextLink": `${base}/jobs?api-version=${apiVersion}&maxresults=2&$filter=state%20eq%20%27active%27&$skiptoken=p%2B2` },
        "p+2": { value: [{ id: "c" }, { id: "d" }], "odata.nextLink": `${base}/jobs?api-version=${apiVersion}&maxresults=2&$filter=state%20eq%20%27active%27&$skiptoken=p%2B3` },
        "p+3": { value: [{ id: "e" }] },
      };
      response.writeHead(200, { "content-type": "application/json;odata=minimalmetadata", "request-id": randomish() });
      response.end(JSON.stringify(bodies[page ?? "first"]));
    });
    client = new BatchServiceClient(server.url, new BatchSharedKeyCredential(account.name, account.key));
  });
  after(async () => {
    await client.close();
    await server.close();
  });
  it("iterates items across pages, requesting each link byte for byte, signed", async () => {
    const jobs = await toArray(client.job.list({ filter: "state eq 'active'", maxResults: 2 }));
    assert.deepEqual(jobs.map((job) => job.id), ["a", "b", "c", "d", "e"]);
    assert.equal(server.requests.length, 3);
    assert.equal(server.requests[1]?.rawUrl, `/jobs?api-version=${apiVersion}&maxresults=2&$filter=state%20eq%20%27active%27&$skiptoken=p%2B2`);
    assert.equal(server.requests[2]?.rawUrl, `/jobs?api-version=${apiVersion}&maxresults=2&$filter=state%20eq%20%27active%27&$skiptoken=p%2B3`);
    for (const request of server.requests) assertSigned(request, server.url);
  });

  it("byPage: pages with continuation tokens; maxPageSize becomes maxresults; resume from a token", async () => {
    server.requests.length = 0;
    const pages = [];
    for await (const page of client.job.list().byPage({ maxPageSize: 2 })) pages.push(page);
    assert.deepEqual(pages.map((page) => page.length), [2, 2, 1]);
    assert.deepEqual(query(server.requests[0] as RecordedRequest), [["api-version", apiVersion], ["maxresults", "2"]]);
    assert.match(pages[0]?.continuationToken ?? "", /\$skiptoken=p%2B2$/);
    assert.equal(pages[2]?.continuationToken, undefined);
    assert.deepEqual([...(pages[0] ?? [])].map((job) => job.id), ["a", "b"]);
    assert.ok(!Object.keys(pages[0] ?? {}).includes("continuationToken"));

    const resumed = [];
    for await (const page of client.job.list().byPage({ continuationToken: pages[1]?.continuationToken as string })) resumed.push(...page.map((job) => job.id));
    assert.deepEqual(resumed, ["e"]);
  });

  it("refuses a nextLink to another origin (credentials stay with the endpoint)", async () => {
    await assert.rejects(
      toArray(client.job.list().byPage({ continuationToken: "http://evil.example/jobs?api-version=x" })),
      /Refusing to follow odata.nextLink/,
    );
  });
});

describe("wire shape: errors", () => {
  it("a non-JSON error body still gives a BatchError with status and request id", async () => {
    const server = await startRecordingServer((_request, response) => {
      response.writeHead(502, { "content-type": "text/html", "request-id": "proxy-req" });
      response.end("<html>bad gateway</html>");
    });
    const client = new BatchServiceClient(server.url, new BatchSharedKeyCredential(account.name, account.key), { retryOptions: { maxRetries: 0 } });
    try {
      await client.pool.get("p");
      assert.fail("expected an error");
    } catch (error) {
      assert.ok(isBatchError(error));
      assert.equal(error.statusCode, 502);
      assert.equal(error.code, undefined);
      assert.equal(error.requestId, "proxy-req");
      assert.equal(error.response?.bodyAsText, "<html>bad gateway</html>");
    } finally {
      await client.close();
      await server.close();
    }
  });
});
