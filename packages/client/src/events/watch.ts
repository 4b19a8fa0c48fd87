/**
 * `client.watch()`: the OpenBatch event stream (`GET /_events`, docs/events.md) as an async iterable of typed
 * events. Each connection is a signed GET through the client's pipeline (fresh `ocp-date`, same credential);
 * whenever the connection ends, fails, or stays silent past `idleTimeoutInMs` (the server sends a keep-alive every
 * 15 s), it reconnects with `Last-Event-ID`, so no committed change is skipped while the server still holds it. When
 * it no longer does (far behind, or the server restarted) the stream yields a `reset`: re-read what you show.
 *
 * Stop with `abortSignal` or by leaving the `for await` loop. Errors that reconnecting cannot fix (authentication,
 * a bad filter: any 4xx but 408/429) end the iteration with a `BatchError`; Azure Batch itself has no such
 * endpoint, so against Azure the first connection fails with its 4xx.
 */
import { AbortError, BatchError, errorFromResponse } from "../batchError.js";
import type { OperationContext } from "../operation.js";
import { sleep } from "../pipeline.js";
import { chunksOf, discardBody } from "../transport.js";
import { SseParser } from "./sseParser.js";

/** The resource kinds the stream tells of. */
export type WatchedKind = "pool" | "node" | "job" | "jobSchedule" | "task" | "certificate" | "application";

/** One committed change of one entity (or of every task of a job, for `deleteAll`). */
export interface EntityChange {
  readonly kind: WatchedKind;
  readonly change: "insert" | "replace" | "delete" | "deleteAll";
  /** The entity's id; absent for `deleteAll`. */
  readonly id?: string;
  /** A task's job. */
  readonly jobId?: string;
  /** A node's pool. */
  readonly poolId?: string;
  /** The new state (absent for deletions and kinds without one). */
  readonly state?: string;
  readonly eTag?: string;
  readonly lastModified?: string;
  /** Tasks: from `executionInfo`. */
  readonly exitCode?: number;
  readonly result?: string;
  readonly retryCount?: number;
  readonly requeueCount?: number;
  /** Pools. */
  readonly allocationState?: string;
  readonly currentDedicatedNodes?: number;
  readonly currentLowPriorityNodes?: number;
  readonly targetDedicatedNodes?: number;
  readonly targetLowPriorityNodes?: number;
  /** Nodes. */
  readonly schedulingState?: string;
  readonly runningTasksCount?: number;
  readonly runningTaskSlotsCount?: number;
  readonly totalTasksRun?: number;
}

export type WatchEvent =
  /** The stream is open (after every connection): changes from here on will arrive. */
  | { readonly type: "ready"; readonly eventId: string }
  /** Changes were missed and cannot be replayed: re-read the state you show. */
  | { readonly type: "reset"; readonly eventId: string; readonly reason: string }
  | ({ readonly type: "change"; readonly eventId: string } & EntityChange);

export interface WatchOptions {
  /** Only this job and its tasks. */
  jobId?: string;
  /** Only this pool and its nodes (with `jobId` too: either). */
  poolId?: string;
  /** Resume after this event id (an `eventId` this stream yielded). */
  lastEventId?: string;
  abortSignal?: AbortSignal;
  /** Reconnect when the connection stays silent this long. @default 45000 */
  idleTimeoutInMs?: number;
  /** The longest wait between reconnection attempts. @default 30000 */
  maxReconnectDelayInMs?: number;
}

function permanent(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** The event stream of `context`'s account (BatchServiceClient.watch). */
export async function* watchEvents(context: OperationContext, options: WatchOptions = {}): AsyncGenerator<WatchEvent, void, undefined> {
  const query = new URLSearchParams({ "api-version": context.apiVersion });
  if (options.jobId !== undefined) query.set("jobId", options.jobId);
  if (options.poolId !== undefined) query.set("poolId", options.poolId);
  const url = `${context.endpoint}/_events?${query.toString().replace(/\+/g, "%20")}`;
  const idleTimeoutInMs = options.idleTimeoutInMs ?? 45_000;
  const maxDelay = options.maxReconnectDelayInMs ?? 30_000;
  let lastEventId = options.lastEventId ?? "";
  let failures = 0;
  let retryInMs = 1000;
  const outer = options.abortSignal;
  const stopped = (): boolean => outer?.aborted === true;
  /** One connection attempt: the open stream, or undefined after a failure worth retrying (counted). */
  const connect = async (signal: AbortSignal) => {
    let response;
    try {
      response = await context.pipeline.send({
        method: "GET",
        url,
        headers: { accept: "text/event-stream", ...(lastEventId === "" ? {} : { "last-event-id": lastEventId }) },
        safety: "idempotent",
        streamResponse: true,
        abortSignal: signal,
        requestTimeoutInMs: 0,
        retryOptions: { maxRetries: 0 },
      });
    } catch (error) {
      if (stopped()) return undefined;
      if (error instanceof BatchError && error.statusCode !== undefined && permanent(error.statusCode)) throw error;
      if (!(error instanceof BatchError) && !(error instanceof AbortError)) throw error;
      failures++;
      return undefined;
    }
    if (response.status === 200) return response;
    discardBody(response.stream);
    const error = errorFromResponse(response);
    if (permanent(response.status)) throw error;
    failures++;
    return undefined;
  };
  while (!stopped()) {
    const connection = new AbortController();
    const onAbort = () => connection.abort();
    outer?.addEventListener("abort", onAbort, { once: true });
    let idle: ReturnType<typeof setTimeout> | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(), idleTimeoutInMs);
    };
    try {
      armIdle();
      // A failed attempt falls through to the wait below: a `continue` here would skip it and retry at once.
      const response = await connect(connection.signal);
      if (response !== undefined) {
        const parser = new SseParser();
        parser.lastEventId = lastEventId;
        const decoder = new TextDecoder("utf-8");
        try {
          for await (const chunk of chunksOf(response.stream ?? new ReadableStream())) {
            armIdle();
            for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
              lastEventId = parser.lastEventId;
              const event = toWatchEvent(message.type, message.data, message.lastEventId);
              if (event === undefined) continue;
              failures = 0;
              yield event;
            }
            lastEventId = parser.lastEventId;
          }
        } catch (error) {
          if (stopped()) return;
          // A dropped or silent connection: reconnect below.
          void error;
        }
        retryInMs = parser.retryInMs ?? retryInMs;
      }
    } finally {
      clearTimeout(idle);
      connection.abort();
      outer?.removeEventListener("abort", onAbort);
    }
    if (stopped()) return;
    const delay = failures === 0 ? retryInMs : Math.min(maxDelay, retryInMs * 2 ** Math.min(failures, 10));
    try {
      await sleep(delay / 2 + Math.random() * (delay / 2), outer);
    } catch {
      return;
    }
  }
}

function toWatchEvent(type: string, data: string, eventId: string): WatchEvent | undefined {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  switch (type) {
    case "change":
      return { ...(parsed as unknown as EntityChange), type: "change", eventId };
    case "ready":
      return { type: "ready", eventId };
    case "reset":
      return { type: "reset", eventId, reason: typeof parsed["reason"] === "string" ? parsed["reason"] : "unknown" };
    default:
      return undefined;
  }
}
