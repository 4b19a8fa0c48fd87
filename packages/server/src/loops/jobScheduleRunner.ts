/**
 * The job schedule runner: advances every active schedule of an account (scheduleAdvance.ts) whenever something
 * may have made a job due — a schedule added or changed, a job completed or deleted, the clock reaching the next
 * time a schedule must be looked at, or (with a simulated clock) the clock being moved.
 *
 * Waking is timedPasses.ts's: a timer per account for the earliest `wakeAt` of its schedules, on the injected
 * clock, capped hourly; a simulated clock's moves kick every account.
 *
 * The runner acts at the time it observes: a simulated clock moved past several occurrences in one step sees only
 * the last open one (as a service that had been down would), so tests move it in steps no longer than a window.
 */
import type { Clock } from "@openbatch/core";
import type { Store } from "@openbatch/store";
import { listAll } from "../records/listAll.js";
import type { PoolCapabilityCheck } from "../records/poolRules.js";
import type { Quotas } from "../quotas.js";
import { advanceIsDue, advanceSchedule } from "./scheduleAdvance.js";
import { TimedPasses } from "./timedPasses.js";

export interface JobScheduleRunnerOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly onError: (error: unknown, account: string) => void;
  /** Longest real wait between passes of an account with active schedules. @default 3_600_000 */
  readonly maxWaitInMs?: number;
  /** The compute provider's refusals, for the auto pools job specifications ask for. @default none */
  readonly poolCapabilities?: PoolCapabilityCheck;
  /** The accounts' quotas, for the pools of auto pool specifications (quotas.ts). @default none */
  readonly quotas?: Quotas;
}

export class JobScheduleRunner {
  private readonly passes: TimedPasses;

  constructor(private readonly options: JobScheduleRunnerOptions) {
    this.passes = new TimedPasses({
      clock: options.clock,
      pass: (account) => this.pass(account),
      onError: options.onError,
      ...(options.maxWaitInMs === undefined ? {} : { maxWaitInMs: options.maxWaitInMs }),
    });
  }

  /** Looks at every account's schedules now (at start, to pick up where a previous server stopped). */
  start(accounts: readonly string[]): void {
    this.passes.start(accounts);
  }

  kickAll(): void {
    this.passes.kickAll();
  }

  kick(account: string): void {
    this.passes.kick(account);
  }

  /** Advances each active schedule of the account; returns the earliest time one must be looked at again. */
  private async pass(account: string): Promise<Date | undefined> {
    const active = await this.options.store.read((tx) => listAll(tx, { account, kind: "jobSchedule", scope: "" }, { op: "eq", path: ["state"], kind: "enum", value: "active" }));
    const ids = active.map((item) => item.id);
    let earliest: Date | undefined;
    for (const id of ids) {
      const now = this.options.clock.now();
      const check = await this.options.store.read((tx) => advanceIsDue(tx, account, id, now));
      const advanced = check.due ? await this.options.store.write((tx) => advanceSchedule(tx, account, id, this.options.clock.now(), this.options.poolCapabilities ?? (() => {}), this.options.quotas?.of(account).pools)) : undefined;
      const wakeAt = advanced === undefined ? check.wakeAt : advanced.wakeAt;
      if (wakeAt !== undefined && (earliest === undefined || wakeAt < earliest)) earliest = wakeAt;
    }
    return earliest;
  }

  /** Stops waking and waits for passes in progress. */
  close(): Promise<void> {
    return this.passes.close();
  }
}
