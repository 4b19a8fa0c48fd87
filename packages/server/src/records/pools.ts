/** Pool rows (`kind = pool`, scope ""): the wire CloudPool. Every change of a pool's state is made by lifecycle/pools.ts. */
import type { CloudPool } from "@openbatch/protocol";
import type { StoredEntity } from "@openbatch/store";

export type StoredPool = StoredEntity<CloudPool>;

export function poolRef(account: string, poolId: string) {
  return { account, kind: "pool" as const, scope: "", id: poolId };
}
