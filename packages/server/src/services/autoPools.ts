/**
 * Auto pools (semantics.md §5.4): a job whose `poolInfo.autoPoolSpecification` has lifetime `job` gets a pool made
 * for it when it is added — id `<autoPoolIdPrefix>_<GUID>` — which its tasks use (`executionInfo.poolId`), and
 * which is deleted once the job has completed or was deleted, unless `keepAlive`. A specification the pool service
 * refuses does not fail the job add: the job is created completed, with `executionInfo.schedulingError`
 * `InvalidAutoPoolSettings`, as the service reports auto-pool creation failures.
 * A job schedule's jobs get theirs the same way (scheduleAdvance.ts): lifetime `job`, one pool per job; lifetime
 * `jobSchedule`, one pool made with the schedule's first job, used by all of them and deleted when the schedule
 * completes or is deleted.
 */
import { randomUUID } from "node:crypto";
import { isServiceError, type Clock } from "@openbatch/core";
import type { AutoPoolSpecification, CloudJob, CloudPool, JobSchedulingError } from "@openbatch/protocol";
import type { Store, WriteTx } from "@openbatch/store";
import { TimedPasses } from "../timing/timedPasses.js";
import { deletePoolInTx, type PoolService } from "./poolService.js";

/** What a job schedule keeps about its pool (scheduleAdvance.ts `ScheduleRunnerState.autoPoolId`). */
interface ScheduleWithPool {
  readonly jobSpecification?: { readonly poolInfo?: { readonly autoPoolSpecification?: AutoPoolSpecification } };
  readonly _ob?: { readonly autoPoolId?: string };
}

export type AutoPoolOutcome = { readonly poolId: string } | { readonly schedulingError: JobSchedulingError };

export function autoPoolId(spec: AutoPoolSpecification): string {
  const guid = randomUUID().toUpperCase();
  return spec.autoPoolIdPrefix === undefined || spec.autoPoolIdPrefix === "" ? guid : `${spec.autoPoolIdPrefix}_${guid}`;
}

const ownAutoPoolJobs = {
  op: "and",
  left: { op: "eq", path: ["state"], kind: "enum", value: "completed" },
  right: { op: "eq", path: ["poolInfo", "autoPoolSpecification", "poolLifetimeOption"], kind: "enum", value: "job" },
} as const;

/** The job's own auto pool (lifetime `job`) unless kept alive: the pool that goes once the job completed or is gone. */
function ownPoolId(job: CloudJob): string | undefined {
  const spec = job.poolInfo?.autoPoolSpecification;
  return spec?.keepAlive === true || spec?.poolLifetimeOption !== "job" ? undefined : job.executionInfo?.poolId;
}

/**
 * Starts deleting a pool that served its purpose, in the caller's transaction; returns its id unless it is gone or
 * already deleting. The caller kicks the pool's reconciler after the commit, so its nodes go.
 */
async function deleteUsedPool(tx: WriteTx, account: string, poolId: string, now: Date): Promise<string | undefined> {
  const pool = await tx.get<CloudPool>({ account, kind: "pool", scope: "", id: poolId });
  if (pool === undefined || pool.body.state === "deleting") return undefined;
  await deletePoolInTx(tx, account, poolId, now);
  return poolId;
}

/**
 * The job is gone (deleted, in the caller's transaction): its own pool goes too, unless kept alive. Returns the
 * pool whose reconciler the caller kicks after the commit. `AutoPools.release` runs it after an immediate delete;
 * jobPreparation.ts when it removes a `deleting` job whose release tasks have ended.
 */
export function releaseJobPool(tx: WriteTx, account: string, job: CloudJob, now: Date): Promise<string | undefined> {
  const poolId = ownPoolId(job);
  return poolId === undefined ? Promise.resolve(undefined) : deleteUsedPool(tx, account, poolId, now);
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
    const outcome = await this.store.write((tx) => this.createInTx(tx, account, spec, baseUrl, now));
    if ("poolId" in outcome) this.pools.created(account, outcome.poolId);
    return outcome;
  }

  /**
   * `create` inside the caller's transaction (a job schedule making its job); the caller calls `created` for the
   * pool after the commit.
   */
  async createInTx(tx: WriteTx, account: string, spec: AutoPoolSpecification, baseUrl: string, now: Date): Promise<AutoPoolOutcome> {
    const poolId = autoPoolId(spec);
    try {
      const pool = this.pools.newPool({ ...spec.pool, id: poolId } as Parameters<PoolService["newPool"]>[0], `${baseUrl}/pools/${encodeURIComponent(poolId)}`, now, account);
      await this.pools.insertPool(tx, account, pool, now);
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

  /** An auto pool made in a committed transaction: its nodes follow. */
  created(account: string, poolId: string): void {
    this.pools.created(account, poolId);
  }

  /** Removes a job schedule's pool (lifetime `jobSchedule`) once the schedule is gone, unless kept alive. */
  async releaseSchedulePool(account: string, spec: AutoPoolSpecification | undefined, poolId: string | undefined, now: Date): Promise<void> {
    if (spec === undefined || poolId === undefined || spec.keepAlive === true) return;
    await this.deletePool(account, poolId, now);
  }

  /** The job is gone (deleted): its own pool goes too, unless kept alive (`releaseJobPool` in a transaction of its own). */
  async release(account: string, job: CloudJob, now: Date): Promise<void> {
    const poolId = await this.store.write((tx) => releaseJobPool(tx, account, job, now));
    if (poolId !== undefined) this.deleted(account, poolId);
  }

  /** A pool deleted by `deleteUsedPool` in a committed transaction: its nodes go. */
  private deleted(account: string, poolId: string): void {
    this.pools.changed(account, poolId);
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
    // Only completed jobs with a pool of their own: this pass follows every batch of finished tasks.
    const jobs = await this.store.read((tx) =>
      tx.list<CloudJob>({ account, kind: "job", scope: "" }, { limit: 100_000, filter: ownAutoPoolJobs }),
    );
    for (const job of jobs.items) {
      const poolId = job.body.state === "completed" ? ownPoolId(job.body) : undefined;
      if (poolId !== undefined) await this.deletePool(account, poolId, this.clock.now());
    }
    // A completed schedule's pool (lifetime `jobSchedule`) goes with it.
    const schedules = await this.store.read((tx) =>
      tx.list<ScheduleWithPool>({ account, kind: "jobSchedule", scope: "" }, { limit: 100_000, filter: { op: "eq", path: ["state"], kind: "enum", value: "completed" } }),
    );
    for (const schedule of schedules.items) {
      await this.releaseSchedulePool(account, schedule.body.jobSpecification?.poolInfo?.autoPoolSpecification, schedule.body._ob?.autoPoolId, this.clock.now());
    }
    return undefined;
  }

  private async deletePool(account: string, poolId: string, now: Date): Promise<void> {
    if ((await this.store.write((tx) => deleteUsedPool(tx, account, poolId, now))) !== undefined) this.deleted(account, poolId);
  }
}
