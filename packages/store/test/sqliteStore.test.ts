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

  it("counts the tasks a data directory held before migration 3, and keeps counting them", async () => {
    const old = join(directory, "before-counts.db");
    const db = new Database(old);
    db.exec("CREATE TABLE migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    for (const [id, name] of [[1, "entities"], [2, "rowid_entities"]] as const) {
      db.exec(readFileSync(new URL(`../../migrations/000${id}_${name}.sql`, import.meta.url), "utf8"));
      db.prepare("INSERT INTO migrations VALUES (?, ?, ?)").run(id, name, t0.toISOString());
    }
    db.prepare("INSERT INTO counters VALUES ('etag', 100)").run();
    const insert = db.prepare("INSERT INTO entities VALUES ('a1', 'task', 'job', ?, ?, '0x64', ?, ?, ?)");
    insert.run("t1", "T1", t0.toISOString(), t0.toISOString(), JSON.stringify({ state: "active" }));
    insert.run("t2", "T2", t0.toISOString(), t0.toISOString(), JSON.stringify({ state: "Completed", executionInfo: { result: "failure" }, requiredSlots: 3 }));
    insert.run("t3", "T3", t0.toISOString(), t0.toISOString(), JSON.stringify({ state: "active", requiredSlots: 2 }));
    db.close();
    const migrated = new SqliteStore({ filename: old, now: at(1) });
    try {
      const groups = async () => (await migrated.read((tx) => tx.taskCounts("a1", "job"))).map((group) => [group.state, group.result, group.count, group.slots]).sort();
      assert.deepEqual(await groups(), [["active", null, 2, 3], ["completed", "failure", 1, 3]]);
      await migrated.write((tx) => tx.replace({ account: "a1", kind: "task", scope: "job", id: "t1" }, { state: "running" }, at(2)));
      assert.deepEqual(await groups(), [["active", null, 1, 2], ["completed", "failure", 1, 3], ["running", null, 1, 1]]);
    } finally {
      await migrated.close();
    }
  });

  it("answers a job's task counts by state from the task counts, not by reading the tasks", async () => {
    const job = { account: "a1", kind: "task" as const, scope: "counted" };
    await store.write(async (tx) => {
      for (let i = 0; i < 3; i++) await tx.insert({ ...job, id: `t${i}` }, { state: "active" }, at(1));
    });
    const active = { op: "eq", path: ["state"], kind: "enum", value: "active" } as const;
    assert.equal(await store.read((tx) => tx.count(job, active)), 3);
    // Only the counts table says 1000: a count that read the tasks would still say 3.
    const db = new Database(filename);
    db.prepare("UPDATE task_counts SET tasks = 1000 WHERE account = 'a1' AND scope = 'counted' AND state = 'active'").run();
    db.close();
    assert.equal(await store.read((tx) => tx.count(job, active)), 1000);
    assert.equal(await store.read((tx) => tx.count(job)), 1000, "all of a job's tasks too");
    assert.equal((await store.read((tx) => tx.list(job, { limit: 10, filter: active }))).items.length, 3);
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
