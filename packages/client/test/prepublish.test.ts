/** The prepublishOnly check (scripts/checkPackage.mjs) passes on the built package: `npm publish` would go ahead. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

it("passes the prepublishOnly check: built, typed, only dist/src and the README packed", () => {
  const script = fileURLToPath(new URL("../../scripts/checkPackage.mjs", import.meta.url));
  const result = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^@openbatch\/client 0\.1\.0: \d+ files, \d+ bytes packed; ready to publish\.$/m);
});
