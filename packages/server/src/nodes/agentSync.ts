/**
 * The server's side of the agent protocol (packages/protocol/src/agentProtocol.ts): applies an agent's reports to
 * its nodes and answers with the desired state of every node assigned to it.
 *
 * An agent may only act on nodes assigned to it: reports about other nodes are ignored. Applying reports is one
 * store transaction; each node's new state comes from the pure `nextNodeState`. A node that reports `removed`
 * after it was asked to leave is deleted. The answer is held (long poll) while the desired state is the one the
 * agent already has (`knownVersion`, a digest of the desired state) and nothing changed, until the pool is
 * notified or `waitInMs` passes.
 */
import { createHash } from "node:crypto";
import { canonicalJson, formatTimestamp, type Clock } from "@openbatch/core";
import type { AgentNodeReport, AgentSyncRequest, CloudPool, DesiredNode, DesiredNodeUser, NodeCertificateFile, ProcessOutcome, ResourceFile, TaskInformation } from "@openbatch/protocol";
import type { ReadTx, Store, WriteTx } from "@openbatch/store";
import { nodeCertificateFiles } from "../certificates/nodeCertificates.js";
import { restartIfDrained } from "../lifecycle/nodeOperations.js";
import { removeNode, reportedChanges, reportedNode, writeNode } from "../lifecycle/nodes.js";
import { runFinished, runStarted, runWithdrawn } from "../lifecycle/runReports.js";
import { measuredNodeRuns } from "../lifecycle/statistics.js";
import type { AgentRecord } from "../records/agents.js";
import { listAll } from "../records/listAll.js";
import { nodeRef, runningCounts, type NodeRecord, type NodeTaskAssignment, type NodeUserRecord, type StoredNode } from "../records/nodes.js";
import { recentSubtaskOf, recentTaskOf, withRecentTask } from "../records/recentTasks.js";
import { taskRef, type TaskRecord } from "../records/tasks.js";
import type { AgentIdentity } from "./agentTokens.js";
import type { PoolNotifier } from "./notifier.js";
import { checkNodeClaims } from "./nodeClaims.js";

export interface AgentSyncOptions {
  readonly store: Store;
  readonly notifier: PoolNotifier;
  readonly clock: Clock;
  /** The account's URL as tasks see it (`AZ_BATCH_ACCOUNT_URL`). */
  readonly accountUrl: (account: string) => string;
  /** How often an idle agent must sync; also the longest a long poll is held. */
  readonly heartbeatIntervalInMs: number;
  /**
   * How long after sending a request its agent may still start task runs without a newer answer (agentProtocol.ts
   * `dispatchLeaseInMs`): below the node heartbeat timeout, after which this server gives the agent's nodes up.
   */
  readonly dispatchLeaseInMs: number;
  /**
   * Turns `autoStorageContainerName` resource files into SAS container URLs before they reach an agent
   * (storage/autoStorage.ts); absent when no auto-storage account is configured.
   */
  readonly resolveResourceFiles?: (files: readonly ResourceFile[], now: Date) => ResourceFile[];
  /**
   * Whether desired nodes carry their user accounts, for agents running as root to make OS accounts of them
   * (`nodeOsUsers`). Off, agents get none, so accounts they made earlier are deleted.
   */
  readonly nodeOsUsers: boolean;
  /** Accounts whose nodes may use every containerRunOptions (ServerOptions.unrestrictedContainerAccounts). */
  readonly unrestrictedContainerAccounts?: ReadonlySet<string>;
  /** Called on every sync: the heartbeat. */
  readonly onHeartbeat: (identity: AgentIdentity, now: Date) => void;
  /** Called when an agent with no nodes left is told to shut down. */
  readonly onRetired?: (identity: AgentIdentity) => void;
  /** The server URLs agents may fail over to (replicas: cluster/replica.ts); absent from a single server. */
  readonly serverUrls?: () => string[];
}

interface Applied {
  readonly desired: DesiredJson[];
  readonly nodesChanged: boolean;
}

/** One node's desired state as sent: its JSON text and a digest of it, made once per version of the node's row. */
interface DesiredJson {
  readonly json: string;
  readonly digest: Buffer;
}

/** A cached desired state: valid for the row version (ETag) and SAS window it was made from. */
interface CachedDesired extends DesiredJson {
  readonly eTag: string;
  readonly window: number;
}

function desiredUser(user: NodeUserRecord): DesiredNodeUser {
  return {
    name: user.name,
    isAdmin: user.isAdmin,
    expiryTime: user.expiryTime,
    ...(user.passwordHash === undefined ? {} : { passwordHash: user.passwordHash }),
    ...(user.sshPublicKey === undefined ? {} : { sshPublicKey: user.sshPublicKey }),
  };
}

