/**
 * The Store contract, part 2: lists in id order with keyset pages, filters evaluated by the database with the
 * in-memory matcher's results (two-valued logic, case-insensitive and enum fields, byte order whatever the
 * database's collation), counts, JSON pages and tallies.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { formatTimestamp, matchesPredicate, type Predicate } from "@openbatch/core";
import type { CollectionRef, Store } from "@openbatch/store";
import type { OpenedStore, StoreBackend } from "./backends.js";

const t0 = new Date("2024-03-05T10:00:00.000Z");
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

/** 120 entities with present, missing and null fields of every kind the filters compare. */
const states = ["active", "Completed", "running", undefined, null];
const names = ["wd/out", "Stdout", "stderr", "Zeta", "éclair", "a%_b", "ÄÖ", "zz"];
const parityEntities = Array.from({ length: 120 }, (_, i) => ({
  id: `Item-${String(i).padStart(3, "0")}`,
  ...(states[i % 5] === undefined ? {} : { state: states[i % 5] }),
  ...(i % 6 === 0 ? {} : { executionInfo: { exitCode: (i % 7) - 3, endTime: `2024-03-0${(i % 9) + 1}T10:00:00.0000000Z`, ...(i % 4 === 0 ? { result: i % 8 === 0 ? "Success" : "failure" } : {}) } }),
  ...(i % 11 === 0 ? {} : { enabled: i % 3 === 0 }),
  ...(i % 13 === 0 ? { ratio: null } : { ratio: ((i % 10) - 5) / 4 }),
  name: `${names[i % names.length] as string}-${i}`,
  vmSize: i % 2 === 0 ? "STANDARD_D2s_v3" : "standard_d4s_v3",
}));
const modifiedAt = (i: number) => at(i % 17);

