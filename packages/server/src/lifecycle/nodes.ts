/**
 * Every change of a compute node's state (semantics.md §6.2; the table is core's `nodeMachine`) that does not act
 * on its task runs: allocated (`creating`), reached and reported on by its agent (`nextNodeState`), given a run
 * (`running`), scheduling disabled or enabled with nothing running, preempted nodes recovered, kept after a
 * drain, lost (`unknown`), removed. Changes that act on the node's runs (restart, preemption, leaving, disabling
 * with tasks) are lifecycle/nodeOperations.ts's.
 *
 * Every write of a node row goes through `writeNode`, which records what the change means after the commit: the
 * node's agent must learn a new desired state (`notifyPool`), and a node that can take more work than before wakes
 * the scheduler. Allocation and removal also open and close the node's usage record (pool usage metrics), so usage
 * is exactly as durable as the nodes.
 */
import { canonicalJson, formatTimestamp, nextNodeState, vmSizeInfo } from "@openbatch/core";
import type { AgentNodeReport, AgentSyncRequest, CloudPool } from "@openbatch/protocol";
import { isStoreError, type StoredEntity, type WriteTx } from "@openbatch/store";
import { recordEffect } from "../effects/transaction.js";
import { endpointsAt, inboundEndpoints } from "../records/inboundEndpoints.js";
import { heldSlots, isSchedulable, nodeRef, runningCounts, type NodeRecord, type NodeTaskAssignment } from "../records/nodes.js";
import { usageRef, type UsageRecord } from "../records/usage.js";
import { measuredNodeRuns, retiredNodeFigures, sampledNode } from "./statistics.js";
import { created, move, nodeLifecycle } from "./transitions.js";

export interface NodeWriteOptions {
  /** The node's own agent is being answered in this exchange (agent sync): it needs no wake-up. */
  readonly answered?: boolean;
}

/**
 * Whether the agent's desired state of the node (nodes/agentSync.ts `desiredNode`) differs between the two. Parts
 * that are the same object are the same; only others are compared as canonical JSON — most writes (a run placed,
 * begun or ended) keep every part but the runs, which are compared by id and the fields an agent acts on.
 */
function desiredChanged(before: NodeRecord, after: NodeRecord): boolean {
  const a = before._ob;
  const b = after._ob;
  if (a.generation !== b.generation || a.generationChange !== b.generationChange || a.action !== b.action || a.startTaskAttempt !== b.startTaskAttempt || a.suspended !== b.suspended) return true;
  const differ = (x: unknown, y: unknown): boolean => x !== y && canonicalJson(x) !== canonicalJson(y);
  if (differ(a.applicationPackages, b.applicationPackages) || differ(a.users, b.users) || differ(before.startTask, after.startTask) || differ(before.certificateReferences, after.certificateReferences)) return true;
  if (a.assignments === b.assignments) return false;
  const sent = (node: NodeRecord["_ob"]) => (node.assignments ?? []).filter((assignment) => assignment.held !== true);
  const left = sent(a);
  const right = sent(b);
  return (
    left.length !== right.length ||
    left.some((x, index) => {
      const y = right[index] as NodeTaskAssignment;
      return x.assignmentId !== y.assignmentId || x.kill !== y.kill || x.withdraw !== y.withdraw || (x.order ?? []).join() !== (y.order ?? []).join();
    })
  );
}

/** Writes a changed node (see the module comment for the effects it records). */
export function writeNode(tx: WriteTx, account: string, poolId: string, before: NodeRecord, after: NodeRecord, now: Date, options: NodeWriteOptions = {}): Promise<StoredEntity<NodeRecord>> {
  if (options.answered !== true && desiredChanged(before, after)) recordEffect(tx, { kind: "notifyPool", account, poolId });
  if (isSchedulable(after) && (!isSchedulable(before) || heldSlots(after) < heldSlots(before))) recordEffect(tx, { kind: "wakeScheduler", account });
  return tx.replace(nodeRef(account, poolId, after.id), after, now);
}

