import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startAzurite, type Azurite } from "../support/azurite.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const run = promisify(execFile);
const account = testAccounts.alpha;
const script = new URL("../../conformance/python/quickstart.py", import.meta.url).pathname;

describe("a quickstart-shaped workload through the official Python SDK", () => {
  let server: TestServer;
  let azurite: Azurite;
  before(async () => {
    [server, azurite] = await Promise.all([startTestServer({ agentHeartbeatIntervalInSeconds: 2 }), startAzurite()]);
    const inputs = await azurite.createContainer("input");
    const text = "input from blob storage\n";
    await inputs.getBlockBlobClient("taskdata.txt").upload(text, text.length);
    await azurite.createContainer("output");
  });
  after(async () => {
    await server?.dispose();
    await azurite?.stop();
  });

  it("runs 250 tasks added as a collection with resource files from a SAS URL and output files, retries a failing one, and serves every stdout.txt", async () => {
    const inputContainer = new URL(azurite.containerSasUrl("input", "r"));
    const inputUrl = `${inputContainer.origin}${inputContainer.pathname}/taskdata.txt${inputContainer.search}`;
    const outputUrl = azurite.containerSasUrl("output", "cw");
    const { stdout } = await run(
      "/usr/bin/python3",
      [script, server.url, account.name, account.key, "--tasks", "250", "--input-url", inputUrl, "--output-url", outputUrl],
      { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const result = JSON.parse(stdout);
    assert.equal(result.ok, true, stdout);
    assert.equal(result.added, 251);
    assert.deepEqual(result.statuses, ["success"]);
    assert.equal(result.stdoutsOk, 250);
    assert.equal(result.succeeded, 250);
    assert.deepEqual(result.failing, { state: "completed", exitCode: 3, retryCount: 2, result: "failure", failureCode: "FailureExitCode" });
    assert.equal(result.wdFile, "7");
    assert.deepEqual(result.counts, { active: 0, running: 0, completed: 251, succeeded: 250, failed: 1, completedSlots: 251 });
    for (const file of ["stdout.txt", "stderr.txt", "wd/out.txt", "wd/input.txt", "fileuploadout.txt"]) assert.ok(result.files.includes(file), `${file} in ${result.files}`);
    // Every task printed its resource file and uploaded out.txt and its complete stdout.txt.
    const stdouts = result.stdouts as Record<string, string>;
    assert.equal(Object.keys(stdouts).length, 250);
    const blobs = new Set(await azurite.listBlobNames("output"));
    assert.equal(blobs.size, 500);
    for (let i = 0; i < 250; i++) {
      const id = `task${i}`;
      assert.match(stdouts[id] ?? "", new RegExp(`^hello from ${id} on tvm-\\S+\ninput from blob storage\n$`));
      assert.equal(await azurite.readBlob("output", `results/${id}.txt`), `${i}\n`);
      assert.equal(await azurite.readBlob("output", `stdout/${id}.txt`), stdouts[id]);
    }
  });
});
