/**
 * Pools: add, get, list, exists, delete — the stored side of the pool lifecycle.
 *
 * States (`state`): active → deleting → (gone). A pool without nodes is removed at once on delete; otherwise it is
 * `deleting` until the pool reconciler has seen every node leave. `allocationState` and the current node counts
 * are the reconciler's (nodes/poolReconciler.ts): a new pool with non-zero targets is `resizing` until its nodes
 * have been reached by their agents.
 */
import { assertValidId, formatTimestamp, limits, propertyDetails, serviceError } from "@openbatch/core";
import type { CloudPool, PoolAddParameter } from "@openbatch/protocol";
import { isStoreError, type Store, type StoredEntity } from "@openbatch/store";
import type { ListOptions } from "../odata/listQuery.js";

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
  }
  for (const name of ["targetDedicatedNodes", "targetLowPriorityNodes"] as const) {
    const value = pool[name];
    if (value !== undefined && value < 0) throw invalid(name, "Target node counts cannot be negative.");
  }
  if (pool.taskSlotsPerNode !== undefined && (pool.taskSlotsPerNode < 1 || pool.taskSlotsPerNode > limits.maxTaskSlotsPerNode)) {
    throw invalid("taskSlotsPerNode", `taskSlotsPerNode must be between 1 and ${limits.maxTaskSlotsPerNode}.`);
  }
}

export class PoolService {
  /**
   * @param onChange called after a committed change to a pool's targets or state, so that its nodes follow
   *   (the pool reconciler).
   */
  constructor(
    private readonly store: Store,
    private readonly onChange: (account: string, poolId: string) => void = () => {},
  ) {}

  async add(account: string, pool: PoolAddParameter, url: string, now: Date): Promise<StoredPool> {
    checkPoolRules(pool);
    const time = formatTimestamp(now);
    const targetDedicatedNodes = pool.enableAutoScale === true ? 0 : (pool.targetDedicatedNodes ?? 0);
    const targetLowPriorityNodes = pool.enableAutoScale === true ? 0 : (pool.targetLowPriorityNodes ?? 0);
    const cloudPool: CloudPool = {
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
      enableInterNodeCommunication: pool.enableInterNodeCommunication ?? false,
      taskSlotsPerNode: pool.taskSlotsPerNode ?? 1,
      taskSchedulingPolicy: pool.taskSchedulingPolicy ?? { nodeFillType: "spread" },
      targetNodeCommunicationMode: pool.targetNodeCommunicationMode ?? "default",
      currentNodeCommunicationMode: "simplified",
    };
    try {
      const stored = await this.store.write((tx) => tx.insert({ account, kind: "pool", scope: "", id: pool.id }, cloudPool, now));
      this.onChange(account, pool.id);
      return stored;
    } catch (error) {
      if (isStoreError(error, "conflict")) {
        throw serviceError("PoolExists", { message: `The specified pool '${pool.id}' already exists.`, values: [{ key: "PoolId", value: pool.id }] });
      }
      throw error;
    }
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
      await this.store.write(async (tx) => {
        const ref = { account, kind: "pool" as const, scope: "", id: poolId };
        const nodes = await tx.count({ account, kind: "node", scope: poolId });
        if (nodes === 0) return tx.delete(ref, { ifMatch });
        const pool = await tx.get<CloudPool>(ref);
        if (pool === undefined) throw poolNotFound(poolId);
        const time = formatTimestamp(now);
        await tx.replace(ref, { ...pool.body, state: "deleting", stateTransitionTime: time }, now, { ifMatch });
      });
      this.onChange(account, poolId);
    } catch (error) {
      if (isStoreError(error, "notFound")) throw poolNotFound(poolId);
      if (isStoreError(error, "preconditionFailed")) throw serviceError("ConditionNotMet");
      throw error;
    }
  }
}