/** The desired-state version of a set of nodes: from their digests, so that no JSON is hashed twice. */
function versionOf(nodes: readonly DesiredJson[]): number {
  const hash = createHash("sha256");
  for (const node of nodes) hash.update(node.digest);
  return hash.digest().readUInt32BE(0);
}

/** How often an agent's row is brought up to date when nothing in it changed but its last-seen time and CPU reading. */
const agentRowRefreshInMs = 5000;

export class AgentSync {
  /** The digest of the facts each agent last sent. */
  private readonly lastFacts = new Map<string, string>();
  /** Each agent's nodes' desired states as last sent, by node id. */
  private readonly desiredCache = new Map<string, Map<string, CachedDesired>>();

  constructor(private readonly options: AgentSyncOptions) {}

  /** One exchange: applies the agent's facts, answers with the desired state of its nodes (AgentSyncResponse as JSON text). */
  async sync(identity: AgentIdentity, request: AgentSyncRequest): Promise<string> {
    const now = this.options.clock.now();
    this.options.onHeartbeat(identity, now);
    // What the reports caused — slots freed, jobs ended, nodes reached — is recorded as effects in the transaction.
    const applied = await this.options.store.write((tx) => this.apply(tx, identity, request, now));
    let desired = applied.desired;
    // New facts are answered at once (the agent counts on it), even when they changed no record.
    const agentKey = this.agentKey(identity);
    const facts = createHash("sha256").update(JSON.stringify(request.nodes)).digest("base64");
    const factsChanged = this.lastFacts.get(agentKey) !== facts;
    this.lastFacts.set(agentKey, facts);
    const unchanged = !applied.nodesChanged && !factsChanged && request.knownVersion === versionOf(desired);
    if (unchanged && desired.length > 0) {
      await this.options.notifier.wait(identity.account, identity.poolId, Math.min(request.waitInMs ?? 0, this.options.heartbeatIntervalInMs));
      desired = await this.options.store.read(async (tx) => {
        const nodes = await this.assigned(tx, identity);
        const taskSlots = await this.taskSlotsOf(tx, identity, nodes);
        return Promise.all(nodes.map(async (node) => this.desiredNode(tx, identity, node, taskSlots)));
      });
    }
    const shutdown = desired.length === 0 && (await this.retireIfEmpty(identity));
    // Replicas tell their agents every server they may fail over to (at most 64).
    const serverUrls = this.options.serverUrls === undefined ? "" : `"serverUrls":${JSON.stringify(this.options.serverUrls().slice(0, 64))},`;
    return `{"version":${versionOf(desired)},"heartbeatIntervalInMs":${this.options.heartbeatIntervalInMs},"shutdown":${shutdown},"dispatchLeaseInMs":${this.options.dispatchLeaseInMs},${serverUrls}"nodes":[${desired.map((node) => node.json).join(",")}]}`;
  }

  private agentKey(identity: AgentIdentity): string {
    return `${identity.account}\u0000${identity.poolId.toLowerCase()}\u0000${identity.agentId}`;
  }

