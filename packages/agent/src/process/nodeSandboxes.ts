/**
 * Long-lived sandboxes: one bubblewrap sandbox per node and OS account, with the agent's spawner (native/spawner.c)
 * running inside it as its first process, so that starting a task is one posix_spawn again instead of a new
 * sandbox per process (~30 ms of namespace and mount set-up, most of a trivial task's cost).
 *
 * The sandbox is the one sandbox.ts describes (the node at `/mnt/batch/tasks`, its own PID, IPC, mount and cgroup
 * namespaces, nothing else of the host), shared by the processes of one node that run as one account: the processes
 * of one Batch identity on one node, which share that account's files and may signal each other anyway. Identities
 * and nodes stay apart as before: each has a sandbox of its own. Task-scope identities (an account per run) keep a
 * sandbox per process.
 *
 * - In `accounts` mode bwrap starts the spawner as root with CAP_SETUID, CAP_SETGID and CAP_SETPCAP only; the
 *   spawner (`--drop UID GID`) takes the account as its real ids, empties its capability sets but those two, and
 *   starts every process with the account's ids and no capability (spawner.c). In `sandbox` mode the spawner runs as
 *   the agent's user in bwrap's user namespace.
 * - The spawner is the sandbox's PID 1: its processes cannot signal it (the kernel delivers no signal to a
 *   namespace's init that it does not handle), orphans become its children, and when it exits — the agent closes
 *   its stdin, or dies: `--die-with-parent` — the kernel kills everything in the sandbox.
 * - Pids are the sandbox's own: the agent signals a process group through the spawner (`signalGroup`), never with
 *   kill(2) on this host.
 * - A sandbox is started on its first launch and closed after `idleInMs` with no process left in it (the spawner
 *   says when it is empty: background processes keep it open), when its node restarts or leaves (`closeNode`:
 *   SIGTERM to everything in it, SIGKILL after the grace period) and when the agent stops.
 */
import type { Logger } from "../log.js";
import { LaunchError, SpawnerLauncher, type Launched, type Launcher, type LaunchRequest } from "./launchers.js";
import { nodeSandboxCommand, type SandboxTools } from "./sandbox.js";

export interface NodeSandboxOptions {
  readonly tools: SandboxTools;
  /** The spawner binary (launchers.ts `spawnerBinary`). */
  readonly spawner: string;
  readonly logger: Logger;
  /** How long an empty sandbox stays open for the next process. @default 10000 */
  readonly idleInMs?: number;
}

/** What a node sandbox is made for: the node's tree and `/tmp`, and the account its processes run as (accounts mode). */
export interface NodeSandboxKey {
  readonly nodeRoot: string;
  readonly tmpDirectory: string;
  readonly account?: { readonly uid: number; readonly gid: number };
}

/** One node's sandbox for one account, started on first use. */
class NodeSandbox implements Launcher {
  private spawner: SpawnerLauncher | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  /** Resolvers waiting for the sandbox to be empty (closeNode's grace). */
  private emptyWaiters: (() => void)[] = [];
  /** The spawner said the sandbox was empty, and nothing was launched since. */
  private isEmpty = true;

  constructor(
    private readonly key: NodeSandboxKey,
    private readonly options: NodeSandboxOptions,
    /** Called as the sandbox starts closing. */
    private readonly onClosed: (sandbox: NodeSandbox) => void,
  ) {}

  launch(request: LaunchRequest): Promise<Launched> {
    if (this.closing !== undefined) return Promise.reject(new LaunchError("EIO", "exec", "EIO: the node's sandbox is closing"));
    clearTimeout(this.idleTimer);
    this.isEmpty = false;
    this.spawner ??= this.start();
    return this.spawner.launch(request);
  }

  /** SIGTERM to everything in the sandbox, SIGKILL (its end) once it is empty or after `graceInMs`. */
  async close(graceInMs: number): Promise<void> {
    if (this.closing === undefined) {
      clearTimeout(this.idleTimer);
      const spawner = this.spawner;
      // Launches from now on start a fresh sandbox.
      this.onClosed(this);
      this.closing = (async () => {
        if (spawner === undefined) return;
        if (!(this.isEmpty && spawner.runningCount === 0)) {
          const empty = new Promise<void>((resolve) => this.emptyWaiters.push(resolve));
          // kill(-1) from the sandbox's first process reaches every other process of the sandbox.
          spawner.signalInside(-1, "SIGTERM");
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([empty, new Promise((resolve) => (timer = setTimeout(resolve, graceInMs)))]);
          clearTimeout(timer);
        }
        await spawner.close();
      })();
    }
    return this.closing;
  }

  private start(): SpawnerLauncher {
    const { tools, spawner, logger } = this.options;
    logger.log("debug", "starting a node sandbox", { nodeRoot: this.key.nodeRoot, uid: this.key.account?.uid });
    return new SpawnerLauncher(nodeSandboxCommand(tools, spawner, this.key, () => this.empty()));
  }

  private empty(): void {
    for (const resolve of this.emptyWaiters.splice(0)) resolve();
    if (this.closing !== undefined || this.spawner === undefined || this.spawner.runningCount > 0) return;
    this.isEmpty = true;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.spawner !== undefined && this.spawner.runningCount === 0) void this.close(0);
    }, this.options.idleInMs ?? 10_000);
    this.idleTimer.unref();
  }
}

/** The agent's node sandboxes, by node and account. */
export class NodeSandboxes {
  private readonly sandboxes = new Map<string, NodeSandbox>();

  constructor(private readonly options: NodeSandboxOptions) {}

  /** Launches into the sandbox of this node and account, started when there is none (or the last one is closing). */
  sandboxFor(key: NodeSandboxKey): Launcher {
    const name = `${key.nodeRoot}\u0000${key.account === undefined ? "" : `${key.account.uid}:${key.account.gid}`}`;
    return {
      launch: (request) => {
        let sandbox = this.sandboxes.get(name);
        if (sandbox === undefined) {
          const created: NodeSandbox = new NodeSandbox(key, this.options, () => {
            if (this.sandboxes.get(name) === created) this.sandboxes.delete(name);
          });
          this.sandboxes.set(name, created);
          sandbox = created;
        }
        return sandbox.launch(request);
      },
    };
  }

  /** Ends every sandbox of the node (a restart, a removal): SIGTERM, SIGKILL after `graceInMs`. */
  async closeNode(nodeRoot: string, graceInMs: number): Promise<void> {
    const prefix = `${nodeRoot}\u0000`;
    await Promise.all([...this.sandboxes].filter(([name]) => name.startsWith(prefix)).map(([, sandbox]) => sandbox.close(graceInMs)));
  }

  /** Ends every sandbox (the agent stops). */
  async close(graceInMs: number): Promise<void> {
    await Promise.all([...this.sandboxes.values()].map((sandbox) => sandbox.close(graceInMs)));
  }
}
