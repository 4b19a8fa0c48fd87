/**
 * src/generated/ is written from @openbatch/protocol by scripts/generateWire.mjs. These tests fail when the committed
 * files are stale, and check that the generated interfaces are the protocol's types with the enums opened — in both
 * directions, so a generator that made everything optional or `unknown` would not pass.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { it } from "node:test";
import * as protocol from "@openbatch/protocol";
import type * as wire from "@openbatch/protocol";
import * as client from "../src/index.js";
import type { WireModelsByName } from "../src/index.js";

const script = fileURLToPath(new URL("../../scripts/generateWire.mjs", import.meta.url));

/** The protocol's type with every enum union widened as the client widens them. */
type Open<T> = T extends string
  ? string extends T
    ? T
    : T | (string & {})
  : T extends readonly (infer U)[]
    ? Open<U>[]
    : T extends object
      ? { [K in keyof T]: Open<T[K]> }
      : T;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** The names of the models whose generated interface differs from the protocol's type; `never` when none does. */
type Mismatches = {
  [K in keyof WireModelsByName & wire.WireModelName]: Same<WireModelsByName[K], Open<wire.Static<wire.WireModels[K]>>> extends true ? never : K;
}[keyof WireModelsByName & wire.WireModelName];

// Compile-time checks: each line fails to type-check when the generated types drift from the protocol's.
const noMismatch: Same<Mismatches, never> = true;
const sameModelNames: Same<keyof WireModelsByName, wire.WireModelName> = true;
const knownIsClosed: Same<client.KnownComputeNodeState, wire.ComputeNodeState> = true;

it("the committed src/generated files are what the generator writes from the protocol", () => {
  const result = spawnSync(process.execPath, [script, "--check"], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
});

it("the generated interfaces are the protocol's models with open enums", () => {
  assert.deepEqual([noMismatch, sameModelNames, knownIsClosed], [true, true, true]);
});

it("exports every enum's values at run time, equal to the protocol's", () => {
  const enumNames = Object.keys(protocol).filter((name) => name.endsWith("Values") && Array.isArray((protocol as Record<string, unknown>)[name]));
  assert.ok(enumNames.length >= 50, `found ${enumNames.length} enums`);
  for (const name of enumNames) {
    assert.deepEqual((client as Record<string, unknown>)[name], (protocol as Record<string, unknown>)[name], name);
  }
  assert.ok(client.ComputeNodeStateValues.includes("upgradingos"));
});

it("carries the protocol's api-versions and filterable properties", () => {
  assert.equal(client.currentApiVersion, protocol.currentApiVersion);
  assert.deepEqual(client.apiVersions, protocol.apiVersions);
  const sampleValue = { datetime: new Date(0), int: 1, double: 1.5, bool: true } as Record<string, unknown>;
  const allOperators = ["eq", "ne", "gt", "ge", "lt", "le"] as const;
  for (const [target, properties] of Object.entries(protocol.filterableProperties)) {
    const builder = client.odataFilter(target as client.FilterTarget) as unknown as Record<string, (property: string, value: unknown) => string>;
    for (const [name, { kind, operators }] of Object.entries(properties)) {
      for (const operator of allOperators) {
        const call = () => builder[operator]?.(name, sampleValue[kind] ?? "x");
        if ((operators as readonly string[]).includes(operator)) assert.match(call() ?? "", new RegExp(`^${name} ${operator} `), `${target} ${name} ${operator}`);
        else assert.throws(call, TypeError, `${target} ${name} ${operator}`);
      }
      const prefix = () => builder["startsWith"]?.(name, "x");
      if ((operators as readonly string[]).includes("startswith")) assert.equal(prefix(), `startswith(${name},'x')`);
      else assert.throws(prefix, TypeError);
    }
  }
});
