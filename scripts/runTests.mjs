// Runs every compiled test file (`**/dist/**/*.test.js` under packages/ and tests/) with Node's test runner.
// Arguments are passed through, e.g. `npm test -- --test-name-pattern=paging`.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

function findTests(directory, inDist = false) {
  const found = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) found.push(...findTests(path, inDist || entry.name === "dist"));
    else if (inDist && entry.name.endsWith(".test.js")) found.push(path);
  }
  return found;
}

const files = [...findTests("packages"), ...findTests("tests")].sort();
if (files.length === 0) {
  console.error("No compiled tests found: run `tsc -b` first.");
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...process.argv.slice(2), ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
