/**
 * The set of nodes this agent hosts: applies each desired state from the server to them, collects their reports,
 * keeps the local state file current, and tells the file server where a node's files are.
 *
 * Applying a desired state never waits for the work it causes (killing, deleting, running a start task): each
 * node converges in the background and `onChange` fires whenever a reportable fact changed, so the sync loop can
 * report it at once.
 *
 * Membership: a desired node the agent does not host is created; a hosted node the desired state does not list
 * is removed like one with `action: "remove"`, and forgotten once it is removed and still not listed. Desired
 * nodes whose pool or node id cannot name a directory are ignored (and logged once): the server only generates
 * `[A-Za-z0-9_-]` ids.
 *
 * Node users: the users of every node that runs go to `osUsers` (nodes/osUsers.ts) with each desired state.
 *
 * Resources: every `resourceSampleIntervalInMs` the nodes' memory and disk are sampled (usage/nodeResources.ts); each
 * report carries its node's latest sample.
 */
import { rmdir } from "node:fs/promises";
import { join } from "node:path";
import type { AgentNodeReport, DesiredNode, DesiredNodeUser } from "@openbatch/protocol";
import type { Clock } from "@openbatch/core";
import { localStateVersion, type LocalStateFile } from "../localState.js";
import type { Logger } from "../log.js";
import type { ApplicationPackageInstaller } from "./applicationPackages.js";
import { HostedNode } from "./hostedNode.js";
import type { NodeContext } from "./nodeContext.js";
import { isSafeId } from "./nodeLayout.js";
import type { NodeKey, OsUsers } from "./osUsers.js";
import type { TaskIdentities } from "./taskIdentities.js";
import type { Isolation } from "../process/sandbox.js";
import type { NodeSandboxes } from "../process/nodeSandboxes.js";
import { NodeResourceSampler } from "../usage/nodeResources.js";
import type { RuntimeDetection } from "../containers/runtime.js";

export interface NodeHostOptions {
  readonly agentId: string;
  readonly dataDirectory: string;
  readonly stateFile: LocalStateFile;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly killGracePeriodInMs: number;
  readonly systemPath: string;
  readonly userName: string;
  /** A reportable fact changed. */
  readonly onChange: () => void;
  readonly applicationPackages: ApplicationPackageInstaller;
  /** Makes node users OS accounts; absent: they stay records, for the reason `osUsersDisabled` gives. */
  readonly osUsers?: OsUsers;
  readonly osUsersDisabled?: string;
  /** How processes are isolated (process/sandbox.ts). */
  readonly isolation: Isolation;
  /** Batch identities as OS accounts, in `accounts` mode (nodes/taskIdentities.ts). */
  readonly identities?: TaskIdentities;
  /** Long-lived sandboxes per node and account, where they work (process/nodeSandboxes.ts). */
  readonly sandboxes?: NodeSandboxes;
  /** Time between samples of the nodes' memory and disk. @default 30000 */
  readonly resourceSampleIntervalInMs?: number;
  /** The container runtime this agent found, or why it has none (containers/runtime.ts). */
  readonly containers: RuntimeDetection;
}

export class NodeHost {
  private readonly nodes = new Map<string, HostedNode>();
  private readonly refused = new Set<string>();
  /** Every pool this host had a node of: their directories are removed on retirement once empty. */
  private readonly poolIds = new Set<string>();
  private readonly context: NodeContext;
  private closed = false;
  /** The state file is gone for good: nothing is saved any more. */
  private retired = false;
  private toldUsersAreRecords = false;
  /** The end of the dispatch lease of the desired state applied last (performance.now() time); none: no limit. */
  private startRunsUntil: number | undefined;
  /** A change was noted in this turn of the event loop and will be passed on once at its end. */
  private changeNoted = false;
  private readonly resources: NodeResourceSampler;

  private constructor(private readonly options: NodeHostOptions) {
    this.resources = new NodeResourceSampler(
      () => [...this.nodes.values()].map((node) => ({ nodeId: node.nodeId, root: node.servedRoot, processGroups: node.runningGroups })),
      options.resourceSampleIntervalInMs ?? 30_000,
    );
    this.context = {
      dataDirectory: options.dataDirectory,
      clock: options.clock,
      logger: options.logger,
      killGracePeriodInMs: options.killGracePeriodInMs,
      systemPath: options.systemPath,
      userName: options.userName,
      // Passed on once per turn: the sync loop compares every node's report and the state names every node, so
      // hundreds of nodes changing in one turn (a desired state applied, a burst of exits) must not cost that
      // hundreds of times.
      changed: () => {
        if (this.changeNoted) return;
        this.changeNoted = true;
        setImmediate(() => {
          this.changeNoted = false;
          options.onChange();
          this.persist().catch((error: unknown) => options.logger.log("error", "saving the agent state failed", { error }));
        });
      },
      persist: () => this.persist(),
      mayStartRuns: () => this.startRunsUntil === undefined || performance.now() < this.startRunsUntil,
      applicationPackages: options.applicationPackages,
      isolation: options.isolation,
      ...(options.identities === undefined ? {} : { identities: options.identities }),
      ...(options.sandboxes === undefined ? {} : { sandboxes: options.sandboxes }),
      containers: options.containers,
    };
  }

