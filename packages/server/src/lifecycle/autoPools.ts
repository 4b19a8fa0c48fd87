/**
 * Auto pools (semantics.md §5.4), made and released in the transaction that makes or ends what they serve — the one
 * way an auto pool goes. A job whose `poolInfo.autoPoolSpecification` has lifetime `job` gets a pool made for it
 * when it is added — id `<autoPoolIdPrefix>_<GUID>` — which its tasks use (`executionInfo.poolId`), and which is
 * deleted once the job has completed or is gone, unless `keepAlive`. A specification the pool rules refuse does not
 * fail the job add: the job is created completed, with `executionInfo.schedulingError` `InvalidAutoPoolSettings`,
 * as the service reports auto-pool creation failures. A job schedule's jobs get theirs the same way: lifetime
 * `job`, one pool per job; lifetime `jobSchedule`, one pool made with the schedule's first job, used by all of them
 * and deleted when the schedule completes or is deleted.
 */
import { randomUUID } from "node:crypto";
import { isServiceError } from "@openbatch/core";
import type { AutoPoolSpecification, CloudJob, CloudPool, JobSchedulingError, PoolAddParameter } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import type { JobScheduleRecord } from "../records/jobSchedules.js";
import type { PoolCapabilityCheck } from "../records/poolRules.js";
import { poolRef } from "../records/pools.js";
import { deletePool, insertPool, newPool } from "./pools.js";

export type AutoPoolOutcome = { readonly poolId: string } | { readonly schedulingError: JobSchedulingError };

function autoPoolId(spec: AutoPoolSpecification): string {
  const guid = randomUUID().toUpperCase();
  return spec.autoPoolIdPrefix === undefined || spec.autoPoolIdPrefix === "" ? guid : `${spec.autoPoolIdPrefix}_${guid}`;
}

/**
 * Makes a pool from an auto pool specification; a refused specification is the job's scheduling error, as is the
 * account's pool quota reached (`AutoPoolCreationFailedWithQuotaReached`, the service's code).
 */
export async function createAutoPool(tx: WriteTx, account: string, spec: AutoPoolSpecification, baseUrl: string, now: Date, checkCapabilities: PoolCapabilityCheck, poolQuota: number): Promise<AutoPoolOutcome> {
  const poolId = autoPoolId(spec);
  try {
    const pool = newPool(account, { ...spec.pool, id: poolId } as PoolAddParameter, `${baseUrl}/pools/${encodeURIComponent(poolId)}`, now, checkCapabilities);
    await insertPool(tx, account, pool, now, poolQuota);
    return { poolId };
  } catch (error) {
    if (!isServiceError(error)) throw error;
    if (error.code === "PoolQuotaReached") {
      return {
        schedulingError: {
          category: "usererror",
          code: "AutoPoolCreationFailedWithQuotaReached",
          message: "The pool quota for the account is reached.",
          details: (error.values ?? []).map((detail) => ({ name: detail.key, value: detail.value })),
        },
      };
    }
    return {
      schedulingError: {
        category: "usererror",
        code: "InvalidAutoPoolSettings",
        message: `The auto pool specification is not valid: ${error.message}`,
        details: (error.values ?? []).map((detail) => ({ name: detail.key, value: detail.value })),
      },
    };
  }
}

/** Starts deleting a pool that served its purpose, unless it is gone or deleting already. */
async function deleteUsedPool(tx: WriteTx, account: string, poolId: string, now: Date): Promise<void> {
  const pool = await tx.get<CloudPool>(poolRef(account, poolId));
  if (pool === undefined || pool.body.state === "deleting") return;
  await deletePool(tx, account, poolId, now);
}

/** The job completed or is gone: its own auto pool (lifetime `job`) goes too, unless kept alive. */
export async function releaseJobAutoPool(tx: WriteTx, account: string, job: CloudJob, now: Date): Promise<void> {
  const spec = job.poolInfo?.autoPoolSpecification;
  const poolId = job.executionInfo?.poolId;
  if (spec?.poolLifetimeOption !== "job" || spec.keepAlive === true || poolId === undefined) return;
  await deleteUsedPool(tx, account, poolId, now);
}

/** The schedule completed or is gone: its auto pool (lifetime `jobSchedule`) goes too, unless kept alive. */
export async function releaseScheduleAutoPool(tx: WriteTx, account: string, schedule: JobScheduleRecord, now: Date): Promise<void> {
  const spec = schedule.jobSpecification?.poolInfo?.autoPoolSpecification;
  const poolId = schedule._ob.autoPoolId;
  if (spec === undefined || poolId === undefined || spec.keepAlive === true) return;
  await deleteUsedPool(tx, account, poolId, now);
}