  private async apply(tx: WriteTx, identity: AgentIdentity, request: AgentSyncRequest, now: Date): Promise<Applied> {
    const agentRef = { account: identity.account, kind: "agent" as const, scope: identity.poolId, id: identity.agentId };
    const agent = await tx.get<AgentRecord>(agentRef);
    if (agent !== undefined) {
      const record: AgentRecord = {
        ...agent.body,
        fileServerUrl: request.fileServerUrl,
        bootId: request.bootId,
        hostname: request.host.hostname,
        ipAddress: request.host.ipAddress,
        agentVersion: request.host.agentVersion,
        ...(request.host.cpuPercent === undefined ? {} : { cpuPercent: request.host.cpuPercent }),
        ...(request.host.containerRuntime === undefined ? {} : { containerRuntime: request.host.containerRuntime }),
        lastSeen: formatTimestamp(now),
      };
      // Written when the agent's facts about itself change, else now and then: an exchange per finished task must
      // not rewrite the row each time for its last-seen time.
      const stale = now.getTime() - (Date.parse(agent.body.lastSeen ?? "") || 0) >= agentRowRefreshInMs;
      const moved = agent.body.fileServerUrl !== record.fileServerUrl || agent.body.bootId !== record.bootId || agent.body.hostname !== record.hostname || agent.body.ipAddress !== record.ipAddress || agent.body.agentVersion !== record.agentVersion ||
        canonicalJson(agent.body.containerRuntime) !== canonicalJson(record.containerRuntime);
      if (stale || moved) await tx.replace<AgentRecord>(agentRef, record, now);
    }
    const reports = new Map(request.nodes.map((report) => [report.nodeId.toLowerCase(), inServiceTime(report)]));
    const { account, poolId } = identity;
    let nodesChanged = false;
    const desired: DesiredJson[] = [];
    const nodes = await this.assigned(tx, identity);
    await checkNodeClaims(tx, identity, request.nodes, nodes);
    const taskSlots = await this.taskSlotsOf(tx, identity, nodes);
    for (const node of nodes) {
      const report = reports.get(node.id.toLowerCase());
      if (report !== undefined && report.phase === "removed" && node.body._ob.action === "remove") {
        await removeNode(tx, account, poolId, node.body, now);
        nodesChanged = true;
        continue;
      }
      const reported = report === undefined ? node.body : await this.applyTaskReports(tx, identity, node.body, report, now);
      // A reboot or reimage that waited for the node's tasks (taskcompletion) happens once none is left — checked
      // on every exchange, since a run can also leave the node without a report (a withdrawn held run).
      const withTasks = await restartIfDrained(tx, account, poolId, reported, now);
      const updated = report === undefined ? withTasks : reportedNode(tx, account, poolId, withTasks, report, request, now);
      let current: StoredNode = node;
      if (withTasks !== node.body || reportedChanges(node.body, updated)) {
        // This agent is being answered now; other agents of the pool have nothing to learn from its nodes.
        current = await writeNode(tx, account, poolId, node.body, updated, now, { answered: true });
        nodesChanged = true;
      }
      desired.push(await this.desiredNode(tx, identity, current, taskSlots));
    }
    this.forgetOthers(identity, nodes);
    return { desired, nodesChanged };
  }

  /** Drops cached desired states of nodes the agent no longer hosts. */
  private forgetOthers(identity: AgentIdentity, nodes: readonly StoredNode[]): void {
    const cache = this.desiredCache.get(this.agentKey(identity));
    if (cache === undefined || cache.size <= nodes.length) return;
    const kept = new Set(nodes.map((node) => node.id));
    for (const id of cache.keys()) if (!kept.has(id)) cache.delete(id);
  }

  /** The pool's task slots per node, for nodes made before their row kept it. */
  private async taskSlotsOf(tx: ReadTx, identity: AgentIdentity, nodes: readonly StoredNode[]): Promise<number> {
    if (nodes.every((node) => node.body._ob.taskSlots !== undefined)) return 1;
    const pool = await tx.get<CloudPool>({ account: identity.account, kind: "pool", scope: "", id: identity.poolId });
    return pool?.body.taskSlotsPerNode ?? 1;
  }

