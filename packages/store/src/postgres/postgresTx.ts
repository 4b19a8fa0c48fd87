/**
 * The read and write transactions of the PostgreSQL store, over one pooled connection (a Session).
 *
 * A failed statement aborts a PostgreSQL transaction, while a transaction body may catch a store failure and carry
 * on (adding a task collection records each task's failure and goes on with the next). So no expected outcome is
 * a SQL error — an existing id is `ON CONFLICT DO NOTHING` with no row back, a stale ETag an `UPDATE` of no row —
 * and the Session remembers the first real failure: the transaction then ends with that failure whatever the body
 * did with it (postgresStore.ts), so a body can never commit half a transaction or swallow a serialization failure.
 */
import type { PoolClient, QueryResult, QueryResultRow } from "pg";
import { formatTimestamp, idKey } from "@openbatch/core";
import {
  maxNotifyBytes,
  StoreError,
  type CollectionRef,
  type EntityRef,
  type JsonPage,
  type ListPage,
  type ListQuery,
  type ReadTx,
  type StoredEntity,
  type TallyField,
  type TallyGroup,
  type TallyWeight,
  type TaskCountGroup,
  type WriteOptions,
  type WriteTx,
} from "../store.js";
import type { KindCount } from "../entityRows.js";
import { countFromGroups, countsAnswer } from "../taskCounts.js";
import { classify } from "./failures.js";
import type { TaskCountFolder } from "./taskCountRows.js";
import { pgFieldSql, pgPredicateSql } from "./predicateSql.js";
import { escapeJsonText, unescapeJsonText, unescapeText } from "./textEscape.js";

