/**
 * The agent's session with the server: an endless sequence of sync exchanges (agentProtocol.ts).
 *
 * Each request carries every hosted node's report and the last applied desired-state version (`knownVersion`);
 * the server answers at once when something changed and otherwise holds the request (long poll) for up to
 * `waitInMs` — which doubles as the heartbeat. After applying an answer the loop sends the next request right away.
 *
 * Local facts change between answers (a process exits, a node finishes preparing): `wake()` then aborts the
 * request in flight and sends the current facts at once, so a fact reaches the server without waiting for the
 * long poll to end. No timer is involved. Only a request the server may be holding is aborted — one whose reports
 * equal those of the last answered request, and differ from the current ones; a request carrying new facts is
 * answered at once anyway, and the next request carries what changed meanwhile. A burst of changes (many nodes
 * becoming ready) therefore costs a few round trips, not one aborted request per change.
 *
 * Batched reports: while every node has work queued for all its slots (NodeHost.hasWorkQueued: runs waiting for at
 * least its slots again) and nothing but its task runs changed, the server need not hear of runs beginning and
 * ending at once — the nodes keep busy without it. The next request then leaves `reportBatchingInMs` after the
 * previous one, carrying every run that began or ended meanwhile: one exchange, one store transaction and one
 * scheduling round for several runs instead of one each. Any other change, or a node running short of work, ends the
 * pause at once. What the server decides meanwhile (more runs, kills) reaches the agent at most that much later.
 *
 * Failures: no connection, timeouts (`waitInMs` + 30 s without an answer), 5xx and other statuses are retried
 * forever with capped exponential back-off (backoff.ts), each time with the next of the agent's servers (several
 * replicas); processes keep running meanwhile and their outcomes go out with the first exchange that succeeds. 401/403 stops the loop with `unauthorized`; `shutdown: true` in an answer
 * stops it with `shutdown` (after applying that answer's nodes, normally none); `close()` with `closed`.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { agentProtocolVersion, type AgentNodeReport, type AgentSyncRequest, type AgentSyncResponse } from "@openbatch/protocol";
import type { Logger } from "../log.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { deadline } from "./deadline.js";
import { CpuUsage } from "./cpuUsage.js";
import type { ServerUrls } from "./serverUrls.js";
import { SyncRejected, exchange } from "./syncClient.js";

export type SyncStopReason = "shutdown" | "unauthorized" | "closed";

export interface SyncLoopOptions {
  /** The servers to sync with, one at a time: a failed exchange moves on to the next (serverUrls.ts). */
  readonly servers: ServerUrls;
  /** How to reach the servers (their TLS settings). @default the global fetch */
  readonly fetch?: typeof globalThis.fetch;
  /** The servers named more servers to fail over to (the file channel polls them too). */
  readonly onServersLearned?: () => void;
  readonly token: string;
  readonly agentId: string;
  /** @default a random UUID */
  readonly bootId?: string;
  readonly fileServerUrl: string;
  readonly host: AgentSyncRequest["host"];
  /** The longest the server may hold a request. @default 20000 */
  readonly waitInMs?: number;
  readonly backoff?: BackoffOptions;
  readonly logger: Logger;
  /** The current reports of every hosted node. */
  readonly reports: () => AgentNodeReport[];
  /** Whether the node has work queued for all its slots (NodeHost.hasWorkQueued). Absent: every report goes out at once. */
  readonly hasWorkQueued?: (nodeId: string) => boolean;
  /** The longest reports that may wait are held to go out together ("Batched reports"). @default 10 */
  readonly reportBatchingInMs?: number;
  /**
   * Applies an answer's desired nodes (must not throw, must not wait for the work it causes); `sentAt`
   * (performance.now()) is when its request left, where the dispatch lease starts.
   */
  readonly apply: (response: AgentSyncResponse, sentAt: number) => void;
  /** The server answered again after failures (the network or the server is back). */
  readonly onReconnected?: () => void;
}

/** How long past `waitInMs` an answer may take before the request counts as failed. */
const answerSlackInMs = 30_000;

const defaultReportBatchingInMs = 10;

/** Whether two reports of a node differ in nothing but its task runs. */
function sameApartFromTaskRuns(a: AgentNodeReport, b: AgentNodeReport): boolean {
  return (
    a.generation === b.generation &&
    a.phase === b.phase &&
    a.rootDirectory === b.rootDirectory &&
    JSON.stringify(a.startTask) === JSON.stringify(b.startTask) &&
    JSON.stringify(a.errors) === JSON.stringify(b.errors) &&
    JSON.stringify(a.resources) === JSON.stringify(b.resources)
  );
}

class Woken extends Error {
  override readonly name = "Woken";
}

export class SyncLoop {
  readonly bootId: string;
  /** Resolves when the loop ends, with the reason. */
  readonly stopped: Promise<SyncStopReason>;
  private readonly closing = new AbortController();
  private readonly cpu = new CpuUsage();
  private readonly backoff: Backoff;
  private readonly configuredWaitInMs: number;
  private waitInMs: number;
  private knownVersion: number | undefined;
  private inFlight: { controller: AbortController; reports: string; mayBeHeld: boolean } | undefined;
  /** The reports of the last answered request: the server holds a request only when its facts are these. */
  private answered: { reports: AgentNodeReport[]; text: string } | undefined;
  private exchanges = 0;
  /** When the last request left (performance.now()). */
  private sentAt = Number.NEGATIVE_INFINITY;
  /** Ends the pause of "Batched reports" early, while one lasts. */
  private endPause: (() => void) | undefined;
  private wakeScheduled = false;

