/**
 * The Store contract, part 1: keys, preconditions, conflicts, transactions, after-commit effects, concurrent
 * writers, reopening (migrations) — what the server relies on from any backend.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isStoreError, type EntityRef, type ReadTx, type Store } from "@openbatch/store";
import type { OpenedStore, StoreBackend } from "./backends.js";

const t0 = new Date("2024-03-05T10:00:00.000Z");
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const ref = (id: string, account = "a1"): EntityRef => ({ account, kind: "pool", scope: "", id });

export function describeWriteContract(backend: StoreBackend): void {
  describe(`Store contract on ${backend.name}: writes and transactions`, () => {
    let opened: OpenedStore;
    let store: Store;
    before(async () => {
      opened = await backend.create(t0);
      store = opened.store;
    });
    after(() => opened.dispose());

    it("inserts and reads back, keyed case-insensitively and case-preserving", async () => {
      const created = await store.write((tx) => tx.insert(ref("MyPool"), { id: "MyPool", n: 1 }, at(1)));
      assert.match(created.eTag, /^0x[0-9A-F]+$/);
      assert.equal(created.id, "MyPool");
      assert.deepEqual(created.creationTime, at(1));
      const read = await store.read((tx) => tx.get<{ id: string; n: number }>(ref("mypool")));
      assert.equal(read?.id, "MyPool");
      assert.deepEqual(read?.body, { id: "MyPool", n: 1 });
      assert.equal(read?.eTag, created.eTag);
      assert.deepEqual(read?.creationTime, at(1));
      assert.deepEqual(read?.lastModified, at(1));
    });

    it("keeps a body's values exactly: unicode, escapes, numbers, nesting", async () => {
      const body = {
        id: "Exact",
        text: 'é "quoted" \\ back \u2028 😀 \t',
        // U+0000 (which PostgreSQL text cannot hold), the private-use U+E000, and text that merely looks like escapes.
        awkward: ["a\u0000b", "\u0000", "\uE000", "\uE0000", "\\u0000", "\\\u0000", "x\uE000\u0000\uE0001"],
        "key\u0000\uE000": "in a key too",
        numbers: [0, -1, 1.5, 1e-7, 2 ** 53, -0.25],
        nested: { deep: { flag: false, none: null } },
        empty: {},
      };
      await store.write((tx) => tx.insert(ref("Exact"), body, at(1)));
      const read = await store.read((tx) => tx.get(ref("exact")));
      assert.deepEqual(read?.body, body);
      const replaced = await store.write((tx) => tx.replace(ref("exact"), { ...body, again: "\u0000" }, at(2)));
      assert.deepEqual(replaced.body, { ...body, again: "\u0000" });
      const listed = await store.read((tx) => tx.list({ account: "a1", kind: "pool", scope: "" }, { limit: 1000 }));
      assert.deepEqual(listed.items.find((item) => item.id === "Exact")?.body, { ...body, again: "\u0000" });
      const page = await store.read((tx) => tx.listJson({ account: "a1", kind: "pool", scope: "" }, { limit: 1000 }, []));
      const fromJson = (JSON.parse(`[${page.items.toString("utf8")}]`) as { id: string }[]).find((item) => item.id === "Exact");
      assert.deepEqual(fromJson, { ...body, again: "\u0000", eTag: replaced.eTag });
    });

    it("reports a duplicate id (any case) as conflict", async () => {
      await assert.rejects(
        store.write((tx) => tx.insert(ref("MYPOOL"), { id: "MYPOOL" }, at(2))),
        (error) => isStoreError(error, "conflict"),
      );
    });

    it("replaces with a new ETag, keeps the creation time and honours ifMatch", async () => {
      const current = await store.read((tx) => tx.get(ref("MyPool")));
      assert.ok(current);
      await assert.rejects(
        store.write((tx) => tx.replace(ref("MyPool"), { id: "MyPool", n: 2 }, at(3), { ifMatch: "0x1" })),
        (error) => isStoreError(error, "preconditionFailed"),
      );
      const replaced = await store.write((tx) => tx.replace(ref("mypool"), { id: "MyPool", n: 2 }, at(3), { ifMatch: current.eTag }));
      assert.notEqual(replaced.eTag, current.eTag);
      assert.equal(replaced.id, "MyPool", "the stored id's case, not the reference's");
      assert.deepEqual(replaced.creationTime, current.creationTime);
      assert.deepEqual(replaced.lastModified, at(3));
      const read = await store.read((tx) => tx.get(ref("MyPool")));
      assert.equal(read?.eTag, replaced.eTag);
      assert.deepEqual(read?.lastModified, at(3));
      await assert.rejects(store.write((tx) => tx.replace(ref("nothing"), {}, at(3))), (error) => isStoreError(error, "notFound"));
      await assert.rejects(store.write((tx) => tx.replace(ref("nothing"), {}, at(3), { ifMatch: replaced.eTag })), (error) => isStoreError(error, "notFound"));
    });

    it("deletes, honouring ifMatch, and reports a missing entity", async () => {
      const created = await store.write((tx) => tx.insert(ref("Doomed"), { id: "Doomed" }, at(4)));
      await assert.rejects(store.write((tx) => tx.delete(ref("Doomed"), { ifMatch: "0x2" })), (error) => isStoreError(error, "preconditionFailed"));
      await store.write((tx) => tx.delete(ref("DOOMED"), { ifMatch: created.eTag }));
      assert.equal(await store.read((tx) => tx.get(ref("Doomed"))), undefined);
      await assert.rejects(store.write((tx) => tx.delete(ref("Doomed"))), (error) => isStoreError(error, "notFound"));
    });

    it("gives every write of every entity an ETag never seen before", async () => {
      const seen = new Set<string>();
      await store.write(async (tx) => {
        for (let i = 0; i < 20; i++) seen.add((await tx.insert(ref(`unique-${i}`), { i }, at(5))).eTag);
        for (let i = 0; i < 20; i++) seen.add((await tx.replace(ref(`unique-${i}`), { i, again: true }, at(5))).eTag);
      });
      for (let i = 0; i < 20; i++) seen.add((await store.write((tx) => tx.replace(ref(`unique-${i}`), { i }, at(6)))).eTag);
      assert.equal(seen.size, 60);
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
          await tx.insert(ref("effects-2"), {}, at(2));
          throw new Error("abort");
        }),
        /abort/,
      );
      assert.deepEqual(seen, ["first", "second"], "a rolled-back transaction's effects are dropped");
      await assert.rejects(
        store.write(async (tx) => {
          tx.afterCommit(() => seen.push("failed write"));
          await tx.insert(ref("effects"), {}, at(2));
        }),
        (error) => isStoreError(error, "conflict"),
      );
      assert.deepEqual(seen, ["first", "second"], "nor are those of a write that failed in the store");
    });

    it("rolls back the whole transaction when the callback throws", async () => {
      await assert.rejects(
        store.write(async (tx) => {
          await tx.insert(ref("partial-1"), { id: "partial-1" }, at(4));
          await tx.replace(ref("MyPool"), { id: "MyPool", n: 99 }, at(4));
          await tx.insert(ref("partial-2"), { id: "partial-2" }, at(4));
          throw new Error("abort");
        }),
        /abort/,
      );
      assert.equal(await store.read((tx) => tx.get(ref("partial-1"))), undefined);
      assert.equal((await store.read((tx) => tx.get<{ n: number }>(ref("MyPool"))))?.body.n, 2);
    });

    it("lets a body go on after a store error it caught, and commits the rest (an add-collection)", async () => {
      const results = await store.write(async (tx) => {
        const outcome: string[] = [];
        for (const id of ["batch-1", "MyPool", "batch-2", "nothing-here", "batch-3"]) {
          try {
            if (id === "nothing-here") await tx.replace(ref(id), {}, at(7));
            else await tx.insert(ref(id), { id }, at(7));
            outcome.push("ok");
          } catch (error) {
            outcome.push(isStoreError(error) ? error.kind : "other");
          }
        }
        return outcome;
      });
      assert.deepEqual(results, ["ok", "conflict", "ok", "notFound", "ok"]);
      const stored = await store.read(async (tx) => Promise.all(["batch-1", "batch-2", "batch-3"].map((id) => tx.get(ref(id)))));
      assert.ok(stored.every((entity) => entity !== undefined));
    });

    it("takes a body's calls started together one after another: of two inserts of one key, the second conflicts", async () => {
      const [first, second, read, other] = await store.write(async (tx) =>
        Promise.allSettled([tx.insert(ref("Twin"), { n: 1 }, at(11)), tx.insert(ref("TWIN"), { n: 2 }, at(11)), tx.get(ref("MyPool")), tx.insert(ref("single"), {}, at(11))]),
      );
      assert.equal(first.status, "fulfilled");
      assert.ok(second.status === "rejected" && isStoreError(second.reason, "conflict"), String(second.status === "rejected" ? second.reason : "fulfilled"));
      assert.ok(read.status === "fulfilled" && read.value?.id === "MyPool");
      assert.equal(other.status, "fulfilled");
      assert.deepEqual((await store.read((tx) => tx.get(ref("twin"))))?.body, { n: 1 });
      const [a, b] = await store.read((tx) => Promise.all([tx.get(ref("twin")), tx.get(ref("single"))]));
      assert.ok(a !== undefined && b !== undefined);
    });

    it("sees its own writes inside a transaction and nothing of them outside before the commit", async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let inserted!: () => void;
      const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));
      const writing = store.write(async (tx) => {
        await tx.insert(ref("pending"), { id: "pending" }, at(8));
        assert.ok(await tx.get(ref("pending")), "a transaction reads its own insert");
        const listed = await tx.list({ account: "a1", kind: "pool", scope: "" }, { limit: 1000 });
        assert.ok(listed.items.some((item) => item.id === "pending"));
        inserted();
        await gate;
      });
      await insertedSignal;
      assert.equal(await store.read((tx) => tx.get(ref("pending"))), undefined, "uncommitted writes are invisible to readers");
      release();
      await writing;
      assert.ok(await store.read((tx) => tx.get(ref("pending"))));
    });

    it("sees a row replaced several times in one transaction as last written, in reads, queries, preconditions and after the commit", async () => {
      const pools = { account: "a1", kind: "pool" as const, scope: "" };
      await store.write((tx) => tx.insert(ref("Busy"), { id: "Busy", n: 0, state: "active" }, at(9)));
      const result = await store.write(async (tx) => {
        const first = await tx.replace(ref("busy"), { id: "Busy", n: 1, state: "active" }, at(10));
        const second = await tx.replace(ref("BUSY"), { id: "Busy", n: 2, state: "deleting" }, at(11), { ifMatch: first.eTag });
        await assert.rejects(tx.replace(ref("busy"), { id: "Busy", n: 9 }, at(11), { ifMatch: first.eTag }), (error: unknown) => isStoreError(error, "preconditionFailed"));
        assert.equal(second.id, "Busy", "the stored spelling of the id stays");
        assert.deepEqual(second.creationTime, at(9));
        assert.deepEqual((await tx.get<{ n: number }>(ref("busy")))?.body.n, 2);
        const listed = await tx.list<{ id: string; n: number }>(pools, { limit: 1000, filter: { op: "eq", path: ["state"], kind: "string", value: "deleting" } });
        assert.deepEqual(listed.items.map((item) => [item.id, item.body.n, item.eTag]), [["Busy", 2, second.eTag]]);
        const page = JSON.parse(`[${(await tx.listJson(pools, { limit: 1000 }, [])).items.toString()}]`) as { id?: string; n?: number }[];
        assert.equal(page.find((item) => item.id === "Busy")?.n, 2);
        return second;
      });
      const stored = await store.read((tx) => tx.get<{ n: number }>(ref("busy")));
      assert.equal(stored?.eTag, result.eTag);
      assert.deepEqual(stored?.lastModified, at(11));
      assert.equal(stored?.body.n, 2);
      await store.write(async (tx) => {
        await tx.replace(ref("busy"), { id: "Busy", n: 3 }, at(12));
        await tx.delete(ref("busy"));
      });
      assert.equal(await store.read((tx) => tx.get(ref("busy"))), undefined, "a row replaced, then deleted, stays deleted");
    });

    it("gives a read one snapshot, whatever commits while it runs, and each read its own", async () => {
      const job = { account: "snap", kind: "task" as const, scope: "Job" };
      const pools = { account: "snap", kind: "pool" as const, scope: "" };
      await store.write(async (tx) => {
        await tx.insert({ ...pools, id: "snapshot" }, { v: 1 }, at(1));
        await tx.insert({ ...job, id: "t1" }, { state: "active" }, at(1));
      });
      const completed = { op: "eq", path: ["state"], kind: "enum", value: "completed" } as const;
      const view = async (tx: ReadTx) => ({
        pool: (await tx.get<{ v: number }>({ ...pools, id: "snapshot" }))?.body.v,
        pools: await tx.count(pools),
        tasks: (await tx.list<{ state: string }>(job, { limit: 10 })).items.map((item) => `${item.id}:${item.body.state}`),
        completed: await tx.count(job, completed),
        counts: (await tx.taskCounts("snap", "job")).map((group) => `${group.state}:${group.count}`).sort(),
      });
      const before = { pool: 1, pools: 1, tasks: ["t1:active"], completed: 0, counts: ["active:1"] };
      const after = { pool: 2, pools: 2, tasks: ["t1:completed", "t2:active"], completed: 1, counts: ["active:1", "completed:1"] };
      let second: Awaited<ReturnType<typeof view>> | undefined;
      const seen = await store.read(async (tx) => {
        const first = await view(tx);
        await store.write(async (w) => {
          await w.replace({ ...pools, id: "snapshot" }, { v: 2 }, at(2));
          await w.insert({ ...pools, id: "snapshot-new" }, {}, at(2));
          await w.replace({ ...job, id: "t1" }, { state: "completed" }, at(2));
          await w.insert({ ...job, id: "t2" }, { state: "active" }, at(2));
        });
        // A read started now, while the first is still open, sees the write; the first still does not.
        second = await store.read(view);
        return [first, await view(tx)];
      });
      assert.deepEqual(seen, [before, before]);
      assert.deepEqual(second, after);
      assert.deepEqual(await store.read(view), after);
    });

    it("loses no update when concurrent writers read, yield and write the same entity", async () => {
      await store.write((tx) => tx.insert(ref("counter"), { value: 0 }, at(5)));
      let bodies = 0;
      let effects = 0;
      const writers = 20;
      await Promise.all(
        Array.from({ length: writers }, () =>
          store.write(async (tx) => {
            bodies++;
            const current = await tx.get<{ value: number }>(ref("counter"));
            await new Promise((resolve) => setImmediate(resolve));
            await tx.replace(ref("counter"), { value: (current?.body.value ?? 0) + 1 }, at(6));
            tx.afterCommit(() => effects++);
          }),
        ),
      );
      const final = await store.read((tx) => tx.get<{ value: number }>(ref("counter")));
      assert.equal(final?.body.value, writers);
      assert.equal(effects, writers, "one effect per committed write, none of a retried attempt");
      assert.ok(bodies >= writers);
      if (!backend.concurrentWrites) assert.equal(bodies, writers, "a serialised store never re-runs a body");
    });

    it("keeps accounts apart", async () => {
      await store.write((tx) => tx.insert(ref("shared", "a2"), { id: "shared", owner: "a2" }, at(7)));
      assert.equal(await store.read((tx) => tx.get(ref("shared", "a1"))), undefined);
      const a1 = await store.read((tx) => tx.list({ account: "a1", kind: "pool", scope: "" }, { limit: 1000 }));
      assert.ok(a1.items.length > 0 && a1.items.every((item) => item.id !== "shared"));
      await assert.rejects(store.write((tx) => tx.delete(ref("shared", "a1"))), (error) => isStoreError(error, "notFound"));
      assert.equal(await store.read((tx) => tx.count({ account: "a2", kind: "pool", scope: "" })), 1);
      assert.equal(await store.write((tx) => tx.deleteAll({ account: "a3", kind: "pool", scope: "" })), 0);
      assert.ok(await store.read((tx) => tx.get(ref("shared", "a2"))));
    });

    it("keeps every acknowledged write across a reopen, migrates once, and issues new ETags after it", async () => {
      const before = await store.read((tx) => tx.get<{ n: number }>(ref("MyPool")));
      await store.close();
      // Two stores opening the same database at once: both migrate-or-find-migrated and both work.
      const [first, second] = await Promise.all([opened.reopen(at(100)), opened.reopen(at(100))]);
      await second.close();
      store = first;
      const read = await store.read((tx) => tx.get<{ n: number }>(ref("MyPool")));
      assert.equal(read?.body.n, 2);
      assert.equal(read?.eTag, before?.eTag);
      const next = await store.write((tx) => tx.insert(ref("after-reopen"), {}, at(101)));
      assert.notEqual(next.eTag, read?.eTag);
      assert.ok(BigInt(next.eTag) > BigInt(read?.eTag ?? "0x0"), "ETags keep growing across a reopen");
    });
  });
}
