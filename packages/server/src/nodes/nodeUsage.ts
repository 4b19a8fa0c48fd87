/**
 * Node allocation intervals, the raw data of pool usage metrics (`GET /poolusagemetrics`).
 *
 * A `usage` entity (scope "", one per node allocation) is written in the same store transaction that creates the
 * node (pool reconciler) and closed in the one that deletes it after it left the pool (agent sync), so usage is
 * exactly as durable as the nodes themselves. Records outlive their node and pool: Azure reports the usage of
 * deleted pools too. The id is `{poolId}/{nodeId}/{allocationTime}`, so the release finds its record directly.
 *
 * Counted as allocated: from `allocationTime` until the node is deleted, whatever its state in between (`unknown`,
 * `preempted`, rebooting… are not subtracted).
 */
import { formatTimestamp, vmSizeInfo } from "@openbatch/core";
import type { CloudPool } from "@openbatch/protocol";
import { isStoreError, type EntityRef, type WriteTx } from "@openbatch/store";
import type { NodeRecord } from "../services/nodeService.js";

export interface UsageRecord {
  /** The pool's id as it was created. */
  poolId: string;
  nodeId: string;
  /** Lower-case, as nodes show it. */
  vmSize: string;
  /** The size's cores, from `vmSizeInfo` (0 for a size the table does not know). */
  cores: number;
  isDedicated: boolean;
  allocationTime: string;
  /** Absent while the node is allocated. */
  releaseTime?: string;
}

export function usageRef(account: string, poolId: string, nodeId: string, allocationTime: string): EntityRef {
  return { account, kind: "usage", scope: "", id: `${poolId}/${nodeId}/${allocationTime}` };
}

/** Opens a usage record for each node just created in `pool` (call in the transaction that inserts them). */
export async function recordNodesAllocated(tx: WriteTx, account: string, pool: CloudPool, nodes: readonly NodeRecord[], now: Date): Promise<void> {
  const vmSize = (pool.vmSize ?? "").toLowerCase();
  const cores = vmSizeInfo(vmSize)?.cores ?? 0;
  for (const node of nodes) {
    const allocationTime = node.allocationTime ?? formatTimestamp(now);
    const record: UsageRecord = { poolId: pool.id ?? "", nodeId: node.id, vmSize, cores, isDedicated: node.isDedicated !== false, allocationTime };
    const ref = usageRef(account, record.poolId, node.id, allocationTime);
    try {
      await tx.insert(ref, record, now);
    } catch (error) {
      // The same pool and node id allocated at the same instant again (a stopped test clock): the earlier
      // record, already released at that instant, covered no time.
      if (!isStoreError(error, "conflict")) throw error;
      await tx.replace(ref, record, now);
    }
  }
}

/** Closes the node's usage record (call in the transaction that deletes the node). */
export async function recordNodeReleased(tx: WriteTx, account: string, poolId: string, node: NodeRecord, now: Date): Promise<void> {
  if (node.allocationTime === undefined) return;
  const ref = usageRef(account, poolId, node.id, node.allocationTime);
  const record = await tx.get<UsageRecord>(ref);
  // Nodes allocated before usage was recorded have no record.
  if (record === undefined || record.body.releaseTime !== undefined) return;
  await tx.replace<UsageRecord>(ref, { ...record.body, releaseTime: formatTimestamp(now) }, now);
}
