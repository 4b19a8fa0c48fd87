/**
 * Reads usage statistics (docs/statistics.md): a job's, a job schedule's, a pool's, and the account's lifetime
 * figures for jobs and pools (`GET /lifetimejobstats`, `/lifetimepoolstats`, api-version 2022-10-01.16.0 and
 * earlier). lifecycle/statistics.ts writes them; records/statistics.ts makes the wire views.
 *
 * - A job: its row; `startTime` its creation, `lastUpdateTime` when a run of it last ended or a task completed.
 * - A schedule: the rows of its jobs that exist (`<schedule>:job-<n>`); a deleted job's figures leave it.
 * - A pool: what its nodes used (the nodes it has and, from its row, those that left), its core time from the node
 *   allocation records since it was made; `lastUpdateTime` is now.
 * - The account's jobs: every job's row plus what deleted jobs used; its pools: every pool's figures plus what
 *   deleted pools used, and the core time of every node allocation recorded. `startTime` is the earliest of them.
 */
import { formatTimestamp, idKey, type Predicate } from "@openbatch/core";
import type { CloudJob, CloudPool, JobStatistics, PoolStatistics } from "@openbatch/protocol";
import type { ReadTx, Store, StoredEntity } from "@openbatch/store";
import { listAll } from "../records/listAll.js";
import type { NodeRecord } from "../records/nodes.js";
import {
  addTotals, jobStatistics, poolStatistics, statisticsRef, zeroJobTotals, zeroNodeTotals, type JobTotals, type NodeTotals, type PoolFigures,
} from "../records/statistics.js";
import type { UsageRecord } from "../records/usage.js";

/** The usage records (node allocations) of one pool since `since`, or all of the account's. */
function usagePredicate(poolId: string | undefined): Predicate | undefined {
  return poolId === undefined ? undefined : { op: "eq", path: ["poolId"], kind: "caseInsensitiveString", value: poolId.toLowerCase() };
}

function earliest(times: readonly (string | undefined)[]): string | undefined {
  return times.filter((time): time is string => time !== undefined).sort()[0];
}

export class StatisticsService {
  constructor(private readonly store: Store) {}

  /** The statistics of each job, by id key. */
  async jobs(account: string, jobs: readonly StoredEntity<CloudJob>[]): Promise<Map<string, JobStatistics>> {
    return this.store.read(async (tx) => {
      const views = new Map<string, JobStatistics>();
      for (const job of jobs) {
        const row = await tx.get<JobTotals>(statisticsRef(account, "job", job.id));
        const lastUpdate = row === undefined ? (job.body.creationTime ?? formatTimestamp(job.creationTime)) : formatTimestamp(row.lastModified);
        views.set(idKey(job.id), jobStatistics(`${job.body.url ?? ""}/stats`, job.body.creationTime, lastUpdate, row?.body ?? zeroJobTotals(), false));
      }
      return views;
    });
  }

  /** A job schedule's statistics: the figures of the jobs it made that still exist. */
  async schedule(account: string, scheduleId: string, url: string, creationTime: string | undefined): Promise<JobStatistics> {
    return this.store.read(async (tx) => {
      const prefix = `${idKey(scheduleId)}:`;
      const rows = (await listAll<JobTotals>(tx, { account, kind: "statistics", scope: "job" })).filter((row) => idKey(row.id).startsWith(prefix));
      const totals = rows.reduce((sum, row) => addTotals(sum, row.body), zeroJobTotals());
      const lastUpdate = rows.map((row) => formatTimestamp(row.lastModified)).sort().at(-1) ?? creationTime ?? "";
      return jobStatistics(`${url}/stats`, creationTime, lastUpdate, totals, false);
    });
  }

  /** The account's lifetime job statistics. */
  async lifetimeJobs(account: string, url: string, now: Date): Promise<JobStatistics> {
    return this.store.read(async (tx) => {
      const rows = await listAll<JobTotals>(tx, { account, kind: "statistics", scope: "job" });
      const retired = await tx.get<JobTotals>(statisticsRef(account, "account", "jobs"));
      const all = retired === undefined ? rows : [...rows, retired];
      const totals = all.reduce((sum, row) => addTotals(sum, row.body), zeroJobTotals());
      const startTime = earliest(all.map((row) => formatTimestamp(row.creationTime))) ?? formatTimestamp(now);
      const lastUpdate = all.map((row) => formatTimestamp(row.lastModified)).sort().at(-1) ?? startTime;
      return jobStatistics(url, startTime, lastUpdate, totals, true);
    });
  }

