import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  canonicalJson,
  errorCatalogue,
  formatTimestamp,
  idKey,
  idProblem,
  isServiceError,
  matchesPredicate,
  parseDuration,
  formatDuration,
  parseHttpDate,
  parseTimestamp,
  serviceError,
  type Predicate,
} from "../src/index.js";

describe("canonical JSON", () => {
  it("writes every object's keys in sorted order, at any depth, and leaves out undefined properties as JSON does", () => {
    const made = { state: "completed", startTime: "t0", retryCount: 0, endTime: "t1", exitCode: 0, result: "success", nested: { b: 1, a: [{ d: 2, c: undefined }] } };
    // As PostgreSQL's JSONB gives it back: shorter keys first.
    const readBack = { state: "completed", result: "success", endTime: "t1", exitCode: 0, nested: { a: [{ d: 2 }], b: 1 }, startTime: "t0", retryCount: 0 };
    assert.notEqual(JSON.stringify(made), JSON.stringify(readBack));
    assert.equal(canonicalJson(made), canonicalJson(readBack));
    assert.equal(canonicalJson({ b: [2, 1], a: null }), '{"a":null,"b":[2,1]}');
    assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: 2 }));
  });
});

describe("ids", () => {
  const cases: [unknown, boolean][] = [
    ["pool-1", true],
    ["A_b-9", true],
    ["x".repeat(64), true],
    ["x".repeat(65), false],
    ["", false],
    ["has space", false],
    ["dot.ted", false],
    ["slash/", false],
    ["ünï", false],
    [42, false],
  ];
  for (const [id, valid] of cases) {
    it(`${JSON.stringify(id)} is ${valid ? "valid" : "invalid"}`, () => assert.equal(idProblem(id) === undefined, valid));
  }
  it("folds case for keys", () => assert.equal(idKey("MyPool"), idKey("mypool")));
});

describe("error catalogue", () => {
  it("maps codes to the service's statuses", () => {
    const expected: Record<string, number> = {
      PoolNotFound: 404, PoolExists: 409, ConditionNotMet: 412, AuthenticationFailed: 403, RequestBodyTooLarge: 413,
      MissingRequiredQueryParameter: 400, InternalError: 500, ServerBusy: 503, UnsupportedHttpVerb: 405,
    };
    for (const [code, status] of Object.entries(expected)) assert.equal(errorCatalogue[code as keyof typeof errorCatalogue].status, status, code);
  });
  it("builds ServiceErrors recognisable by name", () => {
    const error = serviceError("JobNotFound", { values: [{ key: "JobId", value: "j" }] });
    assert.ok(isServiceError(error));
    assert.equal(error.status, 404);
    assert.equal(error.message, "The specified job does not exist.");
    assert.ok(!isServiceError(new Error("plain")));
  });
});

describe("time formats", () => {
  it("formats timestamps with seven fractional digits", () => {
    assert.equal(formatTimestamp(new Date("2024-03-05T10:00:00.123Z")), "2024-03-05T10:00:00.1230000Z");
  });
  it("parses ISO timestamps with and without fractions or zones", () => {
    assert.equal(parseTimestamp("2014-09-05T17:46:58.9909975Z")?.toISOString(), "2014-09-05T17:46:58.990Z");
    assert.equal(parseTimestamp("2024-03-05T10:00:00")?.toISOString(), "2024-03-05T10:00:00.000Z");
    assert.equal(parseTimestamp("2024-03-05T12:00:00+02:00")?.toISOString(), "2024-03-05T10:00:00.000Z");
    assert.equal(parseTimestamp("yesterday"), undefined);
    assert.equal(parseTimestamp("2024-13-45T10:00:00Z"), undefined);
  });
  it("parses RFC 1123 dates only", () => {
    assert.equal(parseHttpDate("Tue, 05 Mar 2024 10:00:00 GMT")?.toISOString(), "2024-03-05T10:00:00.000Z");
    assert.equal(parseHttpDate("2024-03-05T10:00:00Z"), undefined);
  });
  it("parses ISO-8601 durations and refuses hh:mm:ss", () => {
    const cases: [string, number | undefined][] = [
      ["PT15M", 900_000], ["P7D", 604_800_000], ["PT1.5S", 1500], ["P1DT2H", 93_600_000],
      ["P10675199DT2H48M5.4775807S", 922337203685478], ["00:15:00", undefined], ["P", undefined], ["PT", undefined],
    ];
    for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
  });
  it("writes durations as the service does, to a tenth of a microsecond, and reads them back", () => {
    const cases: [number, string][] = [
      [0, "PT0S"], [0.00001, "PT0S"], [1500, "PT1.5S"], [0.0123, "PT0.0000123S"], [62_250, "PT1M2.25S"], [3_600_000, "PT1H"],
      [93_600_000, "P1DT2H"], [86_400_000, "P1D"], [90_061_001, "P1DT1H1M1.001S"], [-5, "PT0S"],
    ];
    for (const [ms, text] of cases) {
      assert.equal(formatDuration(ms), text, String(ms));
      assert.equal(parseDuration(text), Math.round(Math.max(0, ms)), text);
    }
  });
});

describe("matchesPredicate", () => {
  const entity = { id: "Pool-A", state: "active", executionInfo: { exitCode: 3 }, enabled: true };
  const cases: [Predicate, boolean][] = [
    [{ op: "eq", path: ["state"], kind: "enum", value: "active" }, true],
    [{ op: "ne", path: ["state"], kind: "enum", value: "active" }, false],
    [{ op: "gt", path: ["executionInfo", "exitCode"], kind: "int", value: 2 }, true],
    [{ op: "le", path: ["executionInfo", "exitCode"], kind: "int", value: 2 }, false],
    [{ op: "eq", path: ["missing"], kind: "int", value: 2 }, false],
    [{ op: "ne", path: ["missing"], kind: "int", value: 2 }, true],
    [{ op: "eq", path: ["missing"], kind: "int", value: null }, true],
    [{ op: "startswith", path: ["id"], kind: "caseInsensitiveString", value: "pool-" }, true],
    [{ op: "eq", path: ["enabled"], kind: "bool", value: true }, true],
    [{ op: "not", operand: { op: "eq", path: ["enabled"], kind: "bool", value: true } }, false],
    [{ op: "or", left: { op: "eq", path: ["state"], kind: "enum", value: "x" }, right: { op: "eq", path: ["id"], kind: "caseInsensitiveString", value: "pool-a" } }, true],
  ];
  cases.forEach(([predicate, expected], i) => {
    it(`case ${i}: ${JSON.stringify(predicate)}`, () => assert.equal(matchesPredicate(entity, predicate), expected));
  });
});
