/**
 * `BatchServiceClient`: the entry point. Holds the endpoint, api-version, credential, retry options and the
 * keep-alive transport; exposes the operation groups of the Batch data-plane API 2024-02-01.19.0 under their Azure
 * SDK names (`client.pool.add`, `client.task.addCollection`, `client.file.getFromTask`, …).
 *
 * Lifecycle: usable as soon as constructed; `close()` releases pooled connections, after which calls reject.
 */
import { currentApiVersion, type OperationId } from "./generated/wireTable.js";
import { BatchSharedKeyCredential, isTokenCredential, TokenCache, batchScope, type TokenCredential } from "./credentials.js";
import { sendOperation, type OperationCall, type OperationContext, type OperationResponse } from "./operation.js";
import { AccountOperations } from "./operations/account.js";
import { ApplicationOperations } from "./operations/application.js";
import { CertificateOperations } from "./operations/certificate.js";
import { ComputeNodeOperations } from "./operations/computeNode.js";
import { ComputeNodeExtensionOperations } from "./operations/computeNodeExtension.js";
import { FileOperations } from "./operations/file.js";
import { JobOperations } from "./operations/job.js";
import { JobScheduleOperations } from "./operations/jobSchedule.js";
import { PoolOperations } from "./operations/pool.js";
import { TaskOperations } from "./operations/task.js";
import { Pipeline, checkRequestTimeout, defaultRequestTimeoutInMs, resolveRetryOptions, type ResolvedRetryOptions, type RetryOptions } from "./pipeline.js";
import { platform } from "#platform";
import { watchEvents, type WatchEvent, type WatchOptions } from "./events/watch.js";
import type { HttpTransport } from "./transport.js";
import {
  waitForNodesIdle,
  waitForPoolSteady,
  waitForTasksComplete,
  type PoolSteadyProgress,
  type TasksCompleteProgress,
  type WaitForNodesIdleOptions,
  type WaitOptions,
} from "./waiters.js";
import type { CloudPool, ComputeNode, TaskCountsResult } from "./models.js";

/** The package version, sent in User-Agent. */
export const clientVersion = "0.1.0";

export interface BatchServiceClientOptions {
  /** The api-version to send. @default currentApiVersion ("2024-02-01.19.0") */
  apiVersion?: string;
  /** Retries of 429/5xx answers and transport failures (see pipeline.ts for which operations). */
  retryOptions?: RetryOptions;
  /**
   * How long the connection may stay silent while a response is awaited (or a non-streamed body read) before the
   * attempt fails with `ETIMEDOUT` — a transport failure, retried per `retryOptions`. 0 for no limit. Streamed
   * downloads are not timed once their headers arrive: the reader sets the pace (cancel with `abortSignal`).
   * @default 100000 (azure-batch's msrest timeout)
   */
  requestTimeoutInMs?: number;
  /** Prepended to the User-Agent header. */
  userAgentPrefix?: string;
  /** Pooled sockets per host. @default 64 */
  maxSockets?: number;
  /** Scopes requested from a TokenCredential. @default ["https://batch.core.windows.net//.default"] */
  tokenScopes?: string[];
  /**
   * Replaces the HTTP transport (tests, proxies); the client closes it on `close()`. @default NodeHttpTransport on
   * Node.js, FetchHttpTransport in browsers
   */
  transport?: HttpTransport;
}

export class BatchServiceClient {
  /** The endpoint as given, without trailing slashes (`https://account.region.batch.azure.com`). */
  readonly endpoint: string;
  readonly apiVersion: string;
  readonly application: ApplicationOperations;
  readonly account: AccountOperations;
  readonly pool: PoolOperations;
  readonly job: JobOperations;
  readonly certificate: CertificateOperations;
  readonly file: FileOperations;
  readonly jobSchedule: JobScheduleOperations;
  readonly task: TaskOperations;
  readonly computeNode: ComputeNodeOperations;
  readonly computeNodeExtension: ComputeNodeExtensionOperations;
  readonly #context: OperationContext;
  readonly #transport: HttpTransport;
  readonly #retryOptions: ResolvedRetryOptions;