/** The node with one more run counted as running at once (a multi-instance instance, placed and started together). */
export function withRun(tx: WriteTx, account: string, poolId: string, node: NodeRecord, assignment: NodeTaskAssignment, time: string): NodeRecord {
  const running = move(tx, nodeRef(account, poolId, node.id), nodeLifecycle, node, "place", "running", time);
  const assignments = [...(node._ob.assignments ?? []), { ...assignment, started: true }];
  return { ...running, ...runningCounts(assignments), _ob: { ...node._ob, assignments } };
}

/** The node with one more run for its agent to start when it has room (the plan applier's placement). */
export function withWaitingRun(node: NodeRecord, assignment: NodeTaskAssignment): NodeRecord {
  return { ...node, _ob: { ...node._ob, assignments: [...(node._ob.assignments ?? []), assignment] } };
}

/**
 * The node once its agent has begun `assignmentId`: the run counts as running there, and an idle node runs. (A node
 * in another state — one draining or leaving, whose waiting runs were withdrawn while its agent began one — keeps it.)
 */
export function withStartedRun(tx: WriteTx, account: string, poolId: string, node: NodeRecord, assignmentId: string, time: string): NodeRecord {
  // A run begun before its withdrawal reached the agent runs on: it is no longer being withdrawn.
  const assignments = (node._ob.assignments ?? []).map((assignment) => {
    if (assignment.assignmentId !== assignmentId) return assignment;
    const { withdraw: _late, ...begun } = assignment;
    return { ...begun, started: true };
  });
  const counted: NodeRecord = { ...node, ...runningCounts(assignments), _ob: { ...node._ob, assignments } };
  return node.state === "idle" ? move(tx, nodeRef(account, poolId, node.id), nodeLifecycle, counted, "place", "running", time) : counted;
}

/**
 * A node of `pool` as allocated: `creating`, not yet on an agent (the reconciler assigns it), generation 1, in
 * `slot` of the pool (its inbound endpoints' frontend ports).
 */
export function newNode(pool: CloudPool, id: string, url: string, isDedicated: boolean, time: string, slot: number): NodeRecord {
  return {
    id,
    url,
    state: "creating",
    schedulingState: "enabled",
    stateTransitionTime: time,
    allocationTime: time,
    ipAddress: "127.0.0.1",
    affinityId: `TVM:${id}`,
    vmSize: (pool.vmSize ?? "").toLowerCase(),
    totalTasksRun: 0,
    runningTasksCount: 0,
    runningTaskSlotsCount: 0,
    totalTasksSucceeded: 0,
    isDedicated,
    endpointConfiguration: inboundEndpoints(pool, slot, { ipAddress: "127.0.0.1", fqdn: "localhost" }),
    ...(pool.startTask === undefined ? {} : { startTask: pool.startTask }),
    ...(pool.certificateReferences === undefined || pool.certificateReferences.length === 0 ? {} : { certificateReferences: pool.certificateReferences }),
    ...(pool.virtualMachineConfiguration === undefined ? {} : { virtualMachineInfo: { imageReference: pool.virtualMachineConfiguration.imageReference } }),
    _ob: {
      agentId: "",
      taskSlots: pool.taskSlotsPerNode ?? 1,
      generation: 1,
      generationChange: "reboot",
      reportedGeneration: 0,
      startTaskAttempt: 0,
      action: "run",
      // Its images are pulled while it prepares (as on Azure, pool changes reach a node when it is made).
      ...(pool.virtualMachineConfiguration?.containerConfiguration === undefined ? {} : { containerConfiguration: pool.virtualMachineConfiguration.containerConfiguration }),
      slot,
      // The identities its processes may run as (userIdentity.username); passwords stay with the pool.
      ...(pool.userAccounts === undefined || pool.userAccounts.length === 0
        ? {}
        : { userAccounts: pool.userAccounts.map((user) => ({ name: user.name, elevationLevel: user.elevationLevel ?? "nonadmin" })) }),
    },
  };
}

