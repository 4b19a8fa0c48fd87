/**
 * A tiny stand-in for the server's side of the agent protocol (node:http on 127.0.0.1): answers AgentSyncRequests
 * with the desired state the test sets, long-polls like the real server (holds a request while the agent's facts
 * and the desired version are unchanged), records every request, and serves `/files/<name>` for resource files.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { agentSyncPath, type AgentSyncRequest, type AgentSyncResponse, type DesiredNode } from "@openbatch/protocol";

export interface FakeSyncServerOptions {
  readonly token: string;
  /** @default 0 */
  readonly port?: number;
  readonly files?: Readonly<Record<string, string>>;
  /** The desired state before the first setDesired. @default [] */
  readonly desired?: DesiredNode[];
}

interface Waiter {
  readonly predicate: (request: AgentSyncRequest) => boolean;
  readonly resolve: (request: AgentSyncRequest) => void;
}

export class FakeSyncServer {
  readonly requests: AgentSyncRequest[] = [];
  /** Status to answer every sync with instead of a desired state (e.g. 401, 503). */
  failWith: number | undefined;
  /** Other servers to name in answers (replicas), from the next answer on. */
  serverUrls: string[] | undefined;
  private desired: DesiredNode[] = [];
  private version = 1;
  private shutdown = false;
  private lastFacts = "";
  private held: (() => void)[] = [];
  private waiters: Waiter[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly port: number,
  ) {}

  static async start(options: FakeSyncServerOptions): Promise<FakeSyncServer> {
    let fake: FakeSyncServer | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        void (fake as FakeSyncServer).handle(request.method ?? "GET", request.url ?? "/", request.headers.authorization, Buffer.concat(chunks), response, options);
      });
    });
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    fake = new FakeSyncServer(server, `http://127.0.0.1:${port}`, port);
    fake.desired = options.desired ?? [];
    return fake;
  }

  /** Replaces the desired state (a new version) and releases held requests. */
  setDesired(nodes: DesiredNode[], shutdown = false): void {
    this.desired = nodes;
    this.shutdown = shutdown;
    this.version++;
    this.release();
  }

  get latest(): AgentSyncRequest | undefined {
    return this.requests.at(-1);
  }

  /** Resolves with the first request (the latest one included) that satisfies the predicate. */
  waitForRequest(predicate: (request: AgentSyncRequest) => boolean, timeoutInMs = 15_000): Promise<AgentSyncRequest> {
    const latest = this.latest;
    if (latest !== undefined && predicate(latest)) return Promise.resolve(latest);
    return new Promise<AgentSyncRequest>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== entry);
        reject(new Error(`No matching sync request within ${timeoutInMs} ms; the latest: ${JSON.stringify(this.latest)}`));
      }, timeoutInMs);
      const entry: Waiter = {
        predicate,
        resolve: (request) => {
          clearTimeout(timer);
          resolve(request);
        },
      };
      this.waiters.push(entry);
    });
  }

  async close(): Promise<void> {
    this.release();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private release(): void {
    const held = this.held;
    this.held = [];
    for (const answer of held) answer();
  }

  private async handle(method: string, url: string, authorization: string | undefined, body: Buffer, response: ServerResponse, options: FakeSyncServerOptions): Promise<void> {
    const send = (status: number, value: unknown): void => {
      if (response.destroyed) return;
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(value));
    };
    if (method === "GET" && url.startsWith("/files/")) {
      const content = options.files?.[url.slice("/files/".length)];
      if (content === undefined) return send(404, { code: "BlobNotFound", message: "no such file" });
      response.writeHead(200, { "content-type": "application/octet-stream" });
      response.end(content);
      return;
    }
    if (method !== "POST" || url !== agentSyncPath) return send(404, { code: "NotFound", message: url });
    if (authorization !== `Bearer ${options.token}`) return send(401, { code: "AgentAuthenticationFailed", message: "bad token" });
    const request = JSON.parse(body.toString("utf8")) as AgentSyncRequest;
    this.requests.push(request);
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(request)) {
        this.waiters = this.waiters.filter((entry) => entry !== waiter);
        waiter.resolve(request);
      }
    }
    if (this.failWith !== undefined) return send(this.failWith, { code: "Failure", message: "failing on purpose" });
    const facts = JSON.stringify(request.nodes);
    const unchanged = facts === this.lastFacts && request.knownVersion === this.version;
    this.lastFacts = facts;
    if (unchanged) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, request.waitInMs ?? 0);
        this.held.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const answer: AgentSyncResponse = {
      version: this.version,
      heartbeatIntervalInMs: 30_000,
      shutdown: this.shutdown,
      nodes: this.desired,
      ...(this.serverUrls === undefined ? {} : { serverUrls: this.serverUrls }),
    };
    send(200, answer);
  }
}

/** A desired node with test defaults. */
export function desiredNode(fields: Partial<DesiredNode> & Pick<DesiredNode, "nodeId">): DesiredNode {
  return {
    poolId: "pool-1",
    generation: 0,
    generationChange: "reboot",
    action: "run",
    isDedicated: true,
    taskSlots: 1,
    startTaskAttempt: 0,
    environment: { AZ_BATCH_POOL_ID: fields.poolId ?? "pool-1", AZ_BATCH_NODE_ID: fields.nodeId, AZ_BATCH_NODE_IS_DEDICATED: "true" },
    ...fields,
  };
}
