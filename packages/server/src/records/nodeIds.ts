/** Node ids: `tvm-<pool number>_<index>-<time>`, the pool number from its account and id (as Azure's carry one). */
import { createHash } from "node:crypto";

/** The number in the ids of a pool's nodes, from its account and id. */
export function poolNumber(account: string, poolId: string): string {
  const digest = createHash("sha256").update(`${account}/${poolId.toLowerCase()}`).digest();
  return String(digest.readUInt32BE(0) % 10_000_000_000).padStart(10, "0");
}
