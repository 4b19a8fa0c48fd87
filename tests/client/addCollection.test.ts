/**
 * task.addCollection against a fake Batch service (node:http on 127.0.0.1:0) that misbehaves the ways the real one
 * can: 413 RequestBodyTooLarge for big chunks, 503 ServerBusy, 500 after having added the tasks, per-task
 * `servererror` results, results in any order. With 5,000 tasks every task must be added exactly once and the
 * results come back in input order; failures are reported in one CreateTasksError.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { describe, it } from "node:test";
import type { TaskAddParameter, TaskAddResult } from "@openbatch/protocol";
import { BatchServiceClient, BatchSharedKeyCredential, CreateTasksError, isBatchError } from "@openbatch/client";
import { testAccounts } from "../support/testServer.js";
import { startRecordingServer, type RecordedRequest, type RecordingServer } from "./recordingServer.js";

const account = testAccounts.alpha;

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json;odata=minimalmetadata", "request-id": `req-${Math.random().toString(16).slice(2)}` });
  response.end(JSON.stringify(body));
}

function batchError(response: ServerResponse, status: number, code: string): void {
  json(response, status, { code, message: { lang: "en-US", value: `${code} (fake service)` } });
}

interface FakeServiceOptions {
  /** Request bodies larger than this many bytes get 413 RequestBodyTooLarge. */
  maxBodyBytes?: number;
  /** 503 ServerBusy on these request numbers (0-based). */
  busy?: (requestNumber: number) => boolean;
  /** Adds the chunk, then answers 500 on these request numbers. */
  failAfterAdding?: (requestNumber: number) => boolean;
  /** A per-task servererror (task not added) the first time these ids are seen. */
  transientTaskError?: (taskId: string) => boolean;
  /** A per-task clienterror for these ids. */
  clientError?: (taskId: string) => string | undefined;
  /** Pre-existing task ids. */
  existing?: string[];
}

interface FakeService {
  readonly server: RecordingServer;
  /** How often each task id was added (lower-cased). */
  readonly added: Map<string, number>;
  readonly stats: { tooLarge: number; busy: number; failedAfterAdding: number; transient: number; chunkSizes: number[] };
}

async function startFakeService(options: FakeServiceOptions = {}): Promise<FakeService> {
  const added = new Map<string, number>((options.existing ?? []).map((id) => [id.toLowerCase(), 1]));
  const transientSeen = new Set<string>();
  const stats = { tooLarge: 0, busy: 0, failedAfterAdding: 0, transient: 0, chunkSizes: [] as number[] };
  let requestNumber = 0;
  const server = await startRecordingServer((request: RecordedRequest, response) => {
    const number = requestNumber++;
    const tasks = (request.json as { value: TaskAddParameter[] }).value;
    assert.ok(request.rawPath.endsWith("/addtaskcollection"), request.rawPath);
    stats.chunkSizes.push(tasks.length);
    if (tasks.length > 100) {
      batchError(response, 400, "TooManyTasks");
      return;
    }
    if (options.maxBodyBytes !== undefined && request.body.length > options.maxBodyBytes) {
      stats.tooLarge++;
      batchError(response, 413, "RequestBodyTooLarge");
      return;
    }
    if (options.busy?.(number) === true) {
      stats.busy++;
      batchError(response, 503, "ServerBusy");
      return;
    }
    const results: TaskAddResult[] = [];
    for (const task of tasks) {
      const key = task.id.toLowerCase();
      const clientCode = options.clientError?.(task.id);
      if (clientCode !== undefined) {
        results.push({ status: "clienterror", taskId: task.id, error: { code: clientCode, message: { lang: "en-US", value: clientCode } } });
      } else if (options.transientTaskError?.(task.id) === true && !transientSeen.has(key)) {
        transientSeen.add(key);
        stats.transient++;
        results.push({ status: "servererror", taskId: task.id, error: { code: "InternalError", message: { lang: "en-US", value: "try again" } } });
      } else if (added.has(key)) {
        results.push({ status: "clienterror", taskId: task.id, error: { code: "TaskExists", message: { lang: "en-US", value: "The specified task already exists." } } });
      } else {
        added.set(key, (added.get(key) ?? 0) + 1);
        results.push({ status: "success", taskId: task.id, eTag: "0x8DC", lastModified: "2024-03-05T10:00:00.000Z", location: `https://fake/jobs/job-1/tasks/${task.id}` });
      }
    }
    if (options.failAfterAdding?.(number) === true) {
      stats.failedAfterAdding++;
      batchError(response, 500, "InternalError");
      return;
    }
    // Results in any order: the client must merge them back.
    json(response, 200, { value: results.reverse() });
  });
  return { server, added, stats };
}

function clientFor(url: string): BatchServiceClient {
  return new BatchServiceClient(url, new BatchSharedKeyCredential(account.name, account.key), {
    retryOptions: { maxRetries: 3, retryDelayInMs: 1, maxRetryDelayInMs: 5 },
  });
}

function makeTasks(count: number, prefix = "task"): TaskAddParameter[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `${prefix}-${String(index).padStart(5, "0")}`,
    // Every 37th task is large, so chunks of 50 holding one still exceed the fake size limit.
    commandLine: index % 37 === 0 ? `echo ${"x".repeat(3000)}` : `echo task ${index} ${"y".repeat(index % 150)}`,
  }));
}

