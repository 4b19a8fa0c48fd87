import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { isStoreError, SqliteStore } from "../src/index.js";

const t0 = new Date("2024-03-05T10:00:00.000Z");
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

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

  const ref = (id: string, account = "a1") => ({ account, kind: "pool" as const, scope: "", id });

  it("inserts and reads back, keyed case-insensitively and case-preserving", async () => {
    const created = await store.write((tx) => tx.insert(ref("MyPool"), { id: "MyPool", n: 1 }, at(1)));
    assert.match(created.eTag, /^0x[0-9A-F]+$/);
    const read = await store.read((tx) => tx.get<{ id: string; n: number }>(ref("mypool")));
    assert.equal(read?.id, "MyPool");
    assert.deepEqual(read?.body, { id: "MyPool", n: 1 });
    assert.equal(read?.eTag, created.eTag);
    assert.deepEqual(read?.lastModified, at(1));
  });

  it("reports a duplicate id (any case) as conflict", async () => {
    await assert.rejects(
      store.write((tx) => tx.insert(ref("MYPOOL"), { id: "MYPOOL" }, at(2))),
      (error) => isStoreError(error, "conflict"),
    );
  });

  it("replaces with a new ETag and honours ifMatch", async () => {
    const current = await store.read((tx) => tx.get(ref("MyPool")));
    assert.ok(current);
    await assert.rejects(
      store.write((tx) => tx.replace(ref("MyPool"), { id: "MyPool", n: 2 }, at(3), { ifMatch: "0x1" })),
      (error) => isStoreError(error, "preconditionFailed"),
    );
    const replaced = await store.write((tx) => tx.replace(ref("MyPool"), { id: "MyPool", n: 2 }, at(3), { ifMatch: current.eTag }));
    assert.notEqual(replaced.eTag, current.eTag);
    assert.deepEqual(replaced.creationTime, current.creationTime);
    await assert.rejects(store.write((tx) => tx.replace(ref("nothing"), {}, at(3))), (error) => isStoreError(error, "notFound"));
  });

  it("runs after-commit effects once, in order, after the commit and only then", async () => {
    const seen: string[] = [];
    const result = await store.write(async (tx) => {
      tx.afterCommit(() => seen.push("first"));
      tx.afterCommit(() => {
        throw new Error("a failing effect does not stop the others");
      });
      tx.afterCommit(() => seen.push("second"));
      await tx.insert(ref("effects"), { id: "effects" }, at(2));
      assert.deepEqual(seen, [], "nothing runs before the commit");
      return "done";
    });
    assert.equal(result, "done");
    assert.deepEqual(seen, ["first", "second"]);
    await assert.rejects(
      store.write(async (tx) => {
        tx.afterCommit(() => seen.push("rolled back"));
        throw new Error("abort");
      }),
    );
    assert.deepEqual(seen, ["first", "second"], "a rolled-back transaction's effects are dropped");
  });

  it("rolls back the whole transaction when the callback throws", async () => {
    await assert.rejects(
      store.write(async (tx) => {
        await tx.insert(ref("partial-1"), { id: "partial-1" }, at(4));
        await tx.insert(ref("partial-2"), { id: "partial-2" }, at(4));
        throw new Error("abort");
      }),
      /abort/,
    );
    assert.equal(await store.read((tx) => tx.get(ref("partial-1"))), undefined);
  });

  it("serialises concurrent writers without losing updates", async () => {
    await store.write((tx) => tx.insert(ref("counter"), { value: 0 }, at(5)));
    await Promise.all(
      Array.from({ length: 50 }, () =>
        store.write(async (tx) => {
          const current = await tx.get<{ value: number }>(ref("counter"));
          await new Promise((resolve) => setImmediate(resolve));
          await tx.replace(ref("counter"), { value: (current?.body.value ?? 0) + 1 }, at(6));
        }),
      ),
    );
    const final = await store.read((tx) => tx.get<{ value: number }>(ref("counter")));
    assert.equal(final?.body.value, 50);
  });

  it("keeps accounts apart", async () => {
    await store.write((tx) => tx.insert(ref("shared", "a2"), { id: "shared", owner: "a2" }, at(7)));
    assert.equal(await store.read((tx) => tx.get(ref("shared", "a1"))), undefined);
    const a1 = await store.read((tx) => tx.list({ account: "a1", kind: "pool", scope: "" }, { limit: 100 }));
    assert.ok(a1.items.every((item) => item.id !== "shared"));
    await assert.rejects(store.write((tx) => tx.delete(ref("shared", "a1"))), (error) => isStoreError(error, "notFound"));
  });

  it("lists in id order with keyset pages and SQL-evaluated filters", async () => {
    await store.write(async (tx) => {
      for (let i = 0; i < 30; i++) {
        await tx.insert({ account: "a3", kind: "task", scope: "Job1", id: `t${String(i).padStart(2, "0")}` }, { id: `t${i}`, state: i % 2 ? "active" : "completed", executionInfo: { exitCode: i } }, at(8));
      }
    });
    const collection = { account: "a3", kind: "task" as const, scope: "job1" };
    const filter = { op: "and", left: { op: "eq", path: ["state"], kind: "enum", value: "active" }, right: { op: "ge", path: ["executionInfo", "exitCode"], kind: "int", value: 10 } } as const;
    const first = await store.read((tx) => tx.list(collection, { limit: 4, filter }));
    assert.equal(first.items.length, 4);
    assert.ok(first.nextKey);
    const second = await store.read((tx) => tx.list(collection, { limit: 100, filter, afterKey: first.nextKey }));
    assert.equal(second.nextKey, undefined);
    const codes = [...first.items, ...second.items].map((item) => (item.body as { executionInfo: { exitCode: number } }).executionInfo.exitCode);
    assert.deepEqual(codes, [11, 13, 15, 17, 19, 21, 23, 25, 27, 29]);
    assert.equal(await store.read((tx) => tx.count(collection, filter)), 10);
    assert.equal(await store.write((tx) => tx.deleteAll(collection)), 30);
  });

  it("lists entities as JSON text without the omitted properties and with their ETag, in the same pages as list", async () => {
    const collection = { account: "a5", kind: "task" as const, scope: "job1" };
    await store.write(async (tx) => {
      for (let i = 0; i < 5; i++) await tx.insert({ ...collection, id: `t${i}` }, { id: `t${i}`, state: i % 2 ? "active" : "completed", note: "é \"quoted\" \u2028", _ob: { secret: i } }, at(10));
    });
    const filter = { op: "eq", path: ["state"], kind: "enum", value: "completed" } as const;
    const parsed = await store.read((tx) => tx.list<Record<string, unknown>>(collection, { limit: 2, filter }));
    const json = await store.read((tx) => tx.listJson(collection, { limit: 2, filter }, ["_ob"]));
    assert.equal(json.nextKey, parsed.nextKey);
    assert.equal(json.count, 2);
    assert.deepEqual(
      JSON.parse(`[${json.items.toString("utf8")}]`),
      parsed.items.map((item) => {
        const { _ob, ...view } = item.body;
        return { ...view, eTag: item.eTag };
      }),
    );
    const rest = await store.read((tx) => tx.listJson(collection, { limit: 2, filter, afterKey: json.nextKey }, ["_ob"]));
    assert.deepEqual((JSON.parse(`[${rest.items.toString("utf8")}]`) as { id: string }[]).map((item) => item.id), ["t4"]);
    assert.equal(rest.nextKey, undefined);
    const exact = await store.read((tx) => tx.listJson(collection, { limit: 3, filter }, ["_ob"]));
    assert.equal(exact.count, 3);
    assert.equal(exact.nextKey, undefined, "a page that ends exactly at the last match has no next page");
    const none = await store.read((tx) => tx.listJson({ ...collection, scope: "nothing" }, { limit: 3 }, ["_ob"]));
    assert.deepEqual([none.items.length, none.count, none.nextKey], [0, 0, undefined]);
  });

  it("tallies a collection by body fields, with counts and weights", async () => {
    const collection = { account: "a4", kind: "task" as const, scope: "job1" };
    const bodies = [
      { state: "active", requiredSlots: 2 },
      { state: "active" },
      { state: "running", requiredSlots: 4 },
      { state: "completed", executionInfo: { result: "success" } },
      { state: "completed", executionInfo: { result: "failure" }, requiredSlots: 3 },
      { state: "Completed", executionInfo: { result: "failure" } },
      {},
    ];
    await store.write(async (tx) => {
      for (const [i, body] of bodies.entries()) await tx.insert({ ...collection, id: `t${i}` }, body, at(9));
      await tx.insert({ ...collection, scope: "job2", id: "other" }, { state: "active", requiredSlots: 100 }, at(9));
    });
    const groups = await store.read((tx) => tx.tally(collection, [{ path: ["state"], kind: "enum" }, { path: ["executionInfo", "result"], kind: "enum" }], { path: ["requiredSlots"], default: 1 }));
    const byKey = Object.fromEntries(groups.map((group) => [group.values.join("/"), [group.count, group.weight]]));
    assert.deepEqual(byKey, { "/": [1, 1], "active/": [2, 3], "running/": [1, 4], "completed/success": [1, 1], "completed/failure": [2, 4] });
    assert.deepEqual(await store.read((tx) => tx.tally(collection, [])), [{ values: [], count: 7, weight: 7 }]);
  });

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

  it("keeps every acknowledged write across a reopen", async () => {
    await store.close();
    store = new SqliteStore({ filename, now: at(100) });
    const read = await store.read((tx) => tx.get<{ n: number }>(ref("MyPool")));
    assert.equal(read?.body.n, 2);
    const next = await store.write((tx) => tx.insert(ref("after-reopen"), {}, at(101)));
    assert.notEqual(next.eTag, read?.eTag);
  });

  it("matches the committed schema dump", () => {
    const committed = readFileSync(new URL("../../schema.sql", import.meta.url), "utf8");
    assert.equal(store.schema(), committed, "packages/store/schema.sql is stale: run `npm run dump-schema -w @openbatch/store`");
  });
});
