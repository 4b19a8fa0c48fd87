/**
 * The Store: the service's source of truth (architecture.md invariant 1).
 *
 * Every row is an entity document — the resource's wire body as JSON — keyed by (account, kind, scope, id key):
 * - `account` isolates tenants: no method reads or writes across accounts (invariant 7);
 * - `scope` is the parent's id key for child resources (a task's job, a node's pool) and "" for top-level ones;
 * - ids are case-preserving, case-insensitive: rows are keyed by `idKey(id)` and keep `id` as given.
 *
 * Concurrency: `write` runs its callback in one serialisable transaction and resolves only after COMMIT, so an
 * acknowledged write is atomic and survives the process crashing. Whether it also survives a power loss is the
 * implementation's durability setting: SQLite's default (`synchronous = NORMAL`) may roll back the last commits then,
 * `durableWrites` fsyncs every commit (docs/architecture.md, "Durability"). ETags come from a store-wide version
 * counter, so every write of any entity yields an ETag never seen before. Time is passed in (`now`), never read here.
 *
 * Failures are StoreErrors with a `kind` — notFound, conflict, preconditionFailed — that services translate into
 * Batch error codes, or `unavailable`: the database cannot be reached or is restarting, or a transaction kept
 * conflicting after every retry; the request may succeed if sent again (the HTTP layer answers 503 ServerBusy).
 */
import type { Predicate, ValueKind } from "@openbatch/core";

/** The resource kinds the store holds. Jobs and job schedules share one id namespace; services enforce that. */
export type EntityKind =
  | "pool"
  | "node"
  | "job"
  | "jobSchedule"
  | "task"
  | "application"
  | "certificate"
  /** A node agent process and the pool it hosts nodes of (scope: the pool). */
  | "agent"
  | "usage"
  /** What a job's preparation and release tasks did on one node (scope: the job, id: the node). */
  | "jobNode"
  /** An autoscale pool's bookkeeping (scope "", id: the pool) and its metric samples (scope: the pool). */
  | "autoscale"
  | "autoscaleSample"
  /** Which server process runs an account's background work, and its term (scope "", id "background"; replicas). */
  | "leadership"
  /** A join token of a pool (scope: the pool): lets agents started elsewhere join it (revocable, expiring). */
  | "joinToken"
  /**
   * Usage statistics the server aggregates (server/src/records/statistics.ts): scope `job` (id: the job), `pool`
   * (id: the pool) and `account` (ids `jobs`, `pools`: what deleted jobs and pools used).
   */
  | "statistics";

/** Addresses one entity. `scope` is the parent's id (any case) or "" for top-level resources. */
export interface EntityRef {
  readonly account: string;
  readonly kind: EntityKind;
  readonly scope: string;
  readonly id: string;
}

/** Addresses every entity of one kind under one parent. */
export type CollectionRef = Omit<EntityRef, "id">;

export interface StoredEntity<T = Record<string, unknown>> {
  readonly id: string;
  readonly eTag: string;
  readonly creationTime: Date;
  readonly lastModified: Date;
  readonly body: T;
}

export interface ListQuery {
  readonly filter?: Predicate | undefined;
  /** Keyset cursor: return only entities whose id key sorts after this one. */
  readonly afterKey?: string | undefined;
  /** At most this many items (1 or more). */
  readonly limit: number;
}

export interface ListPage<T> {
  readonly items: StoredEntity<T>[];
  /** The cursor of the next page, absent on the last page. */
  readonly nextKey?: string;
}

export interface ReadTx {
  get<T>(ref: EntityRef): Promise<StoredEntity<T> | undefined>;
  /** Entities in id-key order, filtered in the store's own query language. */
  list<T>(collection: CollectionRef, query: ListQuery): Promise<ListPage<T>>;
  /**
   * How many entities match. On a task collection, a count without a filter or with one on nothing but `state`
   * and `executionInfo.result` (enum comparisons) is answered from the maintained task counts (`taskCounts`), in
   * time independent of the number of tasks; the answer is the same either way.
   */
  count(collection: CollectionRef, filter?: Predicate): Promise<number>;
  /**
   * As `list`, but the page as UTF-8 JSON made by the store: the entities' bodies without the `omit` top-level
   * properties and with their ETag as `eTag`, comma-separated (the inside of a JSON array) — for pages that are
   * sent as they are, without parsing and serialising every body.
   */
  listJson(collection: CollectionRef, query: ListQuery, omit: readonly string[]): Promise<JsonPage>;
  /**
   * Groups a collection by the values at `groupBy` (JSON paths into the body; a missing field groups as null) and
   * returns each group's size and the sum of `weight` (a numeric path, `default` where missing) — counts by state
   * without reading every entity into memory.
   */
  tally(collection: CollectionRef, groupBy: readonly TallyField[], weight?: TallyWeight): Promise<TallyGroup[]>;
  /**
   * The tasks of one job (or, without `jobId`, of every job of the account) by state and result, with their slots:
   * counts the store maintains in the transaction of every write, so reading them costs the same whatever the
   * number of tasks. Groups of no task are left out; the order is unspecified.
   */
  taskCounts(account: string, jobId?: string): Promise<TaskCountGroup[]>;
}

