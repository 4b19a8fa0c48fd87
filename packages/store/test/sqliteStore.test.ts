import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { isStoreError, SqliteStore } from "../src/index.js";

const t0 = new Date("2024-03-05T10:00:00.000Z");
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

/** What only the SQLite store does; the behaviour every store shares is the contract suite (tests/store/contract). */
describe("SqliteStore", () => {
  let directory: string;
  let filename: string;
  let store: SqliteStore;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), "openbatch-store-"));
    filename = join(directory, "store.db");
    store = new SqliteStore({ filename, now: t0 });
  });
  after(async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const ref = (id: string) => ({ account: "a1", kind: "pool" as const, scope: "", id });

  it("moves the entities of a data directory made before migration 2 into the new table", async () => {
    const old = join(directory, "before-rowid.db");
    const db = new Database(old);
    db.exec(readFileSync(new URL("../../migrations/0001_entities.sql", import.meta.url), "utf8"));
    db.exec("CREATE TABLE migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    db.prepare("INSERT INTO migrations VALUES (1, 'entities', ?)").run(t0.toISOString());
    db.prepare("INSERT INTO counters VALUES ('etag', 100)").run();
    db.prepare("INSERT INTO entities VALUES ('a1', 'task', 'job', 't1', 'T1', '0x64', ?, ?, ?)").run(t0.toISOString(), t0.toISOString(), JSON.stringify({ id: "T1", state: "active" }));
    db.close();
    const migrated = new SqliteStore({ filename: old, now: at(1) });
    try {
      const task = await migrated.read((tx) => tx.get<{ state: string }>({ account: "a1", kind: "task", scope: "job", id: "t1" }));
      assert.equal(task?.id, "T1");
      assert.equal(task?.eTag, "0x64");
      assert.equal(task?.body.state, "active");
      const active = await migrated.read((tx) => tx.list({ account: "a1", kind: "task", scope: "job" }, { limit: 10, filter: { op: "eq", path: ["state"], kind: "enum", value: "active" } }));
      assert.deepEqual(active.items.map((item) => item.id), ["T1"]);
      await assert.rejects(migrated.write((tx) => tx.insert({ account: "a1", kind: "task", scope: "JOB", id: "T1" }, {}, at(2))), (error) => isStoreError(error, "conflict"));
    } finally {
      await migrated.close();
    }
  });

  it("continues the ETag counter after a reopen, whatever the clock says", async () => {
    const first = await store.write((tx) => tx.insert(ref("MyPool"), { id: "MyPool" }, at(1)));
    await store.close();
    store = new SqliteStore({ filename, now: at(-86_400) });
    const next = await store.write((tx) => tx.insert(ref("after-reopen"), {}, at(101)));
    assert.ok(BigInt(next.eTag) > BigInt(first.eTag));
  });

  it("matches the committed schema dump", () => {
    const committed = readFileSync(new URL("../../schema.sql", import.meta.url), "utf8");
    assert.equal(store.schema(), committed, "packages/store/schema.sql is stale: run `npm run dump-schema -w @openbatch/store`");
  });
});
