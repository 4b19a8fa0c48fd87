/**
 * `openbatch application` end to end: the real CLI process uploads a zip to a real server through the admin
 * endpoint, sets and clears the default version, and reports refusals with the server's error code.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { makeZip } from "../support/zipFixture.js";

const run = promisify(execFile);
const main = new URL("../../../packages/cli/dist/src/main.js", import.meta.url).pathname;
const account = testAccounts.alpha;

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [main, "application", ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === "number" ? failed.code : -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

describe("openbatch application", () => {
  let server: TestServer;
  let directory: string;
  let zipPath: string;
  const connection = () => ["--account", account.name, "--key", account.key, "--endpoint", server.url];

  before(async () => {
    server = await startTestServer({ localAgentEntry: undefined });
    directory = mkdtempSync(join(tmpdir(), "openbatch-cli-app-"));
    zipPath = join(directory, "tool.zip");
    writeFileSync(zipPath, await makeZip([{ name: "tool.sh", mode: 0o755, content: "#!/bin/sh\necho tool\n" }]));
  });
  after(async () => {
    await server.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  it("uploads a zip as a version, makes it the default, and the Application group lists it", async () => {
    const uploaded = await cli(["upload", ...connection(), "--display-name", "The Tool", "--set-default", "cli-tool", "3.1", zipPath]);
    assert.equal(uploaded.code, 0, uploaded.stderr);
    const printed = JSON.parse(uploaded.stdout);
    assert.equal(printed.defaultVersion, "3.1");
    assert.equal(printed.packages[0].version, "3.1");
    assert.match(printed.packages[0].sha256, /^[0-9a-f]{64}$/);
    const got = await batchRequest(server.url, { path: `/applications/cli-tool?api-version=${apiVersion}`, account });
    assert.equal(got.status, 200, got.text);
    assert.deepEqual({ displayName: got.json.displayName, versions: got.json.versions }, { displayName: "The Tool", versions: ["3.1"] });
  });

  it("takes the connection from the az CLI's environment variables, and clears the default", async () => {
    const env = { AZURE_BATCH_ACCOUNT: account.name, AZURE_BATCH_ACCESS_KEY: account.key, AZURE_BATCH_ENDPOINT: server.url };
    const cleared = await cli(["set-default", "cli-tool", "--clear"], env);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.equal(JSON.parse(cleared.stdout).defaultVersion, undefined);
    const shown = await cli(["show", "cli-tool"], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(JSON.parse(shown.stdout).versions, ["3.1"]);
  });

  it("exits 1 with the server's error code when the request is refused", async () => {
    const wrongKey = await cli(["upload", "--account", account.name, "--key", testAccounts.beta.key, "--endpoint", server.url, "cli-tool", "4.0", zipPath]);
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /HTTP 403 AuthenticationFailed/);
    const notZip = await cli(["upload", ...connection(), "cli-tool", "4.0", main]);
    assert.equal(notZip.code, 1);
    assert.match(notZip.stderr, /HTTP 400 InvalidRequestBody/);
    const noVersion = await cli(["set-default", ...connection(), "cli-tool", "9.9"]);
    assert.equal(noVersion.code, 1);
    assert.match(noVersion.stderr, /InvalidPropertyValue/);
    const missingFile = await cli(["upload", ...connection(), "cli-tool", "4.0", join(directory, "absent.zip")]);
    assert.equal(missingFile.code, 2, "a usage error: nothing was sent");
    assert.match(missingFile.stderr, /not a readable file/);
  });
});
