/**
 * A server process as one replica of a deployment on a PostgreSQL store (docs/architecture.md, "Replicas"): it
 * serves the whole API like any other, runs the background work of the accounts whose election it wins
 * (election.ts), and hears through its coordination connection what every replica commits.
 *
 * What crosses replicas, and how:
 * - effects (effects/effects.ts): each transaction sends the effects it records with `tx.notify` (delivered only
 *   if it commits). The replica that committed handles them at once as a single server does; the others hear them
 *   and act on those that concern them: agents long-polling on the pool answer (`notifyPool`), and the leader of the
 *   account wakes its loops (the others);
 * - the event stream: each transaction sends its entity changes (as event data) the same way, and every replica's
 *   hub — its own commits included — is fed only from what the coordination connection delivers, so every replica
 *   tells every change once, in commit order;
 * - a replica that lost its coordination connection may have missed messages: once it is back, its event
 *   subscribers get `reset` (re-read), its long-polling agents are answered, and the terms it may win start with a
 *   full pass, as after a restart.
 */
import type { Store, WriteTx } from "@openbatch/store";
import type { PgCoordination, PostgresStore } from "@openbatch/store";
import type { Effect } from "../effects/effects.js";
import { eventData, type EventHub } from "../events/eventHub.js";
import type { EntityChange } from "../events/entityChanges.js";
import type { PoolNotifier } from "../nodes/notifier.js";
import { Election, type AccountWork } from "./election.js";
import { isLeadershipLost } from "./leadership.js";
import { decodeMessage, encodeEvents, encodeMessage } from "./messages.js";

export interface ReplicaLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface ReplicaOptions {
  readonly store: PostgresStore;
  /** This process's id in the deployment (unique per start). */
  readonly id: string;
  readonly host: string;
  readonly events: EventHub;
  readonly notifier: PoolNotifier;
  /** The load balancer's URL, offered to agents before the replicas' own. */
  readonly publicUrl: string | undefined;
  readonly log: () => ReplicaLog | undefined;
  /** How often the election is tried. @default 1000 */
  readonly electionPollInMs?: number;
  /** How long PostgreSQL keeps the session (and locks) of a replica that stopped talking. @default 5000 */
  readonly sessionTimeoutInMs?: number;
}

export interface ReplicaHealth {
  readonly id: string;
  /** The accounts whose background work this replica runs, with its term. */
  readonly leading: { account: string; term: number }[];
  /** Replicas seen alive lately (this one included). */
  readonly replicas: number;
  readonly connected: boolean;
}

/** How often the list of live replicas (for agents) is read. */
const replicaListInMs = 2000;

export class Replica {
  private election: Election | undefined;
  private barriers = new Map<number, () => void>();
  private nextBarrier = 0;
  private live: string[] = [];
  private url = "";
  private launches = 0;
  private readonly listTimer: NodeJS.Timeout;

  private constructor(
    private readonly options: ReplicaOptions,
    private readonly coordination: PgCoordination,
  ) {
    this.listTimer = setInterval(() => void this.refreshReplicas(), replicaListInMs);
    this.listTimer.unref();
  }

  /** Opens the coordination connection and starts listening (before anything is written). */
  static async start(options: ReplicaOptions): Promise<Replica> {
    let replica: Replica | undefined;
    const coordination = await options.store.coordinate({
      replica: { id: options.id, url: "", host: options.host, pid: process.pid },
      ...(options.sessionTimeoutInMs === undefined ? {} : { sessionTimeoutInMs: options.sessionTimeoutInMs }),
      onMessage: (payload) => replica?.receive(payload),
      onConnected: (again) => replica?.connected(again),
      onLost: (error) => replica?.lost(error),
    });
    replica = new Replica(options, coordination);
    return replica;
  }

  get id(): string {
    return this.options.id;
  }

  /** The hooks that send a transaction's effects and changes to every replica (EffectStore, observeStore). */
  readonly onRecord = (tx: WriteTx, effect: Effect): void => {
    if (effect.kind === "illegalTransition") return;
    tx.notify(encodeMessage({ type: "effect", from: this.options.id, effect }));
  };

  readonly inTransaction = (tx: WriteTx, changes: ReadonlyMap<string, readonly EntityChange[]>): void => {
    for (const [account, list] of changes) {
      for (const message of encodeEvents(this.options.id, account, list.map(eventData))) tx.notify(message);
    }
  };

  /** An effect this replica's own commit recorded: its loops act if it leads the account (the others heard it). */
  handleLocal(effect: Effect): void {
    this.election?.workOf(effect.account)?.handle(effect);
  }

