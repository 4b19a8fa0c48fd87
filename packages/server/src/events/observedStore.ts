/**
 * A Store decorator that tells an observer what each write transaction changed, once it has committed: the entity
 * changes (events/entityChanges.ts) grouped by account, and how long the transaction took from its first statement
 * to its commit. Both travel through `tx.afterCommit`, so they are told in commit order, exactly once per committed
 * transaction, and never for a transaction that rolled back (a body the store retries starts a fresh record).
 */
import type { CollectionRef, EntityRef, ListPage, ListQuery, JsonPage, ReadTx, Store, StoredEntity, TallyField, TallyGroup, TallyWeight, TaskCountGroup, WriteOptions, WriteTx } from "@openbatch/store";
import { changeOf, isPublicKind, type EntityChange } from "./entityChanges.js";

export interface StoreObserver {
  /** A transaction committed with these public entity changes (account → changes in the order they were made). */
  committed?(changes: ReadonlyMap<string, readonly EntityChange[]>): void;
  /**
   * The same changes, at the end of the transaction body, before COMMIT (the transaction may still fail or run
   * again): replicas send them to every process with `tx.notify` (cluster/replica.ts).
   */
  inTransaction?(tx: WriteTx, changes: ReadonlyMap<string, readonly EntityChange[]>): void;
  /** A write transaction took this long, body and commit (queueing behind other transactions excluded). */
  committedIn?(seconds: number): void;
}

class ObservedWriteTx implements WriteTx {
  readonly changes = new Map<string, EntityChange[]>();

  constructor(private readonly inner: WriteTx) {}

  private record(account: string, change: EntityChange): void {
    if (!isPublicKind(change.kind)) return;
    let list = this.changes.get(account);
    if (list === undefined) this.changes.set(account, (list = []));
    list.push(change);
  }

  get<T>(ref: EntityRef): Promise<StoredEntity<T> | undefined> {
    return this.inner.get<T>(ref);
  }
  list<T>(collection: CollectionRef, query: ListQuery): Promise<ListPage<T>> {
    return this.inner.list<T>(collection, query);
  }
  count(collection: CollectionRef, filter?: Parameters<ReadTx["count"]>[1]): Promise<number> {
    return this.inner.count(collection, filter);
  }
  listJson(collection: CollectionRef, query: ListQuery, omit: readonly string[]): Promise<JsonPage> {
    return this.inner.listJson(collection, query, omit);
  }
  tally(collection: CollectionRef, groupBy: readonly TallyField[], weight?: TallyWeight): Promise<TallyGroup[]> {
    return this.inner.tally(collection, groupBy, weight);
  }
  taskCounts(account: string, jobId?: string): Promise<TaskCountGroup[]> {
    return this.inner.taskCounts(account, jobId);
  }
  afterCommit(effect: () => void): void {
    this.inner.afterCommit(effect);
  }
  notify(message: string): void {
    this.inner.notify(message);
  }

  async insert<T>(ref: EntityRef, body: T, now: Date): Promise<StoredEntity<T>> {
    const stored = await this.inner.insert(ref, body, now);
    this.record(ref.account, changeOf("insert", ref, stored));
    return stored;
  }
  async replace<T>(ref: EntityRef, body: T, now: Date, options?: WriteOptions): Promise<StoredEntity<T>> {
    const stored = await this.inner.replace(ref, body, now, options);
    this.record(ref.account, changeOf("replace", ref, stored));
    return stored;
  }
  async delete(ref: EntityRef, options?: WriteOptions): Promise<void> {
    await this.inner.delete(ref, options);
    this.record(ref.account, changeOf("delete", ref));
  }
  async deleteAll(collection: CollectionRef): Promise<number> {
    const count = await this.inner.deleteAll(collection);
    if (count > 0) this.record(collection.account, changeOf("deleteAll", collection));
    return count;
  }
}

export function observeStore(inner: Store, observer: StoreObserver): Store {
  return {
    read: (work) => inner.read(work),
    write: (work) =>
      inner.write(async (tx) => {
        const started = performance.now();
        const observed = new ObservedWriteTx(tx);
        // Registered before the body's own effects: watchers hear of the change before anything reacts to it.
        tx.afterCommit(() => {
          observer.committedIn?.((performance.now() - started) / 1000);
          if (observed.changes.size > 0) observer.committed?.(observed.changes);
        });
        const result = await work(observed);
        if (observed.changes.size > 0) observer.inTransaction?.(tx, observed.changes);
        return result;
      }),
    close: () => inner.close(),
  };
}
