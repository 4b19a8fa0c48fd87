/**
 * The autoscale loop: on a short real-time tick, reads the injected clock and, for every pool with an autoscale
 * record, evaluates the pool when its interval has passed since its last `autoScaleRun` and otherwise records a
 * metric sample every 30 s of clock time. Driving it from the clock (not from timers set for the due time) lets a
 * test or a simulated clock move hours ahead and see the evaluations that fall due. Records of deleted pools are
 * dropped here. One pass at a time; a failure is logged and the next tick tries again.
 */
import type { Clock } from "@openbatch/core";
import type { CloudPool } from "@openbatch/protocol";
import type { ListPage, Store } from "@openbatch/store";
import { deleteAutoscaleRecords, samplePeriodInMs, type AutoscaleState } from "../autoscale/autoscaleRecords.js";
import { evaluatePoolNow, nextEvaluationAt, samplePool } from "../lifecycle/autoscaleEvaluation.js";
import { poolRef } from "../records/pools.js";

export interface AutoscaleLoopOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly accounts: readonly string[];
  /** Real time between passes. @default 1000 */
  readonly tickInMs?: number;
  readonly onError: (error: unknown, context: { account: string; poolId?: string }) => void;
}

export class AutoscaleLoop {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  /** Clock time of each pool's last sample (in memory: after a restart the first pass samples at once). */
  private readonly lastSample = new Map<string, number>();

  constructor(private readonly options: AutoscaleLoopOptions) {}

  start(): void {
    const tick = () => {
      this.pass ??= this.runPass().finally(() => (this.pass = undefined));
      this.timer = setTimeout(tick, this.options.tickInMs ?? 1000);
      this.timer.unref();
    };
    tick();
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.pass;
  }

  private async runPass(): Promise<void> {
    for (const account of this.options.accounts) {
      try {
        await this.runAccount(account);
      } catch (error) {
        this.options.onError(error, { account });
      }
    }
  }

  private async runAccount(account: string): Promise<void> {
    let afterKey: string | undefined;
    do {
      const page: ListPage<AutoscaleState> = await this.options.store.read((tx) => tx.list<AutoscaleState>({ account, kind: "autoscale", scope: "" }, { limit: 500, afterKey }));
      for (const record of page.items) {
        try {
          await this.runPool(account, record.body.poolId);
        } catch (error) {
          this.options.onError(error, { account, poolId: record.body.poolId });
        }
      }
      afterKey = page.nextKey;
    } while (afterKey !== undefined);
  }

  private async runPool(account: string, poolId: string): Promise<void> {
    const { store, clock } = this.options;
    const pool = await store.read((tx) => tx.get<CloudPool>(poolRef(account, poolId)));
    const key = `${account}\u0000${poolId.toLowerCase()}`;
    if (pool === undefined) {
      await store.write((tx) => deleteAutoscaleRecords(tx, account, poolId));
      this.lastSample.delete(key);
      return;
    }
    const due = nextEvaluationAt(pool.body);
    if (due === undefined || pool.body.state !== "active") return;
    const now = clock.now();
    if (now.getTime() >= due) {
      await store.write((tx) => evaluatePoolNow(tx, account, poolId, now));
      this.lastSample.set(key, now.getTime());
      return;
    }
    const last = this.lastSample.get(key);
    if (last === undefined || now.getTime() - last >= samplePeriodInMs) {
      await store.write((tx) => samplePool(tx, account, poolId, now));
      this.lastSample.set(key, now.getTime());
    }
  }
}