const parityPredicates: Predicate[] = [
  { op: "eq", path: ["state"], kind: "enum", value: "completed" },
  { op: "ne", path: ["state"], kind: "enum", value: "active" },
  { op: "eq", path: ["state"], kind: "enum", value: null },
  { op: "ne", path: ["state"], kind: "enum", value: null },
  { op: "gt", path: ["state"], kind: "enum", value: "b" },
  { op: "lt", path: ["executionInfo", "exitCode"], kind: "int", value: 0 },
  { op: "ge", path: ["executionInfo", "exitCode"], kind: "int", value: 1 },
  { op: "ne", path: ["executionInfo", "exitCode"], kind: "int", value: 0 },
  { op: "eq", path: ["executionInfo", "exitCode"], kind: "int", value: null },
  { op: "gt", path: ["executionInfo", "exitCode"], kind: "int", value: null },
  { op: "ne", path: ["executionInfo"], kind: "int", value: null },
  { op: "gt", path: ["ratio"], kind: "double", value: -0.5 },
  { op: "le", path: ["ratio"], kind: "double", value: 0 },
  { op: "ne", path: ["ratio"], kind: "double", value: 0.25 },
  { op: "eq", path: ["ratio"], kind: "double", value: null },
  { op: "gt", path: ["executionInfo", "endTime"], kind: "datetime", value: "2024-03-05T00:00:00.0000000Z" },
  { op: "le", path: ["executionInfo", "endTime"], kind: "datetime", value: "2024-03-03T10:00:00.0000000Z" },
  { op: "ge", path: ["lastModified"], kind: "datetime", value: formatTimestamp(at(9)) },
  { op: "lt", path: ["lastModified"], kind: "datetime", value: formatTimestamp(at(3)) },
  { op: "eq", path: ["enabled"], kind: "bool", value: true },
  { op: "ne", path: ["enabled"], kind: "bool", value: true },
  { op: "eq", path: ["enabled"], kind: "bool", value: false },
  { op: "gt", path: ["enabled"], kind: "bool", value: false },
  { op: "eq", path: ["executionInfo", "result"], kind: "enum", value: "success" },
  { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: "item-01" },
  { op: "lt", path: ["id"], kind: "caseInsensitiveString", value: "item-050" },
  { op: "ge", path: ["id"], kind: "caseInsensitiveString", value: "item-1" },
  { op: "eq", path: ["id"], kind: "caseInsensitiveString", value: "item-007" },
  // Id comparisons read a range of the key index; the key is the lower-cased id, as the matcher compares it.
  { op: "gt", path: ["id"], kind: "caseInsensitiveString", value: "item-100" },
  { op: "le", path: ["id"], kind: "caseInsensitiveString", value: "item-010" },
  { op: "ne", path: ["id"], kind: "caseInsensitiveString", value: "item-007" },
  { op: "eq", path: ["id"], kind: "caseInsensitiveString", value: "ITEM-007" },
  { op: "ge", path: ["id"], kind: "caseInsensitiveString", value: "ITEM-050" },
  { op: "lt", path: ["id"], kind: "caseInsensitiveString", value: "item-" },
  { op: "eq", path: ["id"], kind: "caseInsensitiveString", value: null },
  { op: "ne", path: ["id"], kind: "caseInsensitiveString", value: null },
  { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: "item-09" },
  { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: "item-1" },
  { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: "" },
  { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: "Item-1" },
  { op: "not", operand: { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: "item-1" } },
  { op: "and", left: { op: "ge", path: ["id"], kind: "caseInsensitiveString", value: "item-020" }, right: { op: "lt", path: ["id"], kind: "caseInsensitiveString", value: "item-030" } },
  { op: "and", left: { op: "ge", path: ["id"], kind: "caseInsensitiveString", value: "item-050" }, right: { op: "eq", path: ["state"], kind: "enum", value: "completed" } },
  { op: "and", left: { op: "eq", path: ["state"], kind: "enum", value: "active" }, right: { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: "item-0" } },
  { op: "or", left: { op: "lt", path: ["id"], kind: "caseInsensitiveString", value: "item-005" }, right: { op: "gt", path: ["id"], kind: "caseInsensitiveString", value: "item-115" } },
  { op: "and", left: { op: "eq", path: ["id"], kind: "caseInsensitiveString", value: "item-040" }, right: { op: "ne", path: ["executionInfo", "result"], kind: "enum", value: "failure" } },
  { op: "eq", path: ["vmSize"], kind: "caseInsensitiveString", value: "standard_d2s_v3" },
  { op: "startswith", path: ["name"], kind: "string", value: "wd/" },
  { op: "startswith", path: ["name"], kind: "string", value: "stdout" },
  { op: "startswith", path: ["name"], kind: "string", value: "a%_" },
  { op: "startswith", path: ["name"], kind: "string", value: "a_" },
  { op: "startswith", path: ["state"], kind: "enum", value: "comp" },
  // Byte order, whatever the database's collation: "Z" < "a" < "z" < "Ä" < "é".
  { op: "gt", path: ["name"], kind: "string", value: "Zeta-9" },
  { op: "lt", path: ["name"], kind: "string", value: "a" },
  { op: "ge", path: ["name"], kind: "string", value: "zz" },
  { op: "le", path: ["name"], kind: "string", value: "ÄÖ-6" },
  { op: "not", operand: { op: "eq", path: ["state"], kind: "enum", value: "running" } },
  { op: "not", operand: { op: "gt", path: ["executionInfo", "exitCode"], kind: "int", value: 0 } },
  { op: "not", operand: { op: "startswith", path: ["name"], kind: "string", value: "s" } },
  {
    op: "or",
    left: { op: "and", left: { op: "eq", path: ["state"], kind: "enum", value: "active" }, right: { op: "gt", path: ["executionInfo", "exitCode"], kind: "int", value: -2 } },
    right: { op: "not", operand: { op: "le", path: ["executionInfo", "exitCode"], kind: "int", value: 2 } },
  },
  {
    op: "and",
    left: { op: "not", operand: { op: "or", left: { op: "eq", path: ["enabled"], kind: "bool", value: true }, right: { op: "eq", path: ["state"], kind: "enum", value: null } } },
    right: { op: "ne", path: ["executionInfo", "result"], kind: "enum", value: "failure" },
  },
];