/** Allocates new nodes of `pool` (state `creating`, made by the reconciler) and opens their usage records. */
export async function insertNodes(tx: WriteTx, account: string, pool: CloudPool, nodes: readonly NodeRecord[], now: Date): Promise<void> {
  const poolId = pool.id ?? "";
  const vmSize = (pool.vmSize ?? "").toLowerCase();
  const cores = vmSizeInfo(vmSize)?.cores ?? 0;
  for (const node of nodes) {
    const ref = nodeRef(account, poolId, node.id);
    created(tx, ref, nodeLifecycle, node.state ?? "creating");
    await tx.insert(ref, node, now);
    const allocationTime = node.allocationTime ?? formatTimestamp(now);
    const record: UsageRecord = { poolId, nodeId: node.id, vmSize, cores, isDedicated: node.isDedicated !== false, allocationTime };
    const usage = usageRef(account, poolId, node.id, allocationTime);
    try {
      await tx.insert(usage, record, now);
    } catch (error) {
      // The same pool and node id allocated at the same instant again (a stopped test clock): the earlier
      // record, already released at that instant, covered no time.
      if (!isStoreError(error, "conflict")) throw error;
      await tx.replace(usage, record, now);
    }
  }
}

/** Removes a node that left (or was never reached), its statistics to its pool's, and closes its usage record; its pool may settle. */
export async function removeNode(tx: WriteTx, account: string, poolId: string, node: NodeRecord, now: Date): Promise<void> {
  await tx.delete(nodeRef(account, poolId, node.id));
  await retiredNodeFigures(tx, account, poolId, node, now);
  recordEffect(tx, { kind: "reconcilePool", account, poolId });
  if (node.allocationTime === undefined) return;
  const ref = usageRef(account, poolId, node.id, node.allocationTime);
  const record = await tx.get<UsageRecord>(ref);
  // Nodes allocated before usage was recorded have no record.
  if (record === undefined || record.body.releaseTime !== undefined) return;
  await tx.replace<UsageRecord>(ref, { ...record.body, releaseTime: formatTimestamp(now) }, now);
}

/** The node after its agent's report (`nextNodeState`): its state, start task and what the agent says of it. */
export function reportedNode(tx: WriteTx, account: string, poolId: string, node: NodeRecord, report: AgentNodeReport, request: AgentSyncRequest, now: Date): NodeRecord {
  const runtime = node._ob;
  const current = report.generation === runtime.generation;
  const errors = current ? (report.errors ?? []) : [];
  const result = nextNodeState({
    state: node.state ?? "creating",
    desiredGeneration: runtime.generation,
    reportedGeneration: report.generation,
    phase: report.phase,
    startTask: node.startTask,
    startTaskAttempt: runtime.startTaskAttempt,
    outcome: current ? report.startTask : undefined,
    runningTasks: node.runningTasksCount ?? 0,
    schedulingEnabled: node.schedulingState !== "disabled",
    hasErrors: errors.length > 0,
    restartPending: runtime.pendingRestart !== undefined,
  });
  const time = formatTimestamp(now);
  const endpoints = endpointsAt(node.endpointConfiguration, { ipAddress: request.host.ipAddress, fqdn: request.host.hostname });
  const reported: NodeRecord = {
    ...node,
    ipAddress: request.host.ipAddress,
    ...(endpoints === undefined ? {} : { endpointConfiguration: endpoints }),
    nodeAgentInfo: { version: request.host.agentVersion, lastUpdateTime: node.nodeAgentInfo?.lastUpdateTime ?? time },
    _ob: { ...runtime, reportedGeneration: report.generation, startTaskAttempt: result.startTaskAttempt, rootDirectory: report.rootDirectory },
  };
  // A start task attempt that just ended adds what it used; the agent's memory and disk sample is folded in.
  const startTaskEnded = result.startTaskInfo?.state === "completed" && (node.startTaskInfo?.state !== "completed" || node.startTaskInfo.endTime !== result.startTaskInfo.endTime);
  const measured = startTaskEnded && current && report.startTask !== undefined ? measuredNodeRuns(reported, [report.startTask]) : reported;
  const updated = sampledNode(measured, report.resources, now);
  if (result.startTaskInfo !== undefined) updated.startTaskInfo = result.startTaskInfo;
  // The node's errors are what its agent reports for its current generation (ComputeNodeError has the same shape).
  if (errors.length > 0) updated.errors = errors;
  else delete updated.errors;
  if (result.state === node.state) return updated;
  const moved = move(tx, nodeRef(account, poolId, node.id), nodeLifecycle, updated, "agentReport", result.state, time);
  return node.state === "creating" || node.state === "rebooting" || node.state === "reimaging" ? { ...moved, lastBootTime: time } : moved;
}

