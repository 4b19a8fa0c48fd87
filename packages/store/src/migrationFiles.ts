/**
 * Numbered SQL migrations (`NNNN_name.sql` in one directory per backend: migrations/ for SQLite,
 * migrations/postgres/ for PostgreSQL), in order. Each backend applies them in its own transactions and records
 * them in its `migrations` table, so a database opened again only gets the new ones.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export function loadMigrations(directory: URL): Migration[] {
  return readdirSync(directory)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      id: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql: readFileSync(new URL(file, directory), "utf8"),
    }));
}
