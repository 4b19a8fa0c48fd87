import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readAccountsFile } from "../../src/accounts.js";
import { agentEnvironment } from "../../src/providers/local/localProvider.js";
import { secureDataDirectory } from "../../src/security/dataDirectory.js";

const scratch = mkdtempSync(join(tmpdir(), "openbatch-secrets-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("what local agents inherit", () => {
  it("passes the locale, proxies, Node's and the agents' own settings, and nothing that holds a key", () => {
    const environment = agentEnvironment(
      {
        PATH: "/usr/bin",
        HOME: "/root",
        LANG: "C.UTF-8",
        LC_ALL: "C",
        HTTPS_PROXY: "http://proxy:3128",
        NODE_OPTIONS: "--max-old-space-size=512",
        OPENBATCH_AGENT_SPAWNER: "node",
        OPENBATCH_AGENT_TOKEN: "the server's own, if it had one",
        OPENBATCH_ACCOUNTS: "acct:a2V5",
        OPENBATCH_ACCOUNTS_FILE: "/etc/openbatch/accounts",
        OPENBATCH_AUTO_STORAGE_CONNECTION_STRING: "AccountKey=secret",
        AWS_SECRET_ACCESS_KEY: "x",
        SOME_PASSWORD: "y",
      },
      "agent-token",
      true,
    );
    assert.deepEqual(environment, {
      PATH: "/usr/bin",
      HOME: "/root",
      LANG: "C.UTF-8",
      LC_ALL: "C",
      HTTPS_PROXY: "http://proxy:3128",
      NODE_OPTIONS: "--max-old-space-size=512",
      OPENBATCH_AGENT_SPAWNER: "node",
      OPENBATCH_AGENT_TOKEN: "agent-token",
    });
  });

  it("tells agents to run tasks unconfined when task isolation is off", () => {
    assert.equal(agentEnvironment({}, "t", false)["OPENBATCH_AGENT_ISOLATION"], "off");
    assert.equal(agentEnvironment({ OPENBATCH_AGENT_ISOLATION: "off" }, "t", true)["OPENBATCH_AGENT_ISOLATION"], "off", "an operator's own setting is kept");
    assert.equal(agentEnvironment({}, "t", true)["OPENBATCH_AGENT_ISOLATION"], undefined);
  });
});

describe("the data directory", () => {
  it("is made private, with its database and secret files, also when they existed with laxer modes", () => {
    const dataDir = join(scratch, "data");
    secureDataDirectory(dataDir);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dataDir, "openbatch.db")).mode & 0o777, 0o600, "created private before SQLite opens it");
    chmodSync(dataDir, 0o755);
    for (const file of ["openbatch.db", "agent-secret", "task-token-secret", "openbatch.db-wal"]) writeFileSync(join(dataDir, file), "x", { mode: 0o644 });
    secureDataDirectory(dataDir);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    for (const file of ["openbatch.db", "agent-secret", "task-token-secret", "openbatch.db-wal"]) assert.equal(statSync(join(dataDir, file)).mode & 0o777, 0o600, file);
  });
});

describe("accounts files", () => {
  it("reads NAME:KEY lines, skipping blanks and comments, and refuses a file others may read", () => {
    const file = join(scratch, "accounts");
    const key = Buffer.from("accounts-file-key-0123456789ab").toString("base64");
    writeFileSync(file, `# comment\n\n  first:${key}  \nsecond:${key}\r\n`, { mode: 0o600 });
    assert.deepEqual(readAccountsFile(file), [{ name: "first", key }, { name: "second", key }]);
    chmodSync(file, 0o640);
    assert.throws(() => readAccountsFile(file), /other users may read it \(mode 640\)/);
    assert.throws(() => readAccountsFile(join(scratch, "missing")), /cannot be read \(ENOENT\)/);
  });
});
