/**
 * The store backends the contract suite runs against: each opens a new, empty store, and can open the same
 * database again (a restart).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresStore, SqliteStore, type Store } from "@openbatch/store";
import { sharedPostgresCluster } from "../../support/postgresCluster.js";

export interface StoreBackend {
  readonly name: string;
  /** Whether write bodies run at the same time (and so may conflict and be run again). */
  readonly concurrentWrites: boolean;
  /** A new store on a new, empty database. */
  create(now: Date): Promise<OpenedStore>;
}

export interface OpenedStore {
  readonly store: Store;
  /** Opens another store on the same database (the first may be closed or still open). */
  reopen(now: Date): Promise<Store>;
  /** Closes every store opened on the database and removes it. */
  dispose(): Promise<void>;
}

export const sqliteBackend: StoreBackend = {
  name: "SQLite",
  concurrentWrites: false,
  async create(now) {
    const directory = mkdtempSync(join(tmpdir(), "openbatch-store-"));
    const filename = join(directory, "store.db");
    const stores: Store[] = [new SqliteStore({ filename, now })];
    return {
      store: stores[0] as Store,
      reopen: async (at) => stores[stores.push(new SqliteStore({ filename, now: at })) - 1] as Store,
      async dispose() {
        for (const store of stores) await store.close();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  },
};

export const postgresBackend: StoreBackend = {
  name: "PostgreSQL",
  concurrentWrites: true,
  async create(now) {
    const cluster = await sharedPostgresCluster();
    const url = await cluster.createDatabase();
    const stores: Store[] = [await PostgresStore.open({ connectionString: url, now })];
    return {
      store: stores[0] as Store,
      reopen: async (at) => stores[stores.push(await PostgresStore.open({ connectionString: url, now: at })) - 1] as Store,
      async dispose() {
        for (const store of stores) await store.close();
        await cluster.dropDatabase(url);
      },
    };
  },
};