/**
 * What `reportedNode` may change, to tell whether a node must be written after its agent's report. In canonical
 * form: a node read back from PostgreSQL has its objects' keys in another order, and a write on every exchange
 * answers the agent at once — a sync loop as fast as the database goes.
 */
function reportedFields(node: NodeRecord): string {
  const runtime = node._ob;
  return canonicalJson([
    node.state, node.stateTransitionTime, node.lastBootTime, node.ipAddress, node.nodeAgentInfo?.version, node.startTaskInfo, node.errors,
    runtime.reportedGeneration, runtime.startTaskAttempt, runtime.rootDirectory,
    // A new memory and disk sample (folded at most once a minute when unchanged) is the pool's statistics.
    runtime.usage?.lastSample,
  ]);
}

/** Whether `reportedNode` changed anything of `before` (cheaper than comparing whole rows with their runs). */
export function reportedChanges(before: NodeRecord, after: NodeRecord): boolean {
  return before !== after && reportedFields(before) !== reportedFields(after);
}

/** Disable scheduling on a node with nothing running: `offline`. */
export function offlineNode(tx: WriteTx, account: string, poolId: string, node: NodeRecord, time: string): NodeRecord {
  return move(tx, nodeRef(account, poolId, node.id), nodeLifecycle, node, "disableScheduling", "offline", time);
}

/** Enable scheduling: the node takes tasks again (an `offline` node is `idle`). */
export function schedulingEnabled(tx: WriteTx, account: string, poolId: string, node: NodeRecord, time: string): NodeRecord {
  const enabled: NodeRecord = { ...node, schedulingState: "enabled" };
  return node.state === "offline" ? move(tx, nodeRef(account, poolId, node.id), nodeLifecycle, enabled, "enableScheduling", "idle", time) : enabled;
}

/** A preempted node whose time has come: back through `creating`, as Azure's recovered Spot nodes. */
export function recoveredNode(tx: WriteTx, account: string, poolId: string, node: NodeRecord, time: string): NodeRecord {
  const { recoverAt: _recoverAt, suspended: _suspended, ...rest } = node._ob;
  return { ...move(tx, nodeRef(account, poolId, node.id), nodeLifecycle, node, "recover", "creating", time), _ob: rest };
}

/** A draining node the pool keeps after all: it takes tasks again. */
export function keptNode(tx: WriteTx, account: string, poolId: string, node: NodeRecord, time: string): NodeRecord {
  const state = (node._ob.assignments?.length ?? 0) > 0 ? "running" : "idle";
  const { removalRequested: _kept, ...runtime } = node._ob;
  // Its state may not have changed (a removal stopped before it drained), but the drain is over.
  const moved = move(tx, nodeRef(account, poolId, node.id), nodeLifecycle, node, "keep", state, time);
  return { ...moved, stateTransitionTime: time, _ob: runtime };
}

/** Its agent stopped reporting: `unknown` until the next report. */
export function lostNode(tx: WriteTx, account: string, poolId: string, node: NodeRecord, time: string): NodeRecord {
  return move(tx, nodeRef(account, poolId, node.id), nodeLifecycle, node, "lose", "unknown", time);
}
