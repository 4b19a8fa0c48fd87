/**
 * The checks of the pool and active job quotas (docs/quotas.md) in a transaction: the count of what the account has,
 * against its quota. The core quotas are the pool reconciler's (loops/poolReconciler.ts): they do not refuse a
 * request, they stop an allocation short.
 */
import { serviceError } from "@openbatch/core";
import type { ReadTx } from "@openbatch/store";

const notCompleted = { op: "ne", path: ["state"], kind: "enum", value: "completed" } as const;

/** 409 PoolQuotaReached when the account has `quota` pools already (pools being deleted count until they are gone). */
export async function assertPoolQuota(tx: ReadTx, account: string, quota: number): Promise<void> {
  const pools = await tx.count({ account, kind: "pool", scope: "" });
  if (pools < quota) return;
  throw serviceError("PoolQuotaReached", { values: [{ key: "PoolQuota", value: String(quota) }] });
}

/** 409 ActiveJobAndScheduleQuotaReached when the account's jobs and job schedules not completed reach `quota`. */
export async function assertActiveJobQuota(tx: ReadTx, account: string, quota: number): Promise<void> {
  const active = (await tx.count({ account, kind: "job", scope: "" }, notCompleted)) + (await tx.count({ account, kind: "jobSchedule", scope: "" }, notCompleted));
  if (active < quota) return;
  throw serviceError("ActiveJobAndScheduleQuotaReached", { values: [{ key: "ActiveJobAndJobScheduleQuota", value: String(quota) }] });
}
