/**
 * Terms of leadership and the fence that makes them exclusive (docs/architecture.md, "Replicas").
 *
 * Winning an account's election (its advisory lock, election.ts) is not yet the right to write: the lock of a
 * process that froze or was cut off from the database is released by PostgreSQL while that process may still be
 * about to commit. So each term has an epoch, kept in the account's `leadership` entity: the winner starts its term
 * by raising the epoch (`beginTerm`), and every write transaction of its background work first reads the entity
 * and fails with LeadershipLost unless it still shows this process's term (`fencedStore`).
 *
 * Why that suffices: write transactions are SERIALIZABLE, so they take effect in one serial order. A fenced
 * transaction of the old leader read the old epoch, so it comes before the new term's start, which wrote the next
 * one; every fenced transaction of the new leader read the new epoch, so it comes after. Whatever the old leader
 * commits therefore takes effect before anything the new one does, and the new leader's reads see it (PostgreSQL
 * aborts one of two transactions rather than let a later one miss an earlier one's write). Clocks play no part.
 */
import type { Store, WriteTx } from "@openbatch/store";

export interface LeadershipRecord {
  /** Raised by every new term; never reused. */
  readonly epoch: number;
  /** The replica (server process) holding the term. */
  readonly replica: string;
  readonly host: string;
  /** When the term began (ISO). */
  readonly since: string;
}

export function leadershipRef(account: string) {
  return { account, kind: "leadership" as const, scope: "", id: "background" };
}

/** A fenced write of a process whose term has ended: it wrote nothing. */
export class LeadershipLost extends Error {
  override readonly name = "LeadershipLost";
  constructor(readonly account: string) {
    super(`This server no longer runs the background work of account '${account}': another replica took over`);
  }
}

export function isLeadershipLost(error: unknown): boolean {
  return error instanceof Error && error.name === "LeadershipLost";
}

export interface Term {
  readonly account: string;
  readonly epoch: number;
  readonly replica: string;
}

/** Starts a term for `replica`: the epoch after the last one; returns the term and the leadership it replaced. */
export async function beginTerm(store: Store, account: string, replica: string, host: string, now: Date): Promise<{ term: Term; previous: LeadershipRecord | undefined }> {
  return store.write(async (tx) => {
    const ref = leadershipRef(account);
    const current = await tx.get<LeadershipRecord>(ref);
    const record: LeadershipRecord = { epoch: (current?.body.epoch ?? 0) + 1, replica, host, since: now.toISOString() };
    if (current === undefined) await tx.insert(ref, record, now);
    else await tx.replace(ref, record, now);
    return { term: { account, epoch: record.epoch, replica }, previous: current?.body };
  });
}

/** Fails the transaction unless `term` is still the account's current one. */
export async function assertTerm(tx: WriteTx, term: Term): Promise<void> {
  const current = await tx.get<LeadershipRecord>(leadershipRef(term.account));
  if (current?.body.epoch !== term.epoch || current.body.replica !== term.replica) throw new LeadershipLost(term.account);
}

/**
 * The store of a term's background work: every write transaction begins with the fence (`assertTerm`); `onLost` is
 * told when one finds the term over. Reads pass through.
 */
export function fencedStore(inner: Store, term: Term, onLost: () => void): Store {
  return {
    read: (work) => inner.read(work),
    write: (work) =>
      inner.write(async (tx) => {
        try {
          await assertTerm(tx, term);
        } catch (error) {
          if (isLeadershipLost(error)) onLost();
          throw error;
        }
        return work(tx);
      }),
    // The term does not own the store.
    close: async () => undefined,
  };
}
