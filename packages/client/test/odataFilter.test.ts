import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { odataFilter, odataString } from "../src/index.js";

describe("odataFilter", () => {
  it("writes comparisons with literals in the service's syntax", () => {
    const pools = odataFilter("pools");
    assert.equal(pools.eq("state", "active"), "state eq 'active'");
    assert.equal(pools.eq("enableAutoScale", false), "enableAutoScale eq false");
    assert.equal(pools.gt("creationTime", new Date("2024-03-05T10:00:00Z")), "creationTime gt DateTime'2024-03-05T10:00:00.000Z'");
    assert.equal(pools.startsWith("id", "o'brien"), "startswith(id,'o''brien')");
    const tasks = odataFilter("tasks");
    assert.equal(tasks.ge("executionInfo/exitCode", 1), "executionInfo/exitCode ge 1");
    assert.equal(tasks.ne("executionInfo/result", "success"), "executionInfo/result ne 'success'");
    assert.equal(odataString("it's"), "'it''s'");
  });

  it("combines with and/or, parenthesising each part", () => {
    const f = odataFilter("jobs");
    assert.equal(f.and(f.eq("state", "active"), f.or(f.startsWith("id", "a"), f.startsWith("id", "b"))), "(state eq 'active') and ((startswith(id,'a')) or (startswith(id,'b')))");
    assert.equal(f.and(f.eq("state", "active")), "state eq 'active'");
    assert.throws(() => f.and(), TypeError);
  });

  it("refuses properties and operators the list does not support, and wrong value types (for untyped callers)", () => {
    // @ts-expect-error displayName is not a filterable property of pools
    assert.throws(() => odataFilter("pools").eq("displayName", "x"), /pools cannot be filtered on displayName/);
    // @ts-expect-error a pool's state compares with eq only
    assert.throws(() => odataFilter("pools").gt("state", "active"), /state does not support gt/);
    // @ts-expect-error enableAutoScale compares with a boolean
    assert.throws(() => odataFilter("pools").eq("enableAutoScale", "true"), /compares with a boolean/);
    // @ts-expect-error files filter on name with startswith only
    assert.throws(() => odataFilter("files").eq("name", "x"), /name does not support eq/);
    const loose = odataFilter("pools") as unknown as Record<string, (p: string, v: unknown) => string>;
    assert.throws(() => loose["gt"]?.("state", "active"), /state does not support gt/);
    assert.throws(() => loose["gt"]?.("creationTime", "not a date"), TypeError);
    assert.throws(() => loose["eq"]?.("enableAutoScale", "true"), TypeError);
    assert.throws(() => odataFilter("nope" as never), TypeError);
  });
});
