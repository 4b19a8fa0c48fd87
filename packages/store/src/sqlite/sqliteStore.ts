/**
 * SqliteStore: the embedded Store on better-sqlite3, in WAL mode. With `durableWrites` (`synchronous = FULL`) a
 * write is on disk once `write` resolves; without it (`synchronous = NORMAL`, the default) a write is atomic and
 * survives the process crashing, and the database is never corrupted, but the last commits before a power loss or
 * OS crash may be rolled back. An fsync per commit costs about 6 ms on the development machine; NORMAL about 0.05.
 *
 * One writer connection, serialised by a promise queue so that an async transaction callback never shares the
 * connection with another transaction, and read-only connections, one per read running at the time (a few are kept
 * open between reads): each read is one transaction, so it sees one snapshot of committed data (WAL) from its first
 * statement to its end, and never waits for the writer.
 *
 * Task counts by job, state and result are maintained by triggers in the transaction of every write
 * (migrations/0003_task_counts.sql).
 */
import Database from "better-sqlite3";
import { formatTimestamp, idKey } from "@openbatch/core";
import {
  StoreError,
  type CollectionRef,
  type EntityRef,
  type JsonPage,
  type ListPage,
  type ListQuery,
  type ReadTx,
  type Store,
  type StoredEntity,
  type TallyField,
  type TallyGroup,
  type TallyWeight,
  type TaskCountGroup,
  type WriteOptions,
  type WriteTx,
} from "../store.js";
import { runEffects } from "../effects.js";
import { countFromGroups, countsAnswer } from "../taskCounts.js";
import type { EntityRow, KindCount } from "../entityRows.js";
import { dumpSchema as dumpSchemaOf, migrate } from "./migrations.js";
import { fieldSql, jsonPath, predicateToSql, sqlString } from "./predicateSql.js";

export interface SqliteStoreOptions {
  /** Database file path, or ":memory:" (then reader and writer share one connection). */
  readonly filename: string;
  /** Used once, to record when migrations ran and to seed the ETag counter. */
  readonly now: Date;
  /** fsync every commit (`synchronous = FULL`). @default false */
  readonly durableWrites?: boolean;
  /** Told of an after-commit effect that threw. @default console.error */
  readonly onEffectError?: (error: unknown) => void;
}

const exportColumns = "account, kind, scope, id_key AS idKey, id, etag AS eTag, created_at AS createdAt, modified_at AS modifiedAt, body";

/** The columns of a Row (the generated ones — state, result, slots — are the body's, for indexes and counts). */
const rowColumns = "id, id_key, etag, created_at, modified_at, body";

interface Row {
  id: string;
  id_key: string;
  etag: string;
  created_at: string;
  modified_at: string;
  body: string;
}

function toEntity<T>(row: Row): StoredEntity<T> {
  return {
    id: row.id,
    eTag: row.etag,
    creationTime: new Date(row.created_at),
    lastModified: new Date(row.modified_at),
    body: JSON.parse(row.body) as T,
  };
}

/** Prepared statements, kept per connection: preparing costs more than running most of ours. */
const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