  /**
   * @param endpoint the account URL (`https://{account}.{region}.batch.azure.com`, or an OpenBatch server's URL);
   *   a path prefix is kept and signed.
   * @param credential a `BatchSharedKeyCredential`, or any `TokenCredential` (e.g. `DefaultAzureCredential`).
   * @throws TypeError for a malformed endpoint or an unusable credential.
   */
  constructor(endpoint: string, credential: BatchSharedKeyCredential | TokenCredential, options: BatchServiceClientOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(endpoint);
    } catch {
      throw new TypeError(`endpoint must be an absolute http(s) URL, got ${JSON.stringify(endpoint)}`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new TypeError("endpoint must be an http or https URL");
    if (parsed.search !== "" || parsed.hash !== "") throw new TypeError("endpoint must not carry a query or fragment");
    this.endpoint = endpoint.replace(/\/+$/, "");
    this.apiVersion = options.apiVersion ?? currentApiVersion;
    this.#retryOptions = resolveRetryOptions(options.retryOptions);
    const requestTimeoutInMs = checkRequestTimeout(options.requestTimeoutInMs ?? defaultRequestTimeoutInMs);
    let pipelineCredential: BatchSharedKeyCredential | TokenCache;
    if (credential instanceof BatchSharedKeyCredential) pipelineCredential = credential;
    else if (isTokenCredential(credential)) pipelineCredential = new TokenCache(credential, options.tokenScopes ?? [batchScope]);
    else throw new TypeError("credential must be a BatchSharedKeyCredential or a TokenCredential");
    this.#transport = options.transport ?? platform.defaultTransport(options.maxSockets === undefined ? {} : { maxSockets: options.maxSockets });
    const userAgent = `${options.userAgentPrefix === undefined ? "" : `${options.userAgentPrefix} `}openbatch-client/${clientVersion}${platform.userAgent === "" ? "" : ` ${platform.userAgent}`}`;
    const pipeline = new Pipeline({ transport: this.#transport, credential: pipelineCredential, retryOptions: this.#retryOptions, requestTimeoutInMs, userAgent });
    this.#context = { endpoint: this.endpoint, apiVersion: this.apiVersion, pipeline };
    this.application = new ApplicationOperations(this.#context);
    this.account = new AccountOperations(this.#context);
    this.pool = new PoolOperations(this.#context);
    this.job = new JobOperations(this.#context);
    this.certificate = new CertificateOperations(this.#context);
    this.file = new FileOperations(this.#context);
    this.jobSchedule = new JobScheduleOperations(this.#context);
    this.task = new TaskOperations(this.#context, this.#retryOptions);
    this.computeNode = new ComputeNodeOperations(this.#context);
    this.computeNodeExtension = new ComputeNodeExtensionOperations(this.#context);
  }

  /**
   * Sends any operation of the protocol table directly (an escape hatch: the typed methods are thin wrappers over
   * this). Resolves with the status, parsed headers and JSON body; throws `BatchError` on any other status.
   */
  sendOperation(operationId: OperationId, call: OperationCall = {}): Promise<OperationResponse> {
    return sendOperation(this.#context, operationId, call);
  }

  /** Polls until the pool's allocation state is `steady` (see waiters.ts). */
  waitForPoolSteady(poolId: string, options?: WaitOptions<PoolSteadyProgress>): Promise<CloudPool> {
    return waitForPoolSteady(this, poolId, options);
  }

  /** Polls until the pool has its target number of nodes, all `idle` (see waiters.ts). */
  waitForNodesIdle(poolId: string, options?: WaitForNodesIdleOptions): Promise<ComputeNode[]> {
    return waitForNodesIdle(this, poolId, options);
  }

  /** Polls the job's task counts until no task is active or running (see waiters.ts). */
  waitForTasksComplete(jobId: string, options?: WaitOptions<TasksCompleteProgress>): Promise<TaskCountsResult> {
    return waitForTasksComplete(this, jobId, options);
  }

  /**
   * The account's committed entity changes as they happen (OpenBatch's `/_events` extension, docs/events.md):
   * reconnects with `Last-Event-ID` by itself and yields a `reset` when changes were missed. Not on Azure Batch.
   */
  watch(options?: WatchOptions): AsyncGenerator<WatchEvent, void, undefined> {
    return watchEvents(this.#context, options);
  }

  /** Releases pooled connections. Calls made afterwards reject with an AbortError. */
  close(): Promise<void> {
    return this.#transport.close();
  }
}
