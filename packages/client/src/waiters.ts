/**
 * Waiters: poll until a pool, its nodes or a job's tasks reach a state, reporting progress on every poll.
 *
 * - `waitForPoolSteady`: until the pool's `allocationState` is `steady`. Resolves with the pool; `resizeErrors` on
 *   it tell whether the resize reached its targets.
 * - `waitForNodesIdle`: until the pool has at least `minNodes` nodes (default: its target dedicated + low-priority
 *   count) and every node is `idle`. Throws `WaitFailedError` as soon as a node is in a failure state
 *   (`unusable`, `starttaskfailed` by default).
 * - `waitForTasksComplete`: until the job has no active or running task (`getTaskCounts`). Resolves with the counts.
 *
 * Polls every `pollIntervalInMs` (default 5 s); `timeoutInMs` bounds the wait (`WaitTimeoutError` with the last state)
 * and `abortSignal` cancels it (`AbortError`). Errors from the service end the wait.
 */
import type { CloudPool, ComputeNode, ComputeNodeState, TaskCounts, TaskCountsResult } from "./models.js";
import { AbortError } from "./batchError.js";
import type { ComputeNodeOperations } from "./operations/computeNode.js";
import type { JobOperations } from "./operations/job.js";
import type { PoolOperations } from "./operations/pool.js";
import { sleep } from "./pipeline.js";

/** What the waiters call: a BatchServiceClient's operation groups (named so, waiters.ts does not import the client back). */
export interface WaiterClient {
  readonly pool: Pick<PoolOperations, "get">;
  readonly computeNode: Pick<ComputeNodeOperations, "list">;
  readonly job: Pick<JobOperations, "getTaskCounts">;
}

export interface WaitOptions<Progress> {
  /** Time between polls. @default 5000 */
  pollIntervalInMs?: number;
  /** Gives up after this long with a WaitTimeoutError. @default no limit */
  timeoutInMs?: number;
  abortSignal?: AbortSignal;
  /** Called with the state seen at every poll. */
  onProgress?: (progress: Progress) => void;
}

export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
  constructor(
    message: string,
    /** The state seen at the last poll. */
    readonly lastState: unknown,
  ) {
    super(message);
  }
}

export class WaitFailedError extends Error {
  override readonly name = "WaitFailedError";
  constructor(
    message: string,
    /** The state that ended the wait. */
    readonly state: unknown,
  ) {
    super(message);
  }
}

/** Polls `probe` until it returns `{ done: true }`. */
async function poll<Progress, Result>(
  what: string,
  options: WaitOptions<Progress>,
  probe: () => Promise<{ progress: Progress; done: boolean; result: Result }>,
): Promise<Result> {
  const interval = options.pollIntervalInMs ?? 5000;
  if (!Number.isFinite(interval) || interval < 0) throw new RangeError("pollIntervalInMs must be a non-negative number");
  const deadline = options.timeoutInMs === undefined ? Infinity : Date.now() + options.timeoutInMs;
  for (;;) {
    if (options.abortSignal?.aborted) throw new AbortError("The wait was aborted");
    const { progress, done, result } = await probe();
    options.onProgress?.(progress);
    if (done) return result;
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitTimeoutError(`Timed out after ${options.timeoutInMs} ms waiting for ${what}`, progress);
    await sleep(Math.min(interval, left), options.abortSignal);
  }
}

export type PoolSteadyProgress = CloudPool;

export function waitForPoolSteady(client: WaiterClient, poolId: string, options: WaitOptions<PoolSteadyProgress> = {}): Promise<CloudPool> {
  return poll(`pool ${poolId} to be steady`, options, async () => {
    const pool = await client.pool.get(poolId, options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal });
    return { progress: pool, done: pool.allocationState === "steady", result: pool };
  });
}

export interface NodesIdleProgress {
  /** Nodes per state. */
  readonly counts: Partial<Record<ComputeNodeState, number>>;
  readonly total: number;
  readonly minNodes: number;
}

export interface WaitForNodesIdleOptions extends WaitOptions<NodesIdleProgress> {
  /** Nodes that must exist. @default the pool's targetDedicatedNodes + targetLowPriorityNodes */
  minNodes?: number;
  /** Node states that end the wait with WaitFailedError. @default ["unusable", "starttaskfailed"] */
  failureStates?: readonly ComputeNodeState[];
}

export async function waitForNodesIdle(client: WaiterClient, poolId: string, options: WaitForNodesIdleOptions = {}): Promise<ComputeNode[]> {
  const call = options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal };
  let minNodes = options.minNodes;
  if (minNodes === undefined) {
    const pool = await client.pool.get(poolId, { ...call, select: ["id", "targetDedicatedNodes", "targetLowPriorityNodes"] });
    minNodes = (pool.targetDedicatedNodes ?? 0) + (pool.targetLowPriorityNodes ?? 0);
  }
  const failureStates = new Set<string>(options.failureStates ?? ["unusable", "starttaskfailed"]);
  const required = minNodes;
  return poll(`the nodes of pool ${poolId} to be idle`, options, async () => {
    const nodes: ComputeNode[] = [];
    for await (const node of client.computeNode.list(poolId, { ...call, select: ["id", "state"] })) nodes.push(node);
    const counts: Partial<Record<ComputeNodeState, number>> = {};
    for (const node of nodes) if (node.state !== undefined) counts[node.state] = (counts[node.state] ?? 0) + 1;
    const progress: NodesIdleProgress = { counts, total: nodes.length, minNodes: required };
    const failed = nodes.filter((node) => node.state !== undefined && failureStates.has(node.state));
    if (failed.length > 0) {
      throw new WaitFailedError(`Pool ${poolId}: ${failed.length} node(s) in ${[...new Set(failed.map((node) => node.state))].join(", ")}`, progress);
    }
    return { progress, done: nodes.length >= required && nodes.every((node) => node.state === "idle"), result: nodes };
  });
}

export type TasksCompleteProgress = TaskCounts;

export function waitForTasksComplete(client: WaiterClient, jobId: string, options: WaitOptions<TasksCompleteProgress> = {}): Promise<TaskCountsResult> {
  return poll(`the tasks of job ${jobId} to complete`, options, async () => {
    const result = await client.job.getTaskCounts(jobId, options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal });
    const counts: TaskCounts = result.taskCounts ?? {};
    return { progress: counts, done: (counts.active ?? 0) === 0 && (counts.running ?? 0) === 0, result };
  });
}
