/**
 * Pools: add, get, list, exists, delete, resize, stop resize, remove nodes, patch, update properties — the checks and
 * transactions of the Pool operations. Every change of a pool's state is lifecycle/pools.ts's; its nodes follow
 * through the reconciler, which every committed pool change wakes.
 *
 * States (`state`): active → deleting → (gone). A pool without nodes is removed at once on delete; otherwise it is
 * `deleting` until the pool reconciler has seen every node leave. `allocationState` and the current node counts
 * are the reconciler's (loops/poolReconciler.ts): a new pool with non-zero targets is `resizing` until its nodes
 * have been reached by their agents.
 */
import { formatTimestamp, limits, serviceError } from "@openbatch/core";
import type { CloudPool, NodeRemoveParameter, PoolAddParameter, PoolPatchParameter, PoolResizeParameter, PoolUpdatePropertiesParameter } from "@openbatch/protocol";
import type { Store, WriteTx } from "@openbatch/store";
import { readAutoscaleState, writeAutoscaleState } from "../autoscale/autoscaleRecords.js";
import { recordEffect } from "../effects/transaction.js";
import { leavingNode } from "../lifecycle/nodeOperations.js";
import { writeNode } from "../lifecycle/nodes.js";
import { deletePool, insertPool, newPool, resizingPool, stoppingPool } from "../lifecycle/pools.js";
import type { ListOptions } from "../odata/listQuery.js";
import { assertPackageReferencesResolve } from "../records/applications.js";
import { poolNotFound } from "../records/errors.js";
import { listAll } from "../records/listAll.js";
import { nodeRef, type NodeRecord } from "../records/nodes.js";
import { checkResizeTimeout, invalidProperty as invalid, type PoolCapabilityCheck } from "../records/poolRules.js";
import { poolRef, type StoredPool } from "../records/pools.js";
import { clientWrite } from "./storeErrors.js";
import type { Quotas } from "../quotas.js";

export type { StoredPool } from "../records/pools.js";

export class PoolService {
  constructor(
    private readonly store: Store,
    /** The compute provider's refusals of what it cannot honour (providers/poolCapabilities.ts). */
    private readonly checkCapabilities: PoolCapabilityCheck = () => {},
    /** The accounts' quotas (quotas.ts); without them, none. */
    private readonly quotas?: Quotas,
  ) {}

  /** Adds the pool (409 PoolQuotaReached when the account has its quota of pools); its nodes follow (the reconciler, woken by the commit). */
  add(account: string, pool: PoolAddParameter, url: string, now: Date): Promise<StoredPool> {
    const cloudPool = newPool(account, pool, url, now, this.checkCapabilities);
    return this.store.write((tx) => insertPool(tx, account, cloudPool, now, this.quotas?.of(account).pools ?? Infinity));
  }

  /** The pool, or 404 PoolNotFound. */
  async get(account: string, poolId: string): Promise<StoredPool> {
    const pool = await this.find(account, poolId);
    if (pool === undefined) throw poolNotFound(poolId);
    return pool;
  }

  find(account: string, poolId: string): Promise<StoredPool | undefined> {
    return this.store.read((tx) => tx.get<CloudPool>(poolRef(account, poolId)));
  }

  async list(account: string, options: ListOptions): Promise<{ items: StoredPool[]; nextKey?: string }> {
    return this.store.read((tx) =>
      tx.list<CloudPool>({ account, kind: "pool", scope: "" }, { limit: options.maxResults, afterKey: options.afterKey, filter: options.filter }),
    );
  }

  /**
   * Deletes the pool. `ifMatch` is the ETag the caller's conditions were checked against, so the delete applies
   * only to that version (undefined when the request had none: a pool the reconciler is writing can be deleted).
   */
  delete(account: string, poolId: string, ifMatch: string | undefined, now: Date): Promise<void> {
    return clientWrite(() => this.store.write((tx) => deletePool(tx, account, poolId, now, ifMatch)), () => poolNotFound(poolId));
  }

