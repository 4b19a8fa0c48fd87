/**
 * Auto pools (semantics.md §5.4): a job whose `poolInfo.autoPoolSpecification` has lifetime `job` gets a pool made
 * for it when it is added — id `<autoPoolIdPrefix>_<GUID>` — which its tasks use (`executionInfo.poolId`), and
 * which is deleted once the job has completed or was deleted, unless `keepAlive`. A specification the pool service
 * refuses does not fail the job add: the job is created completed, with `executionInfo.schedulingError`
 * `InvalidAutoPoolSettings`, as the service reports auto-pool creation failures.
 * (Lifetime `jobSchedule`, one pool for all of a schedule's jobs, is refused: job schedules do not make auto pools.)
 */
import { randomUUID } from "node:crypto";
import { isServiceError, type Clock } from "@openbatch/core";
import type { AutoPoolSpecification, CloudJob, CloudPool, JobSchedulingError } from "@openbatch/protocol";
import type { Store } from "@openbatch/store";
import { TimedPasses } from "../timing/timedPasses.js";
import type { PoolService } from "./poolService.js";

export type AutoPoolOutcome = { readonly poolId: string } | { readonly schedulingError: JobSchedulingError };

export function autoPoolId(spec: AutoPoolSpecification): string {
  const guid = randomUUID().toUpperCase();
  return spec.autoPoolIdPrefix === undefined || spec.autoPoolIdPrefix === "" ? guid : `${spec.autoPoolIdPrefix}_${guid}`;
}

/** Whether a completed job's auto pool should go now. */
function releasable(job: CloudJob): string | undefined {
  const spec = job.poolInfo?.autoPoolSpecification;
  if (spec === undefined || spec.keepAlive === true || job.state !== "completed") return undefined;
  return job.executionInfo?.poolId;
}

export class AutoPools {
  private readonly passes: TimedPasses;

  constructor(
    private readonly store: Store,
    private readonly pools: PoolService,
    private readonly clock: Clock,
    onError: (error: unknown, account: string) => void,
  ) {
    this.passes = new TimedPasses({ clock, pass: (account) => this.releaseFinished(account), onError });
  }

  /** Makes the job's pool from its specification; a refused specification is the job's scheduling error. */
  async create(account: string, spec: AutoPoolSpecification, baseUrl: string, now: Date): Promise<AutoPoolOutcome> {
    const poolId = autoPoolId(spec);
    try {
      await this.pools.add(account, { ...spec.pool, id: poolId } as Parameters<PoolService["add"]>[1], `${baseUrl}/pools/${encodeURIComponent(poolId)}`, now);
      return { poolId };
    } catch (error) {
      if (!isServiceError(error)) throw error;
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

  /** The job that owned `poolId` is gone (deleted): its pool goes too, unless kept alive. */
  async release(account: string, job: CloudJob, now: Date): Promise<void> {
    const poolId = job.poolInfo?.autoPoolSpecification?.keepAlive === true ? undefined : job.executionInfo?.poolId;
    if (job.poolInfo?.autoPoolSpecification === undefined || poolId === undefined) return;
    await this.deletePool(account, poolId, now);
  }

  /** A job may have completed: look for auto pools whose jobs are done. */
  kick(account: string): void {
    this.passes.kick(account);
  }

  start(accounts: readonly string[]): void {
    this.passes.start(accounts);
  }

  close(): Promise<void> {
    return this.passes.close();
  }

  private async releaseFinished(account: string): Promise<undefined> {
    const jobs = await this.store.read((tx) =>
      tx.list<CloudJob>({ account, kind: "job", scope: "" }, { limit: 100_000, filter: { op: "eq", path: ["state"], kind: "enum", value: "completed" } }),
    );
    for (const job of jobs.items) {
      const poolId = releasable(job.body);
      if (poolId !== undefined) await this.deletePool(account, poolId, this.clock.now());
    }
    return undefined;
  }

  private async deletePool(account: string, poolId: string, now: Date): Promise<void> {
    const pool = await this.pools.find(account, poolId);
    if (pool === undefined || (pool.body as CloudPool).state === "deleting") return;
    await this.pools.delete(account, poolId, pool.eTag, now);
  }
}