  /** Opens the host with the nodes of the saved state (if any), ending processes a crashed agent left behind. */
  static async open(options: NodeHostOptions): Promise<NodeHost> {
    const host = new NodeHost(options);
    const { state, problem } = await options.stateFile.load();
    if (problem !== undefined) options.logger.log("warn", problem);
    if (state !== undefined && state.agentId !== options.agentId) {
      options.logger.log("warn", "the state file belongs to another agent id; ignoring it", { stateAgentId: state.agentId });
    } else {
      for (const saved of state?.nodes ?? []) {
        if (!isSafeId(saved.poolId) || !isSafeId(saved.nodeId)) continue;
        const node = HostedNode.restore(saved, host.context);
        host.nodes.set(saved.nodeId, node);
        host.poolIds.add(saved.poolId);
        await node.recover();
      }
      if (host.nodes.size > 0) options.logger.log("info", "restored nodes from the state file", { nodes: host.nodes.size });
    }
    // Accounts held for nodes this agent no longer hosts, or for runs that died with the previous process, go.
    await options.identities?.recover(new Set([...host.nodes.values()].map((node) => node.key)));
    await host.persist();
    host.resources.start();
    return host;
  }

  /**
   * Applies the full desired state; returns at once (the nodes converge in the background). `startRunsUntil`
   * (performance.now() time) ends the dispatch lease it comes with (agentProtocol.ts `dispatchLeaseInMs`).
   */
  apply(desired: readonly DesiredNode[], startRunsUntil?: number): void {
    if (this.closed) return;
    this.startRunsUntil = startRunsUntil;
    const wanted = new Map<string, DesiredNode>();
    for (const node of desired) {
      if (isSafeId(node.nodeId) && isSafeId(node.poolId)) {
        wanted.set(node.nodeId, node);
      } else if (!this.refused.has(`${node.poolId}/${node.nodeId}`)) {
        this.refused.add(`${node.poolId}/${node.nodeId}`);
        this.options.logger.log("error", "ignoring a desired node whose id cannot name a directory", { poolId: node.poolId, nodeId: node.nodeId });
      }
    }
    let forgot = false;
    for (const [nodeId, node] of this.nodes) {
      if (wanted.has(nodeId)) continue;
      node.setDesired(undefined);
      if (node.forgettable) {
        this.nodes.delete(nodeId);
        forgot = true;
      }
    }
    for (const node of wanted.values()) {
      let hosted = this.nodes.get(node.nodeId);
      if (hosted === undefined) {
        hosted = HostedNode.create(node, this.context);
        this.nodes.set(node.nodeId, hosted);
        this.poolIds.add(node.poolId);
        this.context.changed();
      }
      hosted.setDesired(node);
    }
    if (forgot) this.context.changed();
    this.applyUsers(wanted);
  }

  /** Nodes that run want their users as OS accounts; a node leaving, or not listed, wants none. */
  private applyUsers(wanted: ReadonlyMap<string, DesiredNode>): void {
    const { osUsers, osUsersDisabled, logger } = this.options;
    if (osUsers === undefined) {
      if (!this.toldUsersAreRecords && [...wanted.values()].some((node) => (node.users?.length ?? 0) > 0)) {
        this.toldUsersAreRecords = true;
        logger.log("info", "node users are not made OS accounts on this host: they stay records", { reason: osUsersDisabled ?? "disabled" });
      }
      return;
    }
    const users = new Map<NodeKey, readonly DesiredNodeUser[]>();
    for (const node of wanted.values()) {
      if (node.action === "run") users.set(`${node.poolId}/${node.nodeId}`, node.users ?? []);
    }
    osUsers.apply(users);
  }

  reports(): AgentNodeReport[] {
    return [...this.nodes.values()].map((node) => {
      const report = node.report();
      const resources = report.phase === "removed" ? undefined : this.resources.sampleOf(node.nodeId);
      return resources === undefined ? report : { ...report, resources };
    });
  }

  /** Whether reports of the node's task runs may wait a little (HostedNode.hasWorkQueued); false for a node not hosted. */
  hasWorkQueued(nodeId: string): boolean {
    return this.nodes.get(nodeId)?.hasWorkQueued() === true;
  }

  /** Samples every node's memory and disk now (tests). */
  sampleResources(): Promise<void> {
    return this.resources.sample();
  }

  /** The root directory of a hosted node the file server may serve. */
  nodeRoot(nodeId: string): string | undefined {
    return this.nodes.get(nodeId)?.servedRoot;
  }

  /** Resolves when every node has nothing left to do for now (tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((node) => node.settled()));
    await this.options.osUsers?.settled();
  }

  /** Ends every node's processes and saves the final state. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.resources.stop();
    await Promise.all([...this.nodes.values()].map((node) => node.close()));
    await this.options.sandboxes?.close(this.options.killGracePeriodInMs);
    // Commands under way finish (none is cut half-way); nothing new starts, as no desired state is applied.
    await this.options.osUsers?.settled();
    await this.persist();
    await this.options.stateFile.flush();
  }

  /**
   * After `close()` on a shutdown (the server has no node left for this agent): deletes the state file and each
   * pool directory this host used that is now empty (other agents may still have nodes there; the last to leave
   * removes it). Kept as they are when a node could not be removed, so a later run can finish the job.
   */
  async retire(): Promise<void> {
    const leftover = [...this.nodes.values()].filter((node) => !node.forgettable);
    if (leftover.length > 0) {
      this.options.logger.log("warn", "keeping the state file: some nodes could not be removed", { nodes: leftover.map((node) => node.nodeId) });
      return;
    }
    this.retired = true;
    await this.options.stateFile.remove();
    for (const poolId of this.poolIds) {
      try {
        await rmdir(join(this.options.dataDirectory, poolId));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "ENOTEMPTY" && code !== "EEXIST") this.options.logger.log("warn", "could not remove a pool directory", { poolId, error });
      }
    }
  }

  private persist(): Promise<void> {
    if (this.retired) return Promise.resolve();
    return this.options.stateFile.save(() => ({
      version: localStateVersion,
      agentId: this.options.agentId,
      nodes: [...this.nodes.values()].map((node) => node.persisted()),
    }));
  }
}
