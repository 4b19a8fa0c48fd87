/**
 * Pools: add, get, list, exists, delete — the stored side of the pool lifecycle.
 *
 * States (`state`): active → deleting → (gone). A pool without nodes is removed at once on delete; otherwise it is
 * `deleting` until the pool reconciler has seen every node leave. `allocationState` and the current node counts
 * are the reconciler's (nodes/poolReconciler.ts): a new pool with non-zero targets is `resizing` until its nodes
 * have been reached by their agents.
 */
import { assertValidId, formatTimestamp, limits, parseDuration, propertyDetails, serviceError } from "@openbatch/core";
import type { CloudPool, NodeRemoveParameter, PoolAddParameter, PoolPatchParameter, PoolResizeParameter, PoolUpdatePropertiesParameter } from "@openbatch/protocol";
import type { NodeRecord } from "./nodeService.js";
import { releaseNodeTasks } from "../scheduling/requeue.js";
import { readAutoscaleState, writeAutoscaleState } from "../autoscale/autoscaleRecords.js";
import { isStoreError, type Store, type StoredEntity, type WriteTx } from "@openbatch/store";
import type { ListOptions } from "../odata/listQuery.js";
import { assertPackageReferencesResolve } from "../applications/applicationRecords.js";

export type StoredPool = StoredEntity<CloudPool>;

function poolNotFound(poolId: string) {
  return serviceError("PoolNotFound", { message: `The specified pool '${poolId}' does not exist.`, values: [{ key: "PoolId", value: poolId }] });
}

function invalid(property: string, reason: string) {
  return serviceError("InvalidPropertyValue", {
    message: `The value provided for the property '${property}' is invalid. ${reason}`,
    values: propertyDetails(property, reason),
  });
}

/** Cross-field rules the schema cannot state (rest-api.md §4.1). */
function checkPoolRules(pool: PoolAddParameter): void {
  assertValidId(pool.id, "id");
  if (pool.displayName !== undefined && pool.displayName.length > limits.displayNameMaxLength) {
    throw invalid("displayName", `The display name may be at most ${limits.displayNameMaxLength} characters long.`);
  }
  const configurations = [pool.cloudServiceConfiguration, pool.virtualMachineConfiguration].filter((c) => c !== undefined);
  if (configurations.length !== 1) {
    throw serviceError(configurations.length === 0 ? "MissingRequiredProperty" : "InvalidPropertyValue", {
      message: "Exactly one of 'cloudServiceConfiguration' and 'virtualMachineConfiguration' must be specified.",
      values: propertyDetails("virtualMachineConfiguration", "Exactly one of cloudServiceConfiguration and virtualMachineConfiguration must be specified."),
    });
  }
  if (pool.enableAutoScale === true) {
    if (pool.autoScaleFormula === undefined) {
      throw serviceError("MissingRequiredProperty", {
        message: "The property 'autoScaleFormula' is required when 'enableAutoScale' is true.",
        values: propertyDetails("autoScaleFormula"),
      });
    }
    if (pool.targetDedicatedNodes !== undefined || pool.targetLowPriorityNodes !== undefined) {
      throw invalid("targetDedicatedNodes", "Target node counts cannot be specified when 'enableAutoScale' is true.");
    }
  } else if (pool.autoScaleFormula !== undefined || pool.autoScaleEvaluationInterval !== undefined) {
    throw invalid("autoScaleFormula", "An autoscale formula can only be specified when 'enableAutoScale' is true.");
  } else if (pool.targetDedicatedNodes === undefined && pool.targetLowPriorityNodes === undefined) {
    throw serviceError("MissingRequiredProperty", {
      message: "At least one of 'targetDedicatedNodes' and 'targetLowPriorityNodes' is required when autoscale is not enabled.",
      values: propertyDetails("targetDedicatedNodes"),
    });
  }
  for (const name of ["targetDedicatedNodes", "targetLowPriorityNodes"] as const) {
    const value = pool[name];
    if (value !== undefined && value < 0) throw invalid(name, "Target node counts cannot be negative.");
  }
  checkResizeTimeout(pool.resizeTimeout);
  if (pool.taskSlotsPerNode !== undefined && (pool.taskSlotsPerNode < 1 || pool.taskSlotsPerNode > limits.maxTaskSlotsPerNode)) {
    throw invalid("taskSlotsPerNode", `taskSlotsPerNode must be between 1 and ${limits.maxTaskSlotsPerNode}.`);
  }
}

