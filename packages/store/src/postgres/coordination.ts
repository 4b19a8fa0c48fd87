/**
 * PgCoordination: the one dedicated connection per server process through which the replicas of a deployment
 * coordinate (docs/architecture.md, "Replicas"):
 *
 * - it LISTENs on the store's channel, so the process hears every committed `WriteTx.notify` message, its own
 *   included, in commit order (`onMessage`);
 * - it holds session advisory locks by name (`tryLock`): the election of the process that runs an account's
 *   background work;
 * - its heartbeat keeps the process's row in the replica registry (`cluster_replicas`) fresh.
 *
 * A session's advisory locks live as long as the session. PostgreSQL ends it — and releases them — at once when
 * the process dies (its socket closes), and after `sessionTimeoutInMs` when the process stops talking (frozen, or
 * cut off from the database): `idle_session_timeout` is set on the session, and the heartbeat speaks every
 * `heartbeatInMs`. This side counts the connection lost as soon as a heartbeat fails or is not answered within
 * `heartbeatTimeoutInMs` (shorter than the session timeout, so a process cut off normally gives up its locks before
 * another can take them; the store's fencing makes the order safe either way), tells `onLost`, and connects again
 * with back-off. Messages sent while it was away are not replayed: `onConnected(true)` says they may be missed.
 *
 * Needs PostgreSQL 14 or later (`idle_session_timeout`), and a direct connection or a pooler in session mode
 * (advisory locks and LISTEN belong to a session).
 */
import pg from "pg";
import { classify, isUnavailable, unavailable } from "./failures.js";
import { notifyChannel } from "./postgresTx.js";

export interface ReplicaInfo {
  /** Unique per server process (start). */
  readonly id: string;
  /** Where agents and other replicas reach it. */
  readonly url: string;
  readonly host: string;
  readonly pid: number;
}

export interface LiveReplica extends ReplicaInfo {
  readonly startedAt: Date;
  readonly seenAt: Date;
}

export interface CoordinationOptions {
  readonly connectionString: string;
  readonly replica: ReplicaInfo;
  /** Every message on the store's channel, in commit order (this process's own too). */
  readonly onMessage: (payload: string) => void;
  /** Listening (again); `again` when messages may have been missed since the connection was lost. */
  readonly onConnected?: (again: boolean) => void;
  /** The connection is gone, and every lock it held with it. */
  readonly onLost?: (error: unknown) => void;
  /** @default 1000 */
  readonly heartbeatInMs?: number;
  /** How long a heartbeat may take before the connection counts as lost. @default 3000 */
  readonly heartbeatTimeoutInMs?: number;
  /** How long PostgreSQL keeps a session that says nothing (and its locks). @default 5000 */
  readonly sessionTimeoutInMs?: number;
  /** @default 5000 */
  readonly connectTimeoutInMs?: number;
}

/** The advisory-lock key space of the election (`pg_try_advisory_lock(int, int)`: "OB"); migrations use bigints. */
const lockSpace = 0x4f42;
/** A registry row not refreshed for this many session timeouts belongs to a replica that is gone. */
const liveFactor = 2;

export class PgCoordination {
  private client: pg.Client | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly held = new Set<string>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private beats = 0;
  private closed = false;
  private readonly heartbeatInMs: number;
  private readonly heartbeatTimeoutInMs: number;
  private readonly sessionTimeoutInMs: number;
  private url: string;

  private constructor(private readonly options: CoordinationOptions) {
    this.url = options.replica.url;
    this.heartbeatInMs = options.heartbeatInMs ?? 1000;
    this.heartbeatTimeoutInMs = options.heartbeatTimeoutInMs ?? 3000;
    this.sessionTimeoutInMs = options.sessionTimeoutInMs ?? 5000;
  }