/** Names for the fixed SQL texts: each connection parses and plans them once, not on every call. */
const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `openbatch_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return name;
}

/** Runs one statement on the session's connection. */
export type Execute = <R extends QueryResultRow>(text: string, values: readonly unknown[], fixed?: boolean) => Promise<QueryResult<R>>;

/**
 * One connection inside one transaction; remembers the first failure, after which the transaction is lost.
 * Statements run one at a time in the order they were asked for, also when a body starts several at once
 * (`Promise.all` over gets): the driver must not be given a query while another runs.
 */
export class Session {
  failure: { readonly error: unknown } | undefined;
  /** Runs before the next statement, on the connection: the write transaction's deferred inserts. */
  beforeNext: ((execute: Execute) => Promise<void>) | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(readonly client: PoolClient) {}

  /** Ends the transaction with `error`, whatever the body does with it. */
  fail(error: unknown): never {
    this.failure ??= { error };
    throw this.failure.error;
  }

  /** Runs a statement; `fixed` texts are prepared once per connection (never pass texts made from a filter). */
  query<R extends QueryResultRow>(text: string, values: readonly unknown[] = [], fixed = true): Promise<QueryResult<R>> {
    const run = this.tail.then(async () => {
      if (this.beforeNext !== undefined) {
        const pending = this.beforeNext;
        this.beforeNext = undefined;
        await pending(this.execute);
      }
      return this.execute<R>(text, values, fixed);
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Runs a statement now: only from within `query` (or a `beforeNext` it runs). */
  private readonly execute: Execute = async <R extends QueryResultRow>(text: string, values: readonly unknown[], fixed = true) => {
    if (this.failure !== undefined) throw this.failure.error;
    try {
      return await this.client.query<R>({ text, values: values as unknown[], ...(fixed ? { name: statementName(text) } : {}) });
    } catch (error) {
      const classified = classify(error);
      this.failure = { error: classified };
      throw classified;
    }
  };
}

interface Row {
  id: string;
  id_key: string;
  etag: string;
  created_at: string;
  modified_at: string;
  body: unknown;
}

const columns = "id, id_key, etag, created_at, modified_at, body";
const keyCondition = "account = $1 AND kind = $2 AND scope = $3 AND id_key = $4";
const nextETag = "'0x' || upper(to_hex(nextval('entity_etag')))";
/** ETags taken at once for deferred inserts (an add-collection has up to 100 tasks). */
const eTagBlock = 100;

interface CountRow {
  state: string | null;
  result: string | null;
  count: number;
  slots: number;
  rows: number;
}

function toEntity<T>(row: Row): StoredEntity<T> {
  return { id: row.id, eTag: row.etag, creationTime: new Date(row.created_at), lastModified: new Date(row.modified_at), body: row.body as T };
}

function keyValues(ref: EntityRef): string[] {
  return [ref.account, ref.kind, idKey(ref.scope), idKey(ref.id)];
}

/** A group value as SQLite's `json_extract` gives it: booleans as 1 and 0. */
function groupValue(value: unknown): string | number | null {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") return unescapeText(value);
  if (value === null || typeof value === "number") return value;
  return JSON.stringify(value);
}

export class PgReadTx implements ReadTx {
  constructor(
    protected readonly session: Session,
    private readonly folder?: TaskCountFolder,
  ) {}

  async get<T>(ref: EntityRef): Promise<StoredEntity<T> | undefined> {
    const { rows } = await this.session.query<Row>(`SELECT ${columns} FROM entities WHERE ${keyCondition}`, keyValues(ref));
    return rows[0] === undefined ? undefined : toEntity<T>(rows[0]);
  }

  async list<T>(collection: CollectionRef, query: ListQuery): Promise<ListPage<T>> {
    const { where, params } = this.conditions(collection, query);
    params.push(query.limit + 1);
    const { rows } = await this.session.query<Row>(
      `SELECT ${columns} FROM entities WHERE ${where} ORDER BY id_key LIMIT $${params.length}`,
      params,
      query.filter === undefined,
    );
    if (rows.length <= query.limit) return { items: rows.map(toEntity<T>) };
    const page = rows.slice(0, query.limit);
    return { items: page.map(toEntity<T>), nextKey: (page.at(-1) as Row).id_key };
  }

  async listJson(collection: CollectionRef, query: ListQuery, omit: readonly string[]): Promise<JsonPage> {
    const { where, params } = this.conditions(collection, query);
    params.push(query.limit + 1, [...omit], query.limit);
    const [more, omitted, limit] = [`$${params.length - 2}`, `$${params.length - 1}::text[]`, `$${params.length}`];
    // One text for the whole page, made by PostgreSQL: no string per entity in JavaScript. The page reads one row
    // past the limit to tell whether another page follows.
    const { rows } = await this.session.query<{ items: string; count: number; last: string | null; more: boolean }>(
      `SELECT coalesce(string_agg(jsonb_set(body - ${omitted}, '{eTag}', to_jsonb(etag))::text, ',' ORDER BY id_key) FILTER (WHERE n <= ${limit}), '') AS items,
              count(*) FILTER (WHERE n <= ${limit})::int AS count,
              max(id_key) FILTER (WHERE n <= ${limit}) AS last,
              count(*) > ${limit} AS more
       FROM (SELECT id_key, etag, body, row_number() OVER (ORDER BY id_key) AS n FROM entities WHERE ${where} ORDER BY id_key LIMIT ${more}) page`,
      params,
      query.filter === undefined,
    );
    const row = rows[0] as { items: string; count: number; last: string | null; more: boolean };
    const items = Buffer.from(unescapeJsonText(row.items), "utf8");
    return { items, count: row.count, ...(row.more && row.last !== null ? { nextKey: row.last } : {}) };
  }

  async count(collection: CollectionRef, filter?: ListQuery["filter"]): Promise<number> {
    if (countsAnswer(collection, filter)) return countFromGroups(await this.taskCounts(collection.account, collection.scope), filter);
    const { where, params } = this.conditions(collection, { filter, limit: 0 });
    const { rows } = await this.session.query<{ n: number }>(`SELECT count(*)::int AS n FROM entities WHERE ${where}`, params, filter === undefined);
    return (rows[0] as { n: number }).n;
  }

  async tally(collection: CollectionRef, groupBy: readonly TallyField[], weight?: TallyWeight): Promise<TallyGroup[]> {
    const params: unknown[] = [collection.account, collection.kind, idKey(collection.scope)];
    const groups = groupBy.map((field, index) => `${pgFieldSql(field.path, field.kind)} AS g${index}`);
    let sum = "count(*)::float8";
    if (weight !== undefined) {
      params.push(weight.default);
      const value = pgFieldSql(weight.path, "double");
      sum = `coalesce(sum(coalesce(CASE WHEN jsonb_typeof(${value}) = 'number' THEN (${value})::float8 END, $${params.length}::float8)), 0)`;
    }
    const grouping = groupBy.length === 0 ? "" : ` GROUP BY ${groupBy.map((_, index) => index + 1).join(", ")}`;
    const { rows } = await this.session.query<Record<string, unknown>>(
      `SELECT ${[...groups, "count(*)::int AS n", `${sum} AS w`].join(", ")} FROM entities WHERE account = $1 AND kind = $2 AND scope = $3${grouping}`,
      params,
    );
    return rows.map((row) => ({
      values: groupBy.map((_, index) => groupValue(row[`g${index}`])),
      count: row["n"] as number,
      weight: row["w"] as number,
    }));
  }

  async taskCounts(account: string, jobId?: string): Promise<TaskCountGroup[]> {
    // The sums over a job's delta rows (migrations/postgres/0002_task_counts.sql), and how many rows there were.
    const { rows } =
      jobId === undefined
        ? await this.session.query<CountRow>(
            "SELECT state, result, sum(tasks)::float8 AS count, sum(slots) AS slots, 0 AS rows FROM task_counts WHERE account = $1 GROUP BY state, result",
            [account],
          )
        : await this.session.query<CountRow>(
            "SELECT state, result, sum(tasks)::float8 AS count, sum(slots) AS slots, (sum(count(*)) OVER ())::int AS rows FROM task_counts WHERE account = $1 AND scope = $2 GROUP BY state, result",
            [account, idKey(jobId)],
          );
    if (jobId !== undefined && rows[0] !== undefined) this.folder?.read(account, idKey(jobId), rows[0].rows);
    return rows
      .filter((row) => row.count !== 0)
      .map((row) => ({ state: row.state === null ? null : unescapeText(row.state), result: row.result === null ? null : unescapeText(row.result), count: row.count, slots: row.slots }));
  }

  /** How many entities each account has of each kind (`store copy` verifies with it). */
  async entityCounts(): Promise<KindCount[]> {
    const { rows } = await this.session.query<KindCount>("SELECT account, kind, count(*)::int AS count FROM entities GROUP BY account, kind ORDER BY account, kind");
    return rows;
  }

  /** The WHERE clause of `collection` (after `afterKey`, matching `filter`) and its parameters `$1…`. */
  private conditions(collection: CollectionRef, query: ListQuery): { where: string; params: unknown[] } {
    const params: unknown[] = [collection.account, collection.kind, idKey(collection.scope)];
    const where = ["account = $1", "kind = $2", "scope = $3"];
    if (query.afterKey !== undefined) {
      params.push(query.afterKey);
      where.push(`id_key > $${params.length}`);
    }
    if (query.filter !== undefined) where.push(pgPredicateSql(query.filter, params));
    return { where: where.join(" AND "), params };
  }
}

/**
 * A deferred insert turned out to hit an existing entity: the body was told it succeeded, so it runs again with
 * every insert made at once (postgresStore.ts).
 */
export class SpeculationFailed extends Error {
  override readonly name = "SpeculationFailed";
}

interface PendingInsert {
  readonly values: readonly string[];
}

const insertColumns = "account, kind, scope, id_key, id, etag, created_at, modified_at, body";

/** The channel `WriteTx.notify` sends on and PgCoordination listens to. */
export const notifyChannel = "openbatch";

export class PgWriteTx extends PgReadTx implements WriteTx {
  readonly effects: (() => void)[] = [];
  /** Messages for NOTIFY, sent just before COMMIT (`sendNotifications`). */
  private readonly notifications: string[] = [];
  /** Inserts not yet sent (when deferring), by entity key. */
  private readonly pending = new Map<string, PendingInsert>();
  /** ETags taken from the sequence ahead of deferred inserts. */
  private eTags: string[] = [];

  /**
   * `deferInserts`: an insert is answered at once and sent with the others in one statement before the
   * transaction's next statement or its commit — one round trip for an add-collection's 100 tasks instead of 100.
   * It is speculative (the entity may exist): if the batch hits an existing key the transaction fails with
   * SpeculationFailed and is run again without deferring. Bodies may be run again anyway (Store.write).
   */
  /** The jobs (`account\0jobKey`) whose tasks this transaction changed: their count rows grew (taskCountRows.ts). */
  readonly taskJobs = new Set<string>();

  constructor(
    session: Session,
    private readonly deferInserts: boolean,
    folder?: TaskCountFolder,
  ) {
    super(session, folder);
  }

  afterCommit(effect: () => void): void {
    this.effects.push(effect);
  }

  notify(message: string): void {
    const bytes = Buffer.byteLength(message, "utf8");
    if (bytes > maxNotifyBytes) throw new RangeError(`A store notification is ${bytes} bytes; at most ${maxNotifyBytes} are allowed`);
    this.notifications.push(message);
  }

  /**
   * Sends the messages of `notify` in one statement, as the transaction's last before COMMIT: PostgreSQL queues
   * them with the transaction and delivers them when (and only if) it commits.
   */
  async sendNotifications(): Promise<void> {
    if (this.notifications.length === 0) return;
    await this.session.query("SELECT pg_notify($1, message) FROM unnest($2::text[]) AS message", [notifyChannel, this.notifications]);
  }

  private changesTasksOf(collection: CollectionRef): void {
    if (collection.kind === "task") this.taskJobs.add(`${collection.account}\u0000${idKey(collection.scope)}`);
  }

  async insert<T>(ref: EntityRef, body: T, now: Date): Promise<StoredEntity<T>> {
    this.changesTasksOf(ref);
    const time = formatTimestamp(now);
    const json = escapeJsonText(JSON.stringify(body));
    if (!this.deferInserts) {
      const { rows } = await this.session.query<{ etag: string }>(
        `INSERT INTO entities (${insertColumns}) VALUES ($1, $2, $3, $4, $5, ${nextETag}, $6, $6, $7::jsonb) ON CONFLICT DO NOTHING RETURNING etag`,
        [...keyValues(ref), ref.id, time, json],
      );
      if (rows[0] === undefined) throw new StoreError("conflict", `${ref.kind} '${ref.id}' already exists`);
      return { id: ref.id, eTag: rows[0].etag, creationTime: new Date(time), lastModified: new Date(time), body };
    }
    if (this.eTags.length === 0) {
      // Taking them here, not in the batch, so that each insert can answer with its ETag at once.
      const { rows } = await this.session.query<{ value: string }>("SELECT nextval('entity_etag')::text AS value FROM generate_series(1, $1)", [eTagBlock]);
      this.eTags.push(...rows.map((row) => `0x${BigInt(row.value).toString(16).toUpperCase()}`));
    }
    // From here on without awaiting, so that two inserts of one key started together cannot both pass the check.
    const key = keyValues(ref);
    const pendingKey = key.join("\u0000");
    if (this.pending.has(pendingKey)) throw new StoreError("conflict", `${ref.kind} '${ref.id}' already exists`);
    const eTag = this.eTags.shift() as string;
    this.pending.set(pendingKey, { values: [...key, ref.id, eTag, time, time, json] });
    this.session.beforeNext = (execute) => this.flush(execute);
    return { id: ref.id, eTag, creationTime: new Date(time), lastModified: new Date(time), body };
  }

  /**
   * Sends the deferred inserts; the transaction fails with SpeculationFailed if one of them existed. `execute` is
   * given when the session runs this before its next statement.
   */
  async flush(execute?: Execute): Promise<void> {
    if (this.pending.size === 0) return;
    const rows = [...this.pending.values()];
    this.pending.clear();
    this.session.beforeNext = undefined;
    const { rowCount } = await (execute ?? this.session.query.bind(this.session))(
      `INSERT INTO entities (${insertColumns})
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[])
       ON CONFLICT DO NOTHING`,
      Array.from({ length: 9 }, (_, column) => rows.map((row) => row.values[column])),
    );
    if (rowCount !== rows.length) this.session.fail(new SpeculationFailed("A deferred insert met an existing entity"));
  }

  async replace<T>(ref: EntityRef, body: T, now: Date, options?: WriteOptions): Promise<StoredEntity<T>> {
    this.changesTasksOf(ref);
    const time = formatTimestamp(now);
    const { rows } = await this.session.query<{ id: string; etag: string; created_at: string }>(
      `UPDATE entities SET etag = ${nextETag}, modified_at = $5, body = $6::jsonb
       WHERE ${keyCondition} AND ($7::text IS NULL OR etag = $7) RETURNING id, etag, created_at`,
      [...keyValues(ref), time, escapeJsonText(JSON.stringify(body)), options?.ifMatch ?? null],
    );
    if (rows[0] === undefined) throw await this.missed(ref);
    return { id: rows[0].id, eTag: rows[0].etag, creationTime: new Date(rows[0].created_at), lastModified: new Date(time), body };
  }

  async delete(ref: EntityRef, options?: WriteOptions): Promise<void> {
    this.changesTasksOf(ref);
    const { rowCount } = await this.session.query(`DELETE FROM entities WHERE ${keyCondition} AND ($5::text IS NULL OR etag = $5)`, [
      ...keyValues(ref),
      options?.ifMatch ?? null,
    ]);
    if (rowCount === 0) throw await this.missed(ref);
  }

  async deleteAll(collection: CollectionRef): Promise<number> {
    this.changesTasksOf(collection);
    const { rowCount } = await this.session.query("DELETE FROM entities WHERE account = $1 AND kind = $2 AND scope = $3", [
      collection.account,
      collection.kind,
      idKey(collection.scope),
    ]);
    return rowCount ?? 0;
  }

  /** Why a conditional UPDATE or DELETE touched no row: the entity is missing, or its ETag is not `ifMatch`. */
  private async missed(ref: EntityRef): Promise<StoreError> {
    const { rows } = await this.session.query("SELECT 1 FROM entities WHERE " + keyCondition, keyValues(ref));
    return rows.length === 0
      ? new StoreError("notFound", `${ref.kind} '${ref.id}' does not exist`)
      : new StoreError("preconditionFailed", `${ref.kind} '${ref.id}' has changed`);
  }
}
