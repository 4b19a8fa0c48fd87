/**
 * Numbered SQL migrations (`packages/store/migrations/NNNN_name.sql`), applied in order, each in its own
 * transaction, and recorded in `migrations` so a data directory opened again only gets the new ones.
 */
import { readdirSync, readFileSync } from "node:fs";
import type Database from "better-sqlite3";

const migrationsDirectory = new URL("../../../migrations/", import.meta.url);

export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export function loadMigrations(): Migration[] {
  return readdirSync(migrationsDirectory)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      id: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql: readFileSync(new URL(file, migrationsDirectory), "utf8"),
    }));
}

export function migrate(db: Database.Database, now: Date): number {
  db.exec("CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
  const applied = new Set(db.prepare("SELECT id FROM migrations").pluck().all() as number[]);
  let count = 0;
  for (const migration of loadMigrations()) {
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
