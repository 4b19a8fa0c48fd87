import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isServiceError } from "@openbatch/core";
import { TaskAddParameter, validateBody } from "../src/index.js";

function refusal(body: unknown): { code: string; property: string | undefined } {
  try {
    validateBody(TaskAddParameter, body);
  } catch (error) {
    assert.ok(isServiceError(error));
    return { code: error.code, property: error.values?.find((detail) => detail.key === "PropertyName")?.value };
  }
  assert.fail("the body was accepted");
}

describe("strings fit for a process or a path", () => {
  it("refuses a NUL or a lone surrogate in any value, naming its property", () => {
    assert.deepEqual(refusal({ id: "\ud800", commandLine: "x" }), { code: "InvalidPropertyValue", property: "id" });
    assert.deepEqual(refusal({ id: "t", commandLine: "/bin/echo \u0000X=1" }), { code: "InvalidPropertyValue", property: "commandLine" });
    assert.deepEqual(refusal({ id: "t", commandLine: "x", environmentSettings: [{ name: "A", value: "b\udc00" }] }), { code: "InvalidPropertyValue", property: "environmentSettings[0].value" });
    assert.deepEqual(refusal({ id: "t", commandLine: "x", environmentSettings: [{ name: "A\u0000" }] }), { code: "InvalidPropertyValue", property: "environmentSettings[0].name" });
  });

  it("accepts surrogate pairs and every other character", () => {
    const body = { id: "t", commandLine: "/bin/echo 池🙂 \u0001\t\u202e\u007f", displayName: "\ud83d\ude00" };
    assert.deepEqual(validateBody(TaskAddParameter, body), body);
  });

  it("lets a caller that only records facts opt out", () => {
    assert.equal(validateBody<{ commandLine: string }>(TaskAddParameter, { id: "t", commandLine: "a\u0000b" }, { anyStrings: true }).commandLine, "a\u0000b");
  });
});
