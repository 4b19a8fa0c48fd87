/**
 * The reverse channel to agents' file APIs (docs/agent-protocol.md, "Node files"). The server never connects to an
 * agent: each agent keeps a long poll open (`POST /_agent/v1/files/poll`), the server answers it with the file
 * requests waiting for that agent, and the agent sends each answer back as its own request
 * (`POST /_agent/v1/files/{requestId}`), whose body is streamed on to whoever asked. So agents behind NAT or a
 * firewall that only lets connections out serve their nodes' files like agents next to the server, over the same
 * TLS they already verify, and no agent listens on a network port.
 *
 * `fetch` gives the asker an ordinary `Response`. Its body must be read or cancelled: the agent's reply request
 * stays open until it is, which keeps a slow reader's back-pressure all the way to the agent's disk.
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type { AgentFileRequest } from "@openbatch/protocol";
import type { AgentRef } from "../providers/computeProvider.js";

export interface FileChannelOptions {
  /** How long an asker waits for an agent to start answering. @default 15000 */
  readonly replyTimeoutInMs?: number;
  /** An agent that has not polled for this long counts as out of reach. @default 5000 */
  readonly pollGapInMs?: number;
  /** How long a request for an agent out of reach waits for it to poll (one that just started). @default 2000 */
  readonly connectGraceInMs?: number;
  /** Most requests handed to one poll. @default 16 */
  readonly batchSize?: number;
}

/** The agent cannot be reached over the channel (not connected, or it did not answer in time). */
export class AgentUnreachable extends Error {
  override readonly name = "AgentUnreachable";
}

interface Waiting {
  readonly request: AgentFileRequest;
  readonly agentKey: string;
  readonly resolve: (response: Response) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface AgentLine {
  readonly queue: Waiting[];
  readonly pollers: Set<(requests: Waiting[]) => void>;
  lastPoll: number;
}

/** Statuses whose Response must have no body. */
const bodiless = new Set([101, 204, 205, 304]);

export class FileChannel {
  private readonly lines = new Map<string, AgentLine>();
  /** Requests handed to an agent, by request id, until its answer arrives. */
  private readonly handed = new Map<string, Waiting>();
  private readonly replyTimeoutInMs: number;
  private readonly pollGapInMs: number;
  private readonly connectGraceInMs: number;
  private readonly batchSize: number;
  private closed = false;

  constructor(options: FileChannelOptions = {}) {
    this.replyTimeoutInMs = options.replyTimeoutInMs ?? 15_000;
    this.pollGapInMs = options.pollGapInMs ?? 5_000;
    this.connectGraceInMs = options.connectGraceInMs ?? 2_000;
    this.batchSize = options.batchSize ?? 16;
  }

  private key(agent: AgentRef): string {
    return `${agent.account}\u0000${agent.poolId.toLowerCase()}\u0000${agent.agentId}`;
  }

  private line(key: string): AgentLine {
    let line = this.lines.get(key);
    if (line === undefined) {
      line = { queue: [], pollers: new Set(), lastPoll: 0 };
      this.lines.set(key, line);
    }
    return line;
  }

  /** Whether the agent polls (or did a moment ago). */
  connected(agent: AgentRef): boolean {
    const line = this.lines.get(this.key(agent));
    return line !== undefined && (line.pollers.size > 0 || Date.now() - line.lastPoll < this.pollGapInMs);
  }

  /** Sends one request to the agent's file API and resolves with its answer (headers first, body streaming). */
  fetch(agent: AgentRef, method: AgentFileRequest["method"], path: string, range?: string): Promise<Response> {
    if (this.closed) return Promise.reject(new AgentUnreachable("The server is shutting down."));
    const agentKey = this.key(agent);
    const request: AgentFileRequest = { requestId: randomBytes(12).toString("base64url"), method, path, ...(range === undefined ? {} : { range }) };
    // An agent out of reach gets a moment to poll (it may have just started), not the whole answer time.
    const connected = this.connected(agent);
    return new Promise<Response>((resolve, reject) => {
      const waiting: Waiting = { request, agentKey, resolve, reject, timer: this.expiry(() => waiting, connected ? this.replyTimeoutInMs : this.connectGraceInMs) };
      const line = this.line(agentKey);
      line.queue.push(waiting);
      this.dispatch(line);
    });
  }

