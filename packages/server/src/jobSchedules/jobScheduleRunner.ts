/**
 * The job schedule runner: advances every active schedule of an account (scheduleAdvance.ts) whenever something
 * may have made a job due — a schedule added or changed, a job completed or deleted, the clock reaching the next
 * time a schedule must be looked at, or (with a simulated clock) the clock being moved.
 *
 * Waking: after each pass the runner sets one real timer per account for the earliest `wakeAt` of its schedules,
 * measured on the injected clock (capped, so a far-off time or a clock that moves by itself is re-checked at least
 * hourly). A clock that announces its moves (core `ObservableClock`, e.g. `SimulatedClock` in tests) kicks every
 * account at once. Kicks coalesce per account like the scheduling loop's: there is no polling loop.
 *
 * The runner acts at the time it observes: a simulated clock moved past several occurrences in one step sees only
 * the last open one (as a service that had been down would), so tests move it in steps no longer than a window.
 */
import { isObservableClock, type Clock } from "@openbatch/core";
import type { Store } from "@openbatch/store";
import { advanceIsDue, advanceSchedule } from "./scheduleAdvance.js";

export interface JobScheduleRunnerOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly onError: (error: unknown, account: string) => void;
  /** Longest real wait between passes of an account with active schedules. @default 3_600_000 */
  readonly maxWaitInMs?: number;
}

export class JobScheduleRunner {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly accounts = new Set<string>();
  private readonly stopListening: () => void;
  private closed = false;

  constructor(private readonly options: JobScheduleRunnerOptions) {
    const clock = options.clock;
    this.stopListening = isObservableClock(clock) ? clock.onAdvance(() => this.kickAll()) : () => {};
  }

  /** Looks at every account's schedules now (at start, to pick up where a previous server stopped). */
  start(accounts: readonly string[]): void {
    for (const account of accounts) this.kick(account);
  }

  kickAll(): void {
    for (const account of this.accounts) this.kick(account);
  }

  kick(account: string): void {
    if (this.closed) return;
    this.accounts.add(account);
    if (this.running.has(account)) {
      this.again.add(account);
      return;
    }
    const run = (async () => {
      // Let the commit that caused this kick settle first.
      await new Promise((resolve) => setImmediate(resolve));
      do {
        this.again.delete(account);
        try {
          this.wakeAt(account, await this.pass(account));
        } catch (error) {
          this.options.onError(error, account);
        }
      } while (this.again.has(account) && !this.closed);
      this.running.delete(account);
    })();
    this.running.set(account, run);
  }

  /** Advances each active schedule of the account; returns the earliest time one must be looked at again. */
  private async pass(account: string): Promise<Date | undefined> {
    const ids: string[] = [];
    let afterKey: string | undefined;
    do {
      const page = await this.options.store.read((tx) =>
        tx.list<{ id?: string }>({ account, kind: "jobSchedule", scope: "" }, { limit: 1000, afterKey, filter: { op: "eq", path: ["state"], kind: "enum", value: "active" } }),
      );
      ids.push(...page.items.map((item) => item.id));
      afterKey = page.nextKey;
    } while (afterKey !== undefined);
    let earliest: Date | undefined;
    for (const id of ids) {
      if (this.closed) break;
      const now = this.options.clock.now();
      const check = await this.options.store.read((tx) => advanceIsDue(tx, account, id, now));
      const { wakeAt } = check.due ? await this.options.store.write((tx) => advanceSchedule(tx, account, id, this.options.clock.now())) : check;
      if (wakeAt !== undefined && (earliest === undefined || wakeAt < earliest)) earliest = wakeAt;
    }
    return earliest;
  }

  private wakeAt(account: string, time: Date | undefined): void {
    clearTimeout(this.timers.get(account));
    this.timers.delete(account);
    if (time === undefined || this.closed) return;
    const delay = Math.min(Math.max(time.getTime() - this.options.clock.now().getTime(), 1), this.options.maxWaitInMs ?? 3_600_000);
    const timer = setTimeout(() => this.kick(account), delay);
    timer.unref();
    this.timers.set(account, timer);
  }

  /** Stops waking and waits for passes in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopListening();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.running.values());
  }
}
