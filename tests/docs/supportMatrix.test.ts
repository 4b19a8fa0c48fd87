import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { it } from "node:test";

const script = new URL("../../../scripts/supportMatrix.mjs", import.meta.url).pathname;

it("docs/support-matrix.md matches the operation table and the server's handlers", () => {
  const result = spawnSync(process.execPath, [script, "--check"], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
});
