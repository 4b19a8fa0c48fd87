/**
 * Per-account passes that must run when something changed or when a time is reached: `kick(account)` runs the pass
 * soon (kicks coalesce, one pass per account at a time, another right after if kicked meanwhile); each pass returns
 * the next time it wants to run, and one real timer per account waits for it, measured on the injected clock and
 * capped by `maxWaitInMs`. A clock that announces its moves (core `ObservableClock`, e.g. `SimulatedClock` in tests)
 * kicks every account it has seen. There is no polling loop beyond the cap. The scheduling loop, the schedule
 * runner, the deadlines and the auto-pool reaper all run on it.
 */
import { isObservableClock, systemClock, type Clock } from "@openbatch/core";

export interface TimedPassesOptions {
  /** @default the system clock (enough for passes that never ask for a time) */
  readonly clock?: Clock;
  /** One pass over an account; resolves to when it wants to run next (undefined: only when kicked or capped). */
  readonly pass: (account: string) => Promise<Date | undefined>;
  readonly onError: (error: unknown, account: string) => void;
  /** Longest real wait between passes of an account. @default 3_600_000 */
  readonly maxWaitInMs?: number;
  /** Whether an account whose pass wants no time is still looked at after `maxWaitInMs`. @default false */
  readonly repeatWithoutTime?: boolean;
}

export class TimedPasses {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly accounts = new Set<string>();
  private readonly stopListening: () => void;
  private closed = false;

  private readonly clock: Clock;

  constructor(private readonly options: TimedPassesOptions) {
    const clock = options.clock ?? systemClock;
    this.clock = clock;
    this.stopListening = isObservableClock(clock) ? clock.onAdvance(() => this.kickAll()) : () => {};
  }

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
          this.wakeAt(account, await this.options.pass(account));
        } catch (error) {
          this.options.onError(error, account);
          this.wakeAt(account, undefined);
        }
      } while (this.again.has(account) && !this.closed);
      this.running.delete(account);
    })();
    this.running.set(account, run);
  }

  private wakeAt(account: string, time: Date | undefined): void {
    clearTimeout(this.timers.get(account));
    this.timers.delete(account);
    if (this.closed || (time === undefined && this.options.repeatWithoutTime !== true)) return;
    const cap = this.options.maxWaitInMs ?? 3_600_000;
    const delay = time === undefined ? cap : Math.min(Math.max(time.getTime() - this.clock.now().getTime(), 1), cap);
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
