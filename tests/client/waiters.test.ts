/**
 * Waiters and the filter builder: scripted state sequences from a recording server (progress callbacks, failure
 * states, timeout, abort), and against a real OpenBatch server (a pool without nodes is steady at once; filters the
 * builder writes are accepted and applied by the server).
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import {
  AbortError,
  BatchServiceClient,
  BatchSharedKeyCredential,
  WaitFailedError,
  WaitTimeoutError,
  odataFilter,
  toArray,
  type NodesIdleProgress,
} from "@openbatch/client";
import type { TaskCounts } from "@openbatch/protocol";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { startRecordingServer, type RecordedRequest, type RecordingServer } from "./recordingServer.js";

const account = testAccounts.alpha;

function json(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { "content-type": "application/json;odata=minimalmetadata", "request-id": "r" });
  response.end(JSON.stringify(body));
}

/** Answers each operation with the next body of its script (the last one repeats). */
function scripted(scripts: Record<string, unknown[]>): (request: RecordedRequest, response: ServerResponse) => void {
  const seen = new Map<string, number>();
  return (request, response) => {
    const id = request.operation?.operationId ?? "";
    const script = scripts[id] ?? [{}];
    const index = seen.get(id) ?? 0;
    seen.set(id, index + 1);
    json(response, script[Math.min(index, script.length - 1)]);
  };
}

async function withScript(scripts: Record<string, unknown[]>, body: (client: BatchServiceClient, server: RecordingServer) => Promise<void>): Promise<void> {
  const server = await startRecordingServer(scripted(scripts));
  const client = new BatchServiceClient(server.url, new BatchSharedKeyCredential(account.name, account.key));
  try {
    await body(client, server);
  } finally {
    await client.close();
    await server.close();
  }
}

const counts = (active: number, running: number, completed: number): { taskCounts: TaskCounts; taskSlotCounts: TaskCounts } => ({
  taskCounts: { active, running, completed, succeeded: completed, failed: 0 },
  taskSlotCounts: { active, running, completed, succeeded: completed, failed: 0 },
});