  /**
   * Changes a pool in one transaction: `ifMatch` is the ETag the caller's conditions were checked against, so the
   * change applies only to that version (undefined: whatever version the transaction reads, for requests without
   * conditions and the server's own changes such as autoscale evaluations). Pools being deleted refuse every change (409 PoolBeingDeleted).
   */
  mutate(
    account: string,
    poolId: string,
    ifMatch: string | undefined,
    now: Date,
    change: (pool: CloudPool, tx: WriteTx) => Promise<CloudPool> | CloudPool,
  ): Promise<StoredPool> {
    return clientWrite(() =>
      this.store.write(async (tx) => {
        const ref = poolRef(account, poolId);
        const pool = await tx.get<CloudPool>(ref);
        if (pool === undefined) throw poolNotFound(poolId);
        if (pool.body.state === "deleting") {
          throw serviceError("PoolBeingDeleted", { message: `The pool '${poolId}' is being deleted.`, values: [{ key: "PoolId", value: poolId }] });
        }
        // Whatever changed, its nodes follow: targets, start task, packages and certificates reach them through the reconciler.
        recordEffect(tx, { kind: "reconcilePool", account, poolId });
        return tx.replace(ref, await change(pool.body, tx), now, { ifMatch });
      }),
    );
  }

  /** POST /pools/{id}/resize: new targets; only a steady pool without autoscale. */
  resize(account: string, poolId: string, request: PoolResizeParameter, ifMatch: string | undefined, now: Date): Promise<StoredPool> {
    for (const name of ["targetDedicatedNodes", "targetLowPriorityNodes"] as const) {
      const value = request[name];
      if (value !== undefined && value < 0) throw invalid(name, "Target node counts cannot be negative.");
    }
    const timeout = checkResizeTimeout(request.resizeTimeout);
    return this.mutate(account, poolId, ifMatch, now, async (pool, tx) => {
      if (pool.enableAutoScale === true) {
        throw serviceError("OperationNotValidOnPool", { message: "A pool with autoscale enabled cannot be resized manually; disable autoscale first." });
      }
      if (pool.allocationState !== "steady") {
        throw serviceError("PoolBeingResized", { message: `The pool '${poolId}' is already resizing; stop the resize or wait for it to finish.` });
      }
      // How nodes that leave in this resize treat their running tasks; the reconciler reads it where it reads an
      // autoscale evaluation's $NodeDeallocationOption (the pool's one shrink option).
      const state = await readAutoscaleState(tx, account, poolId);
      await writeAutoscaleState(tx, account, { ...state, poolId: pool.id ?? poolId, nodeDeallocationOption: request.nodeDeallocationOption ?? "requeue" }, now);
      return resizingPool(tx, account, pool, {
        targetDedicatedNodes: request.targetDedicatedNodes ?? pool.targetDedicatedNodes ?? 0,
        targetLowPriorityNodes: request.targetLowPriorityNodes ?? pool.targetLowPriorityNodes ?? 0,
        resizeTimeout: timeout ?? pool.resizeTimeout ?? "PT15M",
      }, formatTimestamp(now));
    });
  }

  /** POST /pools/{id}/stopresize: keep the nodes the pool has now. */
  stopResize(account: string, poolId: string, ifMatch: string | undefined, now: Date): Promise<StoredPool> {
    return this.mutate(account, poolId, ifMatch, now, async (pool, tx) => {
      if (pool.allocationState === "steady") return pool;
      const live = (await listAll<NodeRecord>(tx, { account, kind: "node", scope: poolId })).filter((node) => node.body._ob.action === "run");
      // Nodes still draining for a removal stay after all (the reconciler lets them take tasks again).
      for (const node of live) {
        if (node.body._ob.removalRequested === undefined) continue;
        const { removalRequested: _stopped, ...runtime } = node.body._ob;
        await writeNode(tx, account, poolId, node.body, { ...node.body, _ob: runtime }, now);
      }
      const dedicated = live.filter((node) => node.body.isDedicated !== false).length;
      return stoppingPool(tx, account, pool, { targetDedicatedNodes: dedicated, targetLowPriorityNodes: live.length - dedicated }, formatTimestamp(now));
    });
  }

