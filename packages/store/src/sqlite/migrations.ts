/**
 * The SQLite migrations (`packages/store/migrations/NNNN_name.sql`, ../migrationFiles.ts), applied in order, each
 * in its own transaction, and recorded in `migrations` so a data directory opened again only gets the new ones.
 */
import type Database from "better-sqlite3";
import { loadMigrations } from "../migrationFiles.js";

const migrationsDirectory = new URL("../../../migrations/", import.meta.url);

export function migrate(db: Database.Database, now: Date): number {
  db.exec("CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
  const applied = new Set(db.prepare("SELECT id FROM migrations").pluck().all() as number[]);
  let count = 0;
  for (const migration of loadMigrations(migrationsDirectory)) {
    if (applied.has(migration.id)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare("INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)").run(migration.id, migration.name, now.toISOString());
    })();
    count++;
  }
  return count;
}

/** The schema as SQL, for the committed dump that makes schema changes reviewable. */
export function dumpSchema(db: Database.Database): string {
  const rows = db
    .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC, name")
    .pluck()
    .all() as string[];
  return rows.map((sql) => `${sql};\n`).join("\n");
}
