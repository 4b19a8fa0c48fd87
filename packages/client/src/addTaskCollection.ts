/**
 * Bulk task add: `task.addCollection(jobId, tasks, options)` adds any number of tasks through
 * `POST /jobs/{jobId}/addtaskcollection`, the way azure-batch's patch.py does (rest-api.md §7), with back-off and a
 * stricter duplicate rule.
 *
 * - Pending tasks wait in one queue (input order); `concurrency` workers each take up to the current chunk limit
 *   (starts at `maxTasksPerRequest`, 100) and post them.
 * - 413 / `RequestBodyTooLarge`: nothing was added. The chunk is halved: the shared limit drops to the half (it only
 *   ever decreases), the second half goes back to the front of the queue and the first half is posted at once.
 *   A single task that is too large fails with that error.
 * - 429 / 503: nothing was added; the chunk is re-queued after a back-off (`Retry-After` honoured).
 * - 408, 500, 502, 504 and transport failures: the service may have added some tasks. The chunk is re-queued after a
 *   back-off and its tasks are marked "maybe added".
 * - Per-task results: `success` → done; `servererror` → re-queued after a back-off; `clienterror` `TaskExists` on a
 *   task marked "maybe added" → done (the earlier request added it; the result is kept as the service sent it);
 *   any other `clienterror` (including `TaskExists` on a first attempt: a real duplicate) → failure.
 * - A task that meets server errors more than `maxServerErrorRetries` times fails with the last one.
 * - Any other error (a 4xx for the whole request, an unexpected exception) stops all workers; the tasks not yet
 *   answered are reported as pending.
 * The requests of this helper are not retried by the pipeline: the helper owns their retries, which is what lets
 * it know which tasks may have been added.
 *
 * Result: a `TaskAddCollectionResult` whose `value` has one result per input task, in input order. When any task
 * failed or stayed pending, a `CreateTasksError` is thrown instead, carrying the same information.
 */
import type { TaskAddParameter, TaskAddResult, TaskAddCollectionResult } from "./models.js";
import { AbortError, BatchError, isBatchError } from "./batchError.js";
import { sendOperation, type OperationContext } from "./operation.js";
import type { OperationOptions } from "./options.js";
import { retryDelayInMs, sleep, type ResolvedRetryOptions } from "./pipeline.js";

export interface AddTaskCollectionProgress {
  readonly total: number;
  /** Tasks the service confirmed (success, or TaskExists after a possibly applied request). */
  readonly added: number;
  readonly failed: number;
  /** Tasks not answered yet. */
  readonly pending: number;
}

export interface AddTaskCollectionOptions extends Omit<OperationOptions, "retryOptions" | "clientRequestId"> {
  /** Requests in flight at once (Python's `threads`). @default 1 */
  concurrency?: number;
  /** Tasks per request, 1–100; lowered automatically after `RequestBodyTooLarge`. @default 100 */
  maxTasksPerRequest?: number;
  /** How often one task may meet a server error (5xx, 429, transport failure, `servererror`) before it fails. @default 10 */
  maxServerErrorRetries?: number;
  /** Base of the exponential back-off between those retries. @default the client's retryDelayInMs */
  retryDelayInMs?: number;
  /** Cap of that back-off. @default the client's maxRetryDelayInMs */
  maxRetryDelayInMs?: number;
  /** Called after every answered request. */
  onProgress?: (progress: AddTaskCollectionProgress) => void;
}

/** Thrown by `addCollection` when tasks failed or could not be submitted. */
export class CreateTasksError extends Error {
  override readonly name = "CreateTasksError";
  constructor(
    message: string,
    /** Results of the tasks that failed (`clienterror`, or `servererror` after the retries), in input order. */
    readonly failures: readonly TaskAddResult[],
    /** Tasks never confirmed because a request-level error stopped the upload, in input order. */
    readonly pendingTasks: readonly TaskAddParameter[],
    /** The request-level errors that stopped the upload. */
    readonly errors: readonly unknown[],
    /** Results of the tasks that were added, in input order. */
    readonly results: readonly TaskAddResult[],
  ) {
    super(message, errors.length > 0 ? { cause: errors[0] } : undefined);
  }
}

interface Waiter {
  promise: Promise<void>;
  resolve: () => void;
}

