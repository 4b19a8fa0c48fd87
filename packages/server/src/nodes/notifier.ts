/**
 * Wake-ups for long-polling agents: whoever changes a pool's desired state calls `notify(account, poolId)`, and
 * every agent sync waiting on that pool answers at once. `close()` releases all waiters so shutdown never waits
 * for a long poll to time out.
 */
export class PoolNotifier {
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  private key(account: string, poolId: string): string {
    return `${account}\u0000${poolId.toLowerCase()}`;
  }

  /** Resolves on the next notification for the pool, after `timeoutInMs`, or on close. */
  wait(account: string, poolId: string, timeoutInMs: number): Promise<void> {
    if (this.closed || timeoutInMs <= 0) return Promise.resolve();
    const key = this.key(account, poolId);
    return new Promise((resolve) => {
      const set = this.waiters.get(key) ?? new Set();
      this.waiters.set(key, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, timeoutInMs);
      set.add(done);
    });
  }

  notify(account: string, poolId: string): void {
    for (const wake of [...(this.waiters.get(this.key(account, poolId)) ?? [])]) wake();
  }

  /** Answers every waiting agent (their pools may have changed unseen: with replicas, while notifications were lost). */
  notifyAll(): void {
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
  }

  close(): void {
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
  }
}