  /**
   * Applies what one node report says of its task runs: runs begun (their tasks `running`, lifecycle/runReports.ts
   * `runStarted`), runs withdrawn before they began (their tasks placeable again), and finished runs, each of which
   * leaves the node (freeing its slots) and moves its task on (`taskAfterRun`) — unless the task was deleted or has
   * moved to another attempt. Returns the node unchanged (same object) when the report changes nothing.
   */
  private async applyTaskReports(
    tx: WriteTx,
    identity: AgentIdentity,
    node: NodeRecord,
    report: AgentNodeReport,
    now: Date,
  ): Promise<NodeRecord> {
    const reports = report.tasks ?? [];
    if (reports.length === 0) return node;
    const assignments = node._ob.assignments ?? [];
    const byId = new Map(assignments.map((assignment) => [assignment.assignmentId, assignment]));
    const begun: [NodeTaskAssignment, ProcessOutcome][] = [];
    const finished = new Map<string, ProcessOutcome>();
    const withdrawn: NodeTaskAssignment[] = [];
    for (const taskReport of reports) {
      const assignment = byId.get(taskReport.assignmentId);
      if (assignment === undefined) continue;
      if (taskReport.withdrawn === true) {
        if (assignment.started !== true) withdrawn.push(assignment);
        continue;
      }
      const outcome = taskReport.outcome;
      if (outcome === undefined) continue;
      // A run killed before it began is reported ended without having run: nothing starts.
      if (assignment.started !== true && !(assignment.kill === true && outcome.state === "completed" && outcome.exitCode === undefined)) begun.push([assignment, outcome]);
      if (outcome.state === "completed") finished.set(assignment.assignmentId, outcome);
    }
    if (begun.length === 0 && finished.size === 0 && withdrawn.length === 0) return node;
    const { account, poolId } = identity;
    const time = formatTimestamp(now);
    let current = node;
    for (const [assignment, outcome] of begun) current = await runStarted(tx, account, poolId, current, assignment, outcome, time, now);
    if (withdrawn.length > 0) {
      for (const assignment of withdrawn) await runWithdrawn(tx, account, assignment, now);
      const gone = new Set(withdrawn.map((assignment) => assignment.assignmentId));
      current = { ...current, _ob: { ...current._ob, assignments: (current._ob.assignments ?? []).filter((assignment) => !gone.has(assignment.assignmentId)) } };
    }
    if (finished.size === 0) return current;
    // A finished run's job may end and mark this node's other runs `kill`: those paths read the node from the store,
    // so it is written first, and the runs leave the stored record afterwards.
    if (current !== node) await writeNode(tx, account, poolId, node, current, now, { answered: true });
    let succeeded = 0;
    const recent: TaskInformation[] = [];
    for (const assignment of assignments) {
      const outcome = finished.get(assignment.assignmentId);
      if (outcome === undefined) continue;
      if (outcome.failure === undefined && outcome.exitCode === 0) succeeded++;
      const task = await runFinished(tx, account, poolId, node.id, assignment, outcome, time, now);
      if (assignment.role !== undefined) continue;
      const entry = task === undefined ? await this.recentTaskOf(tx, account, assignment) : recentTaskOf(task, assignment.jobId);
      if (entry !== undefined) recent.push(entry);
    }
    // What the finished runs used counts for the node (lifecycle/statistics.ts).
    const fresh = measuredNodeRuns((await tx.get<NodeRecord>(nodeRef(account, poolId, node.id)))?.body ?? current, [...finished.values()]);
    const remaining = (fresh._ob.assignments ?? []).filter((assignment) => !finished.has(assignment.assignmentId));
    let after: NodeRecord = {
      ...fresh,
      ...runningCounts(remaining),
      totalTasksRun: (fresh.totalTasksRun ?? 0) + finished.size,
      totalTasksSucceeded: (fresh.totalTasksSucceeded ?? 0) + succeeded,
      _ob: { ...fresh._ob, assignments: remaining },
    };
    for (const entry of recent) after = withRecentTask(after, entry);
    return after;
  }

  /** A finished run's recent-task entry, showing its task's (or instance's) state now; read for runs that were not the task's own. */
  private async recentTaskOf(tx: WriteTx, account: string, assignment: NodeTaskAssignment): Promise<TaskInformation | undefined> {
    const task = await tx.get<TaskRecord>(taskRef(account, assignment.jobId, assignment.taskId));
    if (task === undefined) return undefined;
    const instance = assignment.subtaskId === undefined || assignment.subtaskId === 0 ? undefined : task.body._ob.multiInstance?.instances.find((entry) => entry.id === assignment.subtaskId);
    return instance === undefined ? recentTaskOf(task.body, assignment.jobId) : recentSubtaskOf(task.body, assignment.jobId, instance);
  }

  /**
   * The node's desired state as sent. Made once per version of the node's row (and SAS window): an exchange that
   * changes nothing of a node re-sends the text it made before, without rebuilding or re-serialising it. Nodes with
   * certificates are made each time (the certificates are rows of their own).
   */
  private async desiredNode(tx: ReadTx, identity: AgentIdentity, node: StoredNode, poolTaskSlots: number): Promise<DesiredJson> {
    const now = this.options.clock.now();
    const window = this.options.resolveResourceFiles === undefined ? 0 : Math.floor(now.getTime() / 3_600_000);
    const references = node.body.certificateReferences ?? [];
    const agentKey = this.agentKey(identity);
    let cache = this.desiredCache.get(agentKey);
    if (cache === undefined) {
      cache = new Map();
      this.desiredCache.set(agentKey, cache);
    }
    const cached = cache.get(node.id);
    if (references.length === 0 && cached !== undefined && cached.eTag === node.eTag && cached.window === window) return cached;
    const certificates = await nodeCertificateFiles(tx, identity.account, references);
    const json = JSON.stringify(this.desiredNodeOf(identity, node.body, certificates, node.body._ob.taskSlots ?? poolTaskSlots, now));
    const made: CachedDesired = { json, digest: createHash("sha256").update(json).digest(), eTag: node.eTag, window };
    cache.set(node.id, made);
    return made;
  }

