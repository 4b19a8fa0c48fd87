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
import { formatTimestamp, type Clock } from "@openbatch/core";
import type { AgentNodeReport, AgentSyncRequest, AgentSyncResponse, DesiredNode, DesiredNodeUser, NodeCertificateFile, ProcessOutcome, ResourceFile } from "@openbatch/protocol";
import type { ReadTx, Store, WriteTx } from "@openbatch/store";
import { nodeCertificateFiles } from "../certificates/nodeCertificates.js";
import { restartIfDrained } from "../lifecycle/nodeOperations.js";
import { removeNode, reportedNode, writeNode } from "../lifecycle/nodes.js";
import { runFinished } from "../lifecycle/runReports.js";
import { measuredNodeRuns } from "../lifecycle/statistics.js";
import type { AgentRecord } from "../records/agents.js";
import { listAll } from "../records/listAll.js";
import { nodeRef, type NodeRecord, type NodeTaskAssignment, type NodeUserRecord, type StoredNode } from "../records/nodes.js";
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
  readonly desired: DesiredNode[];
  readonly nodesChanged: boolean;
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

function digest(nodes: DesiredNode[]): number {
  return createHash("sha256").update(JSON.stringify(nodes)).digest().readUInt32BE(0);
}

export class AgentSync {
  /** The digest of the facts each agent last sent. */
  private readonly lastFacts = new Map<string, string>();


  constructor(private readonly options: AgentSyncOptions) {}

  async sync(identity: AgentIdentity, request: AgentSyncRequest): Promise<AgentSyncResponse> {
    const now = this.options.clock.now();
    this.options.onHeartbeat(identity, now);
    // What the reports caused — slots freed, jobs ended, nodes reached — is recorded as effects in the transaction.
    const applied = await this.options.store.write((tx) => this.apply(tx, identity, request, now));
    let desired = applied.desired;
    // New facts are answered at once (the agent counts on it), even when they changed no record.
    const agentKey = `${identity.account}\u0000${identity.poolId.toLowerCase()}\u0000${identity.agentId}`;
    const facts = createHash("sha256").update(JSON.stringify(request.nodes)).digest("base64");
    const factsChanged = this.lastFacts.get(agentKey) !== facts;
    this.lastFacts.set(agentKey, facts);
    const unchanged = !applied.nodesChanged && !factsChanged && request.knownVersion === digest(desired);
    if (unchanged && desired.length > 0) {
      await this.options.notifier.wait(identity.account, identity.poolId, Math.min(request.waitInMs ?? 0, this.options.heartbeatIntervalInMs));
      desired = await this.options.store.read(async (tx) => {
        const nodes = await this.assigned(tx, identity);
        return Promise.all(nodes.map(async (node) => this.desiredNode(identity, node.body, await nodeCertificateFiles(tx, identity.account, node.body.certificateReferences))));
      });
    }
    return {
      version: digest(desired),
      heartbeatIntervalInMs: this.options.heartbeatIntervalInMs,
      shutdown: desired.length === 0 && (await this.retireIfEmpty(identity)),
      nodes: desired,
      ...(this.options.serverUrls === undefined ? {} : { serverUrls: this.options.serverUrls().slice(0, 64) }),
    };
  }

  private async apply(tx: WriteTx, identity: AgentIdentity, request: AgentSyncRequest, now: Date): Promise<Applied> {
    const agentRef = { account: identity.account, kind: "agent" as const, scope: identity.poolId, id: identity.agentId };
    const agent = await tx.get<AgentRecord>(agentRef);
    if (agent !== undefined) {
      await tx.replace<AgentRecord>(agentRef, {
        ...agent.body,
        fileServerUrl: request.fileServerUrl,
        bootId: request.bootId,
        hostname: request.host.hostname,
        ipAddress: request.host.ipAddress,
        agentVersion: request.host.agentVersion,
        ...(request.host.cpuPercent === undefined ? {} : { cpuPercent: request.host.cpuPercent }),
        ...(request.host.containerRuntime === undefined ? {} : { containerRuntime: request.host.containerRuntime }),
        lastSeen: formatTimestamp(now),
      }, now);
    }
    const reports = new Map(request.nodes.map((report) => [report.nodeId.toLowerCase(), inServiceTime(report)]));
    const { account, poolId } = identity;
    let nodesChanged = false;
    const desired: DesiredNode[] = [];
    const assigned = await this.assigned(tx, identity);
    await checkNodeClaims(tx, identity, request.nodes, assigned);
    for (const node of assigned) {
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
      if (JSON.stringify(updated) !== JSON.stringify(node.body)) {
        // This agent is being answered now; other agents of the pool have nothing to learn from its nodes.
        await writeNode(tx, account, poolId, node.body, updated, now, { answered: true });
        nodesChanged = true;
      }
      desired.push(this.desiredNode(identity, updated, await nodeCertificateFiles(tx, account, updated.certificateReferences)));
    }
    return { desired, nodesChanged };
  }

