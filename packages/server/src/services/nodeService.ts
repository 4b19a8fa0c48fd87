/**
 * Compute node records: the wire ComputeNode plus the server's runtime bookkeeping under `_ob` (which agent hosts
 * the node, the generation it should run, the start-task attempt asked for, whether it should be removed). `_ob`
 * never leaves the server: `nodeView` strips it.
 */
import { formatTimestamp, parseTimestamp, propertyDetails, serviceError, type ErrorCode } from "@openbatch/core";
import type { ApplicationPackageDeployment, ComputeNode, ContainerConfiguration, ComputeNodeUser, DesiredUserAccount, NodeUpdateUserParameter, TaskAssignment } from "@openbatch/protocol";
import { isStoreError, type Store, type StoredEntity, type WriteTx } from "@openbatch/store";
import { forgetPreparations } from "../scheduling/jobPreparation.js";
import { releaseNodeTasks, type DeallocationOption } from "../scheduling/requeue.js";
import type { ListOptions } from "../odata/listQuery.js";
import { restartNode } from "../nodes/nodeRestart.js";
import { sha512Crypt } from "../nodes/passwordHash.js";
import type { PoolService } from "./poolService.js";

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
   * last task run ends (nodes/nodeRestart.ts); meanwhile the node shows `rebooting`/`reimaging` and takes no tasks.
   */
  pendingRestart?: "reboot" | "reimage";
  /**
   * Named by remove nodes, to leave with its running tasks handled per this option; while they finish
   * (taskcompletion, retaineddata) the node is `leavingpool` with action still "run" (nodes/poolReconciler.ts).
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
  /** The pool's container configuration when the node was made (images to pull, registries). */
  containerConfiguration?: ContainerConfiguration;
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

export function nodeNotFound(nodeId: string) {
  return serviceError("NodeNotFound", { message: `The specified node '${nodeId}' does not exist.`, values: [{ key: "NodeId", value: nodeId }] });
}

export class NodeService {
  /** @param onChange wakes the pool's agents after a node's desired state changed. */
  constructor(
    private readonly store: Store,
    private readonly pools: PoolService,
    private readonly onChange: (account: string, poolId: string) => void = () => {},
  ) {}

  async list(account: string, poolId: string, options: ListOptions): Promise<{ items: StoredNode[]; nextKey?: string }> {
    await this.pools.get(account, poolId);
    return this.store.read((tx) =>
      tx.list<NodeRecord>({ account, kind: "node", scope: poolId }, { limit: options.maxResults, afterKey: options.afterKey, filter: options.filter }),
    );
  }

  async get(account: string, poolId: string, nodeId: string): Promise<StoredNode> {
    await this.pools.get(account, poolId);
    const node = await this.store.read((tx) => tx.get<NodeRecord>({ account, kind: "node", scope: poolId, id: nodeId }));
    if (node === undefined) throw nodeNotFound(nodeId);
    return node;
  }

  /** Changes one node in a transaction, then wakes its agent. */
  async change(
    account: string,
    poolId: string,
    nodeId: string,
    now: Date,
    change: (node: NodeRecord, tx: WriteTx) => NodeRecord | Promise<NodeRecord>,
  ): Promise<StoredNode> {
    await this.pools.get(account, poolId);
    try {
      const stored = await this.store.write(async (tx) => {
        const ref = { account, kind: "node" as const, scope: poolId, id: nodeId };
        const node = await tx.get<NodeRecord>(ref);
        if (node === undefined) throw nodeNotFound(nodeId);
        return tx.replace(ref, await change(node.body, tx), now);
      });
      this.onChange(account, poolId);
      return stored;
    } catch (error) {
      if (isStoreError(error, "notFound")) throw nodeNotFound(nodeId);
      throw error;
    }
  }

