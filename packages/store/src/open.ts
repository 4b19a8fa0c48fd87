/**
 * Opens the store a location names: `sqlite:<file>` (the embedded store) or `postgres://…` /
 * `postgresql://…` (a PostgreSQL database) — the form of `serve --store` and `store copy`.
 */
import { PostgresStore } from "./postgres/postgresStore.js";
import { SqliteStore } from "./sqlite/sqliteStore.js";

export interface OpenStoreOptions {
  /** Records when migrations ran and seeds ETags of a new database. */
  readonly now: Date;
  /** SQLite only: fsync every commit (PostgreSQL's durability is the database server's `synchronous_commit`). */
  readonly durableWrites?: boolean;
  /** Told of an after-commit effect that threw. @default console.error */
  readonly onEffectError?: (error: unknown) => void;
}

export type StoreLocation = { readonly backend: "sqlite"; readonly filename: string } | { readonly backend: "postgres"; readonly connectionString: string };

/** Reads a store location; throws an Error naming what is accepted. */
export function parseStoreLocation(location: string): StoreLocation {
  if (/^postgres(ql)?:\/\//i.test(location)) return { backend: "postgres", connectionString: location };
  if (location.startsWith("sqlite:") && location.length > "sqlite:".length) return { backend: "sqlite", filename: location.slice("sqlite:".length) };
  throw new Error(`'${describeStoreLocation(location)}' is not a store location: use sqlite:<file> or postgres://[user[:password]@]host[:port]/database`);
}

/** The location without a password, for messages and logs. */
export function describeStoreLocation(location: string): string {
  return location.replace(/^(\w+:\/\/[^:/@]*):[^@]*@/, "$1:***@");
}

export async function openStore(location: StoreLocation, options: OpenStoreOptions): Promise<SqliteStore | PostgresStore> {
  return location.backend === "postgres"
    ? PostgresStore.open({ connectionString: location.connectionString, now: options.now, ...(options.onEffectError === undefined ? {} : { onEffectError: options.onEffectError }) })
    : new SqliteStore({ filename: location.filename, now: options.now, durableWrites: options.durableWrites ?? false, ...(options.onEffectError === undefined ? {} : { onEffectError: options.onEffectError }) });
}
