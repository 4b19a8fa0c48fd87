/**
 * The event stream (`GET /_events`) of a real server with real agents, read through the client's `watch()`:
 * every state change of 1,000 tasks arrives in commit order, and a watcher whose connection is cut twice
 * mid-run sees exactly what an uninterrupted one sees; accounts never see each other's events; requests are
 * authenticated and checked like Batch requests.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { BatchServiceClient, BatchSharedKeyCredential, NodeHttpTransport, type HttpTransport, type TransportRequest, type WatchEvent } from "@openbatch/client";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

type Change = Extract<WatchEvent, { type: "change" }>;

/** The node:http transport, with a way to cut the connection of the last streamed response (a network failure). */
class CuttableTransport implements HttpTransport {
  readonly inner = new NodeHttpTransport();
  last: IncomingMessage | undefined;
  async send(request: TransportRequest) {
    const response = await this.inner.send(request);
    if (request.streamResponse === true) this.last = response.stream as IncomingMessage;
    return response;
  }
  cut(): void {
    this.last?.socket?.destroy();
  }
  close() {
    return this.inner.close();
  }
}

function clientOf(server: TestServer, account: { name: string; key: string }, transport?: HttpTransport): BatchServiceClient {
  return new BatchServiceClient(server.url, new BatchSharedKeyCredential(account.name, account.key), transport === undefined ? {} : { transport });
}

/** Reads a watch into `events` in the background. */
function record(stream: AsyncGenerator<WatchEvent>) {
  const events: WatchEvent[] = [];
  const done = (async () => {
    for await (const event of stream) events.push(event);
  })();
  return { events, done, changes: () => events.filter((event): event is Change => event.type === "change") };
}

function sequence(eventId: string): number {
  return Number(eventId.split(".")[1]);
}

