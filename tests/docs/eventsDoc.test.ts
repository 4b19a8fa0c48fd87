/**
 * docs/events.md, executed: its ```ts example appears verbatim below, where it runs against a real server until the
 * job it watches completes; its ```text sample of the stream is parsed like a real stream and has the fields a real
 * stream of that job sends.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { BatchServiceClient, BatchSharedKeyCredential, SseParser } from "@openbatch/client";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const doc = readFileSync(fileURLToPath(new URL("../../../docs/events.md", import.meta.url)), "utf8");
const source = readFileSync(fileURLToPath(new URL("../../docs/eventsDoc.test.ts", import.meta.url)), "utf8");
const trimmed = (text: string) => text.split("\n").map((line) => line.trim()).filter((line) => line !== "").join("\n");

/** The example prints; the test keeps what it printed. */
const printed: string[] = [];
const console = { log: (...values: unknown[]) => void printed.push(values.join(" ")) };

async function example(client: BatchServiceClient): Promise<void> {
  const controller = new AbortController();
  for await (const event of client.watch({ jobId: "job-1", abortSignal: controller.signal })) {
    if (event.type === "reset") console.log("missed changes: re-read the job");
    if (event.type === "change" && event.kind === "task") console.log(event.id, event.state, event.exitCode);
    if (event.type === "change" && event.kind === "job" && event.state === "completed") controller.abort();
  }
}

describe("docs/events.md", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.dispose());

  it("shows only code that this test runs", () => {
    const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] as string);
    assert.equal(blocks.length, 1);
    for (const block of blocks) assert.ok(trimmed(source).includes(trimmed(block)), `docs/events.md block not in this test:\n${block}`);
  });

  it("runs the watch() example to the job's completion", async () => {
    const client = new BatchServiceClient(server.url, new BatchSharedKeyCredential(testAccounts.alpha.name, testAccounts.alpha.key));
    try {
      await client.pool.add({
        id: "docs-pool",
        vmSize: "standard_d2s_v3",
        targetDedicatedNodes: 1,
        virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
      });
      const watching = example(client);
      // Changes made before the example's stream is open would not reach it: wait until the server counts it.
      await waitFor("the example's stream", async () => /^openbatch_event_subscribers 1$/m.test(await (await fetch(`${server.url}/metrics`)).text()));
      await client.job.add({ id: "job-1", poolInfo: { poolId: "docs-pool" } });
      await client.task.add("job-1", { id: "task-7", commandLine: "/bin/true" });
      await client.job.patch("job-1", { onAllTasksComplete: "terminatejob" });
      await watching;
      // Added, then given its run on the node (still active: docs/events.md), begun there, ended.
      assert.deepEqual(printed, ["task-7 active ", "task-7 active ", "task-7 running ", "task-7 completed 0"]);
    } finally {
      await client.close();
    }
  });

  it("samples the wire format as the server sends it", () => {
    const sample = /```text\n([\s\S]*?)```/.exec(doc)?.[1] ?? "";
    const parser = new SseParser();
    const messages = parser.push(sample);
    assert.deepEqual(messages.map((message) => message.type), ["ready", "change"]);
    assert.equal(parser.lastEventId, "3f9a0c1e22b4.42");
    assert.equal(parser.retryInMs, 1000);
    const change = JSON.parse(messages[1]?.data ?? "{}") as Record<string, unknown>;
    for (const field of ["kind", "change", "jobId", "id", "state", "exitCode", "result", "eTag", "lastModified"]) assert.ok(field in change, field);
  });
});