  /**
   * Reboot or reimage (semantics.md §6.2): only idle or running nodes; running tasks are handled per `option`
   * (default requeue; taskcompletion and retaineddata wait for them to end); the start task runs again afterwards.
   */
  restart(account: string, poolId: string, nodeId: string, kind: "reboot" | "reimage", now: Date, option: DeallocationOption = "requeue"): Promise<StoredNode> {
    return this.change(account, poolId, nodeId, now, async (current, tx) => {
      requireUsable(current, kind);
      return restartNode(tx, account, poolId, current, kind, option, now);
    });
  }

  /**
   * Preempts a Spot/low-priority node on demand (an OpenBatch operation, for testing how work survives it): the
   * node becomes `preempted`, its processes are killed and its files wiped (a reimage held still), and after
   * `recoverAfterInSeconds` it comes back with the same id through `creating`, as Azure's recovered Spot nodes do.
   */
  preempt(account: string, poolId: string, nodeId: string, recoverAfterInSeconds: number, now: Date): Promise<StoredNode> {
    return this.change(account, poolId, nodeId, now, async (current, tx) => {
      const node = await releaseNodeTasks(tx, account, current, "requeue", now);
      await forgetPreparations(tx, account, poolId, nodeId, "reimage", now);
      if (node.isDedicated !== false) {
        throw serviceError("OperationNotValidOnNode", { message: `The node '${nodeId}' is dedicated; only Spot/low-priority nodes can be preempted.` });
      }
      if (node.state === "preempted" || node._ob.action === "remove") {
        throw serviceError("OperationNotValidOnNode", { message: `The node '${nodeId}' is ${node.state}; it cannot be preempted now.` });
      }
      // A preemption overtakes a restart that waited for the node's tasks: they were just requeued.
      const { pendingRestart: _overtaken, ...runtime } = node._ob;
      return {
        ...node,
        state: "preempted",
        stateTransitionTime: formatTimestamp(now),
        _ob: {
          ...runtime,
          generation: node._ob.generation + 1,
          generationChange: "reimage",
          startTaskAttempt: 0,
          suspended: true,
          recoverAt: formatTimestamp(new Date(now.getTime() + recoverAfterInSeconds * 1000)),
        },
      };
    });
  }

  /** Disable scheduling: the node takes no new tasks, its running ones are handled per `option`; `offline` once none runs. */
  disableScheduling(account: string, poolId: string, nodeId: string, now: Date, option: DeallocationOption = "requeue"): Promise<StoredNode> {
    return this.change(account, poolId, nodeId, now, async (current, tx) => {
      if (current.schedulingState === "disabled") throw alreadyInState(nodeId, "disabled");
      const node = await releaseNodeTasks(tx, account, current, option, now);
      const idle = node.state === "idle";
      return {
        ...node,
        schedulingState: "disabled",
        ...(idle ? { state: "offline" as const, stateTransitionTime: formatTimestamp(now) } : {}),
      };
    });
  }

  enableScheduling(account: string, poolId: string, nodeId: string, now: Date): Promise<StoredNode> {
    return this.change(account, poolId, nodeId, now, (node) => {
      if (node.schedulingState !== "disabled") throw alreadyInState(nodeId, "enabled");
      const offline = node.state === "offline";
      return {
        ...node,
        schedulingState: "enabled",
        ...(offline ? { state: "idle" as const, stateTransitionTime: formatTimestamp(now) } : {}),
      };
    });
  }
}

const userNamePattern = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

function userExpiry(expiryTime: string | undefined, now: Date): string {
  const parsed = expiryTime === undefined ? undefined : parseTimestamp(expiryTime);
  return formatTimestamp(parsed ?? new Date(now.getTime() + 24 * 60 * 60 * 1000));
}

export class NodeUsers {
  constructor(private readonly nodes: NodeService) {}

