/**
 * PostgresStore: the Store on a PostgreSQL database (the `pg` driver), for deployments beyond one process and one
 * disk. Decisions (docs/architecture.md, "PostgreSQL store"):
 *
 * - `write` runs in a SERIALIZABLE transaction, the isolation the server's transaction bodies are written for (they
 *   read, decide and write, as under SQLite's single writer). A transaction that loses a conflict (serialization
 *   failure, deadlock) is rolled back and its body run again, after a short random pause, up to `maxAttempts`
 *   times; only the final, committed attempt's `afterCommit` effects run.
 * - Inserts are deferred and sent in one statement, speculatively (postgresTx.ts, PgWriteTx); a batch that meets an
 *   existing entity makes the body run again without deferring.
 * - `read` is one REPEATABLE READ READ ONLY transaction: every query of a read sees the same snapshot.
 * - Readers and writers have a pool each, so a read started inside a write body (or a burst of reads) never waits
 *   for a connection that a write holds.
 * - A database that cannot be reached, is restarting or refuses connections surfaces as StoreError `unavailable`,
 *   which the HTTP layer answers with 503 ServerBusy; a transaction is not retried then, as a COMMIT whose answer
 *   was lost may have committed.
 *
 * Durability is the database server's (`synchronous_commit`, on by default): `write` resolves after COMMIT.
 */
import pg from "pg";
import type { Pool, PoolClient } from "pg";
import { StoreError, type ReadTx, type Store, type WriteTx } from "../store.js";
import { runEffects } from "../effects.js";
import type { EntityRow, KindCount } from "../entityRows.js";
import { classify, isUnavailable, RetryableConflict, unavailable } from "./failures.js";
import { migrate } from "./migrations.js";
import { PgReadTx, PgWriteTx, Session, SpeculationFailed } from "./postgresTx.js";
import { PgCoordination, type CoordinationOptions } from "./coordination.js";
import { PgSharedData } from "./sharedData.js";
import { TaskCountFolder } from "./taskCountRows.js";
import { escapeJsonText, unescapeJsonText } from "./textEscape.js";

