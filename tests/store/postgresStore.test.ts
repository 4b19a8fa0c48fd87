/**
 * What the PostgreSQL store adds to the contract (contract/): retried serialization failures,
 * concurrent migrations, the seeded ETag sequence, the indexes the filters use, and the task counts' delta rows.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readFile } from "node:fs/promises";
import pg from "pg";
import { isStoreError, pgPredicateSql, PostgresStore, type EntityRef, type Store } from "@openbatch/store";
import { sharedPostgresCluster, type PostgresCluster } from "../support/postgresCluster.js";
import { waitFor } from "../support/waitFor.js";

const t0 = new Date("2024-03-05T10:00:00.000Z");
const ref = (id: string): EntityRef => ({ account: "a1", kind: "pool", scope: "", id });

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

async function sql<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe("PostgresStore", () => {
  let cluster: PostgresCluster;
  let url: string;
  let store: PostgresStore;
  before(async () => {
    cluster = await sharedPostgresCluster();
    url = await cluster.createDatabase();
    store = await PostgresStore.open({ connectionString: url, now: t0 });
  });
  after(async () => {
    await store.close();
    await cluster.dropDatabase(url);
  });

  it("runs a transaction that lost a serialization conflict again, with only the final attempt's effects", async () => {
    await store.write((tx) => tx.insert(ref("contended"), { value: 0 }, t0));
    const retriesBefore = store.retries;
    const bothRead = { a: signal(), b: signal() };
    const runs = { a: 0, b: 0 };
    const effects: string[] = [];
    const increment = (name: "a" | "b", other: "a" | "b", swallow: boolean) =>
      store.write(async (tx) => {
        runs[name]++;
        const current = await tx.get<{ value: number }>(ref("contended"));
        tx.afterCommit(() => effects.push(`${name}:${runs[name]}`));
        if (runs[name] === 1) {
          // Both first attempts read the same value before either writes: one of them must lose.
          bothRead[name].fire();
          await bothRead[other].promise;
        }
        try {
          await tx.replace(ref("contended"), { value: (current?.body.value ?? 0) + 1 }, t0);
        } catch (error) {
          // A body that swallows the failure must not get its transaction committed anyway.
          if (!swallow) throw error;
        }
        return name;
      });
    assert.deepEqual(await Promise.all([increment("a", "b", false), increment("b", "a", true)]), ["a", "b"]);
    const final = await store.read((tx) => tx.get<{ value: number }>(ref("contended")));
    assert.equal(final?.body.value, 2, "no update lost");
    assert.equal(runs.a + runs.b, 3, "exactly one body ran again");
    assert.equal(store.retries - retriesBefore, 1);
    assert.deepEqual(effects.sort(), runs.a === 2 ? ["a:2", "b:1"] : ["a:1", "b:2"], "one effect per committed write, from its final attempt");
  });

  it("runs a body again without deferring when a deferred insert meets an existing entity, so no answer was wrong", async () => {
    await store.write((tx) => tx.insert(ref("exists"), { v: 1 }, t0));
    const before = store.rerunsWithoutDeferring;
    let runs = 0;
    const outcome = await store.write(async (tx) => {
      runs++;
      await tx.insert(ref("new-1"), {}, t0);
      try {
        await tx.insert(ref("exists"), { v: 2 }, t0);
        return "inserted";
      } catch (error) {
        return isStoreError(error, "conflict") ? "conflict" : "other";
      }
    });
    assert.equal(outcome, "conflict");
    assert.equal(runs, 2, "the deferred insert answered success, so the body ran again with inserts made at once");
    assert.equal(store.rerunsWithoutDeferring - before, 1);
    assert.ok(await store.read((tx) => tx.get(ref("new-1"))));
    assert.equal((await store.read((tx) => tx.get<{ v: number }>(ref("exists"))))?.body.v, 1);
    // A body that fails after a wrong answer fails as it would have with the right one.
    await assert.rejects(
      store.write(async (tx) => {
        await tx.insert(ref("exists"), {}, t0);
        throw new Error("went on as if inserted");
      }),
      (error) => isStoreError(error, "conflict"),
    );
    assert.equal(store.rerunsWithoutDeferring - before, 2);
  });

  it("fails with `unavailable` when a transaction keeps conflicting", async () => {
    const impatient = await PostgresStore.open({ connectionString: url, now: t0, maxAttempts: 1 });
    try {
      await impatient.write((tx) => tx.insert(ref("hot"), { value: 0 }, t0));
      const bothRead = { a: signal(), b: signal() };
      const attempt = (name: "a" | "b", other: "a" | "b") =>
        impatient.write(async (tx) => {
          await tx.get(ref("hot"));
          bothRead[name].fire();
          await bothRead[other].promise;
          await tx.replace(ref("hot"), { by: name }, t0);
        });
      const results = await Promise.allSettled([attempt("a", "b"), attempt("b", "a")]);
      assert.equal(results.filter((result) => result.status === "fulfilled").length, 1);
      const failure = results.find((result) => result.status === "rejected");
      assert.ok(isStoreError(failure?.reason, "unavailable"), String(failure?.reason));
    } finally {
      await impatient.close();
    }
  });

  it("migrates a new database once when several stores open it at the same time, and seeds the ETag sequence", async () => {
    const fresh = await cluster.createDatabase();
    const stores: Store[] = await Promise.all([1, 2, 3].map(() => PostgresStore.open({ connectionString: fresh, now: t0 })));
    try {
      const migrations = await sql<{ id: number }>(fresh, "SELECT id FROM migrations ORDER BY id");
      assert.deepEqual(migrations.map((row) => row.id), [1, 2, 3]);
      const created = await (stores[2] as Store).write((tx) => tx.insert(ref("first"), {}, t0));
      assert.ok(BigInt(created.eTag) > BigInt(t0.getTime()) * 10_000n, `seeded from the clock: ${created.eTag}`);
      const reopened = await PostgresStore.open({ connectionString: fresh, now: new Date(t0.getTime() - 86_400_000) });
      stores.push(reopened);
      const next = await reopened.write((tx) => tx.insert(ref("second"), {}, t0));
      assert.ok(BigInt(next.eTag) > BigInt(created.eTag), "a reopened database continues its sequence, whatever the clock says");
    } finally {
      for (const opened of stores) await opened.close();
      await cluster.dropDatabase(fresh);
    }
  });

  it("gets by key through the key index even before ANALYZE, and reads a job's tasks of one state through the state index", async () => {
    await store.write(async (tx) => {
      for (let i = 0; i < 2000; i++) await tx.insert({ account: "a1", kind: "task", scope: "job", id: `t${i}` }, { state: i % 10 === 0 ? "active" : "completed", pad: "x".repeat(500) }, t0);
    });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const plan = async (text: string, values: unknown[]) => (await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${text}`, values)).rows.map((row) => row["QUERY PLAN"]).join("\n");
    try {
      // Before any ANALYZE, a lookup by key must still take the key index, not scan the collection in the state index.
      await client.query("SET plan_cache_mode = force_generic_plan");
      await client.query("PREPARE get_by_key(text, text, text, text) AS SELECT body FROM entities WHERE account = $1 AND kind = $2 AND scope = $3 AND id_key = $4");
      assert.match(await plan("EXECUTE get_by_key('a1', 'task', 'job', 't7')", []), /entities_pkey/);
      await client.query("RESET plan_cache_mode");
      await client.query("ANALYZE entities");
      await client.query("SET enable_seqscan = off");
      const params: unknown[] = ["a1", "task", "job"];
      const filter = pgPredicateSql({ op: "eq", path: ["state"], kind: "enum", value: "active" }, params);
      assert.match(await plan(`SELECT id FROM entities WHERE account = $1 AND kind = $2 AND scope = $3 AND ${filter} ORDER BY id_key`, params), /entities_by_state/);
    } finally {
      await client.end();
    }
    const active = await store.read((tx) => tx.count({ account: "a1", kind: "task", scope: "job" }, { op: "eq", path: ["state"], kind: "enum", value: "active" }));
    assert.equal(active, 200);
  });

  it("reads id ranges, equalities and prefixes as ranges of the key index", async () => {
    await store.write(async (tx) => {
      for (let i = 0; i < 2000; i++) await tx.insert({ account: "a1", kind: "task", scope: "range-job", id: `T${String(i).padStart(5, "0")}` }, { state: "active", pad: "x".repeat(500) }, t0);
    });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("ANALYZE entities");
      for (const filter of [
        { op: "ge", path: ["id"], kind: "caseInsensitiveString", value: "t01900" },
        { op: "eq", path: ["id"], kind: "caseInsensitiveString", value: "t01900" },
        { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: "t019" },
        { op: "and", left: { op: "lt", path: ["id"], kind: "caseInsensitiveString", value: "t00100" }, right: { op: "eq", path: ["state"], kind: "enum", value: "active" } },
      ] as const) {
        const params: unknown[] = ["a1", "task", "range-job"];
        const where = pgPredicateSql(filter, params);
        const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN SELECT id FROM entities WHERE account = $1 AND kind = $2 AND scope = $3 AND ${where} ORDER BY id_key LIMIT 1000`, params);
        const text = rows.map((row) => row["QUERY PLAN"]).join("\n");
        assert.match(text, /Index Cond: .*id_key [<>=]/, `${JSON.stringify(filter)}:\n${text}`);
        assert.doesNotMatch(text, /Seq Scan/, text);
      }
    } finally {
      await client.end();
    }
    const listed = await store.read((tx) => tx.list({ account: "a1", kind: "task", scope: "range-job" }, { limit: 1000, filter: { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: "t019" } }));
    assert.equal(listed.items.length, 100);
  });

  it("folds a job's task count rows, and the counts stay what they were", async () => {
    const job = { account: "fold", kind: "task" as const, scope: "job" };
    const rows = async () => Number((await sql<{ n: string }>(url, "SELECT count(*) AS n FROM task_counts WHERE account = 'fold' AND scope = 'job'"))[0]?.n);
    const foldsBefore = store.folder.folds;
    for (let i = 0; i < 20; i++) {
      await store.write(async (tx) => {
        await tx.insert({ ...job, id: `a${i}` }, { state: "active" }, t0);
        await tx.insert({ ...job, id: `b${i}` }, { state: "running", requiredSlots: 2 }, t0);
      });
    }
    // Twenty transactions, each adding a row per group: more rows than groups, and no fold yet.
    assert.equal(await rows(), 40);
    assert.equal(store.folder.folds, foldsBefore);
    for (let i = 0; i < 20; i++) await store.write((tx) => tx.replace({ ...job, id: `a${i}` }, { state: "completed", executionInfo: { result: "success" } }, t0));
    // The 32nd transaction that changed the job's tasks asked for a fold; it runs after the commit, on its own.
    await waitFor("the fold asked for by the writes", async () => store.folder.folds > foldsBefore);
    assert.ok((await rows()) < 40, `folded: ${await rows()} rows`);
    const counts = await store.read((tx) => tx.taskCounts("fold", "JOB"));
    assert.deepEqual(
      counts.map((group) => [group.state, group.result, group.count, group.slots]).sort(),
      [["completed", "success", 20, 20], ["running", null, 20, 40]],
    );
    // Rows written by another server (here: by hand) are folded when a read meets many of them.
    for (let i = 0; i < 40; i++) await sql(url, "INSERT INTO task_counts VALUES ('fold', 'job', 'running', NULL, 0, 0)");
    const folds = store.folder.folds;
    await store.read((tx) => tx.taskCounts("fold", "job"));
    await waitFor("the fold asked for by the read", async () => store.folder.folds > folds);
    assert.equal(await rows(), 2);
  });

  it("counts the tasks a database held before the counts were kept", async () => {
    const fresh = await cluster.createDatabase();
    const first = await readFile(new URL("../../../packages/store/migrations/postgres/0001_entities.sql", import.meta.url), "utf8");
    await sql(fresh, first);
    await sql(fresh, "CREATE TABLE migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)");
    await sql(fresh, "INSERT INTO migrations VALUES (1, 'entities', '2024-01-01T00:00:00.000Z')");
    for (const [id, body] of [["t1", { state: "active" }], ["t2", { state: "Completed", executionInfo: { result: "failure" }, requiredSlots: 3 }], ["t3", { state: "active", requiredSlots: 2 }]] as const) {
      await sql(fresh, "INSERT INTO entities VALUES ('a1', 'task', 'job', $1, $1, '0x1', 'x', 'x', $2)", [id, JSON.stringify(body)]);
    }
    const upgraded = await PostgresStore.open({ connectionString: fresh, now: t0 });
    try {
      const counts = await upgraded.read((tx) => tx.taskCounts("a1", "job"));
      assert.deepEqual(counts.map((group) => [group.state, group.result, group.count, group.slots]).sort(), [["active", null, 2, 3], ["completed", "failure", 1, 3]]);
    } finally {
      await upgraded.close();
      await cluster.dropDatabase(fresh);
    }
  });
});
