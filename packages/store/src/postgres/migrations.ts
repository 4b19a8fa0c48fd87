/**
 * The PostgreSQL migrations (`packages/store/migrations/postgres/NNNN_name.sql`, ../migrationFiles.ts), applied in
 * order, each in its own transaction, and recorded in `migrations`. Several servers may open one database at the
 * same time: an advisory lock lets one of them migrate while the others wait and then find nothing left to do.
 */
import type { Pool } from "pg";
import { loadMigrations } from "../migrationFiles.js";

const migrationsDirectory = new URL("../../../migrations/postgres/", import.meta.url);

/** The advisory lock key that serialises migrations (any constant no other component uses: "OBmigrat"). */
const migrationLock = "5711386541416133748";

/** Returns how many migrations were applied. */
export async function migrate(pool: Pool, now: Date): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [migrationLock]);
    try {
      await client.query("CREATE TABLE IF NOT EXISTS migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)");
      const applied = new Set((await client.query<{ id: number }>("SELECT id FROM migrations")).rows.map((row) => row.id));
      let count = 0;
      for (const migration of loadMigrations(migrationsDirectory)) {
        if (applied.has(migration.id)) continue;
        await client.query("BEGIN");
        try {
          await client.query(migration.sql);
          await client.query("INSERT INTO migrations (id, name, applied_at) VALUES ($1, $2, $3)", [migration.id, migration.name, now.toISOString()]);
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw error;
        }
        count++;
      }
      // ETags continue from a time-derived seed (as the SQLite store's counter), so a recreated database does not
      // reissue old ETags; only a sequence never used yet is seeded.
      await client.query("SELECT setval('entity_etag', $1) FROM entity_etag WHERE NOT is_called", [
        (BigInt(now.getTime()) * 10_000n + 0x8d0000000000000n).toString(),
      ]);
      return count;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [migrationLock]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}