describe("the event stream", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.dispose());

  it("delivers every state change of 1,000 tasks in commit order, none missing after forced reconnects", async () => {
    const client = clientOf(server, testAccounts.alpha);
    const transport = new CuttableTransport();
    const cutClient = clientOf(server, testAccounts.alpha, transport);
    const controller = new AbortController();
    try {
      await client.pool.add({
        id: "events-pool",
        vmSize: "standard_d4s_v3",
        targetDedicatedNodes: 2,
        taskSlotsPerNode: 16,
        virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
      });
      await client.waitForNodesIdle("events-pool", { timeoutInMs: 60_000, pollIntervalInMs: 100 });
      const jobId = "events-job";
      const reference = record(client.watch({ jobId, abortSignal: controller.signal }));
      const interrupted = record(cutClient.watch({ jobId, abortSignal: controller.signal }));
      await waitFor("both watchers open", async () => reference.events.length > 0 && interrupted.events.length > 0);
      await client.job.add({ id: jobId, poolInfo: { poolId: "events-pool" } });
      await client.task.addCollection(jobId, Array.from({ length: 1000 }, (_, i) => ({ id: `t${String(i).padStart(4, "0")}`, commandLine: "/bin/true" })));
      await client.job.patch(jobId, { onAllTasksComplete: "terminatejob" });
      // Cut the interrupted watcher's connection twice while tasks run.
      for (const atChanges of [1200, 2200]) {
        await waitFor(`${atChanges} changes`, async () => interrupted.changes().length >= atChanges, 120_000);
        transport.cut();
      }
      await waitFor("the job's completion", async () => reference.changes().some((event) => event.kind === "job" && event.state === "completed"), 120_000);
      const last = reference.changes().at(-1)?.eventId;
      await waitFor("the interrupted watcher to catch up", async () => interrupted.changes().some((event) => event.eventId === last), 60_000);

      const expected = reference.changes();
      const got = interrupted.changes();
      assert.ok(interrupted.events.filter((event) => event.type === "ready").length >= 3, "it reconnected after each cut");
      assert.deepEqual(interrupted.events.filter((event) => event.type === "reset"), [], "nothing had to be skipped");
      assert.deepEqual(got.map((event) => event.eventId), expected.map((event) => event.eventId), "the same events, once each, in the same order");
      assert.deepEqual(got, expected);

      // Commit order: event ids and the store's ETag counter both increase.
      for (let i = 1; i < expected.length; i++) {
        assert.ok(sequence((expected[i] as Change).eventId) > sequence((expected[i - 1] as Change).eventId));
        const [before, now] = [expected[i - 1]?.eTag, expected[i]?.eTag];
        if (before !== undefined && now !== undefined) assert.ok(BigInt(now) > BigInt(before), `ETag ${now} after ${before}`);
      }
      // Every task: added active, then running, then completed, in that order, and the stream agrees with the API.
      const states = new Map<string, string[]>();
      for (const event of expected) {
        if (event.kind !== "task" || event.id === undefined) continue;
        states.set(event.id, [...(states.get(event.id) ?? []), `${event.change}:${event.state}`]);
      }
      assert.equal(states.size, 1000);
      for (const [taskId, seen] of states) {
        assert.equal(seen[0], "insert:active", `${taskId}: ${seen.join(" ")}`);
        const running = seen.indexOf("replace:running");
        assert.ok(running > 0, `${taskId} was seen running: ${seen.join(" ")}`);
        assert.equal(seen.at(-1), "replace:completed", `${taskId}: ${seen.join(" ")}`);
        assert.ok(seen.slice(running + 1).every((state) => state !== "insert:active" && state !== "replace:active"), `${taskId} never went back: ${seen.join(" ")}`);
      }
      const counts = await client.job.getTaskCounts(jobId);
      assert.equal(counts.taskCounts?.completed, 1000);
      assert.equal(counts.taskCounts?.succeeded, 1000);
    } finally {
      controller.abort();
      await client.close();
      await cutClient.close();
    }
  });

  it("never delivers another account's events", async () => {
    const alpha = clientOf(server, testAccounts.alpha);
    const beta = clientOf(server, testAccounts.beta);
    const controller = new AbortController();
    try {
      const alphaEvents = record(alpha.watch({ abortSignal: controller.signal }));
      const betaEvents = record(beta.watch({ abortSignal: controller.signal }));
      const betaByJob = record(beta.watch({ jobId: "alpha-secret", abortSignal: controller.signal }));
      await waitFor("watchers open", async () => alphaEvents.events.length > 0 && betaEvents.events.length > 0 && betaByJob.events.length > 0);
      await alpha.job.add({ id: "alpha-secret", poolInfo: { poolId: "nowhere" } });
      await alpha.task.addCollection("alpha-secret", Array.from({ length: 20 }, (_, i) => ({ id: `s${i}`, commandLine: "/bin/true" })));
      await alpha.job.terminate("alpha-secret");
      // Beta's own change, made after alpha's: once beta sees it, alpha's would have arrived before it.
      await beta.job.add({ id: "beta-sentinel", poolInfo: { poolId: "nowhere" } });
      await waitFor("beta's own event", async () => betaEvents.changes().some((event) => event.id === "beta-sentinel"));
      await waitFor("alpha's events", async () => alphaEvents.changes().some((event) => event.kind === "job" && event.id === "alpha-secret" && event.state === "completed"));
      assert.deepEqual(betaEvents.changes().map((event) => `${event.kind}:${event.id}`), ["job:beta-sentinel"]);
      assert.deepEqual(betaByJob.changes(), [], "a filter naming another account's job matches nothing");
      assert.ok(!alphaEvents.changes().some((event) => event.id === "beta-sentinel"));
      assert.equal(alphaEvents.changes().filter((event) => event.kind === "task").length, 20);
    } finally {
      controller.abort();
      await alpha.close();
      await beta.close();
    }
  });

  it("authenticates and checks requests like the Batch API, with Batch error bodies", async () => {
    const unsigned = await fetch(`${server.url}/_events?api-version=${apiVersion}`);
    assert.equal(unsigned.status, 403);
    assert.equal(((await unsigned.json()) as { code: string }).code, "AuthenticationFailed");
    const noVersion = await batchRequest(server.url, { path: "/_events", account: testAccounts.alpha });
    assert.equal(noVersion.status, 400);
    assert.equal(noVersion.json.code, "MissingRequiredQueryParameter");
    const unknown = await batchRequest(server.url, { path: `/_events?api-version=${apiVersion}&kind=task`, account: testAccounts.alpha });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.code, "UnsupportedQueryParameter");
    assert.match(unknown.json.message.value, /kind/);
    const empty = await batchRequest(server.url, { path: `/_events?api-version=${apiVersion}&jobId=`, account: testAccounts.alpha });
    assert.equal(empty.status, 400);
    assert.equal(empty.json.code, "InvalidQueryParameterValue");
    const badVersion = await batchRequest(server.url, { path: "/_events?api-version=2099-01-01.99.0", account: testAccounts.alpha });
    assert.equal(badVersion.status, 400);
    assert.equal(badVersion.json.code, "InvalidQueryParameterValue");
  });

  it("answers an unknown Last-Event-ID with a reset, then streams", async () => {
    const client = clientOf(server, testAccounts.alpha);
    const controller = new AbortController();
    try {
      const events = record(client.watch({ lastEventId: "0123456789ab.5", abortSignal: controller.signal }));
      await waitFor("the first event", async () => events.events.length > 0);
      assert.equal(events.events[0]?.type, "reset");
      assert.equal((events.events[0] as { reason: string }).reason, "unknownLastEventId");
      await client.job.add({ id: "after-reset", poolInfo: { poolId: "nowhere" } });
      await waitFor("a change", async () => events.changes().some((event) => event.id === "after-reset"));
    } finally {
      controller.abort();
      await client.close();
    }
  });

  it("waits between reconnection attempts while the server answers 503, not retrying at once", async () => {
    // A server that is always busy: the watch must back off (1 s and more) between attempts.
    let attempts = 0;
    const busy = createServer((_request, response) => {
      attempts++;
      response.writeHead(503, { "content-type": "application/json;odata=minimalmetadata" });
      response.end(JSON.stringify({ "odata.metadata": "x", code: "ServerBusy", message: { lang: "en-US", value: "The server is busy." } }));
    });
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const client = new BatchServiceClient(`http://127.0.0.1:${(busy.address() as AddressInfo).port}`, new BatchSharedKeyCredential(testAccounts.alpha.name, testAccounts.alpha.key));
    const controller = new AbortController();
    try {
      const watching = record(client.watch({ abortSignal: controller.signal }));
      await waitFor("a second attempt", async () => attempts >= 2);
      assert.equal(attempts, 2, "one attempt, a wait, then the next: no burst of retries");
      controller.abort();
      await watching.done;
    } finally {
      controller.abort();
      await client.close();
      busy.close();
    }
  });
});