describe("waiters (scripted service)", () => {
  it("waitForPoolSteady polls until steady, reporting each state", async () => {
    await withScript({ Pool_Get: [{ id: "p", allocationState: "resizing" }, { id: "p", allocationState: "resizing" }, { id: "p", allocationState: "steady", currentDedicatedNodes: 2 }] }, async (client) => {
      const seen: (string | undefined)[] = [];
      const pool = await client.waitForPoolSteady("p", { pollIntervalInMs: 1, onProgress: (progress) => seen.push(progress.allocationState) });
      assert.deepEqual(seen, ["resizing", "resizing", "steady"]);
      assert.equal(pool.currentDedicatedNodes, 2);
    });
  });

  it("waitForNodesIdle waits for the target count and all idle, with per-state counts", async () => {
    const nodes = (...states: string[]) => ({ value: states.map((state, index) => ({ id: `n${index}`, state })) });
    await withScript(
      {
        Pool_Get: [{ id: "p", targetDedicatedNodes: 2, targetLowPriorityNodes: 1 }],
        ComputeNode_List: [nodes("creating"), nodes("starting", "creating", "waitingforstarttask"), nodes("idle", "idle", "running"), nodes("idle", "idle", "idle")],
      },
      async (client, server) => {
        const progress: NodesIdleProgress[] = [];
        const idle = await client.waitForNodesIdle("p", { pollIntervalInMs: 1, onProgress: (p) => progress.push(p) });
        assert.equal(idle.length, 3);
        assert.deepEqual(progress.map((p) => p.counts), [
          { creating: 1 },
          { starting: 1, creating: 1, waitingforstarttask: 1 },
          { idle: 2, running: 1 },
          { idle: 3 },
        ]);
        assert.ok(progress.every((p) => p.minNodes === 3));
        const list = server.requests.find((request) => request.operation?.operationId === "ComputeNode_List");
        assert.equal(new URLSearchParams(list?.rawQuery).get("$select"), "id,state");
      },
    );
  });

  it("waitForNodesIdle fails fast on a failure state", async () => {
    await withScript({ ComputeNode_List: [{ value: [{ id: "n0", state: "idle" }, { id: "n1", state: "starttaskfailed" }] }] }, async (client) => {
      await assert.rejects(client.waitForNodesIdle("p", { minNodes: 2, pollIntervalInMs: 1 }), (error: unknown) => error instanceof WaitFailedError && /starttaskfailed/.test(error.message));
    });
  });

  it("waitForTasksComplete reports per-state counts until nothing is active or running", async () => {
    await withScript({ Job_GetTaskCounts: [counts(10, 0, 0), counts(4, 3, 3), counts(0, 1, 9), counts(0, 0, 10)] }, async (client) => {
      const seen: [number | undefined, number | undefined, number | undefined][] = [];
      const result = await client.waitForTasksComplete("job-1", { pollIntervalInMs: 1, onProgress: (c) => seen.push([c.active, c.running, c.completed]) });
      assert.deepEqual(seen, [[10, 0, 0], [4, 3, 3], [0, 1, 9], [0, 0, 10]]);
      assert.equal(result.taskCounts?.succeeded, 10);
    });
  });

  it("times out with the last state, and aborts", async () => {
    await withScript({ Job_GetTaskCounts: [counts(1, 0, 0)] }, async (client) => {
      await assert.rejects(
        client.waitForTasksComplete("job-1", { pollIntervalInMs: 10, timeoutInMs: 50 }),
        (error: unknown) => error instanceof WaitTimeoutError && (error.lastState as TaskCounts).active === 1,
      );
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 30);
      await assert.rejects(client.waitForTasksComplete("job-1", { pollIntervalInMs: 10_000, abortSignal: controller.signal }), AbortError);
    });
  });
});

describe("waiters and filters against a real server", () => {
  let server: TestServer;
  let client: BatchServiceClient;
  before(async () => {
    server = await startTestServer();
    client = new BatchServiceClient(server.url, new BatchSharedKeyCredential(account.name, account.key));
    for (const [id, vmSize] of [["render-a", "standard_d2s_v3"], ["render-b", "standard_d4s_v3"], ["batch-c", "standard_d2s_v3"]] as const) {
      await client.pool.add({
        id,
        vmSize,
        targetDedicatedNodes: 0,
        virtualMachineConfiguration: {
          imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
          nodeAgentSKUId: "batch.node.ubuntu 22.04",
        },
      });
    }
  });
  after(async () => {
    await client.close();
    await server.dispose();
  });

  it("a pool without nodes is steady at the first poll", async () => {
    let polls = 0;
    const pool = await client.waitForPoolSteady("render-a", { pollIntervalInMs: 10, onProgress: () => polls++ });
    assert.equal(pool.allocationState, "steady");
    assert.equal(polls, 1);
  });

  it("the server accepts and applies filters the builder writes", async () => {
    const f = odataFilter("pools");
    const since = new Date(Date.now() - 3600_000);
    const filter = f.and(f.startsWith("id", "render-"), f.eq("vmSize", "standard_d2s_v3"), f.gt("creationTime", since), f.eq("enableAutoScale", false));
    const pools = await toArray(client.pool.list({ filter, select: ["id"] }));
    assert.deepEqual(pools, [{ id: "render-a" }]);
    const either = await toArray(client.pool.list({ filter: f.or(f.eq("state", "active"), f.eq("state", "deleting")), select: "id" }));
    assert.equal(either.length, 3);
    const images = await toArray(client.account.listSupportedImages({ filter: odataFilter("supportedImages").eq("osType", "windows") }));
    assert.ok(images.length > 0 && images.every((image) => image.osType === "windows"));
  });
});
