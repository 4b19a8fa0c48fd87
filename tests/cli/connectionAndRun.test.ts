/**
 * Where the command's connection comes from (flags, az's flags, OPENBATCH_* and AZURE_BATCH_* variables, saved
 * profiles in a 0600 file, the local default) and the commands beyond az: `openbatch run` (many inputs, a failure
 * summary with stderr tails, an auto pool) and `openbatch status`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { cliEnvironment, cliFor, runCli, show, type CliResult } from "../support/cli.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const ok = (result: CliResult) => assert.equal(result.code, 0, show(result));

describe("openbatch connections, run and status", () => {
  let server: TestServer;
  let directory: string;
  let cli: (...args: string[]) => Promise<CliResult>;

  before(async () => {
    server = await startTestServer();
    directory = mkdtempSync(join(tmpdir(), "openbatch-cli-run-"));
    cli = cliFor({ url: server.url, account: testAccounts.alpha });
    ok(await cli("pool", "create", "--id", "runpool", "--vm-size", "standard_d2s_v3", "--target-dedicated-nodes", "1", "--task-slots-per-node", "4"));
  });
  after(async () => {
    await server.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  it("takes the connection from az's flags and variables, and says where a refused key came from", async () => {
    const bare = cliEnvironment(undefined);
    const azFlags = await runCli(["pool", "list", "--query", "[].id", "--account-endpoint", server.url, "--account-name", testAccounts.alpha.name, "--account-key", testAccounts.alpha.key], bare);
    ok(azFlags);
    assert.deepEqual(azFlags.json(), ["runpool"]);
    const azEnvironment = cliEnvironment(undefined, { AZURE_BATCH_ENDPOINT: server.url, AZURE_BATCH_ACCOUNT: testAccounts.alpha.name, AZURE_BATCH_ACCESS_KEY: testAccounts.alpha.key });
    ok(await runCli(["pool", "show", "runpool"], azEnvironment));
    // OPENBATCH_* wins over AZURE_BATCH_*: the beta account sees no pool.
    const both = cliEnvironment(undefined, {
      AZURE_BATCH_ENDPOINT: server.url, AZURE_BATCH_ACCOUNT: testAccounts.alpha.name, AZURE_BATCH_ACCESS_KEY: testAccounts.alpha.key,
      OPENBATCH_ACCOUNT: testAccounts.beta.name, OPENBATCH_KEY: testAccounts.beta.key,
    });
    const beta = await runCli(["pool", "list"], both);
    ok(beta);
    assert.deepEqual(beta.json(), []);
    const mixed = await runCli(["pool", "list"], cliEnvironment(undefined, { AZURE_BATCH_ENDPOINT: server.url, AZURE_BATCH_ACCOUNT: testAccounts.alpha.name, AZURE_BATCH_ACCESS_KEY: testAccounts.beta.key }));
    assert.equal(mixed.code, 1);
    assert.match(mixed.stderr, /the account name came from AZURE_BATCH_ACCOUNT and the key from AZURE_BATCH_ACCESS_KEY/i);
    const notBase64 = await runCli(["pool", "list", "--key", "not a key!"], both);
    assert.equal(notBase64.code, 2);
    assert.match(notBase64.stderr, /the account key \(from --key\) is not base64/);
    const notUrl = await runCli(["pool", "list", "--endpoint", "localhost:8090"], both);
    assert.equal(notUrl.code, 2);
    assert.match(notUrl.stderr, /must start with http:\/\/ or https:\/\//);
  });

  it("defaults to the local development server, and says so when nothing listens there", async () => {
    const environment = cliEnvironment(undefined, { OPENBATCH_ENDPOINT: "http://127.0.0.1:9" });
    const shown = await runCli(["config", "show"], environment);
    ok(shown);
    assert.deepEqual({ account: shown.json().account, sources: shown.json().sources }, {
      account: "devbatch",
      sources: { endpoint: "OPENBATCH_ENDPOINT", account: "the development account", key: "the development account" },
    });
    assert.match(shown.json().key, /^EhLw…GA==$/, "the key is masked");
    const unreachable = await runCli(["pool", "list"], environment);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach the server at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)\. Is it running\? Start one with `npx openbatch serve`/);
    const defaults = await runCli(["config", "show", "--query", "endpoint"], cliEnvironment(undefined));
    assert.equal(defaults.json(), "http://127.0.0.1:8090");
  });

  it("saves a checked connection with login (mode 0600), uses it by default, switches and forgets profiles", async () => {
    const environment = cliEnvironment(undefined);
    const refused = await runCli(["login", "--endpoint", server.url, "--account", testAccounts.alpha.name, "--key", testAccounts.beta.key], environment);
    assert.equal(refused.code, 1, "login checks the key before saving it");
    assert.match(refused.stderr, /AuthenticationFailed/);
    const loggedIn = await runCli(["login", "--endpoint", server.url, "--account", testAccounts.alpha.name, "--key", testAccounts.alpha.key], environment);
    ok(loggedIn);
    const file = loggedIn.json().configFile as string;
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(file, "utf8")).profiles.default.key, testAccounts.alpha.key);
    assert.deepEqual((await runCli(["pool", "list", "--query", "[].id"], environment)).json(), ["runpool"], "the saved profile is the default");

    ok(await runCli(["account", "login", "--profile", "beta", "--endpoint", server.url, "--account", testAccounts.beta.name, "--key", testAccounts.beta.key, "--no-default"], environment));
    assert.deepEqual((await runCli(["pool", "list", "--profile", "beta"], environment)).json(), []);
    const profiles = await runCli(["config", "list"], environment);
    assert.deepEqual(profiles.json().map((profile: { name: string; isDefault: boolean }) => [profile.name, profile.isDefault]), [["default", true], ["beta", false]]);
    assert.ok(!profiles.stdout.includes(testAccounts.beta.key), "keys are masked");
    ok(await runCli(["config", "use", "beta"], environment));
    assert.equal((await runCli(["account", "show", "--query", "account"], environment)).json(), testAccounts.beta.name);
    ok(await runCli(["config", "set", "output", "table", "--profile", "default"], environment));
    const asTable = await runCli(["pool", "list", "--profile", "default"], environment);
    assert.equal(asTable.stdout.split("\n")[0]?.startsWith("Pool Id"), true, "the profile's output format");
    assert.equal((await runCli(["account", "list", "-o", "json", "--query", "length(@)"], environment)).json(), 2);
    assert.equal((await runCli(["config", "path", "-o", "tsv"], environment)).stdout.trim(), file);
    ok(await runCli(["logout", "--profile", "beta"], environment));
    const unknown = await runCli(["pool", "list", "--profile", "beta"], environment);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /there is no profile 'beta' \(profiles: default\)/);
    ok(await runCli(["logout"], cliEnvironment(undefined, { OPENBATCH_CONFIG_DIR: join(file, "..") })));
    assert.deepEqual(JSON.parse(readFileSync(file, "utf8")).profiles, {});
    writeFileSync(file, "{ not json");
    const corrupt = await runCli(["config", "show"], cliEnvironment(undefined, { OPENBATCH_CONFIG_DIR: join(file, "..") }));
    assert.equal(corrupt.code, 2);
    assert.match(corrupt.stderr, /is not a valid openbatch configuration/);
  });

  it("runs a command over a range, summarises the failures with their stderr, and exits 1", async () => {
    const ran = await cli("run", "--range", "1..12", "--job-id", "squares", "--interval", "0.2", "--",
      "n={}; echo $((n * n)); if [ $n -eq 5 ] || [ $n -eq 9 ]; then echo \"no luck with $n\" >&2; exit 7; fi");
    assert.equal(ran.code, 1, show(ran));
    const summary = ran.json();
    assert.deepEqual({ ...summary, failures: undefined }, { jobId: "squares", poolId: "runpool", tasks: 12, succeeded: 10, failed: 2, failures: undefined });
    assert.deepEqual(summary.failures.map((failure: { taskId: string; input: string; exitCode: number; stderrTail: string }) => [failure.taskId, failure.input, failure.exitCode, failure.stderrTail]), [
      ["task-05", "5", 7, "no luck with 5"],
      ["task-09", "9", 7, "no luck with 9"],
    ]);
    assert.match(ran.stderr, /2 of 12 tasks failed \(job squares\)/);
    assert.equal((await cli("task", "logs", "squares", "task-12")).stdout, "144\n");
    assert.equal((await cli("job", "show", "squares", "--query", "state")).json(), "completed", "the job is ended when the run is");
  });

  it("runs over the lines of a file (and stdin), quoting each input, without a shell when asked", async () => {
    const inputs = join(directory, "inputs.txt");
    writeFileSync(inputs, "plain\nwith space\n\nit's quoted\n");
    const ran = await cli("run", "--input-file", inputs, "--job-id", "lines", "--interval", "0.2", "-o", "table", "--", "printf '%s|' {} {#}");
    ok(ran);
    assert.equal(ran.stdout.split("\n")[0]?.startsWith("Property"), true, "no failures: the summary as a table");
    assert.equal((await cli("task", "logs", "lines", "task-2")).stdout, "with space|2|");
    assert.equal((await cli("task", "logs", "lines", "task-3")).stdout, "it's quoted|3|");
    const fromStdin = await runCli(["run", "--input-file", "-", "--job-id", "stdin", "--no-shell", "--interval", "0.2", "--", "/bin/echo"], cliEnvironment({ url: server.url, account: testAccounts.alpha }), { input: "a\nb\n" });
    ok(fromStdin);
    assert.equal(fromStdin.json().tasks, 2);
    assert.equal((await cli("task", "show", "stdin", "task-2", "--query", "commandLine")).json(), "/bin/echo b");
    const noWait = await cli("run", "--input", "x", "y", "--job-id", "nowait", "--no-wait", "--", "true");
    ok(noWait);
    assert.deepEqual(noWait.json(), { jobId: "nowait", tasks: 2 });
  });

  it("makes a pool of its own with --nodes, and refuses runs it cannot place", async () => {
    const ran = await cli("run", "--nodes", "1", "--range", "1..3", "--job-id", "autopooled", "--interval", "0.2", "--", "echo {}");
    ok(ran);
    assert.equal(ran.json().succeeded, 3);
    assert.equal(ran.json().poolId, "(auto pool)");
    const twoSources = await cli("run", "--range", "1..2", "--input", "a", "--", "echo");
    assert.equal(twoSources.code, 2);
    assert.match(twoSources.stderr, /exactly one of --input-file, --range and --input/);
    const badRange = await cli("run", "--range", "1-5", "--", "echo");
    assert.equal(badRange.code, 2);
    assert.match(badRange.stderr, /--range '1-5' must be FIRST\.\.LAST/);
    const unknownPool = await cli("run", "--pool-id", "nosuchpool", "--range", "1..2", "--", "echo");
    assert.equal(unknownPool.code, 3);
    assert.match(unknownPool.stderr, /\(PoolNotFound\)/);
    const beta = cliFor({ url: server.url, account: testAccounts.beta });
    const noPool = await beta("run", "--range", "1..2", "--", "echo");
    assert.equal(noPool.code, 2);
    assert.match(noPool.stderr, /the account has no pool: give --nodes N/);
  });

  it("shows pools, nodes and jobs on one screen", async () => {
    const status = await cli("status");
    ok(status);
    const value = status.json();
    assert.equal(value.account, testAccounts.alpha.name);
    const pool = value.pools.find((entry: { id: string }) => entry.id === "runpool");
    assert.deepEqual({ dedicated: pool.dedicated, nodes: pool.nodes }, { dedicated: "1/1", nodes: { idle: 1 } });
    const squares = value.jobs.find((job: { id: string }) => job.id === "squares");
    assert.deepEqual(squares.tasks, { active: 0, running: 0, completed: 12, succeeded: 10, failed: 2 });
    const table = await cli("status", "-o", "table");
    ok(table);
    assert.match(table.stdout, /^Account alphaacct at http:\/\/127\.0\.0\.1:\d+\n\nPools\nPool\s+State\s+Allocation/);
    assert.match(table.stdout, /\nrunpool\s+active\s+steady\s+standard_d2s_v3\s+1\/1\s+0\/0\s+1 idle\n/);
    assert.match(table.stdout, /\nJobs\nJob\s+State\s+Pool\s+Active\s+Running\s+Completed\s+Succeeded\s+Failed\n/);
    assert.match(table.stdout, /\nsquares\s+completed\s+runpool\s+0\s+0\s+12\s+10\s+2\n/);
  });
});
