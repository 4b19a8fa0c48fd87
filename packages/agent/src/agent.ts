/**
 * The agent's composition root: `startAgent` opens the node host (with the saved local state), starts the
 * node-file server and the sync loop with the server, and wires them together — node changes wake the loop, the
 * loop's answers drive the nodes, the file server asks the host where a node's files are.
 *
 * The agent opens every connection itself: the sync, and the reverse file channel over which the server reads its
 * nodes' files (session/fileChannelClient.ts), relayed to the file server it runs on the loopback address only.
 *
 * Lifecycle: running until `close()`, a `shutdown: true` answer, or a 401/403 from the server. After a shutdown
 * answer the nodes it no longer lists are removed (killed, directories deleted) first, and once stopped the agent
 * deletes its state file and the pool directories it leaves empty. Stopping ends the sync
 * loop (no more desired state is applied), then every node's processes (SIGTERM, then SIGKILL after the grace
 * period; their outcomes recorded as `AgentRestarted`), then the file server, and saves the state.
 * `stopped` resolves with the reason once all of that is done; `close()` resolves at the same moment.
 */
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { hostname, userInfo } from "node:os";
import { resolve } from "node:path";
import { systemClock, type Clock } from "@openbatch/core";
import { createFileServer } from "./files/fileServer.js";
import { ServerUrls, parseServerUrls } from "./session/serverUrls.js";
import { FileChannelClient } from "./session/fileChannelClient.js";
import { detectHostAddress } from "./session/hostAddress.js";
import { openServerConnection } from "./session/serverConnection.js";
import { LocalStateFile, localStatePath } from "./localState.js";
import { createLogger, type Logger } from "./log.js";
import { isSafeId } from "./nodes/nodeLayout.js";
import { ApplicationPackageInstaller } from "./nodes/applicationPackages.js";
import { NodeHost } from "./nodes/nodeHost.js";
import { OsUsers, osUserSupport } from "./nodes/osUsers.js";
import { OsUserRegistry, osUserRegistryDirectory } from "./nodes/osUserRegistry.js";
import { TaskIdentities, taskIdentityRegistryDirectory } from "./nodes/taskIdentities.js";
import { existsSync } from "node:fs";
import { spawnerBinary } from "./process/launchers.js";
import { NodeSandboxes } from "./process/nodeSandboxes.js";
import { detectIsolation, isolationWarning, type Isolation } from "./process/sandbox.js";
import { detectContainerRuntime, type RuntimeDetection } from "./containers/runtime.js";
import type { BackoffOptions } from "./session/backoff.js";
import { SyncLoop, type SyncStopReason } from "./session/syncLoop.js";

export interface AgentOptions {
  /**
   * The server's base URL (`http://127.0.0.1:7200`), or the URLs of several replicas, comma-separated: the agent
   * talks to one at a time and fails over to the next (session/serverUrls.ts).
   */
  readonly serverUrl: string;
  /** Given by the server with the token; `[A-Za-z0-9_-]`. */
  readonly agentId: string;
  readonly token: string;
  /** Where node directories and the state file live; created if missing. */
  readonly dataDirectory: string;
  /**
   * The host's address reported to the server (the nodes' `ipAddress`, where remote login points). @default the
   * address this host reaches the server from
   */
  readonly hostIp?: string;
  /** The loopback file server's port. @default 0 (any free port) */
  readonly fileServerPort?: number;
  /** PEM file of the CAs to verify an `https://` server with (default: the system's). */
  readonly caFile?: string;
  /** Trust exactly the certificate(s) of `caFile`, whatever names they carry (agents of the local provider). */
  readonly pinCertificate?: boolean;
  /** Where the agent's own log files are (its Batch service logs, served to the server on request). */
  readonly serviceLogDirectory?: string;
  /** The longest the server may hold a sync request. @default 20000 */
  readonly waitInMs?: number;
  /** How long reports of busy nodes' task runs may be held to go out together (SyncLoop). @default 10 */
  readonly reportBatchingInMs?: number;
  /** Time between SIGTERM and SIGKILL when ending processes. @default 5000 */
  readonly killGracePeriodInMs?: number;
  /** Reconnection back-off. @default 100 ms doubling to 5 s */
  readonly backoff?: BackoffOptions;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default JSON lines on stderr */
  readonly logger?: Logger;
  /** @default os.hostname() */
  readonly hostname?: string;
  /** @default a random UUID */
  readonly bootId?: string;
  /** Aborting closes the agent, as `close()` does. */
  readonly signal?: AbortSignal;
  /**
   * How the node's processes are isolated (process/sandbox.ts). @default what `detectIsolation` finds on this host:
   * a sandbox, and OS accounts per Batch identity when the agent runs as root.
   */
  readonly isolation?: Isolation;
  /** Time between samples of the nodes' memory and disk (usage/nodeResources.ts). @default 30000 */
  readonly resourceSampleIntervalInMs?: number;
  /** The container runtime (containers/runtime.ts). @default what `detectContainerRuntime` finds on this host */
  readonly containers?: RuntimeDetection;
}

