/**
 * Every change of a pool's `state` and `allocationState` (semantics.md §6.1; core's `poolMachine` and
 * `allocationMachine`): added (`active`, `resizing` or `steady`), deleted (gone at once without nodes, else
 * `deleting` until the reconciler has seen them leave), resized (manually, by remove nodes or by an autoscale
 * evaluation), stopped, and settled by the reconciler. The pool's nodes follow through the reconciler, which these
 * changes wake (lifecycle/transitions.ts).
 */
import { formatTimestamp, serviceError } from "@openbatch/core";
import type { CloudPool, PoolAddParameter } from "@openbatch/protocol";
import { isStoreError, type WriteTx } from "@openbatch/store";
import { assertPackageReferencesResolve } from "../records/applications.js";
import { poolNotFound } from "../records/errors.js";
import { checkPoolRules, type PoolCapabilityCheck } from "../records/poolRules.js";
import { poolRef, type StoredPool } from "../records/pools.js";
import { assertPoolQuota } from "../records/quotas.js";
import { retiredPoolFigures } from "./statistics.js";
import { allocationLifecycle, created, move, poolLifecycle } from "./transitions.js";

/**
 * The configuration blocks with the defaults the service fills in and reads back (its recordings): a marketplace
 * image's `version` `latest`, data disks' `caching` `none` and `storageAccountType` `standard_lrs`, the network's
 * `dynamicVNetAssignmentScope` `none`, security rules' `sourcePortRanges` `["*"]`.
 */
function configurationDefaults(pool: PoolAddParameter): Partial<CloudPool> {
  const vm = pool.virtualMachineConfiguration;
  const network = pool.networkConfiguration;
  const endpoints = network?.endpointConfiguration;
  return {
    ...(vm === undefined
      ? {}
      : {
          virtualMachineConfiguration: {
            ...vm,
            imageReference: vm.imageReference.virtualMachineImageId === undefined ? { ...vm.imageReference, version: vm.imageReference.version ?? "latest" } : vm.imageReference,
            ...(vm.dataDisks === undefined ? {} : { dataDisks: vm.dataDisks.map((disk) => ({ ...disk, caching: disk.caching ?? "none", storageAccountType: disk.storageAccountType ?? "standard_lrs" })) }),
          },
        }),
    ...(network === undefined
      ? {}
      : {
          networkConfiguration: {
            ...network,
            dynamicVNetAssignmentScope: network.dynamicVNetAssignmentScope ?? "none",
            ...(endpoints === undefined
              ? {}
              : {
                  endpointConfiguration: {
                    inboundNATPools: endpoints.inboundNATPools.map((natPool) => ({
                      ...natPool,
                      ...(natPool.networkSecurityGroupRules === undefined
                        ? {}
                        : { networkSecurityGroupRules: natPool.networkSecurityGroupRules.map((rule) => ({ ...rule, sourcePortRanges: rule.sourcePortRanges ?? ["*"] })) }),
                    })),
                  },
                }),
          },
        }),
  };
}

