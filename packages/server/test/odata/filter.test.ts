/**
 * `$filter` property names are looked up among the list's own filterable properties only: a name that Object.prototype
 * has (`__proto__`, `constructor`, `toString`…) is an unknown property (400 naming `$filter`), never a 500. Found by
 * tests/protocol/badInput.test.ts (`GET /poolusagemetrics?$filter=__proto__ Eq …`).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isServiceError } from "@openbatch/core";
import { filterableProperties } from "@openbatch/protocol";
import { parseFilter } from "../../src/odata/filter.js";

describe("parseFilter", () => {
  it("refuses Object.prototype's names as unknown properties, on every list", () => {
    for (const [target, properties] of Object.entries(filterableProperties)) {
      for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]) {
        assert.throws(
          () => parseFilter(`${name} eq 1`, properties),
          (error: unknown) => isServiceError(error) && error.code === "InvalidQueryParameterValue" && error.message.includes(`the property '${name}' cannot be used in a filter on this list`),
          `${target}: ${name}`,
        );
      }
    }
  });
});