/**
 * Deletes the pool in the caller's transaction: at once without nodes, otherwise `deleting` until the reconciler has
 * removed them — the caller kicks the pool's reconciler after the commit. `ifMatch` as for `PoolService.delete`.
 */
export async function deletePoolInTx(tx: WriteTx, account: string, poolId: string, now: Date, ifMatch?: string): Promise<void> {
  const ref = { account, kind: "pool" as const, scope: "", id: poolId };
  const nodes = await tx.count({ account, kind: "node", scope: poolId });
  if (nodes === 0) return tx.delete(ref, { ifMatch });
  const pool = await tx.get<CloudPool>(ref);
  if (pool === undefined) throw poolNotFound(poolId);
  await tx.replace(ref, { ...pool.body, state: "deleting", stateTransitionTime: formatTimestamp(now) }, now, { ifMatch });
}

export class PoolService {
  /**
   * @param onChange called after a committed change to a pool's targets or state, so that its nodes follow
   *   (the pool reconciler).
   */
  constructor(
    private readonly store: Store,
    private readonly onChange: (account: string, poolId: string) => void = () => {},
    /** The compute provider's refusals of what it cannot honour (providers/poolCapabilities.ts). */
    private readonly checkCapabilities: (pool: PoolAddParameter, account: string) => void = () => {},
  ) {}

  async add(account: string, pool: PoolAddParameter, url: string, now: Date): Promise<StoredPool> {
    const cloudPool = this.newPool(pool, url, now, account);
    const stored = await this.store.write((tx) => this.insertPool(tx, account, cloudPool, now));
    this.onChange(account, pool.id);
    return stored;
  }

  /** The pool as added, with its defaults filled in; throws a ServiceError for what the rules or provider refuse. */
  newPool(pool: PoolAddParameter, url: string, now: Date, account: string): CloudPool {
    checkPoolRules(pool);
    this.checkCapabilities(pool, account);
    const time = formatTimestamp(now);
    const targetDedicatedNodes = pool.enableAutoScale === true ? 0 : (pool.targetDedicatedNodes ?? 0);
    const targetLowPriorityNodes = pool.enableAutoScale === true ? 0 : (pool.targetLowPriorityNodes ?? 0);
    return {
      ...pool,
      url,
      creationTime: time,
      state: "active",
      stateTransitionTime: time,
      allocationState: targetDedicatedNodes + targetLowPriorityNodes > 0 ? "resizing" : "steady",
      allocationStateTransitionTime: time,
      resizeTimeout: pool.resizeTimeout ?? "PT15M",
      currentDedicatedNodes: 0,
      currentLowPriorityNodes: 0,
      targetDedicatedNodes,
      targetLowPriorityNodes,
      enableAutoScale: pool.enableAutoScale ?? false,
      ...(pool.enableAutoScale === true ? { autoScaleEvaluationInterval: pool.autoScaleEvaluationInterval ?? "PT15M" } : {}),
      enableInterNodeCommunication: pool.enableInterNodeCommunication ?? false,
      taskSlotsPerNode: pool.taskSlotsPerNode ?? 1,
      taskSchedulingPolicy: pool.taskSchedulingPolicy ?? { nodeFillType: "spread" },
      targetNodeCommunicationMode: pool.targetNodeCommunicationMode ?? "default",
      currentNodeCommunicationMode: "simplified",
    };
  }

  /** Stores a pool made by `newPool` in the caller's transaction; the caller calls `created` after the commit. */
  async insertPool(tx: WriteTx, account: string, pool: CloudPool, now: Date): Promise<StoredPool> {
    const id = pool.id ?? "";
    await assertPackageReferencesResolve(tx, account, pool.applicationPackageReferences);
    try {
      return await tx.insert({ account, kind: "pool", scope: "", id }, pool, now);
    } catch (error) {
      if (isStoreError(error, "conflict")) {
        throw serviceError("PoolExists", { message: `The specified pool '${id}' already exists.`, values: [{ key: "PoolId", value: id }] });
      }
      throw error;
    }
  }

