/**
 * Compute node rows (`kind = node`, scope = the pool): the wire ComputeNode plus the server's runtime bookkeeping
 * under `_ob` (which agent hosts the node, the generation it should run, the start-task attempt asked for, whether
 * it should be removed, its task runs). `_ob` never leaves the server: `nodeView` strips it. Types and pure helpers
 * only; every change of a node's state is made by lifecycle/nodes.ts.
 */
import type { ApplicationPackageDeployment, ComputeNode, ContainerConfiguration, DesiredUserAccount, TaskAssignment } from "@openbatch/protocol";
import type { StoredEntity } from "@openbatch/store";
import type { NodeUsage } from "./statistics.js";

/** What happens to the tasks of a node that leaves or restarts (semantics.md §6.1). */
export type DeallocationOption = "requeue" | "terminate" | "taskcompletion" | "retaineddata";

export interface NodeRuntime {
  /** The agent hosting the node. */
  agentId: string;
  /** The incarnation the server wants; reboot and reimage bump it. */
  generation: number;
  generationChange: "reboot" | "reimage";
  /** The incarnation the agent last reported running. */
  reportedGeneration: number;
  /** The start-task attempt asked for in this generation (0 = none yet). */
  startTaskAttempt: number;
  /**
   * A reboot or reimage asked with `taskcompletion`/`retaineddata` while tasks ran: it happens once the node's
   * last task run ends; meanwhile the node shows `rebooting`/`reimaging` and takes no tasks.
   */
  pendingRestart?: "reboot" | "reimage";
  /**
   * Named by remove nodes, to leave with its running tasks handled per this option; while they finish
   * (taskcompletion, retaineddata) the node is `leavingpool` with action still "run".
   */
  removalRequested?: DeallocationOption;
  /** "remove" once the node is leaving the pool; the agent then deletes it. */
  action: "run" | "remove";
  /** The node's root directory on the agent's machine, once reported. */
  rootDirectory?: string;
  /** While preempted: the node holds still (no start task) until `recoverAt`, then comes back as `creating`. */
  suspended?: boolean;
  recoverAt?: string;
  /** The task runs placed on this node and not yet reported finished (the agent's desired tasks). */
  assignments?: NodeTaskAssignment[];
  /** The pool's application packages, resolved when the node was created, rebooted or reimaged (the agent installs them). */
  applicationPackages?: ApplicationPackageDeployment[];
  /** Node user accounts (passwords are kept only as crypt(3) SHA-512 hashes, for the agent's OS accounts). */
  users?: NodeUserRecord[];
  /** The pool's `userAccounts` (name and elevation) when the node was made, for processes that run as one. */
  userAccounts?: DesiredUserAccount[];
  /** What its processes used and its memory and disk samples (lifecycle/statistics.ts). */
  usage?: NodeUsage;
  /** The pool's container configuration when the node was made (images to pull, registries). */
  containerConfiguration?: ContainerConfiguration;
  /** The node's place in its pool (its inbound endpoints' frontend ports, records/inboundEndpoints.ts). */
  slot?: number;
}

/** A task assignment as the node keeps it: the slots it holds, and whether it keeps the node to itself (a job manager with runExclusive). */
export type NodeTaskAssignment = TaskAssignment & {
  slots: number;
  exclusive?: boolean;
  /** Set for a job preparation or release run (no slot, not a task row). */
  role?: "jobPreparation" | "jobRelease";
  /** Set for one instance of a multi-instance task's coordination phase (0: the primary). */
  subtaskId?: number;
  /** Waiting for the job preparation task on this node: counted, but not yet sent to the agent. */
  held?: boolean;
};

export interface NodeUserRecord {
  name: string;
  isAdmin: boolean;
  expiryTime: string;
  hasPassword: boolean;
  /** `$6$…` of the password (nodes/passwordHash.ts); absent for records stored before hashes were kept. */
  passwordHash?: string;
  sshPublicKey?: string;
}

export type NodeRecord = ComputeNode & { id: string; _ob: NodeRuntime };
export type StoredNode = StoredEntity<NodeRecord>;

export function nodeView(node: NodeRecord): ComputeNode {
  const { _ob: _runtime, ...view } = node;
  return view;
}

export function nodeRef(account: string, poolId: string, nodeId: string) {
  return { account, kind: "node" as const, scope: poolId, id: nodeId };
}

/** Slots a node's assignments hold; a run being killed holds none (its process is on its way out). */
export function heldSlots(node: NodeRecord): number {
  return (node._ob.assignments ?? []).reduce((sum, assignment) => sum + (assignment.kill === true ? 0 : assignment.slots), 0);
}

/** Whether new task runs may be placed on the node (the plan applier's and the scheduler's view). */
export function isSchedulable(node: NodeRecord): boolean {
  return (node.state === "idle" || node.state === "running") && node.schedulingState !== "disabled";
}
