/**
 * Wire equivalence with the official Python SDK:
 *
 * 1. Signatures: requests our client sent (captured by a recording server) are re-signed by azure-batch's own
 *    `SharedKeyAuth` over a `requests` PreparedRequest with the same method, URL, headers and body (no network);
 *    the Authorization headers must be identical.
 * 2. Requests: the same calls made through the Python SDK and through our client (api-version set to the SDK's)
 *    against recording servers must carry the same method, raw path, raw query, JSON body and signed headers.
 * 3. Verification: every recorded request, ours and azure-batch's, is replayed byte for byte (the Host header
 *    aside, which is not signed) to a real OpenBatch server, whose SharedKey verifier must accept it: no 403. The
 *    same request with its signed ocp-date moved by one second must be refused with 403, which shows that the
 *    server checks the signature of these very requests before anything else it might answer.
 *
 * Environment limit: the Python SDK on this machine is Debian's python3-azure, azure-batch 13.0.1, which speaks
 * api-version 2022-10-01.16.0 (the issue names 14.2.0 and 2024-02-01.19.0, which Debian does not package). Our
 * client is set to that api-version for the comparison; the server accepts it.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { BatchServiceClient, BatchSharedKeyCredential } from "@openbatch/client";
import { apiVersion, batchRequest, signPythonStyle } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { startRecordingServer, type RecordedRequest, type RecordingServer } from "./recordingServer.js";

const execFileAsync = promisify(execFile);
const python = "/usr/bin/python3";
const account = testAccounts.alpha;

function script(name: string): string {
  return fileURLToPath(new URL(`../../client/python/${name}`, import.meta.url));
}

async function runPython(name: string, args: string[], stdin?: string): Promise<string> {
  const child = execFileAsync(python, [script(name), ...args], { maxBuffer: 16 * 1024 * 1024 });
  if (stdin !== undefined) {
    child.child.stdin?.end(stdin);
  }
  const { stdout } = await child;
  return stdout;
}

/** The calls of sdk_calls.py, made through our client, in the same order. */
async function ourCalls(client: BatchServiceClient): Promise<void> {
  await client.job.add({
    id: "job-x",
    priority: 100,
    maxParallelTasks: -1, // azure-batch's JobAddParameter sends its model default; we send what we are given
    constraints: { maxTaskRetryCount: 2 },
    poolInfo: { poolId: "pool-1" },
    metadata: [{ name: "owner", value: "tests" }],
    usesTaskDependencies: true,
  });
  await client.task.add("job/with slash", { id: "t1", commandLine: "/bin/sh -c 'echo $HOME'", environmentSettings: [{ name: "A", value: "b=c" }] });
  await client.computeNode.reboot("pool-1", "tvm-1_2", { nodeRebootOption: "terminate" });
  await client.computeNode.reboot("pool-1", "tvm-1_2");
  const download = await client.file.getFromTask("job-1", "task-1", "wd/sub dir/out+1(2).txt", { ocpRange: "bytes=0-99", timeoutInSeconds: 30 });
  for await (const chunk of download.readableStreamBody) void chunk;
  await client.certificate.get("sha1", "94C1B6F5B6DB4E3C");
  await client.pool.list({ filter: "state eq 'active' and startswith(id,'a b')", select: "id,state", expand: "stats", maxResults: 10, timeoutInSeconds: 30 }).byPage().next();
  await client.pool.delete("pool-1", { ifMatch: "0x8DC1", timeoutInSeconds: 30 });
  await client.file.getPropertiesFromComputeNode("pool-1", "tvm-1_2", "startup/stdout.txt");
  await client.task.addCollection("job-1", [
    { id: "b1", commandLine: "echo 1" },
    { id: "b2", commandLine: "echo 2" },
  ]);
  await client.pool.resize("pool-1", { targetDedicatedNodes: 3, nodeDeallocationOption: "taskcompletion" });
}

function verifiesPythonStyle(request: RecordedRequest, baseUrl: string): boolean {
  const signature = (request.headers["authorization"] ?? "").split(":")[1];
  return signature === signPythonStyle(request.method, new URL(baseUrl + request.rawUrl), request.headers, account);
}

/** Sends a recorded request again, to `baseUrl`, exactly as it was received (Host and Connection aside). */
function replay(baseUrl: string, recorded: RecordedRequest, headerOverrides: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { ...recorded.headers, ...headerOverrides };
  for (const name of ["host", "connection"]) delete headers[name];
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: url.hostname, port: url.port, method: recorded.method, path: recorded.rawUrl, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(recorded.body.length === 0 ? undefined : recorded.body);
  });
}

function errorCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { code?: string }).code;
  } catch {
    return undefined;
  }
}

function sortedTasks(body: unknown): unknown {
  const value = (body as { value?: { id: string }[] }).value ?? [];
  return [...value].sort((a, b) => (a.id < b.id ? -1 : 1));
}

