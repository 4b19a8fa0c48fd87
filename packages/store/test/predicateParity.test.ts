import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { matchesPredicate, type Predicate } from "@openbatch/core";
import { SqliteStore } from "../src/index.js";

/** The SQL translation and the in-memory matcher must agree on every predicate: both serve the one list engine. */
describe("predicate SQL and in-memory matcher agree", () => {
  const states = ["active", "Completed", "running", undefined];
  const entities = Array.from({ length: 120 }, (_, i) => ({
    id: `Item-${String(i).padStart(3, "0")}`,
    ...(states[i % 4] === undefined ? {} : { state: states[i % 4] }),
    ...(i % 5 === 0 ? {} : { executionInfo: { exitCode: (i % 7) - 3, endTime: `2024-03-0${(i % 9) + 1}T10:00:00.0000000Z` } }),
    enabled: i % 3 === 0,
    name: i % 2 === 0 ? `wd/out-${i}.txt` : `Stdout-${i}`,
  }));
  const predicates: Predicate[] = [
    { op: "eq", path: ["state"], kind: "enum", value: "completed" },
    { op: "ne", path: ["state"], kind: "enum", value: "active" },
    { op: "lt", path: ["executionInfo", "exitCode"], kind: "int", value: 0 },
    { op: "ge", path: ["executionInfo", "exitCode"], kind: "int", value: 1 },
    { op: "ne", path: ["executionInfo", "exitCode"], kind: "int", value: 0 },
    { op: "eq", path: ["executionInfo", "exitCode"], kind: "int", value: null },
    { op: "ne", path: ["executionInfo"], kind: "int", value: null },
    { op: "gt", path: ["executionInfo", "endTime"], kind: "datetime", value: "2024-03-05T00:00:00.0000000Z" },
    { op: "eq", path: ["enabled"], kind: "bool", value: true },
    { op: "ne", path: ["enabled"], kind: "bool", value: true },
    { op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: "item-01" },
    { op: "lt", path: ["id"], kind: "caseInsensitiveString", value: "item-050" },
    { op: "startswith", path: ["name"], kind: "string", value: "wd/" },
    { op: "startswith", path: ["name"], kind: "string", value: "stdout" },
    { op: "not", operand: { op: "eq", path: ["state"], kind: "enum", value: "running" } },
    {
      op: "or",
      left: { op: "and", left: { op: "eq", path: ["state"], kind: "enum", value: "active" }, right: { op: "gt", path: ["executionInfo", "exitCode"], kind: "int", value: -2 } },
      right: { op: "not", operand: { op: "le", path: ["executionInfo", "exitCode"], kind: "int", value: 2 } },
    },
  ];

  it("over 120 entities and 16 predicates", async () => {
    const store = new SqliteStore({ filename: ":memory:", now: new Date() });
    try {
      await store.write(async (tx) => {
        for (const entity of entities) await tx.insert({ account: "a", kind: "task", scope: "j", id: entity.id }, entity, new Date());
      });
      for (const predicate of predicates) {
        const fromSql = await store.read((tx) => tx.list<{ id: string }>({ account: "a", kind: "task", scope: "j" }, { limit: 1000, filter: predicate }));
        const inMemory = entities.filter((entity) => matchesPredicate(entity, predicate)).map((entity) => entity.id);
        assert.deepEqual(fromSql.items.map((item) => item.body.id), inMemory, JSON.stringify(predicate));
      }
    } finally {
      await store.close();
    }
  });
});