  private desiredNodeOf(identity: AgentIdentity, node: NodeRecord, certificates: NodeCertificateFile[], taskSlots: number, now: Date): DesiredNode {
    const runtime = node._ob;
    const resolve = this.options.resolveResourceFiles;
    const withFiles = <T extends { resourceFiles?: ResourceFile[]; commonResourceFiles?: ResourceFile[] }>(spec: T): T =>
      resolve === undefined
        ? spec
        : {
            ...spec,
            ...(spec.resourceFiles === undefined ? {} : { resourceFiles: resolve(spec.resourceFiles, now) }),
            ...(spec.commonResourceFiles === undefined ? {} : { commonResourceFiles: resolve(spec.commonResourceFiles, now) }),
          };
    return {
      nodeId: node.id,
      poolId: identity.poolId,
      generation: runtime.generation,
      generationChange: runtime.generationChange,
      action: runtime.action,
      isDedicated: node.isDedicated !== false,
      taskSlots,
      ...(node.startTask === undefined ? {} : { startTask: withFiles(node.startTask) }),
      startTaskAttempt: node.startTask === undefined || runtime.suspended === true ? 0 : Math.max(runtime.startTaskAttempt, 1),
      tasks: (runtime.assignments ?? [])
        .filter((assignment) => assignment.held !== true)
        .map(({ exclusive: _exclusive, role: _role, held: _held, subtaskId: _subtask, started: _started, gated: _gated, ...assignment }) => withFiles(assignment)),
      ...(certificates.length === 0 ? {} : { certificates }),
      ...(runtime.applicationPackages === undefined ? {} : { applicationPackages: runtime.applicationPackages }),
      ...(this.options.nodeOsUsers && runtime.users !== undefined && runtime.users.length > 0 ? { users: runtime.users.map(desiredUser) } : {}),
      ...(runtime.userAccounts === undefined ? {} : { userAccounts: runtime.userAccounts }),
      ...(runtime.containerConfiguration === undefined ? {} : { containerConfiguration: runtime.containerConfiguration }),
      ...(this.options.unrestrictedContainerAccounts?.has(identity.account) === true ? { unrestrictedContainerOptions: true } : {}),
      environment: {
        AZ_BATCH_ACCOUNT_NAME: identity.account,
        AZ_BATCH_ACCOUNT_URL: this.options.accountUrl(identity.account),
        AZ_BATCH_POOL_ID: identity.poolId,
        AZ_BATCH_NODE_ID: node.id,
        AZ_BATCH_NODE_IS_DEDICATED: String(node.isDedicated !== false),
      },
    };
  }

  /** The agent's nodes, selected by the store: an agent of a 1,000-node pool must not parse every node of it per exchange. */
  private async assigned(tx: ReadTx, identity: AgentIdentity): Promise<StoredNode[]> {
    return listAll<NodeRecord>(tx, { account: identity.account, kind: "node", scope: identity.poolId }, { op: "eq", path: ["_ob", "agentId"], kind: "string", value: identity.agentId });
  }

  /** An agent with no nodes left is told to shut down and forgotten. */
  private async retireIfEmpty(identity: AgentIdentity): Promise<boolean> {
    return this.options.store.write(async (tx) => {
      if ((await this.assigned(tx, identity)).length > 0) return false;
      const ref = { account: identity.account, kind: "agent" as const, scope: identity.poolId, id: identity.agentId };
      if ((await tx.get(ref)) !== undefined) await tx.delete(ref);
      return true;
    }).then((retired) => {
      if (retired) {
        this.lastFacts.delete(this.agentKey(identity));
        this.desiredCache.delete(this.agentKey(identity));
        this.options.onRetired?.(identity);
      }
      return retired;
    });
  }
}

/** An outcome's times in the service's own format (7 fractional digits), whatever precision the agent wrote. */
function outcomeInServiceTime(outcome: ProcessOutcome): ProcessOutcome {
  const format = (time: string | undefined) => (time === undefined || Number.isNaN(Date.parse(time)) ? time : formatTimestamp(new Date(time)));
  const startTime = format(outcome.startTime);
  const endTime = format(outcome.endTime);
  return { ...outcome, ...(startTime === undefined ? {} : { startTime }), ...(endTime === undefined ? {} : { endTime }) };
}

function inServiceTime(report: AgentNodeReport): AgentNodeReport {
  return {
    ...report,
    ...(report.startTask === undefined ? {} : { startTask: outcomeInServiceTime(report.startTask) }),
    ...(report.tasks === undefined ? {} : { tasks: report.tasks.map((task) => (task.outcome === undefined ? task : { ...task, outcome: outcomeInServiceTime(task.outcome) })) }),
  };
}