function newWaiter(): Waiter {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function idKey(id: string | undefined): string {
  return (id ?? "").toLowerCase();
}

function resultFromError(task: TaskAddParameter, error: unknown): TaskAddResult {
  const batch = isBatchError(error) ? error : undefined;
  return {
    status: batch?.statusCode !== undefined && batch.statusCode < 500 && batch.statusCode !== 429 ? "clienterror" : "servererror",
    taskId: task.id,
    error: {
      ...(batch?.code === undefined ? {} : { code: batch.code }),
      message: { lang: batch?.lang ?? "en-US", value: error instanceof Error ? error.message : String(error) },
      ...(batch === undefined || batch.values.length === 0 ? {} : { values: [...batch.values] }),
    },
  };
}

export async function addTaskCollection(
  context: OperationContext,
  clientRetry: ResolvedRetryOptions,
  jobId: string,
  tasks: readonly TaskAddParameter[],
  options: AddTaskCollectionOptions = {},
): Promise<TaskAddCollectionResult> {
  const {
    concurrency = 1,
    maxTasksPerRequest = 100,
    maxServerErrorRetries = 10,
    retryDelayInMs: baseDelay = clientRetry.retryDelayInMs,
    maxRetryDelayInMs = clientRetry.maxRetryDelayInMs,
    onProgress,
    ...callOptions
  } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError("concurrency must be a positive integer");
  if (!Number.isInteger(maxTasksPerRequest) || maxTasksPerRequest < 1 || maxTasksPerRequest > 100) {
    throw new RangeError("maxTasksPerRequest must be an integer from 1 to 100");
  }
  if (!Array.isArray(tasks)) throw new TypeError("tasks must be an array of TaskAddParameter");
  const backOff: ResolvedRetryOptions = { maxRetries: 0, retryDelayInMs: baseDelay, maxRetryDelayInMs, retryNonIdempotent: false };
  const signal = callOptions.abortSignal;

  const total = tasks.length;
  const results: (TaskAddResult | undefined)[] = new Array<TaskAddResult | undefined>(total).fill(undefined);
  const failed: boolean[] = new Array<boolean>(total).fill(false);
  const maybeAdded: boolean[] = new Array<boolean>(total).fill(false);
  const serverErrors: number[] = new Array<number>(total).fill(0);
  let queue: number[] = tasks.map((_, index) => index);
  let limit = maxTasksPerRequest;
  let inFlight = 0;
  let stopped = false;
  const errors: unknown[] = [];
  let addedCount = 0;
  let failedCount = 0;
  let waiter = newWaiter();

  const wake = () => {
    const current = waiter;
    waiter = newWaiter();
    current.resolve();
  };
  const progress = () => onProgress?.({ total, added: addedCount, failed: failedCount, pending: total - addedCount - failedCount });
  const fail = (index: number, result: TaskAddResult) => {
    results[index] = result;
    failed[index] = true;
    failedCount++;
  };
  const succeed = (index: number, result: TaskAddResult) => {
    results[index] = result;
    addedCount++;
  };
  const stop = (error: unknown) => {
    errors.push(error);
    stopped = true;
    wake();
  };

  /** Counts a server error against each task; requeues the ones with retries left after a back-off, fails the rest. */
  async function retryLater(indices: readonly number[], failureOf: (index: number) => TaskAddResult, headers?: Headers): Promise<void> {
    const retry: number[] = [];
    let attempt = 0;
    for (const index of indices) {
      const count = (serverErrors[index] ?? 0) + 1;
      serverErrors[index] = count;
      if (count > maxServerErrorRetries) {
        fail(index, failureOf(index));
      } else {
        retry.push(index);
        attempt = Math.max(attempt, count - 1);
      }
    }
    if (retry.length === 0) return;
    try {
      await sleep(retryDelayInMs(attempt, backOff, headers), signal);
    } catch (abort) {
      stop(abort);
      queue = [...retry, ...queue];
      return;
    }
    queue = [...retry, ...queue];
    wake();
  }

  async function post(chunk: number[]): Promise<void> {
    for (;;) {
      if (stopped) return;
      let body: unknown;
      try {
        const response = await sendOperation(context, "Task_AddCollection", {
          path: { jobId },
          body: { value: chunk.map((index) => tasks[index]) },
          options: { ...callOptions, retryOptions: { maxRetries: 0 } },
        });
        body = response.body;
      } catch (error) {
        if (!isBatchError(error)) {
          stop(error);
          queue = [...chunk, ...queue];
          return;
        }
        if (error.code === "RequestBodyTooLarge" || error.statusCode === 413) {
          if (chunk.length === 1) {
            fail(chunk[0] as number, resultFromError(tasks[chunk[0] as number] as TaskAddParameter, error));
            return;
          }
          const half = Math.floor(chunk.length / 2);
          limit = Math.min(limit, half);
          queue = [...chunk.slice(half), ...queue];
          wake();
          chunk = chunk.slice(0, half);
          continue;
        }
        const status = error.statusCode;
        const failureOf = (index: number) => resultFromError(tasks[index] as TaskAddParameter, error);
        if (status === 429 || status === 503) {
          await retryLater(chunk, failureOf, error.response?.headers);
          return;
        }
        if (status === undefined || status === 500 || status === 502 || status === 504 || status === 408) {
          for (const index of chunk) maybeAdded[index] = true;
          await retryLater(chunk, failureOf, error.response?.headers);
          return;
        }
        stop(error);
        queue = [...chunk, ...queue];
        return;
      }
      const value = (body as { value?: unknown } | undefined)?.value;
      const answers = Array.isArray(value) ? (value as TaskAddResult[]) : [];
      const unanswered = new Set(chunk);
      const serverErrorResults = new Map<number, TaskAddResult>();
      for (const answer of answers) {
        const index = chunk.find((candidate) => unanswered.has(candidate) && idKey(tasks[candidate]?.id) === idKey(answer.taskId));
        if (index === undefined) continue;
        unanswered.delete(index);
        if (answer.status === "success") {
          succeed(index, answer);
        } else if (answer.status === "servererror") {
          serverErrorResults.set(index, answer);
        } else if (answer.error?.code === "TaskExists" && maybeAdded[index] === true) {
          succeed(index, answer);
        } else {
          fail(index, answer);
        }
      }
      // Tasks the service did not answer for are treated like server errors (they may or may not exist now).
      for (const index of unanswered) maybeAdded[index] = true;
      const again = [...serverErrorResults.keys(), ...unanswered].sort((a, b) => a - b);
      if (again.length > 0) {
        const missing = new BatchError("The service returned no result for this task", { code: "MissingTaskResult" });
        await retryLater(again, (index) => serverErrorResults.get(index) ?? resultFromError(tasks[index] as TaskAddParameter, missing));
      }
      return;
    }
  }

  async function worker(): Promise<void> {
    for (;;) {
      if (stopped) return;
      if (signal?.aborted) {
        stop(new AbortError("The operation was aborted"));
        return;
      }
      if (queue.length === 0) {
        if (inFlight === 0) {
          wake();
          return;
        }
        await waiter.promise;
        continue;
      }
      const chunk = queue.slice(0, limit);
      queue = queue.slice(chunk.length);
      inFlight++;
      try {
        await post(chunk);
      } finally {
        inFlight--;
        progress();
        wake();
      }
    }
  }

  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, total)) }, () => worker()));

  const abort = errors.find((error) => error instanceof AbortError);
  if (abort !== undefined) throw abort;
  const pending = results.map((result, index) => (result === undefined ? index : -1)).filter((index) => index >= 0);
  if (failedCount > 0 || pending.length > 0 || errors.length > 0) {
    const failures = results.filter((result, index): result is TaskAddResult => result !== undefined && failed[index] === true);
    const added = results.filter((result, index): result is TaskAddResult => result !== undefined && failed[index] !== true);
    const reason = errors.length > 0 ? ` The upload stopped: ${errors[0] instanceof Error ? errors[0].message : String(errors[0])}` : "";
    throw new CreateTasksError(
      `Adding ${total} tasks to job ${jobId}: ${added.length} added, ${failures.length} failed, ${pending.length} pending.${reason}`,
      failures,
      pending.map((index) => tasks[index] as TaskAddParameter),
      errors,
      added,
    );
  }
  return { value: results as TaskAddResult[] };
}