  /** An agent's poll: resolves with the requests waiting for it, or none after `waitInMs` (or on `signal`). */
  poll(agent: AgentRef, waitInMs: number, signal: AbortSignal): Promise<AgentFileRequest[]> {
    const line = this.line(this.key(agent));
    line.lastPoll = Date.now();
    if (line.queue.length > 0 || this.closed || waitInMs <= 0) return Promise.resolve(this.take(line).map((waiting) => waiting.request));
    return new Promise((resolve) => {
      const done = (requests: Waiting[]) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        line.pollers.delete(done);
        line.lastPoll = Date.now();
        resolve(requests.map((waiting) => waiting.request));
      };
      const onAbort = () => done([]);
      const timer = setTimeout(() => done([]), waitInMs);
      timer.unref();
      signal.addEventListener("abort", onAbort, { once: true });
      line.pollers.add(done);
    });
  }

  /**
   * The agent's answer to one of its requests: `body` is handed to the asker as the response body. Resolves once
   * the asker has read or cancelled it; false when no such request is waiting (it timed out, or is another's).
   */
  async reply(agent: AgentRef, requestId: string, status: number, headers: Headers, body: Readable): Promise<boolean> {
    const waiting = this.handed.get(requestId);
    if (waiting === undefined || waiting.agentKey !== this.key(agent)) return false;
    this.forget(waiting);
    const finished = new Promise<void>((resolve) => {
      body.once("end", resolve);
      body.once("close", resolve);
      body.once("error", () => resolve());
    });
    const response = bodiless.has(status) || status < 200 || status > 599 ? new Response(null, { status: status >= 200 && status <= 599 ? status : 502, headers }) : new Response(Readable.toWeb(body) as ReadableStream, { status, headers });
    if (response.body === null) body.resume();
    waiting.resolve(response);
    await finished;
    return true;
  }

  /** Forgets a retired agent. */
  forgetAgent(agent: AgentRef): void {
    const line = this.lines.get(this.key(agent));
    if (line !== undefined && line.queue.length === 0 && line.pollers.size === 0) this.lines.delete(this.key(agent));
  }

  /** Releases every poll and fails every request waiting (server shutdown). */
  close(): void {
    this.closed = true;
    for (const line of this.lines.values()) {
      for (const poller of [...line.pollers]) poller([]);
      for (const waiting of line.queue.splice(0)) this.fail(waiting);
    }
    for (const waiting of [...this.handed.values()]) this.fail(waiting);
  }

  private fail(waiting: Waiting): void {
    this.forget(waiting);
    waiting.reject(new AgentUnreachable("The server is shutting down."));
  }

  private forget(waiting: Waiting): void {
    clearTimeout(waiting.timer);
    this.handed.delete(waiting.request.requestId);
    const line = this.lines.get(waiting.agentKey);
    const at = line?.queue.indexOf(waiting) ?? -1;
    if (line !== undefined && at >= 0) line.queue.splice(at, 1);
  }

  private expiry(waiting: () => Waiting, afterInMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const expired = waiting();
      const message = this.handed.has(expired.request.requestId) ? "The node's agent did not answer in time." : "The node's agent is not connected.";
      this.forget(expired);
      expired.reject(new AgentUnreachable(message));
    }, afterInMs);
    timer.unref();
    return timer;
  }

  private take(line: AgentLine): Waiting[] {
    const taken = line.queue.splice(0, this.batchSize);
    for (const waiting of taken) {
      this.handed.set(waiting.request.requestId, waiting);
      clearTimeout(waiting.timer);
      waiting.timer = this.expiry(() => waiting, this.replyTimeoutInMs);
    }
    return taken;
  }

  private dispatch(line: AgentLine): void {
    const poller = line.pollers.values().next().value as ((requests: Waiting[]) => void) | undefined;
    if (poller !== undefined) poller(this.take(line));
  }
}
