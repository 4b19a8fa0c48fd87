/**
 * Keeps the PostgreSQL task counts cheap to read. Every statement that changes tasks adds delta rows to
 * `task_counts` (migrations/postgres/0002_task_counts.sql) rather than updating one row per group, so that
 * concurrent writers never conflict over a counter; a job's counts are the sums over its rows. This folds a job's
 * rows into one per group once it has gathered many: after `foldAfter` committed transactions that changed its
 * tasks, or when a read met more than `foldAfter` of its rows (rows written by another server, or before a restart).
 *
 * A fold is one statement in its own READ COMMITTED transaction: it deletes the rows it sees and inserts their sums.
 * Rows committed meanwhile are not seen, so not deleted, and stay as deltas; two folds of one job (two servers) do
 * not double anything, as the second finds the rows the first deleted gone. The sums never change, so a reader
 * sees the same counts before and after, and a serializable writer that read the rows is not disturbed (folds only
 * delete and insert rows that no writer ever updates).
 */
import type { Pool } from "pg";

export const foldAfter = 32;

const foldStatement = `WITH gone AS (DELETE FROM task_counts WHERE account = $1 AND scope = $2 RETURNING state, result, tasks, slots)
  INSERT INTO task_counts (account, scope, state, result, tasks, slots)
  SELECT $1, $2, state, result, sum(tasks), sum(slots) FROM gone GROUP BY state, result HAVING sum(tasks) <> 0 OR sum(slots) <> 0`;

export class TaskCountFolder {
  /** Committed transactions that changed a job's tasks since its rows were last folded, by account and job key. */
  private readonly writes = new Map<string, number>();
  private readonly queued = new Set<string>();
  private running: Promise<void> = Promise.resolve();
  /** Folds done since the store opened (for tests and benchmarks). */
  folds = 0;

  constructor(
    private readonly pool: Pool,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** A transaction that changed the tasks of these jobs (`account\0jobKey`) committed. */
  committed(jobs: Iterable<string>): void {
    for (const job of jobs) {
      const count = (this.writes.get(job) ?? 0) + 1;
      if (count >= foldAfter) this.fold(job);
      else this.writes.set(job, count);
    }
  }

  /** A read summed `rows` rows of the job's counts. */
  read(account: string, jobKey: string, rows: number): void {
    if (rows > foldAfter) this.fold(`${account}\u0000${jobKey}`);
  }

  /** Waits for the folds under way (before the pool closes). */
  async settle(): Promise<void> {
    await this.running;
  }

  private fold(job: string): void {
    this.writes.delete(job);
    if (this.queued.has(job)) return;
    this.queued.add(job);
    const [account, scope] = job.split("\u0000") as [string, string];
    this.running = this.running.then(async () => {
      this.queued.delete(job);
      try {
        const client = await this.pool.connect();
        let failure: unknown;
        try {
          await client.query("BEGIN ISOLATION LEVEL READ COMMITTED");
          await client.query(foldStatement, [account, scope]);
          await client.query("COMMIT");
          this.folds++;
        } catch (error) {
          failure = error;
          await client.query("ROLLBACK").catch(() => undefined);
          throw error;
        } finally {
          // A connection that failed is dropped rather than handed to the next transaction.
          client.release(failure === undefined ? undefined : new Error("task count fold failed"));
        }
      } catch (error) {
        // The rows stay as they are (the counts are right either way); the next write or read tries again.
        this.onError(error);
      }
    });
  }
}
