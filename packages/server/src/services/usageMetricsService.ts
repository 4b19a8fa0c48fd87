/**
 * Pool usage metrics (semantics.md §6.5): per pool and aggregation interval, the core-hours of the nodes the pool
 * had allocated, computed at query time from the node allocation records (records/usage.ts, written by lifecycle/nodes.ts).
 *
 * - Intervals are 30 minutes, aligned on UTC :00 and :30 (Azure does not document its interval length).
 * - Only complete intervals are reported (those that ended by now); there is no 2-hour publication delay as in
 *   Azure, so an interval is available as soon as it ends.
 * - The window: every complete interval overlapping [starttime, endtime). Without either, the latest complete
 *   interval only; with starttime alone, from its interval up to the latest complete one; with endtime alone, the
 *   one interval ending at or just after endtime (capped at the latest complete one).
 * - A row per (interval, pool, vmSize) with any allocated time in it; deleted pools keep their rows. Rows come in
 *   interval order, then pool id; `totalCoreHours` = Σ cores × allocated hours, rounded to 1e-7 hours.
 */
import { formatTimestamp, idKey, type Predicate } from "@openbatch/core";
import type { PoolUsageMetrics } from "@openbatch/protocol";
import type { Store } from "@openbatch/store";
import type { UsageRecord } from "../records/usage.js";

/** The aggregation interval. */
export const usageIntervalInMs = 30 * 60 * 1000;

const hourInMs = 60 * 60 * 1000;

export interface UsageWindowRequest {
  readonly startTime?: Date;
  readonly endTime?: Date;
  readonly now: Date;
}

export interface UsageQuery {
  readonly filter?: Predicate;
  readonly maxResults: number;
  readonly afterKey?: string;
}

export interface UsageWindow {
  /** Inclusive, on an interval boundary. */
  readonly start: number;
  /** Exclusive, on an interval boundary; start ≤ end. */
  readonly end: number;
}

const floorInterval = (time: number) => Math.floor(time / usageIntervalInMs) * usageIntervalInMs;
const ceilInterval = (time: number) => Math.ceil(time / usageIntervalInMs) * usageIntervalInMs;

/** The complete intervals a request covers (see the file header). */
export function usageWindow(request: UsageWindowRequest): UsageWindow {
  const latestEnd = floorInterval(request.now.getTime());
  const end = Math.min(request.endTime === undefined ? latestEnd : ceilInterval(request.endTime.getTime()), latestEnd);
  const start = request.startTime === undefined ? end - usageIntervalInMs : floorInterval(request.startTime.getTime());
  return { start: Math.min(start, end), end };
}

interface Row {
  readonly key: string;
  readonly metrics: PoolUsageMetrics;
  coreMs: number;
}

export class UsageMetricsService {
  constructor(private readonly store: Store) {}

  async list(account: string, request: UsageWindowRequest, query: UsageQuery): Promise<{ items: PoolUsageMetrics[]; nextKey?: string }> {
    const window = usageWindow(request);
    if (window.end <= window.start) return { items: [] };
    const rows = new Map<string, Row>();
    for (const record of await this.records(account, window, query.filter)) {
      const allocated = Date.parse(record.allocationTime);
      const released = record.releaseTime === undefined ? window.end : Date.parse(record.releaseTime);
      const from = Math.max(allocated, window.start);
      const to = Math.min(released, window.end);
      for (let interval = floorInterval(from); interval < to; interval += usageIntervalInMs) {
        const overlap = Math.min(to, interval + usageIntervalInMs) - Math.max(from, interval);
        if (overlap <= 0) continue;
        const startTime = formatTimestamp(new Date(interval));
        const key = `${startTime}|${idKey(record.poolId)}|${record.vmSize}`;
        let row = rows.get(key);
        if (row === undefined) {
          row = {
            key,
            metrics: { poolId: record.poolId, startTime, endTime: formatTimestamp(new Date(interval + usageIntervalInMs)), vmSize: record.vmSize, totalCoreHours: 0 },
            coreMs: 0,
          };
          rows.set(key, row);
        }
        row.coreMs += overlap * record.cores;
      }
    }
    const ordered = [...rows.values()]
      .filter((row) => query.afterKey === undefined || row.key > query.afterKey)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const page = ordered.slice(0, query.maxResults);
    const items = page.map((row) => ({ ...row.metrics, totalCoreHours: Math.round((row.coreMs / hourInMs) * 1e7) / 1e7 }));
    const last = page.at(-1);
    return ordered.length > query.maxResults && last !== undefined ? { items, nextKey: last.key } : { items };
  }

  /** The allocation records overlapping the window whose pool passes the `$filter` (on `poolId`, in SQL). */
  private async records(account: string, window: UsageWindow, filter: Predicate | undefined): Promise<UsageRecord[]> {
    let predicate: Predicate = {
      op: "and",
      left: { op: "lt", path: ["allocationTime"], kind: "datetime", value: formatTimestamp(new Date(window.end)) },
      right: {
        op: "or",
        left: { op: "eq", path: ["releaseTime"], kind: "datetime", value: null },
        right: { op: "gt", path: ["releaseTime"], kind: "datetime", value: formatTimestamp(new Date(window.start)) },
      },
    };
    if (filter !== undefined) predicate = { op: "and", left: predicate, right: filter };
    const records: UsageRecord[] = [];
    let afterKey: string | undefined;
    do {
      const page = await this.store.read((tx) => tx.list<UsageRecord>({ account, kind: "usage", scope: "" }, { limit: 1000, afterKey, filter: predicate }));
      records.push(...page.items.map((item) => item.body));
      afterKey = page.nextKey;
    } while (afterKey !== undefined);
    return records;
  }
}
