/**
 * Which replica runs each account's background work (docs/architecture.md, "Replicas"): the holder of the
 * account's session advisory lock on the coordination connection. Every `pollInMs` (and at once when a holder says
 * it let go) a replica tries the locks of the accounts it does not lead; for each one it gets, it begins a term
 * (leadership.ts: the next epoch) and starts the account's work on a store fenced by that term. A term ends when
 * its lock is gone (the coordination connection was lost: PostgreSQL released the lock with the session) or a
 * fenced write finds another term in force; its work is stopped and the lock given up, and the replica competes
 * again.
 *
 * The lock decides who may start a term; the fence decides whose writes count. A process that is frozen or cut off
 * loses its lock after the session timeout, another takes over, and whatever the old one still tries to write fails.
 */
import type { Clock } from "@openbatch/core";
import type { Store } from "@openbatch/store";
import type { Effect } from "../effects/effects.js";
import type { AgentIdentity } from "../nodes/agentTokens.js";
import { beginTerm, fencedStore, type LeadershipRecord, type Term } from "./leadership.js";

export interface ElectionCoordination {
  readonly connected: boolean;
  /** The names whose locks this process holds. */
  readonly locks: ReadonlySet<string>;
  tryLock(names: readonly string[]): Promise<Set<string>>;
  unlock(name: string): Promise<void>;
}

/** An account's background work while this process leads it (loops/backgroundWork.ts). */
export interface AccountWork {
  start(): Promise<void>;
  handle(effect: Effect): void;
  reconcile(account: string, poolId: string): Promise<void>;
  seen(identity: AgentIdentity, now: Date): void;
  forget(identity: AgentIdentity): void;
  connectedAgents(): number;
  readonly missedWakeUps: number;
  close(): Promise<void>;
}

export interface ElectionLog {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface ElectionOptions {
  readonly coordination: ElectionCoordination;
  /** The server's store (terms begin through it; their work gets it fenced). */
  readonly store: Store;
  readonly accounts: readonly string[];
  readonly replica: string;
  readonly host: string;
  readonly clock: Clock;
  /** Makes (not starts) the work of an account on the term's fenced store. */
  readonly makeWork: (account: string, store: Store) => AccountWork;
  readonly log: () => ElectionLog | undefined;
  /** @default 1000 */
  readonly pollInMs?: number;
}

interface Led {
  readonly term: Term;
  readonly work: AccountWork;
}

export function lockName(account: string): string {
  return `openbatch:background:${account}`;
}

export class Election {
  private readonly led = new Map<string, Led>();
  private campaigning: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Missed wake-ups counted by terms that have ended. */
  private missedBefore = 0;

  constructor(private readonly options: ElectionOptions) {}

  /** Competes once (resolving once the accounts won run their work), then every `pollInMs`. */
  async start(): Promise<void> {
    await this.campaign();
    this.timer = setInterval(() => void this.campaign(), this.options.pollInMs ?? 1000);
    this.timer.unref();
  }

  /** The work of an account this process leads now. */
  workOf(account: string): AccountWork | undefined {
    return this.led.get(account)?.work;
  }

  /** The accounts this process leads, with their terms. */
  get terms(): Term[] {
    return [...this.led.values()].map((entry) => entry.term);
  }

  get missedWakeUps(): number {
    let count = this.missedBefore;
    for (const entry of this.led.values()) count += entry.work.missedWakeUps;
    return count;
  }

  connectedAgents(): number {
    let count = 0;
    for (const entry of this.led.values()) count += entry.work.connectedAgents();
    return count;
  }

  /** Tries for the accounts not led here and lets go of terms whose lock is gone; runs one at a time. */
  campaign(): Promise<void> {
    if (this.campaigning !== undefined) {
      this.again = true;
      return this.campaigning;
    }
    const run = (async () => {
      do {
        this.again = false;
        try {
          await this.round();
        } catch (error) {
          this.options.log()?.error({ err: error }, "election round failed");
        }
      } while (this.again && !this.closed);
      this.campaigning = undefined;
    })();
    this.campaigning = run;
    return run;
  }

  /** The coordination connection is gone, and every lock with it: every term ends now. */
  loseAll(): void {
    for (const account of [...this.led.keys()]) void this.resign(account, "the coordination connection to the database was lost");
  }

  /** Ends this process's term of `account` (a fenced write found another, or its lock is gone). */
  async resign(account: string, reason: string): Promise<void> {
    const entry = this.led.get(account);
    if (entry === undefined) return;
    this.led.delete(account);
    this.options.log()?.info({ account, term: entry.term.epoch, reason }, "stopped running the background work of the account");
    try {
      await entry.work.close();
    } finally {
      this.missedBefore += entry.work.missedWakeUps;
      await this.options.coordination.unlock(lockName(account));
    }
  }

  /** Stops every term's work and gives up the locks, so that another replica takes over at once. */
  async close(): Promise<string[]> {
    this.closed = true;
    clearInterval(this.timer);
    await this.campaigning;
    const accounts = [...this.led.keys()];
    await Promise.all(accounts.map((account) => this.resign(account, "the server is stopping")));
    return accounts;
  }

  private async round(): Promise<void> {
    const { coordination } = this.options;
    for (const account of [...this.led.keys()]) {
      if (!coordination.locks.has(lockName(account))) await this.resign(account, "its election lock is gone");
    }
    if (this.closed || !coordination.connected) return;
    const wanted = this.options.accounts.filter((account) => !this.led.has(account));
    if (wanted.length === 0) return;
    const held = await coordination.tryLock(wanted.map(lockName));
    for (const account of wanted) {
      if (held.has(lockName(account)) && !this.closed) await this.lead(account);
    }
  }

  private async lead(account: string): Promise<void> {
    const { store, replica, host, clock } = this.options;
    let begun: { term: Term; previous: LeadershipRecord | undefined };
    try {
      begun = await beginTerm(store, account, replica, host, clock.now());
    } catch (error) {
      await this.options.coordination.unlock(lockName(account));
      throw error;
    }
    const { term, previous } = begun;
    const work = this.options.makeWork(account, fencedStore(store, term, () => void this.resign(account, "another replica began a term")));
    this.led.set(account, { term, work });
    this.options.log()?.info(
      {
        account,
        term: term.epoch,
        ...(previous === undefined ? {} : { previousReplica: previous.replica, previousHost: previous.host, previousSince: previous.since }),
      },
      "took over the background work of the account",
    );
    try {
      await work.start();
    } catch (error) {
      this.options.log()?.error({ err: error, account }, "starting the background work failed");
      await this.resign(account, "its start failed");
    }
  }
}
