/**
 * `openbatch store copy --from sqlite:<file> --to postgres://…`: moves an embedded deployment to PostgreSQL. Every
 * entity of every account and kind (pools, nodes, jobs, tasks, schedules, certificates, applications, file and
 * usage records) is copied as stored — ids, ETags, creation and modification times, bodies — in one transaction
 * into an empty database, and then verified: the number of entities per account and kind must be the same on both
 * sides. Stop the server first: writes made during the copy are not copied.
 */
import { existsSync } from "node:fs";
import { Command } from "commander";
import { describeStoreLocation, parseStoreLocation, PostgresStore, SqliteStore, type KindCount } from "@openbatch/store";

/** The rows of both counts side by side, and whether they all agree. */
function compareCounts(source: readonly KindCount[], target: readonly KindCount[]): { lines: string[]; same: boolean } {
  const key = (count: KindCount) => `${count.account}\u0000${count.kind}`;
  const sourceCounts = new Map(source.map((count) => [key(count), count.count]));
  const targetCounts = new Map(target.map((count) => [key(count), count.count]));
  const keys = new Map([...source, ...target].map((count) => [key(count), count]));
  let same = true;
  const lines = [...keys.values()]
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    .map((count) => {
      const from = sourceCounts.get(key(count)) ?? 0;
      const to = targetCounts.get(key(count)) ?? 0;
      if (from !== to) same = false;
      return `  ${count.account.padEnd(24)} ${count.kind.padEnd(16)} ${String(from).padStart(9)} ${String(to).padStart(9)}${from === to ? "" : "  MISMATCH"}`;
    });
  return { lines, same };
}

async function copy(from: string, to: string): Promise<void> {
  const source = parseStoreLocation(from);
  const target = parseStoreLocation(to);
  if (source.backend !== "sqlite" || target.backend !== "postgres") {
    throw new Error("store copy moves a SQLite store to PostgreSQL: --from sqlite:<file> --to postgres://…");
  }
  if (!existsSync(source.filename)) throw new Error(`There is no SQLite store at ${source.filename}`);
  const now = new Date();
  const sqlite = new SqliteStore({ filename: source.filename, now });
  try {
    const postgres = await PostgresStore.open({ connectionString: target.connectionString, now });
    try {
      const copied = await postgres.importEntities(sqlite.exportEntities(), sqlite.eTagVersion());
      const { lines, same } = compareCounts(sqlite.entityCounts(), await postgres.entityCounts());
      process.stdout.write(
        `Copied ${copied} entities from ${source.filename} to ${describeStoreLocation(to)}\n` +
          `  ${"account".padEnd(24)} ${"kind".padEnd(16)} ${"source".padStart(9)} ${"target".padStart(9)}\n` +
          `${lines.join("\n")}\n`,
      );
      if (!same) throw new Error("The counts differ between source and target: the copy is incomplete");
      process.stdout.write("Verified: every account and kind has as many entities in the target as in the source.\n");
    } finally {
      await postgres.close();
    }
  } finally {
    await sqlite.close();
  }
}

export function storeCommand(): Command {
  const store = new Command("store").description("Move a deployment's store between backends");
  store
    .command("copy")
    .description("Copy every entity of a SQLite store into an empty PostgreSQL database, then verify the counts per account and kind")
    .requiredOption("--from <location>", "the SQLite store: sqlite:<file> (the data directory's openbatch.db)")
    .requiredOption(
      "--to <url>",
      "the PostgreSQL database: postgres://user@host:port/database (password in PGPASSWORD, not in ps; env OPENBATCH_STORE_URL)",
      process.env["OPENBATCH_STORE_URL"],
    )
    .action(async (options: { from: string; to: string }) => copy(options.from, options.to));
  return store;
}