  /**
   * Applies the completed task runs of one node report: each finished assignment leaves the node (freeing its
   * slots) and its task moves on (`taskAfterRun`) — unless the task was deleted or has moved to another attempt.
   * Returns the node unchanged (same object) when nothing finished.
   */
  private async applyTaskReports(
    tx: WriteTx,
    identity: AgentIdentity,
    node: NodeRecord,
    report: AgentNodeReport,
    now: Date,
  ): Promise<NodeRecord> {
    const assignments = node._ob.assignments ?? [];
    const finished = new Map<string, NonNullable<AgentNodeReport["tasks"]>[number]>();
    for (const taskReport of report.tasks ?? []) {
      if (taskReport.outcome.state === "completed" && assignments.some((a) => a.assignmentId === taskReport.assignmentId)) {
        finished.set(taskReport.assignmentId, taskReport);
      }
    }
    if (finished.size === 0) return node;
    const time = formatTimestamp(now);
    let succeeded = 0;
    let freedSlots = 0;
    for (const assignment of assignments) {
      const taskReport = finished.get(assignment.assignmentId);
      if (taskReport === undefined) continue;
      freedSlots += assignment.slots;
      if (taskReport.outcome.failure === undefined && taskReport.outcome.exitCode === 0) succeeded++;
      await runFinished(tx, identity.account, identity.poolId, node.id, assignment, taskReport.outcome, time, now);
    }
    // A job that ended above may have marked this node's other assignments `kill`: start from the stored record.
    let fresh = measuredNodeRuns((await tx.get<NodeRecord>(nodeRef(identity.account, identity.poolId, node.id)))?.body ?? node, [...finished.values()].map((taskReport) => taskReport.outcome));
    for (const assignment of assignments) {
      if (finished.has(assignment.assignmentId) && assignment.role === undefined) fresh = await this.noteRecentTask(tx, identity.account, fresh, assignment);
    }
    const remaining = (fresh._ob.assignments ?? []).filter((a) => !finished.has(a.assignmentId));
    return {
      ...fresh,
      runningTasksCount: remaining.filter((assignment) => assignment.role === undefined).length,
      runningTaskSlotsCount: Math.max(0, (node.runningTaskSlotsCount ?? 0) - freedSlots),
      totalTasksRun: (node.totalTasksRun ?? 0) + finished.size,
      totalTasksSucceeded: (node.totalTasksSucceeded ?? 0) + succeeded,
      _ob: { ...fresh._ob, assignments: remaining },
    };
  }

  /** The node with the task of a finished run as its newest recent task, showing the task's state now. */
  private async noteRecentTask(tx: WriteTx, account: string, node: NodeRecord, assignment: NodeTaskAssignment): Promise<NodeRecord> {
    const task = await tx.get<TaskRecord>(taskRef(account, assignment.jobId, assignment.taskId));
    if (task === undefined) return node;
    const instance = assignment.subtaskId === undefined || assignment.subtaskId === 0 ? undefined : task.body._ob.multiInstance?.instances.find((entry) => entry.id === assignment.subtaskId);
    return withRecentTask(node, instance === undefined ? recentTaskOf(task.body, assignment.jobId) : recentSubtaskOf(task.body, assignment.jobId, instance));
  }

  private desiredNode(identity: AgentIdentity, node: NodeRecord, certificates: NodeCertificateFile[]): DesiredNode {
    const runtime = node._ob;
    const resolve = this.options.resolveResourceFiles;
    const now = this.options.clock.now();
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
      taskSlots: 1,
      ...(node.startTask === undefined ? {} : { startTask: withFiles(node.startTask) }),
      startTaskAttempt: node.startTask === undefined || runtime.suspended === true ? 0 : Math.max(runtime.startTaskAttempt, 1),
      tasks: (runtime.assignments ?? [])
        .filter((assignment) => assignment.held !== true)
        .map(({ slots: _slots, exclusive: _exclusive, role: _role, held: _held, subtaskId: _subtask, ...assignment }) => withFiles(assignment)),
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

  private async assigned(tx: ReadTx, identity: AgentIdentity): Promise<StoredNode[]> {
    const nodes = await listAll<NodeRecord>(tx, { account: identity.account, kind: "node", scope: identity.poolId });
    return nodes.filter((node) => node.body._ob.agentId === identity.agentId);
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
        this.lastFacts.delete(`${identity.account}\u0000${identity.poolId.toLowerCase()}\u0000${identity.agentId}`);
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
    ...(report.tasks === undefined ? {} : { tasks: report.tasks.map((task) => ({ ...task, outcome: outcomeInServiceTime(task.outcome) })) }),
  };
}
