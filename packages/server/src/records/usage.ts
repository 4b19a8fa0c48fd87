/**
 * Node allocation intervals (`kind = usage`, scope "", one per node allocation), the raw data of pool usage
 * metrics. Opened and closed with the node (lifecycle/nodes.ts `insertNodes`, `removeNode`); they outlive their node and pool.
 */
import type { EntityRef } from "@openbatch/store";

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