export function describeQueryContract(backend: StoreBackend): void {
  describe(`Store contract on ${backend.name}: lists, filters, counts, tallies`, () => {
    let opened: OpenedStore;
    let store: Store;
    before(async () => {
      opened = await backend.create(t0);
      store = opened.store;
    });
    after(() => opened.dispose());

    it(`filters as the in-memory matcher does (${parityEntities.length} entities, ${parityPredicates.length} predicates), in lists, pages and counts`, async () => {
      const collection: CollectionRef = { account: "parity", kind: "task", scope: "Job" };
      for (const [i, entity] of parityEntities.entries()) await store.write((tx) => tx.insert({ ...collection, id: entity.id }, entity, modifiedAt(i)));
      const viewed = parityEntities.map((entity, i) => ({ ...entity, lastModified: formatTimestamp(modifiedAt(i)) }));
      for (const predicate of parityPredicates) {
        const expected = viewed.filter((entity) => matchesPredicate(entity, predicate)).map((entity) => entity.id);
        const listed = await store.read((tx) => tx.list<{ id: string }>(collection, { limit: 1000, filter: predicate }));
        assert.deepEqual(listed.items.map((item) => item.body.id), expected, `list ${JSON.stringify(predicate)}`);
        assert.equal(await store.read((tx) => tx.count(collection, predicate)), expected.length, `count ${JSON.stringify(predicate)}`);
        const paged: string[] = [];
        let afterKey: string | undefined;
        do {
          const page = await store.read((tx) => tx.listJson(collection, { limit: 7, filter: predicate, afterKey }, []));
          paged.push(...(JSON.parse(`[${page.items.toString("utf8")}]`) as { id: string }[]).map((item) => item.id));
          afterKey = page.nextKey;
        } while (afterKey !== undefined);
        assert.deepEqual(paged, expected, `listJson pages ${JSON.stringify(predicate)}`);
      }
    });

    it("lists in id order with keyset pages and database-evaluated filters", async () => {
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
      const exact = await store.read((tx) => tx.list(collection, { limit: 10, filter }));
      assert.equal(exact.nextKey, undefined, "a page that ends exactly at the last match has no next page");
      const all = await store.read((tx) => tx.list(collection, { limit: 1 }));
      assert.equal(all.nextKey, "t00");
      assert.equal(await store.read((tx) => tx.count(collection)), 30);
      assert.equal(await store.write((tx) => tx.deleteAll(collection)), 30);
      assert.equal(await store.read((tx) => tx.count(collection)), 0);
    });

    it("filters and tallies strings holding U+0000 and U+E000 as any other", async () => {
      const collection = { account: "nul", kind: "task" as const, scope: "job" };
      const values = ["a\u0000b", "a\u0000", "a", "\uE000", "\uE0001", "a\uE0000", "plain"];
      await store.write(async (tx) => {
        for (const [i, name] of values.entries()) await tx.insert({ ...collection, id: `t${i}` }, { name, state: name }, at(1));
      });
      const ids = async (filter: Predicate) => (await store.read((tx) => tx.list<{ name: string }>(collection, { limit: 100, filter }))).items.map((item) => item.body.name);
      assert.deepEqual(await ids({ op: "eq", path: ["name"], kind: "string", value: "a\u0000b" }), ["a\u0000b"]);
      assert.deepEqual(await ids({ op: "eq", path: ["name"], kind: "string", value: "\uE000" }), ["\uE000"]);
      assert.deepEqual(await ids({ op: "startswith", path: ["name"], kind: "string", value: "\uE000" }), ["\uE000", "\uE0001"]);
      assert.deepEqual(await ids({ op: "ne", path: ["name"], kind: "string", value: "a\uE0000" }), values.filter((value) => value !== "a\uE0000"));
      const groups = await store.read((tx) => tx.tally(collection, [{ path: ["state"], kind: "string" }]));
      assert.deepEqual(groups.map((group) => group.values[0]).sort(), [...values].sort());
    });

    it("finds ids by prefix and by equality exactly at the edges of the key order", async () => {
      // Prefixes whose range ends at a raised last character: 'z' → '{', U+D7FF → U+E000 (skipping surrogates),
      // U+FFFF → U+10000, and none after U+10FFFF.
      const ids = ["a", "a-", "a_", "a0", "az", "a{", "b", "x\uD7FF", "x\uD7FFa", "x\uE000", "y\uFFFF", "y\uFFFFz", "y\u{10000}", "z\u{10FFFF}", "z\u{10FFFF}q", "\u{10FFFF}", "\u{10FFFF}\u{10FFFF}", "é", "éa", "Ab", "AB_"];
      const collection = { account: "edges", kind: "task" as const, scope: "job" };
      await store.write(async (tx) => {
        for (const id of ids) await tx.insert({ ...collection, id }, { id, state: id.length % 2 === 0 ? "active" : "completed" }, at(1));
      });
      const byKey = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
      const prefixes = ["a", "a_", "az", "x\uD7FF", "x\uE000", "y\uFFFF", "z\u{10FFFF}", "\u{10FFFF}", "\u{10FFFF}\u{10FFFF}", "é", "ab", "AB", "", "q"];
      for (const value of prefixes) {
        for (const predicate of [
          { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value },
          { op: "eq", path: ["id"], kind: "caseInsensitiveString", value },
          { op: "and", left: { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value }, right: { op: "eq", path: ["state"], kind: "enum", value: "active" } },
        ] as Predicate[]) {
          const expected = ids.filter((id) => matchesPredicate({ id, state: id.length % 2 === 0 ? "active" : "completed" }, predicate)).map((id) => id.toLowerCase()).sort(byKey);
          const listed = await store.read((tx) => tx.list<{ id: string }>(collection, { limit: 100, filter: predicate }));
          assert.deepEqual(listed.items.map((item) => item.id.toLowerCase()), expected, JSON.stringify(predicate));
        }
      }
      const first = await store.read((tx) => tx.list<{ id: string }>(collection, { limit: 2, filter: { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: "a" } }));
      const rest = await store.read((tx) => tx.list<{ id: string }>(collection, { limit: 100, afterKey: first.nextKey, filter: { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: "a" } }));
      assert.deepEqual([...first.items, ...rest.items].map((item) => item.id), ["a", "a-", "a0", "a_", "Ab", "AB_", "az", "a{"], "pages of a prefix, in key order");
    });

    it("orders ids byte by byte, as SQLite does, whatever the database's collation", async () => {
      const ids = ["b", "A", "a-1", "a_1", "a1", "Z", "_x", "-y", "0"];
      const collection = { account: "order", kind: "pool" as const, scope: "" };
      await store.write(async (tx) => {
        for (const id of ids) await tx.insert({ ...collection, id }, { id }, at(1));
      });
      const listed = await store.read((tx) => tx.list<{ id: string }>(collection, { limit: 100 }));
      const expected = ids.map((id) => id.toLowerCase()).sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
      assert.deepEqual(listed.items.map((item) => item.id.toLowerCase()), expected);
    });

    it("lists entities as JSON text without the omitted properties and with their ETag, in the same pages as list", async () => {
      const collection = { account: "a5", kind: "task" as const, scope: "job1" };
      await store.write(async (tx) => {
        for (let i = 0; i < 5; i++) await tx.insert({ ...collection, id: `t${i}` }, { id: `t${i}`, state: i % 2 ? "active" : "completed", note: "é \"quoted\" \u2028", n: [1.5, -2, 1e21], _ob: { secret: i }, _other: 1 }, at(10));
      });
      const filter = { op: "eq", path: ["state"], kind: "enum", value: "completed" } as const;
      const parsed = await store.read((tx) => tx.list<Record<string, unknown>>(collection, { limit: 2, filter }));
      const json = await store.read((tx) => tx.listJson(collection, { limit: 2, filter }, ["_ob", "_other"]));
      assert.equal(json.nextKey, parsed.nextKey);
      assert.equal(json.count, 2);
      assert.deepEqual(
        JSON.parse(`[${json.items.toString("utf8")}]`),
        parsed.items.map((item) => {
          const { _ob, _other, ...view } = item.body;
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
      const whole = await store.read((tx) => tx.listJson(collection, { limit: 10 }, []));
      assert.deepEqual((JSON.parse(`[${whole.items.toString("utf8")}]`) as { _ob: { secret: number } }[]).map((item) => item._ob.secret), [0, 1, 2, 3, 4]);
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
        { state: null, requiredSlots: null },
        {},
      ];
      await store.write(async (tx) => {
        for (const [i, body] of bodies.entries()) await tx.insert({ ...collection, id: `t${i}` }, body, at(9));
        await tx.insert({ ...collection, scope: "job2", id: "other" }, { state: "active", requiredSlots: 100 }, at(9));
      });
      const groups = await store.read((tx) => tx.tally(collection, [{ path: ["state"], kind: "enum" }, { path: ["executionInfo", "result"], kind: "enum" }], { path: ["requiredSlots"], default: 1 }));
      const byKey = Object.fromEntries(groups.map((group) => [group.values.join("/"), [group.count, group.weight]]));
      assert.deepEqual(byKey, { "/": [2, 2], "active/": [2, 3], "running/": [1, 4], "completed/success": [1, 1], "completed/failure": [2, 4] });
      assert.ok(groups.every((group) => group.values.every((value) => value === null || typeof value === "string")));
      assert.deepEqual(await store.read((tx) => tx.tally(collection, [])), [{ values: [], count: 8, weight: 8 }]);
      assert.deepEqual(await store.read((tx) => tx.tally({ ...collection, scope: "none" }, [{ path: ["state"], kind: "enum" }])), []);
      const bySlots = await store.read((tx) => tx.tally(collection, [{ path: ["requiredSlots"], kind: "int" }]));
      assert.deepEqual(
        Object.fromEntries(bySlots.map((group) => [String(group.values[0]), group.count])),
        { null: 5, 2: 1, 3: 1, 4: 1 },
      );
      assert.ok(bySlots.every((group) => group.values[0] === null || typeof group.values[0] === "number"));
    });
  });
}