/** Tasks of one state and result, as `tally` would group them by those two enum fields weighted by `requiredSlots`. */
export interface TaskCountGroup {
  /** The task's `state`, lower-cased as filters compare it; null when missing. */
  readonly state: string | null;
  /** Its `executionInfo.result`, lower-cased; null when missing (a task that has not completed). */
  readonly result: string | null;
  readonly count: number;
  /** The sum of their `requiredSlots`, 1 for a task without it. */
  readonly slots: number;
}

export interface JsonPage {
  /** The entities' JSON, comma-separated, in id-key order (empty when there are none). */
  readonly items: Buffer;
  readonly count: number;
  readonly nextKey?: string;
}

/** A field to group by; enum and case-insensitive values group in lower case, as filters compare them. */
export interface TallyField {
  readonly path: readonly string[];
  readonly kind: ValueKind;
}

export interface TallyWeight {
  readonly path: readonly string[];
  readonly default: number;
}

export interface TallyGroup {
  readonly values: readonly (string | number | null)[];
  readonly count: number;
  /** The sum of the weights (the count when no weight was asked for). */
  readonly weight: number;
}

export interface WriteOptions {
  /** The entity's current ETag must equal this, else `preconditionFailed`. */
  readonly ifMatch?: string | undefined;
}

export interface WriteTx extends ReadTx {
  /** Adds an entity; `conflict` when one with the same id key exists. */
  insert<T>(ref: EntityRef, body: T, now: Date): Promise<StoredEntity<T>>;
  /** Replaces an entity's body; `notFound` or `preconditionFailed`. */
  replace<T>(ref: EntityRef, body: T, now: Date, options?: WriteOptions): Promise<StoredEntity<T>>;
  /** Removes an entity; `notFound` or `preconditionFailed`. */
  delete(ref: EntityRef, options?: WriteOptions): Promise<void>;
  /** Removes every entity of a collection (a deleted job's tasks); returns how many. */
  deleteAll(collection: CollectionRef): Promise<number>;
  /**
   * Runs `effect` once after this transaction commits, before `write` resolves; dropped if the transaction rolls
   * back or is retried. This is how a transaction body says what must happen because of it (wake a loop, notify an
   * agent) without doing it early: a body may run more than once (a store may retry a conflicting transaction), so
   * it must have no side effects other than through `tx`. Effects run in the order they were added; one that throws
   * is reported to the store's `onEffectError` and does not stop the others.
   */
  afterCommit(effect: () => void): void;
  /**
   * Tells every process listening on this store's database `message` when this transaction commits — in commit
   * order, never if it rolls back or is retried (PostgreSQL: NOTIFY on `notifyChannel`, sent inside the
   * transaction; see PgCoordination). At most `maxNotifyBytes` of UTF-8. The SQLite store has no other process to
   * tell (one server per data directory) and drops messages.
   */
  notify(message: string): void;
}

/** The largest message `WriteTx.notify` takes (PostgreSQL refuses NOTIFY payloads of 8000 bytes or more). */
export const maxNotifyBytes = 7999;

export interface Store {
  read<R>(work: (tx: ReadTx) => Promise<R>): Promise<R>;
  /**
   * Runs `work` in one transaction; resolves after commit and its `afterCommit` effects, rolls back if `work`
   * throws. `work` may be run again when the store retries a transaction that conflicted with another (so it must be
   * free of side effects outside `tx`).
   */
  write<R>(work: (tx: WriteTx) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

export type StoreErrorKind = "notFound" | "conflict" | "preconditionFailed" | "unavailable";

export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export function isStoreError(error: unknown, kind?: StoreErrorKind): error is StoreError {
  return error instanceof Error && error.name === "StoreError" && (kind === undefined || (error as StoreError).kind === kind);
}