  /** A pool inserted with `insertPool` was committed: its nodes follow. */
  created(account: string, poolId: string): void {
    this.onChange(account, poolId);
  }

  /** A pool deleted with `deletePoolInTx` (or otherwise changed) in a committed transaction: its nodes follow. */
  changed(account: string, poolId: string): void {
    this.onChange(account, poolId);
  }

  /** The pool, or 404 PoolNotFound. */
  async get(account: string, poolId: string): Promise<StoredPool> {
    const pool = await this.find(account, poolId);
    if (pool === undefined) throw poolNotFound(poolId);
    return pool;
  }

  find(account: string, poolId: string): Promise<StoredPool | undefined> {
    return this.store.read((tx) => tx.get<CloudPool>({ account, kind: "pool", scope: "", id: poolId }));
  }

  async list(account: string, options: ListOptions): Promise<{ items: StoredPool[]; nextKey?: string }> {
    return this.store.read((tx) =>
      tx.list<CloudPool>({ account, kind: "pool", scope: "" }, { limit: options.maxResults, afterKey: options.afterKey, filter: options.filter }),
    );
  }

  /**
   * Deletes the pool. `ifMatch` is the ETag the caller's conditions were checked against, so the delete applies
   * only to that version.
   */
  async delete(account: string, poolId: string, ifMatch: string, now: Date): Promise<void> {
    try {
      await this.store.write((tx) => deletePoolInTx(tx, account, poolId, now, ifMatch));
      this.onChange(account, poolId);
    } catch (error) {
      if (isStoreError(error, "notFound")) throw poolNotFound(poolId);
      if (isStoreError(error, "preconditionFailed")) throw serviceError("ConditionNotMet");
      throw error;
    }
  }

  /**
   * Changes a pool in one transaction: `ifMatch` is the ETag the caller's conditions were checked against, so the
   * change applies only to that version (undefined: whatever version the transaction reads, for the server's own
   * changes such as autoscale evaluations). Pools being deleted refuse every change (409 PoolBeingDeleted).
   */
  async mutate(
    account: string,
    poolId: string,
    ifMatch: string | undefined,
    now: Date,
    change: (pool: CloudPool, tx: WriteTx) => Promise<CloudPool> | CloudPool,
  ): Promise<StoredPool> {
    try {
      const stored = await this.store.write(async (tx) => {
        const ref = { account, kind: "pool" as const, scope: "", id: poolId };
        const pool = await tx.get<CloudPool>(ref);
        if (pool === undefined) throw poolNotFound(poolId);
        if (pool.body.state === "deleting") {
          throw serviceError("PoolBeingDeleted", { message: `The pool '${poolId}' is being deleted.`, values: [{ key: "PoolId", value: poolId }] });
        }
        return tx.replace(ref, await change(pool.body, tx), now, { ifMatch });
      });
      this.onChange(account, poolId);
      return stored;
    } catch (error) {
      if (isStoreError(error, "preconditionFailed")) throw serviceError("ConditionNotMet");
      throw error;
    }
  }