  /** The statistics of each pool, by id key. */
  async pools(account: string, pools: readonly StoredEntity<CloudPool>[], now: Date): Promise<Map<string, PoolStatistics>> {
    return this.store.read(async (tx) => {
      const views = new Map<string, PoolStatistics>();
      for (const pool of pools) {
        const row = await tx.get<NodeTotals>(statisticsRef(account, "pool", pool.id));
        const nodes = await listAll<NodeRecord>(tx, { account, kind: "node", scope: pool.id });
        const since = pool.body.creationTime ?? formatTimestamp(pool.creationTime);
        const figures = await this.figures(tx, account, pool.id, since, row === undefined ? [] : [row.body], nodes, now);
        views.set(idKey(pool.id), poolStatistics(`${pool.body.url ?? ""}/stats`, since, formatTimestamp(now), figures));
      }
      return views;
    });
  }

  /** The account's lifetime pool statistics. */
  async lifetimePools(account: string, url: string, now: Date): Promise<PoolStatistics> {
    return this.store.read(async (tx) => {
      const rows = await listAll<NodeTotals>(tx, { account, kind: "statistics", scope: "pool" });
      const retired = await tx.get<NodeTotals>(statisticsRef(account, "account", "pools"));
      const nodes: StoredEntity<NodeRecord>[] = [];
      for (const pool of await listAll<CloudPool>(tx, { account, kind: "pool", scope: "" })) {
        nodes.push(...(await listAll<NodeRecord>(tx, { account, kind: "node", scope: pool.id })));
      }
      const totals = [...rows.map((row) => row.body), ...(retired === undefined ? [] : [retired.body])];
      const figures = await this.figures(tx, account, undefined, undefined, totals, nodes, now);
      const startTime = earliest([...rows, ...(retired === undefined ? [] : [retired])].map((row) => formatTimestamp(row.creationTime)).concat(figures.firstAllocation ?? [])) ?? formatTimestamp(now);
      return poolStatistics(url, startTime, formatTimestamp(now), figures);
    });
  }

  /** What `nodes` and the `retired` figures add up to, and the core time of the node allocations of the pool (all pools: undefined) since `since`. */
  private async figures(
    tx: ReadTx,
    account: string,
    poolId: string | undefined,
    since: string | undefined,
    retired: readonly NodeTotals[],
    nodes: readonly StoredEntity<NodeRecord>[],
    now: Date,
  ): Promise<PoolFigures & { firstAllocation?: string }> {
    let totals = retired.reduce((sum, row) => addTotals(sum, row), zeroNodeTotals());
    let currentMemoryBytes = 0;
    let currentDiskBytes = 0;
    let currentNodes = 0;
    for (const node of nodes) {
      const usage = node.body._ob.usage;
      if (usage === undefined) continue;
      const { lastSample, ...counted } = usage;
      totals = addTotals(totals, counted);
      if (lastSample !== undefined) {
        currentMemoryBytes += lastSample.memoryBytes;
        currentDiskBytes += lastSample.diskBytes;
        currentNodes++;
      }
    }
    let dedicatedCoreMs = 0;
    let coreMs = 0;
    let firstAllocation: string | undefined;
    for (const record of await listAll<UsageRecord>(tx, { account, kind: "usage", scope: "" }, usagePredicate(poolId))) {
      const usage = record.body;
      if (since !== undefined && usage.allocationTime < since) continue;
      const allocated = Date.parse(usage.allocationTime);
      const released = usage.releaseTime === undefined ? now.getTime() : Date.parse(usage.releaseTime);
      const held = Math.max(0, released - allocated) * usage.cores;
      coreMs += held;
      if (usage.isDedicated) dedicatedCoreMs += held;
      if (firstAllocation === undefined || usage.allocationTime < firstAllocation) firstAllocation = usage.allocationTime;
    }
    return { totals, dedicatedCoreMs, coreMs, currentMemoryBytes, currentDiskBytes, currentNodes, ...(firstAllocation === undefined ? {} : { firstAllocation }) };
  }
}