/** The pool as added, with its defaults filled in; throws a ServiceError for what the rules or the provider refuse. */
export function newPool(account: string, pool: PoolAddParameter, url: string, now: Date, checkCapabilities: PoolCapabilityCheck): CloudPool {
  checkPoolRules(pool);
  checkCapabilities(pool, account);
  const time = formatTimestamp(now);
  const targetDedicatedNodes = pool.enableAutoScale === true ? 0 : (pool.targetDedicatedNodes ?? 0);
  const targetLowPriorityNodes = pool.enableAutoScale === true ? 0 : (pool.targetLowPriorityNodes ?? 0);
  return {
    ...pool,
    ...configurationDefaults(pool),
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

/**
 * Stores a pool made by `newPool`; its nodes follow after the commit. 409 PoolExists for a taken id, 409
 * PoolQuotaReached when the account has `poolQuota` pools already.
 */
export async function insertPool(tx: WriteTx, account: string, pool: CloudPool, now: Date, poolQuota: number): Promise<StoredPool> {
  const id = pool.id ?? "";
  await assertPackageReferencesResolve(tx, account, pool.applicationPackageReferences);
  if ((await tx.get(poolRef(account, id))) === undefined) await assertPoolQuota(tx, account, poolQuota);
  const ref = poolRef(account, id);
  created(tx, ref, poolLifecycle, pool.state ?? "active");
  created(tx, ref, allocationLifecycle, pool.allocationState ?? "steady");
  try {
    return await tx.insert(ref, pool, now);
  } catch (error) {
    if (isStoreError(error, "conflict")) {
      throw serviceError("PoolExists", { message: `The specified pool '${id}' already exists.`, values: [{ key: "PoolId", value: id }] });
    }
    throw error;
  }
}

/**
 * Deletes the pool: at once without nodes, otherwise `deleting` until the reconciler has removed them. `ifMatch`
 * applies the delete only to that version (`preconditionFailed` from the store otherwise); `notFound` when absent.
 */
export async function deletePool(tx: WriteTx, account: string, poolId: string, now: Date, ifMatch?: string): Promise<void> {
  const ref = poolRef(account, poolId);
  const nodes = await tx.count({ account, kind: "node", scope: poolId });
  if (nodes === 0) {
    await tx.delete(ref, { ifMatch });
    await deleteJoinTokens(tx, account, poolId);
    return retiredPoolFigures(tx, account, poolId, now);
  }
  const pool = await tx.get<CloudPool>(ref);
  if (pool === undefined) throw poolNotFound(poolId);
  await tx.replace(ref, move(tx, ref, poolLifecycle, pool.body, "delete", "deleting", formatTimestamp(now)), now, { ifMatch });
}

/**
 * The pool resizing towards `targets` (a resize, remove nodes or an autoscale evaluation), the last resize's errors
 * cleared; a pool already resizing keeps its transition time (the resize timeout counts from its start).
 */
export function resizingPool(tx: WriteTx, account: string, pool: CloudPool, targets: Partial<CloudPool>, time: string): CloudPool {
  const { resizeErrors: _lastErrors, ...rest } = pool;
  return move(tx, poolRef(account, pool.id ?? ""), allocationLifecycle, { ...rest, ...targets }, "resize", "resizing", time);
}

/** Stop resize: the pool keeps the nodes it has (`targets`), `stopping` until the reconciler settles it. */
export function stoppingPool(tx: WriteTx, account: string, pool: CloudPool, targets: Partial<CloudPool>, time: string): CloudPool {
  return move(tx, poolRef(account, pool.id ?? ""), allocationLifecycle, { ...pool, ...targets }, "stop", "stopping", time);
}

/** The reconciler's allocation state for the pool after a run (steady, resizing, stopping). */
export function reconciledPool(tx: WriteTx, account: string, pool: CloudPool, changes: Partial<CloudPool>, allocationState: NonNullable<CloudPool["allocationState"]>, time: string): CloudPool {
  return move(tx, poolRef(account, pool.id ?? ""), allocationLifecycle, { ...pool, ...changes }, "reconcile", allocationState, time);
}

/** Removes a deleting pool whose last node has gone (the reconciler), and its join tokens; its statistics go to the account's. */
export async function removeDeletedPool(tx: WriteTx, account: string, poolId: string, now: Date): Promise<void> {
  await tx.delete(poolRef(account, poolId));
  await deleteJoinTokens(tx, account, poolId);
  await retiredPoolFigures(tx, account, poolId, now);
}

/** A pool made again under the same id must not honour the removed pool's join tokens (nodes/joinTokens.ts). */
async function deleteJoinTokens(tx: WriteTx, account: string, poolId: string): Promise<void> {
  for (const token of (await tx.list({ account, kind: "joinToken", scope: poolId }, { limit: 10_000 })).items) await tx.delete({ account, kind: "joinToken", scope: poolId, id: token.id });
}
