/**
 * Compute nodes: list, get, reboot, reimage, preempt, disable and enable scheduling, and node users — the checks and
 * transactions of the node operations. The node rows are records/nodes.ts; every change of a node's state is
 * lifecycle/nodes.ts's or lifecycle/nodeOperations.ts's.
 */
import { formatTimestamp, parseTimestamp, propertyDetails, serviceError, type ErrorCode } from "@openbatch/core";
import type { ComputeNodeUser, NodeUpdateUserParameter } from "@openbatch/protocol";
import type { Store, WriteTx } from "@openbatch/store";
import { recordEffect } from "../effects/transaction.js";
import { preemptNode, restartNode, schedulingDisabled } from "../lifecycle/nodeOperations.js";
import { schedulingEnabled, writeNode } from "../lifecycle/nodes.js";
import { sha512Crypt } from "../nodes/passwordHash.js";
import type { ListOptions } from "../odata/listQuery.js";
import { nodeNotFound } from "../records/errors.js";
import { nodeRef, type DeallocationOption, type NodeRecord, type NodeUserRecord, type StoredNode } from "../records/nodes.js";
import type { PoolService } from "./poolService.js";
import { clientWrite } from "./storeErrors.js";

export { nodeView, type NodeRecord, type StoredNode } from "../records/nodes.js";

export class NodeService {
  constructor(
    private readonly store: Store,
    private readonly pools: PoolService,
  ) {}

  async list(account: string, poolId: string, options: ListOptions): Promise<{ items: StoredNode[]; nextKey?: string }> {
    await this.pools.get(account, poolId);
    return this.store.read((tx) =>
      tx.list<NodeRecord>({ account, kind: "node", scope: poolId }, { limit: options.maxResults, afterKey: options.afterKey, filter: options.filter }),
    );
  }

  async get(account: string, poolId: string, nodeId: string): Promise<StoredNode> {
    await this.pools.get(account, poolId);
    const node = await this.store.read((tx) => tx.get<NodeRecord>(nodeRef(account, poolId, nodeId)));
    if (node === undefined) throw nodeNotFound(nodeId);
    return node;
  }

  /** Changes one node in a transaction; its agent learns of it, and its pool is reconciled (preemption, restarts). */
  async change(
    account: string,
    poolId: string,
    nodeId: string,
    now: Date,
    change: (node: NodeRecord, tx: WriteTx) => NodeRecord | Promise<NodeRecord>,
  ): Promise<StoredNode> {
    await this.pools.get(account, poolId);
    return clientWrite(
      () =>
        this.store.write(async (tx) => {
          const node = await tx.get<NodeRecord>(nodeRef(account, poolId, nodeId));
          if (node === undefined) throw nodeNotFound(nodeId);
          recordEffect(tx, { kind: "reconcilePool", account, poolId });
          return writeNode(tx, account, poolId, node.body, await change(node.body, tx), now);
        }),
      () => nodeNotFound(nodeId),
    );
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
    return this.change(account, poolId, nodeId, now, async (node, tx) => {
      if (node.isDedicated !== false) {
        throw serviceError("OperationNotValidOnNode", { message: `The node '${nodeId}' is dedicated; only Spot/low-priority nodes can be preempted.` });
      }
      if (node.state === "preempted" || node._ob.action === "remove") {
        throw serviceError("OperationNotValidOnNode", { message: `The node '${nodeId}' is ${node.state}; it cannot be preempted now.` });
      }
      return preemptNode(tx, account, poolId, node, formatTimestamp(new Date(now.getTime() + recoverAfterInSeconds * 1000)), now);
    });
  }

  /** Disable scheduling: the node takes no new tasks, its running ones are handled per `option`; `offline` once none runs. */
  disableScheduling(account: string, poolId: string, nodeId: string, now: Date, option: DeallocationOption = "requeue"): Promise<StoredNode> {
    return this.change(account, poolId, nodeId, now, async (current, tx) => {
      if (current.schedulingState === "disabled") throw alreadyInState(nodeId, "disabled");
      return schedulingDisabled(tx, account, poolId, current, option, now);
    });
  }

  enableScheduling(account: string, poolId: string, nodeId: string, now: Date): Promise<StoredNode> {
    return this.change(account, poolId, nodeId, now, (node, tx) => {
      if (node.schedulingState !== "disabled") throw alreadyInState(nodeId, "enabled");
      return schedulingEnabled(tx, account, poolId, node, formatTimestamp(now));
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
