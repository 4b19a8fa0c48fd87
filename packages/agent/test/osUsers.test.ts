import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DesiredNodeUser } from "@openbatch/protocol";
import { accountExpiryDate } from "../src/nodes/osUserCommands.js";
import { isSafeUserName, osUserSupport, planAccount, userFingerprint } from "../src/nodes/osUsers.js";

const user = (overrides: Partial<DesiredNodeUser> = {}): DesiredNodeUser => ({ name: "obu", isAdmin: false, expiryTime: "2030-01-01T10:00:00Z", ...overrides });

describe("OS user planning", () => {
  it("adds this agent's new wishes and marks the last changed one to apply", () => {
    const plan = planAccount({ "p/other": { agentId: "b", fingerprint: "f" } }, "a", new Map([["p/n1", user()], ["p/n2", user({ isAdmin: true })]]));
    assert.deepEqual(Object.keys(plan.holders).sort(), ["p/n1", "p/n2", "p/other"]);
    assert.deepEqual(plan.changed, { node: "p/n2", user: user({ isAdmin: true }) });
  });

  it("changes nothing for wishes already applied, and lets go of this agent's nodes that no longer want it", () => {
    const applied = user({ sshPublicKey: "ssh-ed25519 AAAA k" });
    const holders = {
      "p/kept": { agentId: "a", fingerprint: userFingerprint(applied) },
      "p/gone": { agentId: "a", fingerprint: "x" },
      "p/theirs": { agentId: "b", fingerprint: "y" },
    };
    const plan = planAccount(holders, "a", new Map([["p/kept", applied]]));
    assert.deepEqual(Object.keys(plan.holders).sort(), ["p/kept", "p/theirs"]);
    assert.equal(plan.changed, undefined);
    assert.deepEqual(plan.anyWish, applied);
    // Another agent's holder is never dropped by this one; with no wish of its own this agent holds nothing.
    assert.deepEqual(Object.keys(planAccount(holders, "a", new Map()).holders), ["p/theirs"]);
    assert.deepEqual(planAccount({ "p/gone": { agentId: "a", fingerprint: "x" } }, "a", new Map()).holders, {});
  });

  it("fingerprints every applied fact, so a new password, key, expiry or admin flag is applied again", () => {
    const base = userFingerprint(user());
    for (const changed of [user({ passwordHash: "$6$s$h" }), user({ sshPublicKey: "k" }), user({ expiryTime: "2031-01-01T00:00:00Z" }), user({ isAdmin: true })]) {
      assert.notEqual(userFingerprint(changed), base);
    }
  });
});

describe("OS user rules", () => {
  it("accepts Azure's Linux user names and nothing a command could misread", () => {
    for (const name of ["obu", "_svc", "Alice.B-1", "a".repeat(32)]) assert.ok(isSafeUserName(name), name);
    for (const name of ["", "-rf", "1234", "a b", "a:b", "a/b", "dot.", "../x", "a".repeat(33), "naïve"]) assert.ok(!isSafeUserName(name), name);
  });

  it("expires an account at the first UTC midnight at or after its expiry time", () => {
    assert.equal(accountExpiryDate("2030-01-01T10:00:00Z"), "2030-01-02");
    assert.equal(accountExpiryDate("2030-01-01T00:00:00.0000000Z"), "2030-01-01");
    assert.throws(() => accountExpiryDate("not a date"));
  });

  it("manages OS accounts only as root on Linux, unless switched off", () => {
    assert.deepEqual(osUserSupport({}, "linux", 0), { enabled: true });
    assert.equal(osUserSupport({ OPENBATCH_AGENT_OS_USERS: "off" }, "linux", 0).enabled, false);
    assert.equal(osUserSupport({}, "linux", 1000).enabled, false);
    assert.equal(osUserSupport({}, "darwin", 0).enabled, false);
  });
});
