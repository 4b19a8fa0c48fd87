/**
 * The README's examples, compiled and run: every ```ts block of packages/client/README.md must appear verbatim
 * (modulo indentation) in this file, where it runs against a real OpenBatch server (pools, errors, paging) or a
 * recording server (operations the server does not implement yet). The Azure AD example is compiled against
 * @azure/identity's real types and builds its client, but sends nothing (that would need an Azure AD tenant).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { DefaultAzureCredential } from "@azure/identity";
import { BatchServiceClient, BatchSharedKeyCredential, CreateTasksError, isBatchError, odataFilter } from "@openbatch/client";
import { startTestServer, testAccounts } from "../support/testServer.js";
import { answerAsService, startRecordingServer } from "./recordingServer.js";

/** The examples print; the tests stay quiet. */
const console = { log: (...values: unknown[]): void => void values };

async function poolExamples(endpoint: string, accountName: string, accountKey: string): Promise<void> {
  const client = new BatchServiceClient(endpoint, new BatchSharedKeyCredential(accountName, accountKey));

  await client.pool.add({
    id: "render-pool",
    vmSize: "standard_d2s_v3",
    targetDedicatedNodes: 0,
    virtualMachineConfiguration: {
      imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
      nodeAgentSKUId: "batch.node.ubuntu 22.04",
    },
  });
  const pool = await client.pool.get("render-pool", { select: ["id", "state", "allocationState"] });
  console.log(pool.state, pool._response.parsedHeaders.eTag);

  const f = odataFilter("pools");
  for await (const p of client.pool.list({ filter: f.startsWith("id", "render-"), select: ["id", "vmSize"] })) {
    console.log(p.id, p.vmSize);
  }
  for await (const page of client.pool.list().byPage({ maxPageSize: 100 })) {
    console.log(page.length, page.continuationToken);
  }

  try {
    await client.pool.delete("render-pool", { ifMatch: "0x8D0000000000000" });
  } catch (error) {
    if (isBatchError(error) && error.code === "ConditionNotMet") {
      console.log(error.statusCode, error.requestId, error.message);
    } else {
      throw error;
    }
  }

  await client.close();
}

async function jobExamples(endpoint: string, accountName: string, accountKey: string, localPath: string): Promise<void> {
  const client = new BatchServiceClient(endpoint, new BatchSharedKeyCredential(accountName, accountKey));

  const tasks = Array.from({ length: 5000 }, (_, i) => ({ id: `task-${i}`, commandLine: `echo ${i}` }));
  try {
    const result = await client.task.addCollection("job-1", tasks, { concurrency: 4 });
    console.log(result.value?.length);
  } catch (error) {
    if (error instanceof CreateTasksError) console.log(error.failures, error.pendingTasks.length);
    else throw error;
  }

  const download = await client.file.getFromTask("job-1", "task-1", "wd/output.txt", { ocpRange: "bytes=0-1048575" });
  console.log(download.contentLength, download.ocpBatchFileMode);
  await pipeline(download.readableStreamBody, createWriteStream(localPath));
  const props = await client.file.getPropertiesFromTask("job-1", "task-1", "wd/output.txt");
  console.log(props.contentLength, props.ocpCreationTime, props.ocpBatchFileIsdirectory);

  await client.waitForPoolSteady("render-pool", { pollIntervalInMs: 5000, timeoutInMs: 15 * 60_000 });
  const counts = await client.waitForTasksComplete("job-1", {
    onProgress: (c) => console.log(`active ${c.active} running ${c.running} completed ${c.completed}`),
  });
  console.log(counts.taskCounts);

  await client.close();
}

function azureAdExample(endpoint: string): BatchServiceClient {
  const aad = new BatchServiceClient(endpoint, new DefaultAzureCredential());
  return aad;
}

function normalisedLines(text: string): string[] {
  return text.split("\n").map((line) => line.trim()).filter((line) => line !== "");
}

describe("README examples", () => {
  it("every ```ts block of the README is compiled here", () => {
    const readme = readFileSync(fileURLToPath(new URL("../../../packages/client/README.md", import.meta.url)), "utf8");
    const source = normalisedLines(readFileSync(fileURLToPath(new URL("../../client/readme.test.ts", import.meta.url)), "utf8")).join("\n");
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] as string);
    assert.ok(blocks.length >= 5, `found ${blocks.length} blocks`);
    for (const block of blocks) {
      const lines = normalisedLines(block).join("\n");
      assert.ok(source.includes(lines), `README block not in readme.test.ts:\n${block}`);
    }
  });

  it("the Azure AD example builds a client on DefaultAzureCredential", async () => {
    const client = azureAdExample("https://account.westus.batch.azure.com");
    assert.equal(client.endpoint, "https://account.westus.batch.azure.com");
    await client.close();
  });

  it("the pool, paging and error examples run against a real server", { timeout: 60_000 }, async () => {
    const server = await startTestServer();
    try {
      await poolExamples(server.url, testAccounts.alpha.name, testAccounts.alpha.key);
      assert.equal((await server.services.pools.get(testAccounts.alpha.name, "render-pool")).body.id, "render-pool");
    } finally {
      await server.dispose();
    }
  });

  it("the bulk add, file and waiter examples run against a recording server", { timeout: 60_000 }, async () => {
    // Answers like the service; the pool is steady (the default `{}` would keep the waiter polling).
    const server = await startRecordingServer((request, response) => {
      if (request.operation?.operationId !== "Pool_Get") return answerAsService(request, response);
      response.writeHead(200, { "content-type": "application/json;odata=minimalmetadata" });
      response.end(JSON.stringify({ id: "render-pool", allocationState: "steady" }));
    });
    const directory = mkdtempSync(join(tmpdir(), "openbatch-readme-"));
    try {
      const localPath = join(directory, "output.txt");
      await jobExamples(server.url, testAccounts.alpha.name, testAccounts.alpha.key, localPath);
      assert.equal(statSync(localPath).size, "file-bytes\n".length);
      assert.equal(server.requests.filter((request) => request.operation?.operationId === "Task_AddCollection").length, 50);
    } finally {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
