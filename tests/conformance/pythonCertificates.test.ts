/** Certificates through the official Python SDK (azure-batch 13.0.1): the add/list/get/delete round trip of issue #7. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { certificateFixture, certificateFixturePath as fixture, sha1Thumbprint } from "../support/certificateFixtures.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const run = promisify(execFile);

describe("certificates through the Python SDK", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ localAgentEntry: undefined });
  });
  after(() => server.dispose());

  it("adds, gets, lists, deletes and cancels a failed deletion", async () => {
    const pfxThumbprint = sha1Thumbprint(certificateFixture("openbatch-test.cer"));
    const cerThumbprint = sha1Thumbprint(certificateFixture("openbatch-second.cer"));
    const account = testAccounts.alpha;
    const { stdout } = await run("/usr/bin/python3", [
      fileURLToPath(new URL("../../conformance/python/certificates.py", import.meta.url)),
      server.url, account.name, account.key,
      "--pfx", fixture("openbatch-test.pfx"), "--password", "openbatch-test", "--pfx-thumbprint", pfxThumbprint,
      "--cer", fixture("openbatch-second.cer"), "--cer-thumbprint", cerThumbprint,
    ], { timeout: 60_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
    const result = JSON.parse(stdout.trim());
    assert.equal(result.ok, true, stdout);
    assert.equal(result.got.thumbprint.toLowerCase(), pfxThumbprint.toLowerCase());
    assert.equal(result.got.algorithm, "sha1");
    assert.equal(result.got.state, "active");
    assert.equal(result.got.hasPublicData, true);
    assert.match(result.got.url, /\/certificates\(thumbprintAlgorithm=sha1,thumbprint=/);
    assert.deepEqual(result.listed, [pfxThumbprint, cerThumbprint].map((t) => t.toLowerCase()).sort());
    assert.equal(result.duplicate, "CertificateExists");
    assert.equal(result.afterDelete, "CertificateNotFound");
    assert.deepEqual(result.inUse, { state: "deletefailed", previousState: "deleting", errorCode: "CertificateInUse" });
    assert.equal(result.cancelled, "active");
  });
});
