import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { operations } from "@openbatch/protocol";
import { BatchServiceClient, BatchSharedKeyCredential, encodePathSegment, operationUrl, retrySafety, splitUrl } from "../src/index.js";

const context = { endpoint: "https://acct.region.batch.azure.com", apiVersion: "2024-02-01.19.0" };

describe("operation URLs", () => {
  it("encodes path parameters like Python's quote(value, safe='')", () => {
    const cases: [string, string][] = [
      ["plain-id_1", "plain-id_1"],
      ["a/b", "a%2Fb"],
      ["a b+c", "a%20b%2Bc"],
      ["(x)!*'~.", "%28x%29%21%2A%27~."],
      ["ü?#&=%", "%C3%BC%3F%23%26%3D%25"],
    ];
    for (const [value, expected] of cases) assert.equal(encodePathSegment(value), expected, value);
  });

  it("fills templates, including the certificate path, and appends api-version first", () => {
    assert.equal(
      operationUrl(context, "File_GetFromTask", { path: { jobId: "j", taskId: "t", filePath: "wd/out.txt" } }),
      "https://acct.region.batch.azure.com/jobs/j/tasks/t/files/wd%2Fout.txt?api-version=2024-02-01.19.0",
    );
    assert.equal(
      operationUrl(context, "Certificate_Get", { path: { thumbprintAlgorithm: "sha1", thumbprint: "ABC" }, options: { select: ["state", "thumbprint"] } }),
      "https://acct.region.batch.azure.com/certificates(thumbprintAlgorithm=sha1,thumbprint=ABC)?api-version=2024-02-01.19.0&$select=state%2Cthumbprint",
    );
    assert.equal(
      operationUrl(context, "Pool_List", { options: { filter: "id eq 'a'", expand: "stats", maxResults: 5, timeoutInSeconds: 9 }, maxPageSize: 7 }),
      "https://acct.region.batch.azure.com/pools?api-version=2024-02-01.19.0&$filter=id%20eq%20%27a%27&$expand=stats&maxresults=7&timeout=9",
    );
  });

  it("refuses options the operation does not accept, bad values and missing path parameters", () => {
    assert.throws(() => operationUrl(context, "Application_List", { options: { filter: "x" } }), /Application_List does not accept the option filter/);
    assert.throws(() => operationUrl(context, "Pool_Get", { path: { poolId: "p" }, options: { maxResults: 5 } }), /does not accept the option maxResults/);
    assert.throws(() => operationUrl(context, "Pool_List", { options: { maxResults: 0 } }), RangeError);
    assert.throws(() => operationUrl(context, "Pool_List", { options: { timeoutInSeconds: 1.5 } }), RangeError);
    assert.throws(() => operationUrl(context, "Pool_Get", { path: {} }), /path parameter poolId/);
    assert.throws(() => operationUrl(context, "Pool_Get", { path: { poolId: "" } }), /path parameter poolId/);
  });
});

describe("retry safety", () => {
  it("treats GET/HEAD/PUT/PATCH/DELETE as idempotent, creating and rebooting POSTs as not", () => {
    for (const operation of operations) {
      if (operation.method !== "POST") assert.equal(retrySafety(operation.operationId), "idempotent", operation.operationId);
    }
    for (const id of ["Pool_Add", "Job_Add", "Task_Add", "JobSchedule_Add", "Certificate_Add", "ComputeNode_AddUser", "ComputeNode_Reboot", "ComputeNode_Reimage", "Job_Terminate"] as const) {
      assert.equal(retrySafety(id), "notIdempotent", id);
    }
    for (const id of ["Pool_Resize", "Pool_EvaluateAutoScale", "Task_AddCollection", "ComputeNode_EnableScheduling"] as const) {
      assert.equal(retrySafety(id), "idempotent", id);
    }
  });
});

describe("client surface", () => {
  const client = new BatchServiceClient("https://acct.region.batch.azure.com/", new BatchSharedKeyCredential("acct", Buffer.from("k").toString("base64")));
  const groups: Record<string, string> = {
    Application: "application",
    Account: "account",
    Pool: "pool",
    Job: "job",
    Certificate: "certificate",
    File: "file",
    JobSchedule: "jobSchedule",
    Task: "task",
    ComputeNode: "computeNode",
    ComputeNodeExtension: "computeNodeExtension",
  };

  it("has a method for every operation of 2024-02-01.19.0, named as the Python SDK names it (camelCase)", () => {
    let count = 0;
    for (const operation of operations) {
      if ("removedIn" in operation) continue;
      const [groupName, methodName] = operation.operationId.split("_") as [string, string];
      const group = (client as unknown as Record<string, Record<string, unknown>>)[groups[groupName] as string];
      const method = methodName.charAt(0).toLowerCase() + methodName.slice(1);
      assert.equal(typeof group?.[method], "function", `${operation.operationId} → ${groups[groupName]}.${method}`);
      count++;
    }
    assert.equal(count, 76);
  });

  it("has no lifetime statistics operations (removed in 2023-05-01.17.0)", () => {
    assert.equal((client.pool as unknown as Record<string, unknown>)["getAllLifetimeStatistics"], undefined);
    assert.equal((client.job as unknown as Record<string, unknown>)["getAllLifetimeStatistics"], undefined);
  });

  it("normalises the endpoint, defaults the api-version and refuses bad arguments", async () => {
    assert.equal(client.endpoint, "https://acct.region.batch.azure.com");
    assert.equal(client.apiVersion, "2024-02-01.19.0");
    assert.throws(() => new BatchServiceClient("acct.region.batch.azure.com", new BatchSharedKeyCredential("a", "aw==")), TypeError);
    assert.throws(() => new BatchServiceClient("ftp://x", new BatchSharedKeyCredential("a", "aw==")), TypeError);
    assert.throws(() => new BatchServiceClient("https://x", {} as never), TypeError);
    assert.throws(() => new BatchServiceClient("https://x", new BatchSharedKeyCredential("a", "aw=="), { retryOptions: { maxRetries: -1 } }), RangeError);
    await client.close();
  });
});

describe("splitUrl", () => {
  it("keeps the raw path and query, whatever the origin looks like", () => {
    assert.deepEqual(splitUrl("https://Acct.Region.batch.azure.com:443/pools/a%2Fb?x=1"), { origin: "https://Acct.Region.batch.azure.com:443", pathAndQuery: "/pools/a%2Fb?x=1" });
    assert.deepEqual(splitUrl("http://[::1]:8090"), { origin: "http://[::1]:8090", pathAndQuery: "/" });
    assert.deepEqual(splitUrl("http://h/prefix/./pools/..?q#frag"), { origin: "http://h", pathAndQuery: "/prefix/./pools/..?q" });
    assert.deepEqual(splitUrl("http://h?q=1"), { origin: "http://h", pathAndQuery: "/?q=1" });
  });
});