/** How long a connection may sit idle inside a transaction before PostgreSQL ends its session. */
const idleInTransactionTimeoutInMs = 10_000;

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database?…`, as libpq and the `pg` driver read it. */
  readonly connectionString: string;
  /** Used once, to record when migrations ran and to seed the ETag sequence of a new database. */
  readonly now: Date;
  /** Connections per pool (one pool for reads, one for writes). @default 8 */
  readonly poolSize?: number;
  /** Times a conflicting write transaction is run before `write` fails with `unavailable`. @default 20 */
  readonly maxAttempts?: number;
  /** How long to wait for a connection before failing with `unavailable`. @default 5000 */
  readonly connectTimeoutInMs?: number;
  /** Told of an after-commit effect that threw. @default console.error */
  readonly onEffectError?: (error: unknown) => void;
}

/** What a transaction attempt came to: the body's result, or a failure to rethrow (or to retry). */
type Outcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

const jsonbOid = 3802;

/** The driver's parsers, but jsonb bodies unescaped (textEscape.ts) before they are parsed. */
const typeParser = ((oid: number, format?: "text" | "binary") =>
  oid === jsonbOid && format !== "binary" ? (text: string) => JSON.parse(unescapeJsonText(text)) : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser;

const readBegin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
const writeBegin = "BEGIN ISOLATION LEVEL SERIALIZABLE";

export class PostgresStore implements Store {
  private closed = false;
  private readonly onEffectError: (error: unknown) => void;
  private readonly maxAttempts: number;
  /** Write attempts rolled back and run again because of a conflict, since the store opened (for benchmarks). */
  retries = 0;
  /** Write transactions run again because a deferred insert met an existing entity (postgresTx.ts). */
  rerunsWithoutDeferring = 0;
  /** Folds the task counts' delta rows (taskCountRows.ts). */
  readonly folder: TaskCountFolder;

  private constructor(
    private readonly readers: Pool,
    private readonly writers: Pool,
    options: PostgresStoreOptions,
  ) {
    this.onEffectError = options.onEffectError ?? ((error) => console.error("after-commit effect failed", error));
    this.maxAttempts = options.maxAttempts ?? 20;
    this.connectionString = options.connectionString;
    // A fold that failed changes nothing; only a failure other than an unreachable database is worth a report.
    this.folder = new TaskCountFolder(writers, (error) => {
      if (!isUnavailable(error)) this.onEffectError(error);
    });
  }

  private readonly connectionString: string;

  /**
   * Opens this process's coordination connection to the database: LISTEN on what transactions `notify`, advisory
   * locks for the election of background work, the replica registry (coordination.ts).
   */
  coordinate(options: Omit<CoordinationOptions, "connectionString">): Promise<PgCoordination> {
    this.assertOpen();
    return PgCoordination.open({ ...options, connectionString: this.connectionString });
  }

  /** Secrets and files every replica holds alike (sharedData.ts). */
  sharedData(): PgSharedData {
    return new PgSharedData(this.writers);
  }

  /** Connects, applies the migrations this database lacks, and returns the store. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const pool = (name: string) => {
      const created = new pg.Pool({
        connectionString: options.connectionString,
        max: options.poolSize ?? 8,
        connectionTimeoutMillis: options.connectTimeoutInMs ?? 5000,
        idleTimeoutMillis: 30_000,
        application_name: `openbatch-${name}`,
        // A process frozen or cut off in the middle of a transaction would hold its row locks until TCP gives up
        // (hours): with replicas, the one taking over its work would wait on them. Transactions here never pause
        // between statements for long, so a session that does is ended, and its locks with it.
        idle_in_transaction_session_timeout: idleInTransactionTimeoutInMs,
        types: { getTypeParser: typeParser },
      });
      // An idle connection that the server closes (a restart) emits this; the pool drops it, and the next
      // checkout connects anew. Without a listener the process would exit.
      created.on("error", () => undefined);
      // And every connection always has a listener of its own: a server that stops as a connection is handed out
      // can send its last words in the same packet as the connection's first answer, before the transaction
      // that takes the connection has put its listener in place. Queries on the connection fail all the same.
      created.on("connect", (client) => client.on("error", () => undefined));
      return created;
    };
    const readers = pool("read");
    const writers = pool("write");
    try {
      await migrate(writers, options.now);
    } catch (error) {
      await Promise.all([readers.end(), writers.end()]);
      throw isUnavailable(error) ? unavailable(error) : error;
    }
    return new PostgresStore(readers, writers, options);
  }

  async read<R>(work: (tx: ReadTx) => Promise<R>): Promise<R> {
    this.assertOpen();
    const outcome = await this.attempt(this.readers, readBegin, (session) => work(new PgReadTx(session, this.folder)));
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  async write<R>(work: (tx: WriteTx) => Promise<R>): Promise<R> {
    this.assertOpen();
    let deferInserts = true;
    for (let attempt = 1; ; attempt++) {
      let tx: PgWriteTx | undefined;
      const outcome = await this.attempt(this.writers, writeBegin, async (session) => {
        tx = new PgWriteTx(session, deferInserts, this.folder);
        let result: R;
        try {
          result = await work(tx);
        } catch (error) {
          // The deferred inserts first: if one of them existed, the body went on from a wrong answer, and its
          // failure may be of that making; the run without deferring then tells.
          await tx.flush();
          throw error;
        }
        await tx.flush();
        await tx.sendNotifications();
        return result;
      });
      if (outcome.ok) {
        this.folder.committed((tx as PgWriteTx).taskJobs);
        runEffects((tx as PgWriteTx).effects, this.onEffectError);
        return outcome.value;
      }
      if (outcome.error instanceof SpeculationFailed) {
        deferInserts = false;
        this.rerunsWithoutDeferring++;
        continue;
      }
      if (!(outcome.error instanceof RetryableConflict)) throw outcome.error;
      if (attempt >= this.maxAttempts) {
        throw new StoreError("unavailable", `The transaction conflicted with others ${attempt} times; try again later`);
      }
      this.retries++;
      // A random pause, growing with the attempts, so that the transactions that collided do not collide again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));
    }
  }

  /**
   * Inserts entities exactly as another store held them (ids, ETags, timestamps, bodies) in one transaction, into
   * a database that must hold none yet, and moves the ETag sequence past `eTagVersion` and every copied ETag, so
   * that no ETag is issued twice. Returns how many entities were copied.
   */
  async importEntities(batches: Iterable<EntityRow[]> | AsyncIterable<EntityRow[]>, eTagVersion: bigint): Promise<number> {
    this.assertOpen();
    const outcome = await this.attempt(this.writers, "BEGIN", async (session) => {
      const existing = await session.query("SELECT 1 FROM entities LIMIT 1");
      if (existing.rows.length > 0) throw new Error("The target database already holds entities; copy into an empty one");
      let copied = 0;
      let highest = eTagVersion;
      for await (const batch of batches) {
        const column = <K extends keyof EntityRow>(key: K) => batch.map((row) => row[key]);
        await session.query(
          `INSERT INTO entities (account, kind, scope, id_key, id, etag, created_at, modified_at, body)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[])`,
          [
            ...(["account", "kind", "scope", "idKey", "id", "eTag", "createdAt", "modifiedAt"] as const).map(column),
            batch.map((row) => escapeJsonText(row.body)),
          ],
        );
        for (const row of batch) if (/^0x[0-9A-F]+$/i.test(row.eTag) && BigInt(row.eTag) > highest) highest = BigInt(row.eTag);
        copied += batch.length;
      }
      await session.query("SELECT setval('entity_etag', greatest($1::bigint, (SELECT last_value FROM entity_etag)))", [highest.toString()]);
      return copied;
    });
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** How many entities each account has of each kind, in account and kind order. */
  async entityCounts(): Promise<KindCount[]> {
    return this.read(async (tx) => (tx as PgReadTx).entityCounts());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.folder.settle();
    await Promise.all([this.readers.end(), this.writers.end()]);
  }

  /**
   * One transaction on one pooled connection. A failure of the database wins over whatever the body made of it (a
   * body may catch a store error and go on, or throw another error), because the transaction is lost either way.
   */
  private async attempt<R>(pool: Pool, begin: string, body: (session: Session) => Promise<R>): Promise<Outcome<R>> {
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      return { ok: false, error: isUnavailable(error) ? unavailable(error) : error };
    }
    // A connection that breaks between two statements reports here; the statement after fails anyway.
    let broken = false;
    const onError = () => {
      broken = true;
    };
    client.on("error", onError);
    const session = new Session(client);
    let outcome: Outcome<R>;
    try {
      await session.query(begin);
      outcome = { ok: true, value: await body(session) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (session.failure !== undefined) outcome = { ok: false, error: session.failure.error };
    if (outcome.ok) {
      try {
        await session.query("COMMIT");
      } catch (error) {
        outcome = { ok: false, error };
        // A COMMIT that failed has ended the transaction; this only matters if it was never sent.
        if (!broken && !isUnavailable(error)) await client.query("ROLLBACK").catch(() => undefined);
      }
    } else if (!broken && !isUnavailable(outcome.error)) {
      try {
        await client.query("ROLLBACK");
      } catch (error) {
        broken = true;
        if (isUnavailable(error)) outcome = { ok: false, error: classify(error) };
      }
    }
    client.off("error", onError);
    const lost = broken || (!outcome.ok && isUnavailable(outcome.error));
    client.release(lost ? new Error("connection lost") : undefined);
    return outcome;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("PostgresStore is closed");
  }
}
