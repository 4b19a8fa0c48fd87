/// <reference types="node" />
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isServiceError } from "@openbatch/core";
import { acceptedQueryParameters, extensionOperations, operations, operationsById } from "../src/operations.js";
import { parseQueryParameters, queryParameters } from "../src/queryParameters.js";

function refusal(run: () => unknown): { code: string; values: Record<string, string> } {
  try {
    run();
  } catch (error) {
    assert.ok(isServiceError(error), String(error));
    return { code: error.code, values: Object.fromEntries(error.values.map(({ key, value }) => [key, value])) };
  }
  assert.fail("expected a ServiceError");
}

describe("query parameters", () => {
  it("declares a type for every query parameter an operation takes", () => {
    for (const operation of [...operations, ...extensionOperations]) {
      for (const name of acceptedQueryParameters(operation)) assert.ok(Object.hasOwn(queryParameters, name), `${operation.operationId}: ${name}`);
    }
  });

  it("adds the continuation token to paged operations only", () => {
    assert.deepEqual(acceptedQueryParameters(operationsById.get("Pool_List")!), ["$filter", "$select", "$expand", "maxresults", "$skiptoken"]);
    assert.deepEqual(acceptedQueryParameters(operationsById.get("Pool_Get")!), ["$select", "$expand"]);
  });

  it("parses each value as its declared type and leaves absent and foreign names out", () => {
    const query = new Map([
      ["maxresults", "25"],
      ["recursive", "TRUE"],
      ["$filter", "name eq 'a b'"],
      ["$skiptoken", "abc"],
      ["starttime", "2024-03-05T10:00:00Z"],
      ["api-version", "2024-02-01.19.0"],
    ]);
    assert.deepEqual(parseQueryParameters(["maxresults", "recursive", "$filter", "$select", "starttime"], query), {
      maxresults: 25,
      recursive: true,
      $filter: "name eq 'a b'",
      starttime: new Date("2024-03-05T10:00:00Z"),
    });
    assert.deepEqual(parseQueryParameters(["recursive"], new Map([["recursive", "false"]])), { recursive: false });
  });

  it("refuses a malformed value with InvalidQueryParameterValue naming the parameter and the value", () => {
    const cases: [name: "maxresults" | "recursive" | "starttime" | "recoverafterseconds", value: string][] = [
      ["maxresults", "ten"],
      ["maxresults", "-1"],
      ["maxresults", "1.5"],
      ["maxresults", ""],
      ["recursive", "yes"],
      ["recursive", ""],
      ["starttime", "yesterday"],
      ["recoverafterseconds", "30s"],
    ];
    for (const [name, value] of cases) {
      const error = refusal(() => parseQueryParameters([name], new Map([[name, value]])));
      assert.equal(error.code, "InvalidQueryParameterValue", `${name}=${value}`);
      assert.equal(error.values["QueryParameterName"], name);
      assert.equal(error.values["QueryParameterValue"], value);
      assert.match(error.values["Reason"] ?? "", new RegExp(`^${name} must be`));
    }
  });
});