export type AgentStopReason = SyncStopReason;

export interface Agent {
  readonly agentId: string;
  readonly bootId: string;
  /** `http://127.0.0.1:<port>` of the node-file server. */
  readonly fileServerUrl: string;
  /** Resolves once the agent has stopped, with the reason. */
  readonly stopped: Promise<AgentStopReason>;
  /** Resolves when every node has nothing left to do for now (tests). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

function readAgentVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof manifest.version === "string" ? manifest.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export const agentVersion = readAgentVersion();

export async function startAgent(options: AgentOptions): Promise<Agent> {
  if (!isSafeId(options.agentId)) throw new Error("The agent id must consist of letters, digits, '_' and '-'.");
  if (options.token === "") throw new Error("The agent token must not be empty.");
  let servers: ServerUrls;
  try {
    servers = new ServerUrls(parseServerUrls(options.serverUrl));
  } catch {
    throw new Error("The server URL is not a valid URL (or comma-separated list of URLs).");
  }
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? createLogger({ redact: [options.token] })).child({ agentId: options.agentId });
  const dataDirectory = resolve(options.dataDirectory);
  const connection = openServerConnection({
    serverUrl: servers.current,
    ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
    ...(options.pinCertificate === true ? { pinCertificate: true } : {}),
  });
  const hostIp = options.hostIp ?? (await detectHostAddress(new URL(servers.current)));
  const killGracePeriodInMs = options.killGracePeriodInMs ?? 5000;
  // Node trees, the agent's state and the OS-account registries: nobody else's business (tasks see their node only).
  await mkdir(dataDirectory, { recursive: true, mode: 0o700 });

  const osUsers = osUserSupport(process.env, process.platform, process.getuid?.());
  const isolation = options.isolation ?? (await detectIsolation(process.env, process.platform, process.getuid?.(), existsSync(spawnerBinary) ? spawnerBinary : undefined));
  const spawner = isolation.tools?.spawner;
  const sandboxes = isolation.tools === undefined || spawner === undefined ? undefined : new NodeSandboxes({ tools: isolation.tools, spawner, logger });
  const warning = isolationWarning(isolation);
  if (isolation.mode === "none") logger.log("warn", warning ?? "tasks are not isolated", { isolation: isolation.mode });
  else logger.log("info", warning ?? "tasks are isolated: each runs in a sandbox as the OS account of its Batch identity", { isolation: isolation.mode });
  const containers = options.containers ?? (await detectContainerRuntime(process.env, process.platform));
  if (containers.runtime === undefined) logger.log("info", "no container runtime: container pools and container tasks cannot run here", { reason: containers.reason });
  else logger.log("info", "container runtime found", { runtime: containers.runtime.name, version: containers.runtime.version, rootless: containers.runtime.rootless });
  let loop: SyncLoop | undefined;
  const nodes = await NodeHost.open({
    agentId: options.agentId,
    dataDirectory,
    stateFile: new LocalStateFile(localStatePath(dataDirectory, options.agentId)),
    clock,
    logger,
    killGracePeriodInMs,
    systemPath: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    userName: userInfo().username,
    onChange: () => loop?.wake(),
    applicationPackages: new ApplicationPackageInstaller({
      get serverUrl() {
        return servers.current;
      },
      token: options.token,
      fetch: connection.fetch,
    }),
    ...(osUsers.enabled
      ? { osUsers: new OsUsers({ agentId: options.agentId, registry: new OsUserRegistry(osUserRegistryDirectory(dataDirectory)), logger }) }
      : { osUsersDisabled: osUsers.reason }),
    isolation,
    ...(sandboxes === undefined ? {} : { sandboxes }),
    resourceSampleIntervalInMs: options.resourceSampleIntervalInMs ?? 30_000,
    ...(isolation.mode === "accounts"
      ? { identities: new TaskIdentities({ agentId: options.agentId, registry: new OsUserRegistry(taskIdentityRegistryDirectory(dataDirectory)), logger }) }
      : {}),
    containers,
  });
  let fileServer;
  try {
    fileServer = await createFileServer({
      // Only the agent itself talks to it: the server reaches node files over the agent's own connection.
      host: "127.0.0.1",
      port: options.fileServerPort ?? 0,
      token: options.token,
      nodeRoot: (nodeId) => nodes.nodeRoot(nodeId),
      ...(options.serviceLogDirectory === undefined ? {} : { serviceLogDirectory: options.serviceLogDirectory }),
      logger,
    });
  } catch (error) {
    await nodes.close();
    throw error;
  }
  const files = fileServer;
  const channel = new FileChannelClient({
    servers,
    fetch: connection.fetch,
    token: options.token,
    fileServerUrl: files.url,
    logger,
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
  });
  loop = new SyncLoop({
    servers,
    fetch: connection.fetch,
    token: options.token,
    agentId: options.agentId,
    ...(options.bootId === undefined ? {} : { bootId: options.bootId }),
    fileServerUrl: files.url,
    host: {
      hostname: options.hostname ?? hostname(),
      ipAddress: hostIp,
      agentVersion,
      ...(containers.runtime === undefined ? {} : { containerRuntime: { name: containers.runtime.name, version: containers.runtime.version, rootless: containers.runtime.rootless } }),
    },
    ...(options.waitInMs === undefined ? {} : { waitInMs: options.waitInMs }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    logger,
    reports: () => nodes.reports(),
    hasWorkQueued: (nodeId) => nodes.hasWorkQueued(nodeId),
    ...(options.reportBatchingInMs === undefined ? {} : { reportBatchingInMs: options.reportBatchingInMs }),
    onReconnected: () => channel.reconnect(),
    onServersLearned: () => channel.addServers(),
    apply: (response, sentAt) => nodes.apply(response.nodes, response.dispatchLeaseInMs === undefined ? undefined : sentAt + response.dispatchLeaseInMs),
  });
  const session = loop;
  logger.log("info", "agent started", { bootId: session.bootId, fileServerUrl: files.url, dataDirectory, server: new URL(servers.current).origin, servers: servers.all });

  const stopped = session.stopped.then(async (reason) => {
    // A shutdown answer lists no nodes: let the removal of any node still hosted finish first.
    if (reason === "shutdown") await nodes.settled();
    await nodes.close();
    // Retired by the server: nothing of this agent is left to remember.
    if (reason === "shutdown") await nodes.retire();
    await channel.close();
    await files.close();
    await connection.close();
    logger.log("info", "agent stopped", { reason });
    return reason;
  });
  const onAbort = (): void => void session.close();
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  void stopped.finally(() => options.signal?.removeEventListener("abort", onAbort));
  return {
    agentId: options.agentId,
    bootId: session.bootId,
    fileServerUrl: files.url,
    stopped,
    settled: () => nodes.settled(),
    async close() {
      await session.close();
      await stopped;
    },
  };
}