describe("task.addCollection", () => {
  it("adds 5,000 tasks exactly once through 413s, 503s, 500s-after-adding and per-task server errors", async () => {
    const fake = await startFakeService({
      maxBodyBytes: 12_000,
      busy: (n) => n % 7 === 3,
      failAfterAdding: (n) => n % 11 === 5,
      transientTaskError: (id) => Number(id.slice(-5)) % 13 === 0,
    });
    const client = clientFor(fake.server.url);
    try {
      const tasks = makeTasks(5000);
      const progress: number[] = [];
      const result = await client.task.addCollection("job-1", tasks, { concurrency: 8, onProgress: (p) => progress.push(p.added) });
      const value = result.value ?? [];
      assert.equal(value.length, 5000);
      assert.deepEqual(value.map((r) => r.taskId), tasks.map((t) => t.id), "results in input order");
      assert.equal(fake.added.size, 5000);
      assert.ok([...fake.added.values()].every((count) => count === 1), "every task added exactly once");
      for (const r of value) {
        assert.ok(r.status === "success" || r.error?.code === "TaskExists", JSON.stringify(r));
      }
      assert.ok(value.some((r) => r.error?.code === "TaskExists"), "some tasks were confirmed through TaskExists after a 500");
      assert.ok(fake.stats.tooLarge > 0 && fake.stats.busy > 0 && fake.stats.failedAfterAdding > 0 && fake.stats.transient > 0, JSON.stringify({ ...fake.stats, chunkSizes: undefined }));
      assert.ok(Math.max(...fake.stats.chunkSizes) <= 100);
      assert.equal(progress.at(-1), 5000);
    } finally {
      await client.close();
      await fake.server.close();
    }
  });

  it("reports a real duplicate (TaskExists on the first attempt) and other client errors in CreateTasksError", async () => {
    const fake = await startFakeService({ existing: ["dup-00001"], clientError: (id) => (id === "dup-00003" ? "InvalidPropertyValue" : undefined) });
    const client = clientFor(fake.server.url);
    try {
      const tasks = makeTasks(5, "dup");
      const error = await client.task.addCollection("job-1", tasks).then(
        () => assert.fail("expected CreateTasksError"),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof CreateTasksError, String(error));
      assert.equal(error.name, "CreateTasksError");
      assert.deepEqual(error.failures.map((f) => [f.taskId, f.error?.code]), [["dup-00001", "TaskExists"], ["dup-00003", "InvalidPropertyValue"]]);
      assert.deepEqual(error.results.map((r) => r.taskId), ["dup-00000", "dup-00002", "dup-00004"]);
      assert.deepEqual(error.pendingTasks, []);
      assert.match(error.message, /3 added, 2 failed, 0 pending/);
    } finally {
      await client.close();
      await fake.server.close();
    }
  });

  it("stops on a request-level client error and reports the unsent tasks as pending", async () => {
    const server = await startRecordingServer((_request, response) => batchError(response, 400, "InvalidRequestBody"));
    const client = clientFor(server.url);
    try {
      const tasks = makeTasks(250);
      const error = await client.task.addCollection("job-1", tasks, { concurrency: 1 }).then(
        () => assert.fail("expected CreateTasksError"),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof CreateTasksError);
      assert.equal(server.requests.length, 1, "no more requests after the fatal error");
      assert.equal(error.pendingTasks.length, 250);
      assert.deepEqual(error.pendingTasks.map((t) => t.id), tasks.map((t) => t.id));
      assert.ok(isBatchError(error.errors[0]));
      assert.equal((error.errors[0] as { code?: string }).code, "InvalidRequestBody");
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("fails a single task that is too large on its own, adds the rest", async () => {
    const fake = await startFakeService({ maxBodyBytes: 2_000 });
    const client = clientFor(fake.server.url);
    try {
      const tasks = makeTasks(30); // task-00000 carries 3,000 bytes
      const error = await client.task.addCollection("job-1", tasks).then(
        () => assert.fail("expected CreateTasksError"),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof CreateTasksError);
      assert.deepEqual(error.failures.map((f) => [f.taskId, f.error?.code]), [["task-00000", "RequestBodyTooLarge"]]);
      assert.equal(error.results.length, 29);
      assert.equal(fake.added.size, 29);
    } finally {
      await client.close();
      await fake.server.close();
    }
  });

  it("gives up on a task after maxServerErrorRetries persistent server errors", async () => {
    const server = await startRecordingServer((request, response) => {
      const tasks = (request.json as { value: TaskAddParameter[] }).value;
      json(response, 200, { value: tasks.map((task) => ({ status: "servererror", taskId: task.id, error: { code: "InternalError", message: { value: "no" } } })) });
    });
    const client = clientFor(server.url);
    try {
      const error = await client.task.addCollection("job-1", makeTasks(3), { maxServerErrorRetries: 2, retryDelayInMs: 1 }).then(
        () => assert.fail("expected CreateTasksError"),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof CreateTasksError);
      assert.equal(error.failures.length, 3);
      assert.ok(error.failures.every((f) => f.status === "servererror"));
      assert.equal(server.requests.length, 3);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("sends nothing for an empty list and validates its options", async () => {
    const server = await startRecordingServer();
    const client = clientFor(server.url);
    try {
      assert.deepEqual(await client.task.addCollection("job-1", []), { value: [] });
      assert.equal(server.requests.length, 0);
      await assert.rejects(client.task.addCollection("job-1", makeTasks(1), { concurrency: 0 }), RangeError);
      await assert.rejects(client.task.addCollection("job-1", makeTasks(1), { maxTasksPerRequest: 101 }), RangeError);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
