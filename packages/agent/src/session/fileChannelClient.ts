/**
 * The agent's end of the reverse file channel (protocol agentRemote.ts): it keeps one long poll open at the
 * server (`POST /_agent/v1/files/poll`); each answer carries file requests, which it passes to its own file server
 * on the loopback address and whose answers it streams back (`POST /_agent/v1/files/{requestId}`, the status in
 * `x-ob-status`, its standard headers as `x-ob-reply-<name>`). It polls again as soon as a poll is answered, so
 * requests never wait for one another; a failing connection is retried with back-off like the sync, and at once
 * when the sync gets through again after failures. The server
 * never connects to the agent: this works behind NAT and through firewalls that only let connections out.
 *
 * With several servers (replicas of one deployment, docs/deployment.md) it keeps one poll open at each server it
 * knows, those it learns included: a request for a node's files reaches whichever replica the client asked, and
 * that replica can only hand it to an agent polling it (the waiting requests live in its memory). Each answer
 * goes back to the server whose poll carried the request.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AgentFilePollResponse,
  agentFilePollPath,
  agentFileReplyPath,
  agentFileStatusHeader,
  validateBody,
  type AgentFileRequest,
} from "@openbatch/protocol";
import type { Logger } from "../log.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { deadline } from "./deadline.js";
import type { ServerUrls } from "./serverUrls.js";

export interface FileChannelClientOptions {
  /** The servers to poll, every one of them (those added later too, see `addServers`). */
  readonly servers: ServerUrls;
  readonly fetch: typeof globalThis.fetch;
  readonly token: string;
  /** The agent's own file server (`http://127.0.0.1:PORT`). */
  readonly fileServerUrl: string;
  readonly logger: Logger;
  /** How long the server may hold a poll. @default 20000 */
  readonly waitInMs?: number;
  readonly backoff?: BackoffOptions;
}

/** How long past `waitInMs` a poll may take before it counts as failed (a connection silently lost). */
const answerSlackInMs = 10_000;

/** The file API's paths a relayed request may name. */
const allowedPath = /^\/(nodes\/[^/?]+\/(list|file)|service-logs(\/file)?)(\?|$)/;

interface ServerPoll {
  readonly base: string;
  readonly backoff: Backoff;
  /** Aborts the poll in flight, for `reconnect`. */
  current: AbortController | undefined;
  stopped: Promise<void>;
}

/** The answer headers the server passes on to whoever asked. */
const passed = ["content-type", "content-length", "content-range", "last-modified"];