describe("wire equivalence with azure-batch (Python)", () => {
  let ours: RecordingServer;
  let theirs: RecordingServer;
  let client: BatchServiceClient;
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ localAgentEntry: undefined });
    ours = await startRecordingServer();
    theirs = await startRecordingServer();
    client = new BatchServiceClient(ours.url, new BatchSharedKeyCredential(account.name, account.key), { apiVersion: "2022-10-01.16.0" });
    await ourCalls(client);
    const output = await runPython("sdk_calls.py", [theirs.url, account.name, account.key]);
    assert.deepEqual(JSON.parse(output), { ok: true }, output);
  });
  after(async () => {
    await client.close();
    await ours.close();
    await theirs.close();
    await server.dispose();
  });

  it("azure-batch's SharedKeyAuth produces our Authorization header for every request we sent", async () => {
    const requests = ours.requests.map((request) => {
      const headers = { ...request.headers };
      for (const name of ["authorization", "host", "connection"]) delete headers[name];
      return { method: request.method, url: ours.url + request.rawUrl, headers, body: request.body.length === 0 ? null : request.body.toString("utf8") };
    });
    // A query value with `+` and an empty one: decoded before signing (`+` is a space), empty ones skipped.
    requests.push({
      method: "GET",
      url: `${ours.url}/jobs?api-version=2024-02-01.19.0&$skiptoken=a%2Bb+c&$filter=`,
      headers: { "ocp-date": "Tue, 05 Mar 2024 10:00:00 GMT", accept: "application/json" },
      body: null,
    });
    const output = await runPython("sign.py", [], JSON.stringify({ account: account.name, key: account.key, requests }));
    const signed = JSON.parse(output) as { authorization: string; url: string }[];
    assert.equal(signed.length, requests.length);
    ours.requests.forEach((request, index) => {
      assert.equal(signed[index]?.url, ours.url + request.rawUrl, "requests must not re-encode the URL");
      assert.equal(signed[index]?.authorization, request.headers["authorization"], `${request.method} ${request.rawUrl}`);
    });
    const last = requests.at(-1) as (typeof requests)[number];
    const credential = new BatchSharedKeyCredential(account.name, account.key);
    const url = new URL(last.url);
    assert.equal(
      credential.authorizationHeader({ method: "GET", rawPath: url.pathname, rawQuery: url.search.slice(1), headers: last.headers }),
      signed.at(-1)?.authorization,
    );
  });

  it("sends what azure-batch sends: method, raw path, raw query, body and signed headers", () => {
    assert.equal(ours.requests.length, theirs.requests.length);
    ours.requests.forEach((mine, index) => {
      const python = theirs.requests[index] as RecordedRequest;
      const label = `${python.method} ${python.rawUrl}`;
      assert.equal(mine.method, python.method, label);
      assert.equal(mine.rawPath, python.rawPath, label);
      assert.equal(mine.rawQuery, python.rawQuery, label);
      if (python.rawPath.endsWith("/addtaskcollection")) {
        // patch.py posts the chunk in reverse input order; the service takes any order.
        assert.deepEqual(sortedTasks(mine.json), sortedTasks(python.json), label);
      } else {
        assert.deepEqual(mine.json, python.json, label);
      }
      const bodyless = python.body.length === 0 && python.method === "POST";
      for (const header of ["content-length", "content-type", "ocp-range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "accept"]) {
        // The one deliberate difference: azure-batch sends the JSON Content-Type on an empty POST body; we send none.
        // Python's json.dumps puts spaces after `,` and `:`: equal JSON, different byte counts.
        if (header === "content-length" && python.body.length > 0) {
          assert.equal(mine.headers[header], String(mine.body.length), label);
          continue;
        }
        if (header === "content-type" && bodyless) {
          assert.equal(mine.headers[header], undefined, label);
          continue;
        }
        assert.equal(mine.headers[header], python.headers[header], `${label}: ${header}`);
      }
      assert.ok(verifiesPythonStyle(mine, ours.url), `our signature of ${label}`);
      assert.ok(verifiesPythonStyle(python, theirs.url), `azure-batch's signature of ${label}`);
    });
  });

  it("the signatures of both clients' requests verify on a real OpenBatch server; a changed signed header does not", async () => {
    // The pool and job the calls name, so that several replays go all the way through their operation.
    for (const [path, body] of [
      ["/pools", { id: "pool-1", vmSize: "standard_d2s_v3", targetDedicatedNodes: 0, virtualMachineConfiguration: ubuntuVm }],
      ["/jobs", { id: "job-1", poolInfo: { poolId: "pool-1" } }],
    ] as const) {
      const created = await batchRequest(server.url, { method: "POST", path: `${path}?api-version=${apiVersion}`, account, body });
      assert.equal(created.status, 201, created.text);
    }
    const recorded = [...ours.requests.map((request) => ({ who: "ours", request })), ...theirs.requests.map((request) => ({ who: "azure-batch", request }))];
    assert.equal(recorded.length, 22, "eleven calls each");
    const succeeded: string[] = [];
    for (const { who, request } of recorded) {
      const label = `${who}: ${request.method} ${request.rawUrl}`;
      const accepted = await replay(server.url, request);
      if (who === "ours" && accepted.status === request.operation?.status) succeeded.push(request.operation.operationId);
      assert.notEqual(accepted.status, 403, `${label} → ${accepted.body}`);
      assert.notEqual(errorCode(accepted.body), "AuthenticationFailed", label);

      const date = new Date(Date.parse(request.headers["ocp-date"] ?? "") + 1000).toUTCString();
      const tampered = await replay(server.url, request, { "ocp-date": date });
      assert.equal(tampered.status, 403, `${label} with another ocp-date → ${tampered.body}`);
      if (request.method !== "HEAD") assert.equal(errorCode(tampered.body), "AuthenticationFailed", label);
    }
    // The others name a job id no job can have, nodes, files and certificates that do not exist, or a stale If-Match.
    assert.deepEqual(succeeded, ["Job_Add", "Pool_List", "Task_AddCollection", "Pool_Resize"]);
  });
});