  constructor(private readonly options: SyncLoopOptions) {
    this.bootId = options.bootId ?? randomUUID();
    this.backoff = new Backoff(options.backoff);
    this.configuredWaitInMs = options.waitInMs ?? 20_000;
    this.waitInMs = this.configuredWaitInMs;
    this.stopped = this.run();
  }

  /**
   * Local facts changed: report them now — unless they may wait ("Batched reports"). The changes of one event-loop
   * turn (several processes ending together) are looked at once.
   */
  wake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.onWake();
    });
  }

  private onWake(): void {
    const endPause = this.endPause;
    if (endPause !== undefined) {
      if (!this.mayWait(this.options.reports())) endPause();
      return;
    }
    const inFlight = this.inFlight;
    // A request with new facts is answered at once anyway; the next one carries whatever changed meanwhile.
    if (inFlight === undefined || !inFlight.mayBeHeld || inFlight.controller.signal.aborted) return;
    if (JSON.stringify(this.options.reports()) !== inFlight.reports) inFlight.controller.abort(new Woken());
  }

  /**
   * Whether the next request may wait ("Batched reports"): every node has work queued for all its slots and none
   * changed but in its task runs since the last answered request.
   */
  private mayWait(current: readonly AgentNodeReport[]): boolean {
    const hasWorkQueued = this.options.hasWorkQueued;
    const answered = this.answered?.reports;
    if (hasWorkQueued === undefined || answered === undefined || current.length === 0 || current.length !== answered.length) return false;
    const before = new Map(answered.map((report) => [report.nodeId, report]));
    return current.every((report) => {
      const previous = before.get(report.nodeId);
      return previous !== undefined && hasWorkQueued(report.nodeId) && sameApartFromTaskRuns(previous, report);
    });
  }

  /** Waits until `reportBatchingInMs` after the last request left, while the reports may wait. */
  private async pauseForBatching(): Promise<void> {
    const remaining = this.sentAt + (this.options.reportBatchingInMs ?? defaultReportBatchingInMs) - performance.now();
    if (remaining <= 0 || !this.mayWait(this.options.reports())) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.endPause?.(), remaining);
      this.endPause = () => {
        clearTimeout(timer);
        this.endPause = undefined;
        resolve();
      };
    });
  }

  /** Completed exchanges so far (tests, diagnostics). */
  get exchangeCount(): number {
    return this.exchanges;
  }

  async close(): Promise<void> {
    this.closing.abort(new Error("The agent is closing."));
    this.endPause?.();
    await this.stopped;
  }

  private request(reports: AgentNodeReport[]): AgentSyncRequest {
    return {
      protocolVersion: agentProtocolVersion,
      agentId: this.options.agentId,
      bootId: this.bootId,
      fileServerUrl: this.options.fileServerUrl,
      ...(this.knownVersion === undefined ? {} : { knownVersion: this.knownVersion }),
      waitInMs: this.waitInMs,
      nodes: reports,
      host: { ...this.options.host, cpuPercent: this.cpu.read() },
    };
  }

  private async run(): Promise<SyncStopReason> {
    // Start on the next turn, once the constructor's caller holds the loop (wake() may be called meanwhile).
    await Promise.resolve();
    const logger = this.options.logger;
    while (!this.closing.signal.aborted) {
      await this.pauseForBatching();
      if (this.closing.signal.aborted) break;
      const controller = new AbortController();
      const reports = this.options.reports();
      const reportsText = JSON.stringify(reports);
      this.inFlight = { controller, reports: reportsText, mayBeHeld: reportsText === this.answered?.text };
      const answerBy = deadline(this.waitInMs + answerSlackInMs);
      const signal = AbortSignal.any([controller.signal, this.closing.signal, answerBy.signal]);
      const server = this.options.servers.current;
      // The dispatch lease runs from before the server could have seen the request (agentProtocol.ts).
      const sentAt = performance.now();
      this.sentAt = sentAt;
      try {
        const response = await exchange({
          serverUrl: server,
          ...(this.options.fetch === undefined ? {} : { fetch: this.options.fetch }),
          token: this.options.token,
          request: this.request(reports),
          signal,
        }).finally(() => answerBy.clear());
        this.inFlight = undefined;
        this.answered = { reports, text: reportsText };
        if (this.backoff.count > 0) {
          logger.log("info", "connected to the server again", { failures: this.backoff.count, server });
          this.options.onReconnected?.();
        }
        this.backoff.reset();
        const learned = this.options.servers.learn(response.serverUrls);
        if (learned.length > 0) {
          logger.log("info", "learned more servers to fail over to", { servers: learned });
          this.options.onServersLearned?.();
        }
        this.exchanges++;
        this.knownVersion = response.version;
        this.waitInMs = Math.max(0, Math.min(this.configuredWaitInMs, response.heartbeatIntervalInMs));
        this.options.apply(response, sentAt);
        if (response.shutdown) {
          logger.log("info", "the server asked the agent to shut down");
          return "shutdown";
        }
      } catch (error) {
        this.inFlight = undefined;
        if (this.closing.signal.aborted) break;
        if (controller.signal.aborted && controller.signal.reason instanceof Woken) continue;
        if (error instanceof SyncRejected) {
          logger.log("error", "the server refused the agent's credentials; stopping", { status: error.status, error: error.message });
          return "unauthorized";
        }
        const delay = this.backoff.next();
        const failures = this.backoff.count;
        this.options.servers.failed(server);
        // Log the first failures, then every 20th: a server down for an hour must not fill the disk.
        if (failures <= 3 || failures % 20 === 0) {
          logger.log("warn", "sync failed; retrying", { failures, retryInMs: delay, server, next: this.options.servers.current, error: (error as Error).message });
        }
        try {
          await sleep(delay, undefined, { signal: this.closing.signal });
        } catch {
          break;
        }
      }
    }
    return "closed";
  }
}