export class FileChannelClient {
  private readonly closing = new AbortController();
  /** One poll loop per server, by base URL. */
  private readonly pollers = new Map<string, ServerPoll>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: FileChannelClientOptions) {
    this.addServers();
  }

  /** Starts polling the servers the agent knows and does not poll yet (it learned them from a sync answer). */
  addServers(): void {
    if (this.closing.signal.aborted) return;
    for (const url of this.options.servers.all) {
      if (this.pollers.has(url)) continue;
      const poll: ServerPoll = { base: url.replace(/\/+$/, ""), backoff: new Backoff(this.options.backoff), current: undefined, stopped: Promise.resolve() };
      poll.stopped = this.run(poll);
      this.pollers.set(url, poll);
    }
  }

  /**
   * The server is reachable again (the sync got through after failures): poll again at once on a fresh request
   * rather than wait out one that may hang on a connection lost meanwhile.
   */
  reconnect(): void {
    this.addServers();
    for (const poll of this.pollers.values()) {
      poll.backoff.reset();
      poll.current?.abort(new Error("reconnecting"));
    }
  }

  async close(): Promise<void> {
    this.closing.abort(new Error("The agent is closing."));
    await Promise.all([...this.pollers.values()].map((poll) => poll.stopped));
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(state: ServerPoll): Promise<void> {
    await Promise.resolve();
    const waitInMs = this.options.waitInMs ?? 15_000;
    const { base, backoff } = state;
    while (!this.closing.signal.aborted) {
      const poll = new AbortController();
      state.current = poll;
      const answerBy = deadline(waitInMs + answerSlackInMs);
      try {
        const response = await this.options
          .fetch(`${base}${agentFilePollPath}`, {
            method: "POST",
            headers: { authorization: `Bearer ${this.options.token}`, "content-type": "application/json" },
            body: JSON.stringify({ waitInMs }),
            signal: AbortSignal.any([this.closing.signal, poll.signal, answerBy.signal]),
          })
          .finally(() => answerBy.clear());
        if (response.status === 401 || response.status === 403) {
          await response.body?.cancel();
          // The sync loop stops the agent for the same reason; nothing to serve meanwhile.
          this.options.logger.log("warn", "the server refused the file channel's credentials", { status: response.status, server: base });
          await sleep(backoff.next(), undefined, { signal: this.closing.signal });
          continue;
        }
        if (!response.ok) throw new Error(`the server answered HTTP ${response.status}`);
        const answer = validateBody<AgentFilePollResponse>(AgentFilePollResponse, await response.json());
        backoff.reset();
        for (const request of answer.requests) {
          const handled = this.serve(base, request).catch((error: unknown) => this.options.logger.log("warn", "answering a file request failed", { requestId: request.requestId, error }));
          this.inFlight.add(handled);
          void handled.finally(() => this.inFlight.delete(handled));
        }
      } catch (error) {
        if (this.closing.signal.aborted) break;
        if (poll.signal.aborted) continue;
        const delay = backoff.next();
        if (backoff.count <= 3 || backoff.count % 20 === 0) {
          this.options.logger.log("warn", "file channel poll failed; retrying", { failures: backoff.count, retryInMs: delay, server: base, error: (error as Error).message });
        }
        await sleep(delay, undefined, { signal: this.closing.signal }).catch(() => undefined);
      }
    }
  }

  /** Asks the local file server and streams its answer back to the server. */
  private async serve(base: string, request: AgentFileRequest): Promise<void> {
    let status: number;
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}`, "content-type": "application/octet-stream" };
    let body: AsyncIterable<Uint8Array> | string;
    if (!allowedPath.test(request.path)) {
      status = 404;
      body = JSON.stringify({ code: "ResourceNotFound", message: "No such resource on the node-file server." });
      headers["x-ob-reply-content-type"] = "application/json";
    } else {
      try {
        const answer = await this.local(request);
        status = answer.statusCode ?? 502;
        for (const name of passed) {
          const value = answer.headers[name];
          if (typeof value === "string") headers[`x-ob-reply-${name}`] = value;
        }
        for (const [name, value] of Object.entries(answer.headers)) {
          if (name.startsWith("x-ob-") && typeof value === "string") headers[name] = value;
        }
        body = answer;
      } catch (error) {
        status = 502;
        body = JSON.stringify({ code: "AgentFileServerFailed", message: `The agent's file server failed: ${(error as Error).message}` });
        headers["x-ob-reply-content-type"] = "application/json";
      }
    }
    headers[agentFileStatusHeader] = String(status);
    const response = await this.options.fetch(`${base}${agentFileReplyPath(request.requestId)}`, {
      method: "POST",
      headers,
      body: body as never,
      duplex: "half",
      signal: this.closing.signal,
    } as RequestInit);
    await response.body?.cancel();
  }

  private local(request: AgentFileRequest): Promise<IncomingMessage> {
    const server = new URL(this.options.fileServerUrl);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: server.hostname,
          port: server.port,
          method: request.method,
          path: request.path,
          headers: { authorization: `Bearer ${this.options.token}`, ...(request.range === undefined ? {} : { range: request.range }) },
          signal: this.closing.signal,
        },
        resolve,
      );
      outgoing.on("error", reject);
      outgoing.end();
    });
  }
}