  /** Adds a user (201); only on idle or running nodes; 409 NodeUserExists for a taken name. */
  add(account: string, poolId: string, nodeId: string, user: ComputeNodeUser, now: Date): Promise<StoredNode> {
    if (!userNamePattern.test(user.name)) {
      throw serviceError("InvalidPropertyValue", {
        message: "The user name must start with a letter or '_' and contain at most 32 letters, digits, '_', '.' or '-'.",
        values: propertyDetails("name", "Not a valid Linux user name.", user.name),
      });
    }
    const passwordHash = user.password === undefined ? undefined : sha512Crypt(user.password);
    return this.nodes.change(account, poolId, nodeId, now, (node) => {
      requireUsable(node, "adding a user");
      const users = node._ob.users ?? [];
      if (users.some((existing) => existing.name.toLowerCase() === user.name.toLowerCase())) {
        throw serviceError("NodeUserExists", { message: `The user '${user.name}' already exists on the node.`, values: [{ key: "UserName", value: user.name }] });
      }
      const record: NodeUserRecord = {
        name: user.name,
        isAdmin: user.isAdmin ?? false,
        expiryTime: userExpiry(user.expiryTime, now),
        hasPassword: user.password !== undefined,
        ...(passwordHash === undefined ? {} : { passwordHash }),
        ...(user.sshPublicKey === undefined ? {} : { sshPublicKey: user.sshPublicKey }),
      };
      return { ...node, _ob: { ...node._ob, users: [...users, record] } };
    });
  }

  /** Replaces a user's password, key and expiry: absent ones are removed or reset (semantics.md §6.4). */
  update(account: string, poolId: string, nodeId: string, userName: string, update: NodeUpdateUserParameter, now: Date): Promise<StoredNode> {
    const passwordHash = update.password === undefined ? undefined : sha512Crypt(update.password);
    return this.nodes.change(account, poolId, nodeId, now, (node) => {
      requireUsable(node, "updating a user");
      const users = node._ob.users ?? [];
      const existing = users.find((user) => user.name.toLowerCase() === userName.toLowerCase());
      if (existing === undefined) throw userNotFound(userName);
      const replaced: NodeUserRecord = {
        name: existing.name,
        isAdmin: existing.isAdmin,
        expiryTime: userExpiry(update.expiryTime, now),
        hasPassword: update.password !== undefined,
        ...(passwordHash === undefined ? {} : { passwordHash }),
        ...(update.sshPublicKey === undefined ? {} : { sshPublicKey: update.sshPublicKey }),
      };
      return { ...node, _ob: { ...node._ob, users: users.map((user) => (user === existing ? replaced : user)) } };
    });
  }

  delete(account: string, poolId: string, nodeId: string, userName: string, now: Date): Promise<StoredNode> {
    return this.nodes.change(account, poolId, nodeId, now, (node) => {
      requireUsable(node, "deleting a user");
      const users = node._ob.users ?? [];
      if (!users.some((user) => user.name.toLowerCase() === userName.toLowerCase())) throw userNotFound(userName);
      return { ...node, _ob: { ...node._ob, users: users.filter((user) => user.name.toLowerCase() !== userName.toLowerCase()) } };
    });
  }
}

function userNotFound(userName: string) {
  return serviceError("NodeUserNotFound", { message: `The user '${userName}' does not exist on the node.`, values: [{ key: "UserName", value: userName }] });
}

const busyCodes: Partial<Record<string, ErrorCode>> = {
  creating: "NodeBeingCreated",
  starting: "NodeBeingStarted",
  waitingforstarttask: "NodeBeingStarted",
  rebooting: "NodeBeingRebooted",
  reimaging: "NodeBeingReimaged",
  unusable: "NodeStateUnusable",
};

function requireUsable(node: NodeRecord, operation: string): void {
  if (node.state === "idle" || node.state === "running") return;
  throw serviceError(busyCodes[node.state ?? ""] ?? "OperationNotValidOnNode", {
    message: `The node '${node.id}' is ${node.state}; ${operation} needs an idle or running node.`,
    values: [{ key: "NodeId", value: node.id }, { key: "NodeState", value: node.state ?? "unknown" }],
  });
}

function alreadyInState(nodeId: string, state: string) {
  return serviceError("NodeAlreadyInTargetSchedulingState", {
    message: `Scheduling on the node '${nodeId}' is already ${state}.`,
    values: [{ key: "NodeId", value: nodeId }],
  });
}