  /** Connects (the first connection must succeed: StoreError `unavailable` otherwise) and starts listening. */
  static async open(options: CoordinationOptions): Promise<PgCoordination> {
    const coordination = new PgCoordination(options);
    await coordination.connect(false);
    return coordination;
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** The names whose locks this session holds. */
  get locks(): ReadonlySet<string> {
    return this.held;
  }

  /**
   * Tries to take the advisory lock of each name (without waiting); returns the names whose lock this session now
   * holds (newly taken or held before). Nothing while disconnected.
   */
  async tryLock(names: readonly string[]): Promise<Set<string>> {
    const wanted = names.filter((name) => !this.held.has(name));
    if (wanted.length > 0 && this.client !== undefined) {
      const { rows } = await this.run<{ name: string; taken: boolean }>(
        "SELECT name, pg_try_advisory_lock($1, hashtext(name)) AS taken FROM unnest($2::text[]) AS name",
        [lockSpace, wanted],
      );
      for (const row of rows) if (row.taken) this.held.add(row.name);
    }
    return new Set(names.filter((name) => this.held.has(name)));
  }

  /** Gives up a lock this session holds. */
  async unlock(name: string): Promise<void> {
    if (!this.held.delete(name) || this.client === undefined) return;
    await this.run("SELECT pg_advisory_unlock($1, hashtext($2))", [lockSpace, name]).catch(() => undefined);
  }

  /** Sends a message on the store's channel outside any transaction (this process hears it too, after everything committed before). */
  async notify(payload: string): Promise<void> {
    if (this.client === undefined) throw unavailable(new Error("the coordination connection is down"));
    await this.run("SELECT pg_notify($1, $2)", [notifyChannel, payload]);
  }

  /** The replicas whose heartbeat was seen lately, oldest first. */
  async replicas(): Promise<LiveReplica[]> {
    const { rows } = await this.run<{ id: string; url: string; host: string; pid: number; started_at: Date; seen_at: Date }>(
      "SELECT id, url, host, pid, started_at, seen_at FROM cluster_replicas WHERE seen_at > now() - make_interval(secs => $1) ORDER BY started_at, id",
      [(liveFactor * this.sessionTimeoutInMs) / 1000],
    );
    return rows.map((row) => ({ id: row.id, url: row.url, host: row.host, pid: row.pid, startedAt: row.started_at, seenAt: row.seen_at }));
  }

  /** Leaves the registry and ends the session, which releases every lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    const client = this.client;
    this.client = undefined;
    this.held.clear();
    if (client === undefined) return;
    await this.tail.catch(() => undefined);
    await client.query("DELETE FROM cluster_replicas WHERE id = $1", [this.options.replica.id]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }

  /** Runs one statement on the session, one at a time; a failure of the connection counts it lost. */
  private run<R extends pg.QueryResultRow>(text: string, values: unknown[], timeoutInMs?: number): Promise<pg.QueryResult<R>> {
    const client = this.client;
    const result = this.tail.then(async () => {
      if (client === undefined || client !== this.client) throw unavailable(new Error("the coordination connection is down"));
      try {
        return await client.query<R>({ text, values, ...(timeoutInMs === undefined ? {} : { query_timeout: timeoutInMs }) });
      } catch (error) {
        const failure = /read timeout/i.test((error as Error).message) ? unavailable(error) : classify(error);
        if (isUnavailable(failure)) this.lose(client, failure);
        throw failure;
      }
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async connect(again: boolean): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      connectionTimeoutMillis: this.options.connectTimeoutInMs ?? 5000,
      keepAlive: true,
      application_name: "openbatch-coordination",
    });
    client.on("error", (error) => this.lose(client, error));
    client.on("end", () => this.lose(client, new Error("the coordination connection ended")));
    client.on("notification", (message) => {
      if (client === this.client && message.channel === notifyChannel) this.options.onMessage(message.payload ?? "");
    });
    try {
      await client.connect();
      // Whole milliseconds: PostgreSQL ends this session, and frees its locks, once it is silent that long.
      await client.query(`SET idle_session_timeout = ${Math.max(1, Math.round(this.sessionTimeoutInMs))}`);
      await client.query(`LISTEN ${notifyChannel}`);
      await client.query(this.registration, this.registrationValues());
    } catch (error) {
      await client.end().catch(() => undefined);
      throw isUnavailable(error) ? unavailable(error) : error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.tail = Promise.resolve();
    this.failures = 0;
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => void this.beat(), this.heartbeatInMs);
    this.heartbeatTimer.unref();
    this.options.onConnected?.(again);
  }

  private readonly registration = `INSERT INTO cluster_replicas (id, url, host, pid) VALUES ($1, $2, $3, $4)
    ON CONFLICT (id) DO UPDATE SET seen_at = now(), url = EXCLUDED.url`;

  private registrationValues(): unknown[] {
    const { replica } = this.options;
    return [replica.id, this.url, replica.host, replica.pid];
  }

  /** The URL the registry shows for this replica, from the next heartbeat on (a server knows it once it listens). */
  setUrl(url: string): void {
    this.url = url;
  }

  /** The heartbeat: keeps the session from timing out and the registry row fresh; its failure loses the connection. */
  private async beat(): Promise<void> {
    this.beats++;
    try {
      await this.run(this.registration, this.registrationValues(), this.heartbeatTimeoutInMs);
      // Now and then, the rows of replicas long gone.
      if (this.beats % 60 === 0) await this.run("DELETE FROM cluster_replicas WHERE seen_at < now() - interval '1 day'", [], this.heartbeatTimeoutInMs);
    } catch {
      // run() has counted the connection lost if that is what it was.
    }
  }

  /** The connection `client` is gone (once per connection): locks with it; try again with back-off. */
  private lose(client: pg.Client, error: unknown): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.held.clear();
    clearInterval(this.heartbeatTimer);
    // The socket may still be open (a heartbeat that timed out): end it, so that its session and locks go too.
    void client.end().catch(() => undefined);
    this.options.onLost?.(error);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delay = Math.min(5000, 250 * 2 ** Math.min(this.failures, 5));
    this.failures++;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.connect(true).catch(() => this.scheduleReconnect());
    }, delay);
    this.reconnectTimer.unref();
  }
}