function statement(db: Database.Database, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (cache === undefined) {
    cache = new Map();
    statements.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (prepared === undefined) {
    // Filters make new SQL texts; a client inventing many must not grow the cache without bound.
    if (cache.size >= 500) cache.clear();
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared;
}

function formatETag(version: bigint): string {
  return `0x${version.toString(16).toUpperCase()}`;
}

class SqliteReadTx implements ReadTx {
  constructor(protected readonly db: Database.Database) {}

  async get<T>(ref: EntityRef): Promise<StoredEntity<T> | undefined> {
    const row = statement(this.db, `SELECT ${rowColumns} FROM entities WHERE account = ? AND kind = ? AND scope = ? AND id_key = ?`)
      .get(ref.account, ref.kind, idKey(ref.scope), idKey(ref.id)) as Row | undefined;
    return row === undefined ? undefined : toEntity<T>(row);
  }

  async list<T>(collection: CollectionRef, query: ListQuery): Promise<ListPage<T>> {
    const { rows, nextKey } = this.page<Row>(rowColumns, collection, query);
    return { items: rows.map(toEntity<T>), ...(nextKey === undefined ? {} : { nextKey }) };
  }

  async listJson(collection: CollectionRef, query: ListQuery, omit: readonly string[]): Promise<JsonPage> {
    const body = omit.length === 0 ? "body" : `json_remove(body, ${omit.map((name) => sqlString(jsonPath([name]))).join(", ")})`;
    const { where, params } = this.conditions(collection, query);
    // One value for the whole page, made and UTF-8 encoded by SQLite: no string per entity in JavaScript.
    const [items, count, lastKey] = statement(
      this.db,
      `SELECT CAST(coalesce(group_concat(json, ',' ORDER BY id_key), '') AS BLOB), count(*), max(id_key)
       FROM (SELECT id_key, json_set(${body}, '$."eTag"', etag) AS json FROM entities WHERE ${where} ORDER BY id_key LIMIT ?)`,
    )
      .raw()
      .get(...params, query.limit) as [Buffer, number, string | null];
    if (lastKey === null || count < query.limit) return { items, count };
    const after = this.conditions(collection, { ...query, afterKey: lastKey });
    const more = statement(this.db, `SELECT 1 FROM entities WHERE ${after.where} LIMIT 1`).get(...after.params) !== undefined;
    return { items, count, ...(more ? { nextKey: lastKey } : {}) };
  }

  /** The WHERE clause of a page of `collection` (after `afterKey`, matching `filter`) and its parameters. */
  private conditions(collection: CollectionRef, query: ListQuery): { where: string; params: (string | number | null)[] } {
    const where = ["account = ?", "kind = ?", "scope = ?"];
    const params: (string | number | null)[] = [collection.account, collection.kind, idKey(collection.scope)];
    if (query.afterKey !== undefined) {
      where.push("id_key > ?");
      params.push(query.afterKey);
    }
    if (query.filter !== undefined) {
      const fragment = predicateToSql(query.filter);
      where.push(fragment.sql);
      params.push(...fragment.params);
    }
    return { where: where.join(" AND "), params };
  }

  /** One keyset page of `columns`, in id-key order; `nextKey` when more rows follow. */
  private page<R extends { id_key: string }>(columns: string, collection: CollectionRef, query: ListQuery): { rows: R[]; nextKey?: string } {
    const { where, params } = this.conditions(collection, query);
    const rows = statement(this.db, `SELECT ${columns} FROM entities WHERE ${where} ORDER BY id_key LIMIT ?`).all(...params, query.limit + 1) as R[];
    if (rows.length <= query.limit) return { rows };
    const page = rows.slice(0, query.limit);
    return { rows: page, nextKey: (page.at(-1) as R).id_key };
  }

  async count(collection: CollectionRef, filter?: ListQuery["filter"]): Promise<number> {
    if (countsAnswer(collection, filter)) return countFromGroups(await this.taskCounts(collection.account, collection.scope), filter);
    const fragment = filter === undefined ? { sql: "1", params: [] } : predicateToSql(filter);
    return statement(this.db, `SELECT count(*) FROM entities WHERE account = ? AND kind = ? AND scope = ? AND ${fragment.sql}`)
      .pluck()
      .get(collection.account, collection.kind, idKey(collection.scope), ...fragment.params) as number;
  }

  async tally(collection: CollectionRef, groupBy: readonly TallyField[], weight?: TallyWeight): Promise<TallyGroup[]> {
    const groups = groupBy.map((field, index) => `${fieldSql(field.path, field.kind)} AS g${index}`);
    const sum = weight === undefined ? "count(*)" : `total(coalesce(json_extract(body, ${sqlString(jsonPath(weight.path))}), ?))`;
    const grouping = groupBy.length === 0 ? "" : ` GROUP BY ${groupBy.map((_, index) => `g${index}`).join(", ")}`;
    const rows = statement(this.db, `SELECT ${[...groups, "count(*) AS n", `${sum} AS w`].join(", ")} FROM entities WHERE account = ? AND kind = ? AND scope = ?${grouping}`)
      .raw()
      .all(...(weight === undefined ? [] : [weight.default]), collection.account, collection.kind, idKey(collection.scope)) as (string | number | null)[][];
    return rows.map((row) => ({ values: row.slice(0, groupBy.length), count: Number(row[groupBy.length]), weight: Number(row[groupBy.length + 1]) }));
  }

  async taskCounts(account: string, jobId?: string): Promise<TaskCountGroup[]> {
    const rows =
      jobId === undefined
        ? statement(this.db, "SELECT state, result, sum(tasks) AS count, sum(slots) AS slots FROM task_counts WHERE account = ? GROUP BY 1, 2 HAVING sum(tasks) <> 0").all(account)
        : statement(this.db, "SELECT state, result, tasks AS count, slots FROM task_counts WHERE account = ? AND scope = ? AND tasks <> 0").all(account, idKey(jobId));
    return rows as TaskCountGroup[];
  }
}

/** How many rows a write transaction keeps parsed at most (SqliteWriteTx). */
const keptRowsLimit = 2000;

/** What a write needs of a stored row it did not read. */
interface StoredKey {
  readonly id: string;
  readonly idKey: string;
  readonly eTag: string;
  readonly createdAt: string;
}

/** A row this transaction read or wrote, parsed; `written` ones are stored by `flush`. */
interface KeptRow {
  readonly ref: EntityRef;
  readonly idKey: string;
  entity: StoredEntity<unknown>;
  /** The `modified_at` to store with a body not stored yet. */
  written?: string;
}

/**
 * The writer's transaction. It keeps every row it read or wrote, parsed: a row read again is not parsed again, and
 * a row replaced several times (a node given one run after another by one plan, a task begun and ended in one agent
 * report) is serialised and stored once — before the commit, or before any query that could see it (`flush`).
 * Bodies are never mutated once handed to or by a transaction, so handing the same object out again is safe.
 */
class SqliteWriteTx extends SqliteReadTx implements WriteTx {
  /** The ETag counter's value as this transaction moved it; written back once, before the commit (`finish`). */
  private version: bigint | undefined;
  private readonly kept = new Map<string, KeptRow>();
  /** Kept rows replaced and not stored yet. */
  private readonly unstored = new Set<KeptRow>();
  readonly effects: (() => void)[] = [];

  afterCommit(effect: () => void): void {
    this.effects.push(effect);
  }

  /** No other process opens this database (the data directory lock): nobody to tell. */
  notify(): void {}

  private nextETag(): string {
    // Its own SQL text, so the statement's pluck and BigInt modes never leak into another query.
    this.version ??= statement(this.db, "SELECT value AS etag FROM counters WHERE name = 'etag'").safeIntegers(true).pluck().get() as bigint;
    this.version += 1n;
    return formatETag(this.version);
  }

  /** Stores the rows written and the ETag counter if this transaction used it: before the commit. */
  finish(): void {
    this.flush();
    if (this.version === undefined) return;
    statement(this.db, "UPDATE counters SET value = ? WHERE name = 'etag'").run(this.version);
  }

  /** Stores every body replaced and not stored yet. */
  private flush(): void {
    if (this.unstored.size === 0) return;
    const update = statement(this.db, "UPDATE entities SET etag = ?, modified_at = ?, body = ? WHERE account = ? AND kind = ? AND scope = ? AND id_key = ?");
    for (const row of this.unstored) {
      update.run(row.entity.eTag, row.written, JSON.stringify(row.entity.body), row.ref.account, row.ref.kind, idKey(row.ref.scope), row.idKey);
      delete row.written;
    }
    this.unstored.clear();
  }

  /**
   * Keeps a row; past `keptRowsLimit` rows every kept row is stored and let go first, so a transaction that goes
   * through a whole job's tasks holds a bounded number of parsed bodies.
   */
  private keep(key: string, row: KeptRow): void {
    if (this.kept.size >= keptRowsLimit && !this.kept.has(key)) {
      this.flush();
      this.kept.clear();
    }
    this.kept.set(key, row);
  }

  private keyOf(ref: EntityRef): string {
    return `${ref.account}\u0000${ref.kind}\u0000${idKey(ref.scope)}\u0000${idKey(ref.id)}`;
  }

  override async get<T>(ref: EntityRef): Promise<StoredEntity<T> | undefined> {
    const key = this.keyOf(ref);
    const kept = this.kept.get(key);
    if (kept !== undefined) return kept.entity as StoredEntity<T>;
    const entity = await super.get<T>(ref);
    if (entity !== undefined) this.keep(key, { ref, idKey: idKey(ref.id), entity });
    return entity;
  }

  /** The row's ETag, or `notFound` / `preconditionFailed`. */
  private current(ref: EntityRef, options: WriteOptions | undefined): KeptRow | StoredKey {
    const kept = this.kept.get(this.keyOf(ref));
    const row =
      kept ??
      (statement(this.db, "SELECT id, id_key AS idKey, etag AS eTag, created_at AS createdAt FROM entities WHERE account = ? AND kind = ? AND scope = ? AND id_key = ?")
        .get(ref.account, ref.kind, idKey(ref.scope), idKey(ref.id)) as StoredKey | undefined);
    if (row === undefined) throw new StoreError("notFound", `${ref.kind} '${ref.id}' does not exist`);
    const eTag = "entity" in row ? row.entity.eTag : row.eTag;
    if (options?.ifMatch !== undefined && options.ifMatch !== eTag) {
      throw new StoreError("preconditionFailed", `${ref.kind} '${ref.id}' has changed`);
    }
    return row;
  }

  async insert<T>(ref: EntityRef, body: T, now: Date): Promise<StoredEntity<T>> {
    const time = formatTimestamp(now);
    const key = idKey(ref.id);
    const eTag = this.nextETag();
    const result = statement(
      this.db,
      `INSERT INTO entities (account, kind, scope, id_key, id, etag, created_at, modified_at, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ).run(ref.account, ref.kind, idKey(ref.scope), key, ref.id, eTag, time, time, JSON.stringify(body));
    if (result.changes === 0) throw new StoreError("conflict", `${ref.kind} '${ref.id}' already exists`);
    // Both times are `now` (stored to the millisecond): no need to parse them back.
    // Not kept: a row is rarely read back in the transaction that added it, and ingest adds thousands.
    return { id: ref.id, eTag, creationTime: new Date(now.getTime()), lastModified: new Date(now.getTime()), body };
  }

  async replace<T>(ref: EntityRef, body: T, now: Date, options?: WriteOptions): Promise<StoredEntity<T>> {
    const existing = this.current(ref, options);
    const written = formatTimestamp(now);
    // The stored id (its case as created) stays; the caller's ref may spell it otherwise.
    const entity: StoredEntity<T> =
      "entity" in existing
        ? { id: existing.entity.id, eTag: this.nextETag(), creationTime: existing.entity.creationTime, lastModified: new Date(written), body }
        : { id: existing.id, eTag: this.nextETag(), creationTime: new Date(existing.createdAt), lastModified: new Date(written), body };
    const kept: KeptRow = "entity" in existing ? existing : { ref, idKey: existing.idKey, entity };
    kept.entity = entity;
    this.keep(this.keyOf(ref), kept);
    kept.written = written;
    this.unstored.add(kept);
    return kept.entity as StoredEntity<T>;
  }

  async delete(ref: EntityRef, options?: WriteOptions): Promise<void> {
    const existing = this.current(ref, options);
    const key = this.keyOf(ref);
    const kept = this.kept.get(key);
    if (kept !== undefined) this.unstored.delete(kept);
    this.kept.delete(key);
    statement(this.db, "DELETE FROM entities WHERE account = ? AND kind = ? AND scope = ? AND id_key = ?")
      .run(ref.account, ref.kind, idKey(ref.scope), existing.idKey);
  }

  async deleteAll(collection: CollectionRef): Promise<number> {
    this.flush();
    this.kept.clear();
    // The counts first: the delete trigger then skips each task (migrations/0003_task_counts.sql).
    if (collection.kind === "task") statement(this.db, "DELETE FROM task_counts WHERE account = ? AND scope = ?").run(collection.account, idKey(collection.scope));
    return statement(this.db, "DELETE FROM entities WHERE account = ? AND kind = ? AND scope = ?")
      .run(collection.account, collection.kind, idKey(collection.scope)).changes;
  }

  // Queries see every write of the transaction so far.
  override async list<T>(collection: CollectionRef, query: ListQuery): Promise<ListPage<T>> {
    this.flush();
    const page = await super.list<T>(collection, query);
    // Listed rows are kept too (an agent's nodes, listed and then written): the same object for every read of a row.
    const items = page.items.map((entity) => {
      const ref = { ...collection, id: entity.id };
      const key = this.keyOf(ref);
      const kept = this.kept.get(key);
      if (kept !== undefined) return kept.entity as StoredEntity<T>;
      this.keep(key, { ref, idKey: idKey(entity.id), entity });
      return entity;
    });
    return { ...page, items };
  }

  override listJson(collection: CollectionRef, query: ListQuery, omit: readonly string[]): Promise<JsonPage> {
    this.flush();
    return super.listJson(collection, query, omit);
  }

  override count(collection: CollectionRef, filter?: ListQuery["filter"]): Promise<number> {
    this.flush();
    return super.count(collection, filter);
  }

  override tally(collection: CollectionRef, groupBy: readonly TallyField[], weight?: TallyWeight): Promise<TallyGroup[]> {
    this.flush();
    return super.tally(collection, groupBy, weight);
  }

  override taskCounts(account: string, jobId?: string): Promise<TaskCountGroup[]> {
    this.flush();
    return super.taskCounts(account, jobId);
  }
}

/** Reader connections kept open between reads; more are opened while more reads run at once. */
const idleReadersKept = 4;

export class SqliteStore implements Store {
  private readonly writer: Database.Database;
  /** Read-only connections not in use (none for ":memory:", whose reads use the writer). */
  private readonly idleReaders: Database.Database[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly onEffectError: (error: unknown) => void;

  constructor(private readonly options: SqliteStoreOptions) {
    this.onEffectError = options.onEffectError ?? ((error) => console.error("after-commit effect failed", error));
    this.writer = new Database(options.filename);
    this.writer.pragma("journal_mode = WAL");
    this.writer.pragma(options.durableWrites === true ? "synchronous = FULL" : "synchronous = NORMAL");
    this.writer.pragma("busy_timeout = 5000");
    migrate(this.writer, options.now);
    // ETags continue from a time-derived seed, so a recreated data directory does not reissue old ETags.
    this.writer
      .prepare("INSERT INTO counters (name, value) VALUES ('etag', ?) ON CONFLICT DO NOTHING")
      .run(BigInt(options.now.getTime()) * 10_000n + 0x8d0000000000000n);
  }

  /**
   * Runs `work` in one read transaction on a connection of its own: every statement sees the snapshot the first
   * one took (WAL), whatever commits while `work` awaits, as the scheduler's planning reads assume.
   */
  async read<R>(work: (tx: ReadTx) => Promise<R>): Promise<R> {
    this.assertOpen();
    if (this.options.filename === ":memory:") return work(new SqliteReadTx(this.writer));
    const db = this.takeReader();
    statement(db, "BEGIN").run();
    try {
      return await work(new SqliteReadTx(db));
    } finally {
      this.releaseReader(db);
    }
  }

  private takeReader(): Database.Database {
    const idle = this.idleReaders.pop();
    if (idle !== undefined) return idle;
    const db = new Database(this.options.filename, { readonly: true });
    db.pragma("busy_timeout = 5000");
    return db;
  }

  private releaseReader(db: Database.Database): void {
    if (db.inTransaction) statement(db, "COMMIT").run();
    if (this.closed || this.idleReaders.length >= idleReadersKept) db.close();
    else this.idleReaders.push(db);
  }

  write<R>(work: (tx: WriteTx) => Promise<R>): Promise<R> {
    this.assertOpen();
    const run = async (): Promise<R> => {
      statement(this.writer, "BEGIN IMMEDIATE").run();
      try {
        const tx = new SqliteWriteTx(this.writer);
        const result = await work(tx);
        tx.finish();
        statement(this.writer, "COMMIT").run();
        runEffects(tx.effects, this.onEffectError);
        return result;
      } catch (error) {
        if (this.writer.inTransaction) statement(this.writer, "ROLLBACK").run();
        throw error;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    for (const db of this.idleReaders.splice(0)) db.close();
    this.writer.close();
  }

  /** Runs a synchronous read on a reader connection (the writer for ":memory:"). */
  private withReader<R>(work: (db: Database.Database) => R): R {
    this.assertOpen();
    if (this.options.filename === ":memory:") return work(this.writer);
    const db = this.takeReader();
    try {
      return work(db);
    } finally {
      this.releaseReader(db);
    }
  }

  /**
   * Every entity as stored, in key order, `batchSize` rows at a time, from one snapshot (`store copy`): the
   * server using this file should be stopped, and a write made meanwhile is not seen.
   */
  *exportEntities(batchSize = 1000): Generator<EntityRow[]> {
    this.assertOpen();
    const memory = this.options.filename === ":memory:";
    const db = memory ? this.writer : this.takeReader();
    if (!memory) statement(db, "BEGIN").run();
    try {
      const first = db.prepare(`SELECT ${exportColumns} FROM entities ORDER BY account, kind, scope, id_key LIMIT ?`);
      const next = db.prepare(
        `SELECT ${exportColumns} FROM entities WHERE (account, kind, scope, id_key) > (?, ?, ?, ?) ORDER BY account, kind, scope, id_key LIMIT ?`,
      );
      let rows = first.all(batchSize) as EntityRow[];
      while (rows.length > 0) {
        yield rows;
        const last = rows.at(-1) as EntityRow;
        rows = next.all(last.account, last.kind, last.scope, last.idKey, batchSize) as EntityRow[];
      }
    } finally {
      if (!memory) this.releaseReader(db);
    }
  }

  /** How many entities each account has of each kind, in account and kind order. */
  entityCounts(): KindCount[] {
    return this.withReader((db) => db.prepare("SELECT account, kind, count(*) AS count FROM entities GROUP BY account, kind ORDER BY account, kind").all() as KindCount[]);
  }

  /** The ETag counter: every ETag issued so far is at most this. */
  eTagVersion(): bigint {
    return this.withReader((db) => db.prepare("SELECT value FROM counters WHERE name = 'etag'").safeIntegers(true).pluck().get() as bigint);
  }

  /** The live schema, for the committed dump. */
  schema(): string {
    return dumpSchemaOf(this.writer);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("SqliteStore is closed");
  }
}