  /** Starts competing for the accounts; resolves once those won at once run their work. */
  async elect(options: { store: Store; accounts: readonly string[]; clock: import("@openbatch/core").Clock; makeWork: (account: string, store: Store) => AccountWork }): Promise<void> {
    this.election = new Election({
      coordination: this.coordination,
      store: options.store,
      accounts: options.accounts,
      replica: this.options.id,
      host: this.options.host,
      clock: options.clock,
      makeWork: options.makeWork,
      log: this.options.log,
      ...(this.options.electionPollInMs === undefined ? {} : { pollInMs: this.options.electionPollInMs }),
    });
    await this.election.start();
  }

  workOf(account: string): AccountWork | undefined {
    return this.election?.workOf(account);
  }

  /**
   * Sends an effect decided outside a transaction (an agent joined: its pool needs a reconcile) to every replica,
   * for the one that runs the account's work.
   */
  async send(effect: Effect): Promise<void> {
    await this.coordination.notify(encodeMessage({ type: "effect", from: "", effect }));
  }

  /** Whether a failure is a fenced write of a term that ended (expected, not an error). */
  static isExpected(error: unknown): boolean {
    return isLeadershipLost(error);
  }

  /** Resolves once every message committed before the call has arrived (at most 2 s). */
  barrier(): Promise<void> {
    if (!this.coordination.connected) return Promise.resolve();
    const id = ++this.nextBarrier;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.barriers.delete(id);
        resolve();
      };
      const timer = setTimeout(done, 2000);
      timer.unref();
      this.barriers.set(id, done);
      this.coordination.notify(encodeMessage({ type: "barrier", from: this.options.id, id })).catch(done);
    });
  }

  /** This replica's URL, once it listens (the registry and agents learn it). */
  setUrl(url: string): void {
    this.url = url;
    this.coordination.setUrl(url);
    void this.refreshReplicas();
  }

  /** The URLs agents may use, best first: the load balancer's, this replica's, the other live replicas'. */
  serverUrls(): string[] {
    return [...new Set([...(this.options.publicUrl === undefined ? [] : [this.options.publicUrl]), ...(this.url === "" ? [] : [this.url]), ...this.live])];
  }

  /**
   * The URLs a local agent is started with: as `serverUrls`, but without a load balancer the replicas in turn start
   * the list, so that the agents' syncs — most of the work tasks make — spread over the replicas.
   */
  agentUrls(): string[] {
    const all = this.serverUrls();
    if (this.options.publicUrl !== undefined || all.length < 2) return all;
    const first = this.launches++ % all.length;
    return [...all.slice(first), ...all.slice(0, first)];
  }

  missedWakeUps(): number {
    return this.election?.missedWakeUps ?? 0;
  }

  connectedAgents(): number {
    return this.election?.connectedAgents() ?? 0;
  }

  health(): ReplicaHealth {
    return {
      id: this.options.id,
      leading: (this.election?.terms ?? []).map((term) => ({ account: term.account, term: term.epoch })),
      replicas: Math.max(1, new Set([this.url, ...this.live]).size),
      connected: this.coordination.connected,
    };
  }

  /** Stops this replica's terms, tells the others to take over at once, and leaves. */
  async close(): Promise<void> {
    clearInterval(this.listTimer);
    const released = (await this.election?.close()) ?? [];
    if (released.length > 0) {
      await this.coordination.notify(encodeMessage({ type: "released", from: this.options.id, accounts: released })).catch(() => undefined);
    }
    await this.coordination.close();
    for (const done of [...this.barriers.values()]) done();
  }

  private receive(payload: string): void {
    const message = decodeMessage(payload);
    if (message === undefined) return;
    switch (message.type) {
      case "effect":
        if (message.from === this.options.id) return;
        if (message.effect.kind === "notifyPool") this.options.notifier.notify(message.effect.account, message.effect.poolId);
        else this.handleLocal(message.effect);
        return;
      case "events":
        this.options.events.publishEvents(message.account, message.events);
        return;
      case "released":
        if (message.from !== this.options.id) void this.election?.campaign();
        return;
      case "barrier":
        if (message.from === this.options.id) this.barriers.get(message.id)?.();
        return;
    }
  }

  private connected(again: boolean): void {
    if (!again) return;
    this.options.log()?.info({ replica: this.options.id }, "coordination connection to the database is back");
    // Whatever was committed meanwhile was not heard: subscribers re-read, agents re-sync, terms start afresh.
    this.options.events.resetAll("reconnected");
    this.options.notifier.notifyAll();
    void this.election?.campaign();
  }

  private lost(error: unknown): void {
    this.options.log()?.warn({ replica: this.options.id, err: error }, "coordination connection to the database lost; background work stops until it is back");
    this.election?.loseAll();
  }

  private async refreshReplicas(): Promise<void> {
    if (!this.coordination.connected) return;
    try {
      this.live = (await this.coordination.replicas()).map((replica) => replica.url).filter((url) => url !== "");
    } catch {
      // Keep the last list: the database is away for now.
    }
  }
}
