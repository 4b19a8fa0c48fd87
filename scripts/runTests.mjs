// Runs every compiled test file with Node's test runner, after checking that each `*.test.ts` source has its
// compiled twin (a test folder missing from a tsconfig would otherwise be skipped without a word); then the
// conformance suite (tests/conformance) a second time with its servers storing in PostgreSQL
// (OPENBATCH_TEST_STORE=postgres, tests/support/testServer.ts), so both store backends pass it in every run.
// Arguments are passed through, e.g. `npm test -- --test-name-pattern=paging`.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";

function walk(directory, accept) {
  const found = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) found.push(...walk(path, accept));
    else if (accept(entry.name)) found.push(path);
  }
  return found;
}

const projects = [...readdirSync("packages").map((name) => join("packages", name)), "tests"];
const files = [];
const missing = [];
for (const project of projects) {
  for (const source of walk(project, (name) => name.endsWith(".test.ts"))) {
    const compiled = join(project, "dist", relative(project, source)).replace(/\.ts$/, ".js");
    if (existsSync(compiled)) files.push(compiled);
    else missing.push(source.split(sep).join("/"));
  }
}
if (missing.length > 0 || files.length === 0) {
  console.error(`Tests without a compiled twin (is their folder in the tsconfig? did \`tsc -b\` run?):\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
files.sort();
const conformance = files.filter((file) => file.startsWith(join("tests", "dist", "conformance") + sep));
if (conformance.length === 0) {
  console.error("No compiled conformance tests in tests/dist/conformance");
  process.exit(1);
}
const run = (testFiles, env = {}) =>
  spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...process.argv.slice(2), ...testFiles], { stdio: "inherit", env: { ...process.env, ...env } }).status ?? 1;
const all = run(files);
console.log("\nThe conformance suite again, on the PostgreSQL store (OPENBATCH_TEST_STORE=postgres):");
// Nothing is printed after this run: the test runner's summary stays the output's last lines.
const onPostgres = run(conformance, { OPENBATCH_TEST_STORE: "postgres" });
process.exit(all !== 0 ? all : onPostgres);