  /** POST /pools/{id}/resize: new targets; only a steady pool without autoscale. */
  resize(account: string, poolId: string, request: PoolResizeParameter, ifMatch: string, now: Date): Promise<StoredPool> {
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
      // A new resize clears the errors of the last one.
      const { resizeErrors: _lastErrors, ...rest } = pool;
      return {
        ...rest,
        targetDedicatedNodes: request.targetDedicatedNodes ?? pool.targetDedicatedNodes ?? 0,
        targetLowPriorityNodes: request.targetLowPriorityNodes ?? pool.targetLowPriorityNodes ?? 0,
        resizeTimeout: timeout ?? pool.resizeTimeout ?? "PT15M",
        allocationState: "resizing",
        allocationStateTransitionTime: formatTimestamp(now),
      };
    });
  }

  /** POST /pools/{id}/stopresize: keep the nodes the pool has now. */
  stopResize(account: string, poolId: string, ifMatch: string, now: Date): Promise<StoredPool> {
    return this.mutate(account, poolId, ifMatch, now, async (pool, tx) => {
      if (pool.allocationState === "steady") return pool;
      const nodes = await tx.list<NodeRecord>({ account, kind: "node", scope: poolId }, { limit: 100_000 });
      const live = nodes.items.filter((node) => node.body._ob.action === "run");
      // Nodes still draining for a removal stay after all (the reconciler lets them take tasks again).
      for (const node of live) {
        if (node.body._ob.removalRequested === undefined) continue;
        const { removalRequested: _stopped, ...runtime } = node.body._ob;
        await tx.replace({ account, kind: "node", scope: poolId, id: node.id }, { ...node.body, _ob: runtime }, now);
      }
      const dedicated = live.filter((node) => node.body.isDedicated !== false).length;
      return {
        ...pool,
        targetDedicatedNodes: dedicated,
        targetLowPriorityNodes: live.length - dedicated,
        allocationState: "stopping",
        allocationStateTransitionTime: formatTimestamp(now),
      };
    });
  }

  /**
   * POST /pools/{id}/removenodes: the named nodes leave and the targets shrink by them, like a resize that picks
   * its nodes: their running tasks are requeued or terminated at once, or (taskcompletion, retaineddata) finish
   * first while the node is `leavingpool`; `resizeTimeout` bounds the removal as it bounds a resize (the pool then
   * settles with `AllocationTimedOut`, keeping nodes still draining).
   */
  removeNodes(account: string, poolId: string, request: NodeRemoveParameter, ifMatch: string, now: Date): Promise<StoredPool> {
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
        const ref = { account, kind: "node" as const, scope: poolId, id: nodeId };
        const node = await tx.get<NodeRecord>(ref);
        if (node === undefined) {
          throw serviceError("NodeNotFound", { message: `The node '${nodeId}' is not in the pool '${poolId}'.`, values: [{ key: "NodeId", value: nodeId }] });
        }
        if (node.body._ob.action === "remove" || node.body._ob.removalRequested !== undefined) continue;
        if (node.body.isDedicated === false) lowPriority++;
        else dedicated++;
        const drains = (option === "taskcompletion" || option === "retaineddata") && (node.body._ob.assignments?.length ?? 0) > 0;
        if (drains) {
          // Its tasks finish first: leavingpool (no new tasks); the reconciler removes it once they have.
          await tx.replace(ref, { ...node.body, state: "leavingpool", stateTransitionTime: time, _ob: { ...node.body._ob, removalRequested: option } }, now);
          continue;
        }
        const released = await releaseNodeTasks(tx, account, node.body, option, now);
        await tx.replace(ref, { ...released, state: "leavingpool", stateTransitionTime: time, _ob: { ...released._ob, action: "remove" } }, now);
      }
      // A new resize clears the errors of the last one.
      const { resizeErrors: _lastErrors, ...rest } = pool;
      return {
        ...rest,
        targetDedicatedNodes: Math.max(0, (pool.targetDedicatedNodes ?? 0) - dedicated),
        targetLowPriorityNodes: Math.max(0, (pool.targetLowPriorityNodes ?? 0) - lowPriority),
        resizeTimeout: timeout ?? pool.resizeTimeout ?? "PT15M",
        allocationState: "resizing",
        allocationStateTransitionTime: time,
      };
    });
  }

  /** PATCH /pools/{id}: replaces only the elements given (an empty list clears). */
  patch(account: string, poolId: string, request: PoolPatchParameter, ifMatch: string, now: Date): Promise<StoredPool> {
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
  updateProperties(account: string, poolId: string, request: PoolUpdatePropertiesParameter, ifMatch: string, now: Date): Promise<StoredPool> {
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

/** resizeTimeout: at least 5 minutes (semantics.md §6.1). */
function checkResizeTimeout(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 5 * 60_000) throw invalid("resizeTimeout", "resizeTimeout must be at least PT5M.");
  return value;
}