  /**
   * POST /pools/{id}/removenodes: the named nodes leave and the targets shrink by them, like a resize that picks
   * its nodes: their running tasks are requeued or terminated at once, or (taskcompletion, retaineddata) finish
   * first while the node is `leavingpool`; `resizeTimeout` bounds the removal as it bounds a resize (the pool then
   * settles with `AllocationTimedOut`, keeping nodes still draining).
   */
  removeNodes(account: string, poolId: string, request: NodeRemoveParameter, ifMatch: string | undefined, now: Date): Promise<StoredPool> {
    if (request.nodeList.length === 0 || request.nodeList.length > limits.removeNodesPerCall) {
      throw invalid("nodeList", `nodeList must name between 1 and ${limits.removeNodesPerCall} nodes.`);
    }
    const timeout = checkResizeTimeout(request.resizeTimeout);
    const option = request.nodeDeallocationOption ?? "requeue";
    return this.mutate(account, poolId, ifMatch, now, async (pool, tx) => {
      if (pool.allocationState !== "steady") {
        throw serviceError("PoolBeingResized", { message: `The pool '${poolId}' is resizing; nodes can be removed only from a steady pool.` });
      }
      const time = formatTimestamp(now);
      let dedicated = 0;
      let lowPriority = 0;
      for (const nodeId of new Set(request.nodeList.map((id) => id.toLowerCase()))) {
        const node = await tx.get<NodeRecord>(nodeRef(account, poolId, nodeId));
        if (node === undefined) {
          throw serviceError("NodeNotFound", { message: `The node '${nodeId}' is not in the pool '${poolId}'.`, values: [{ key: "NodeId", value: nodeId }] });
        }
        if (node.body._ob.action === "remove" || node.body._ob.removalRequested !== undefined) continue;
        if (node.body.isDedicated === false) lowPriority++;
        else dedicated++;
        // Its tasks finish first (taskcompletion, retaineddata: leavingpool, no new tasks; the reconciler removes it
        // once they have), or are requeued or terminated now.
        const leaving = await leavingNode(tx, account, poolId, node.body, option, now, true);
        if (leaving !== undefined) await writeNode(tx, account, poolId, node.body, leaving, now);
      }
      return resizingPool(tx, account, pool, {
        targetDedicatedNodes: Math.max(0, (pool.targetDedicatedNodes ?? 0) - dedicated),
        targetLowPriorityNodes: Math.max(0, (pool.targetLowPriorityNodes ?? 0) - lowPriority),
        resizeTimeout: timeout ?? pool.resizeTimeout ?? "PT15M",
      }, time);
    });
  }

  /** PATCH /pools/{id}: replaces only the elements given (an empty list clears). */
  patch(account: string, poolId: string, request: PoolPatchParameter, ifMatch: string | undefined, now: Date): Promise<StoredPool> {
    return this.mutate(account, poolId, ifMatch, now, async (pool, tx) => {
      await assertPackageReferencesResolve(tx, account, request.applicationPackageReferences);
      const updated: CloudPool = { ...pool };
      for (const [key, value] of Object.entries(request)) {
        if (value !== undefined) (updated as Record<string, unknown>)[key] = value;
      }
      return updated;
    });
  }

  /** POST /pools/{id}/updateproperties: replaces all updatable elements; absent ones are cleared or defaulted. */
  updateProperties(account: string, poolId: string, request: PoolUpdatePropertiesParameter, ifMatch: string | undefined, now: Date): Promise<StoredPool> {
    return this.mutate(account, poolId, ifMatch, now, async (pool, tx) => {
      await assertPackageReferencesResolve(tx, account, request.applicationPackageReferences);
      const { startTask: _startTask, ...rest } = pool;
      return {
        ...rest,
        ...(request.startTask === undefined ? {} : { startTask: request.startTask }),
        certificateReferences: request.certificateReferences,
        applicationPackageReferences: request.applicationPackageReferences,
        metadata: request.metadata,
        targetNodeCommunicationMode: request.targetNodeCommunicationMode ?? "default",
      };
    });
  }
}
