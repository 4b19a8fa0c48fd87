/**
 * Client behaviour that must hold on every platform the client runs on. This module imports nothing but
 * `@openbatch/client`, so the same compiled file runs under Node's test runner (portableNode.test.ts, node:http
 * transport) and inside Chromium (portableBrowser.test.ts, the browser build: fetch, WebCrypto, web streams),
 * each against a real server with real agents. Assertions are plain throws: `node:assert` does not exist in a page.
 */
import { AbortError, BatchServiceClient, BatchSharedKeyCredential, isBatchError, type TokenCredential, type WatchEvent } from "@openbatch/client";

export interface SuiteContext {
  /** The server's URL. */
  readonly url: string;
  readonly account: { readonly name: string; readonly key: string };
  /** Makes ids unique to one run. */
  readonly prefix: string;
  /** A bearer token the server accepts for the account. */
  readonly bearerToken: string;
}

export interface ClientCase {
  readonly name: string;
  run(context: SuiteContext): Promise<void>;
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function equal(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

async function failure(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

function clientOf(context: SuiteContext): BatchServiceClient {
  return new BatchServiceClient(context.url, new BatchSharedKeyCredential(context.account.name, context.account.key), {
    retryOptions: { maxRetries: 2, retryDelayInMs: 50 },
  });
}

async function withClient(context: SuiteContext, body: (client: BatchServiceClient) => Promise<void>): Promise<void> {
  const client = clientOf(context);
  try {
    await body(client);
  } finally {
    await client.close();
  }
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
  }
}

/** Takes events from `events` until `enough` says so (or 60 s pass). */
async function collect(events: AsyncIterator<WatchEvent>, enough: (seen: WatchEvent[]) => boolean): Promise<WatchEvent[]> {
  const seen: WatchEvent[] = [];
  const deadline = Date.now() + 60_000;
  while (!enough(seen)) {
    check(Date.now() < deadline, `timed out with ${seen.length} events: ${JSON.stringify(seen.slice(-5))}`);
    const next = await events.next();
    check(next.done !== true, "the event stream ended");
    seen.push(next.value);
  }
  return seen;
}

export const clientCases: readonly ClientCase[] = [
  {
    name: "signs with SharedKey and reads a list",
    run: (context) =>
      withClient(context, async (client) => {
        const images = [];
        for await (const image of client.account.listSupportedImages()) images.push(image);
        check(images.length > 0, "no supported images");
        check(typeof images[0]?.nodeAgentSKUId === "string", "images have their nodeAgentSKUId");
      }),
  },
  {
    name: "authenticates with a bearer token from a TokenCredential, for calls and for watch()",
    run: async (context) => {
      const credential: TokenCredential = { getToken: async () => ({ token: context.bearerToken, expiresOnTimestamp: Date.now() + 3600_000 }) };
      const client = new BatchServiceClient(context.url, credential);
      const controller = new AbortController();
      try {
        const pools = await client.pool.list({ select: "id" }).byPage({ maxPageSize: 1 }).next();
        check(pools.done !== true, "a page of pools");
        const events = client.watch({ abortSignal: controller.signal });
        const first = await events.next();
        equal(first.value?.type, "ready", "the stream opened");
        const refused = await failure(new BatchServiceClient(context.url, { getToken: async () => ({ token: "not.a.token", expiresOnTimestamp: Date.now() + 60_000 }) }).pool.get("any"));
        check(isBatchError(refused) && refused.statusCode === 403, `a bad token is refused: ${String(refused)}`);
      } finally {
        controller.abort();
        await client.close();
      }
    },
  },
  {
    name: "answers errors as BatchErrors with the Batch code and status",
    run: (context) =>
      withClient(context, async (client) => {
        const error = await failure(client.job.get(`${context.prefix}-missing`));
        check(isBatchError(error), `not a BatchError: ${String(error)}`);
        equal(error.code, "JobNotFound", "code");
        equal(error.statusCode, 404, "status");
        check(typeof error.requestId === "string" && error.requestId !== "", "the request id is kept");
        const wrongKey = new BatchServiceClient(context.url, new BatchSharedKeyCredential(context.account.name, btoa("not the key")));
        try {
          const refused = await failure(wrongKey.job.get("any"));
          check(isBatchError(refused) && refused.code === "AuthenticationFailed" && refused.statusCode === 403, `a wrong key is refused: ${String(refused)}`);
        } finally {
          await wrongKey.close();
        }
      }),
  },
  {
    name: "creates, reads, updates and deletes a pool with ETag conditions",
    run: (context) =>
      withClient(context, async (client) => {
        const id = `${context.prefix}-etag`;
        await client.pool.add({
          id,
          vmSize: "standard_d2s_v3",
          targetDedicatedNodes: 0,
          virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
        });
        const pool = await client.pool.get(id);
        equal(pool.id, id, "pool id");
        const eTag = pool._response.parsedHeaders.eTag;
        check(eTag !== undefined, "an ETag");
        await client.pool.patch(id, { metadata: [{ name: "owner", value: "suite" }] }, { ifMatch: eTag });
        const stale = await failure(client.pool.patch(id, { metadata: [] }, { ifMatch: eTag }));
        check(isBatchError(stale) && stale.statusCode === 412, `a stale ETag is refused with 412: ${String(stale)}`);
        equal((await client.pool.get(id)).metadata?.[0]?.value, "suite", "the patch was stored");
        equal(await client.pool.exists(id), true, "exists");
        await client.pool.delete(id);
      }),
  },
  {
    name: "adds 250 tasks with addCollection, pages through them and filters them on the server",
    run: (context) =>
      withClient(context, async (client) => {
        const jobId = `${context.prefix}-paging`;
        // A pool that does not exist: the tasks stay active.
        await client.job.add({ id: jobId, poolInfo: { poolId: `${context.prefix}-nowhere` } });
        await client.task.addCollection(jobId, Array.from({ length: 250 }, (_, i) => ({ id: `t${String(i).padStart(3, "0")}`, commandLine: "/bin/true" })));
        const pages: number[] = [];
        for await (const page of client.task.list(jobId).byPage({ maxPageSize: 100 })) pages.push(page.length);
        equal(pages.join(","), "100,100,50", "page sizes");
        let prefixed = 0;
        for await (const task of client.task.list(jobId, { filter: "startswith(id,'t1')", select: "id,state" })) {
          check(task.id?.startsWith("t1") === true && task.state === "active", `filtered task ${JSON.stringify(task)}`);
          prefixed++;
        }
        equal(prefixed, 100, "tasks t100..t199");
        const counts = await client.job.getTaskCounts(jobId);
        equal(counts.taskCounts?.active, 250, "active tasks");
      }),
  },
  {
    name: "runs a task on a real node and downloads its output as a web stream, whole and by range",
    run: (context) =>
      withClient(context, async (client) => {
        const poolId = `${context.prefix}-run`;
        const jobId = `${context.prefix}-run`;
        await client.pool.add({
          id: poolId,
          vmSize: "standard_d2s_v3",
          targetDedicatedNodes: 1,
          virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
        });
        await client.job.add({ id: jobId, poolInfo: { poolId } });
        await client.task.add(jobId, { id: "hello", commandLine: `/bin/sh -c "echo hello from ${context.prefix}"` });
        await client.waitForTasksComplete(jobId, { timeoutInMs: 90_000, pollIntervalInMs: 200 });
        const task = await client.task.get(jobId, "hello");
        equal(task.executionInfo?.exitCode, 0, "exit code");
        const download = await client.file.getFromTask(jobId, "hello", "stdout.txt");
        equal(await readAll(download.body), `hello from ${context.prefix}\n`, "stdout.txt");
        const range = await client.file.getFromTask(jobId, "hello", "stdout.txt", { ocpRange: "bytes=0-4" });
        equal(await readAll(range.body), "hello", "the first five bytes");
        const properties = await client.file.getPropertiesFromTask(jobId, "hello", "stdout.txt");
        equal(properties.contentLength, `hello from ${context.prefix}\n`.length, "the file's length");
        const names: string[] = [];
        for await (const file of client.file.listFromTask(jobId, "hello")) names.push(file.name ?? "");
        check(names.includes("stdout.txt") && names.includes("stderr.txt"), `the task's files: ${names.join(", ")}`);
        await client.pool.delete(poolId);
      }),
  },
  {
    name: "watch() streams a job's changes in commit order and resumes after its last event id",
    run: (context) =>
      withClient(context, async (client) => {
        const jobId = `${context.prefix}-watched`;
        const controller = new AbortController();
        const events = client.watch({ jobId, abortSignal: controller.signal });
        try {
          await collect(events, (seen) => seen.some((event) => event.type === "ready"));
          await client.job.add({ id: jobId, poolInfo: { poolId: `${context.prefix}-nowhere` } });
          await client.task.addCollection(jobId, [{ id: "a", commandLine: "/bin/true" }, { id: "b", commandLine: "/bin/true" }]);
          const seen = await collect(events, (list) => list.filter((event) => event.type === "change").length >= 3);
          const changes = seen.filter((event) => event.type === "change");
          equal(changes.map((event) => `${event.kind}:${event.change}:${event.id}:${event.state}`).join(" "), "job:insert:" + jobId + ":active task:insert:a:active task:insert:b:active", "changes");
          equal(changes[1]?.jobId, jobId, "a task event names its job");
          const resumeAfter = changes.at(-1)?.eventId;
          check(resumeAfter !== undefined, "events have ids");
          await events.return(undefined);
          // Changes made while nobody watches arrive after a resume.
          await client.job.terminate(jobId);
          const resumed = client.watch({ jobId, lastEventId: resumeAfter, abortSignal: controller.signal });
          const after = await collect(resumed, (list) => list.some((event) => event.type === "change" && event.kind === "job" && event.state === "completed"));
          check(!after.some((event) => event.type === "reset"), "nothing was lost");
          check(!after.some((event) => event.type === "change" && event.kind === "task" && event.change === "insert"), "no event is repeated");
          await resumed.return(undefined);
        } finally {
          controller.abort();
        }
      }),
  },
  {
    name: "an aborted call rejects with an AbortError",
    run: (context) =>
      withClient(context, async (client) => {
        const controller = new AbortController();
        controller.abort();
        const error = await failure(client.pool.get("any", { abortSignal: controller.signal }));
        check(error instanceof AbortError, `not an AbortError: ${String(error)}`);
      }),
  },
];
