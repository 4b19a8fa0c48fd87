/**
 * Capped exponential back-off with jitter for reconnecting to the server: the n-th consecutive failure waits a
 * random time between half and all of `min(maxInMs, initialInMs × 2^(n-1))` (100 ms, 200 ms, … 5 s by default),
 * so a restarted server is not hit by every agent at the same instant. `reset` after a success.
 */

export interface BackoffOptions {
  /** @default 100 */
  readonly initialInMs?: number;
  /** @default 5000 */
  readonly maxInMs?: number;
  /** @default Math.random */
  readonly random?: () => number;
}

export class Backoff {
  private failures = 0;
  private readonly initialInMs: number;
  private readonly maxInMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialInMs = options.initialInMs ?? 100;
    this.maxInMs = options.maxInMs ?? 5000;
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next retry, counting one more failure. */
  next(): number {
    this.failures++;
    const ceiling = Math.min(this.maxInMs, this.initialInMs * 2 ** Math.min(this.failures - 1, 30));
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** Consecutive failures so far. */
  get count(): number {
    return this.failures;
  }

  reset(): void {
    this.failures = 0;
  }
}
