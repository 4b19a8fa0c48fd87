import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { randomCryptSalt, sha512Crypt } from "../../src/nodes/passwordHash.js";

describe("sha512Crypt", () => {
  it("gives the specification's test vectors (default rounds)", () => {
    assert.equal(
      sha512Crypt("Hello world!", "saltstring"),
      "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    );
    // A salt longer than 16 characters is cut to 16.
    assert.equal(
      sha512Crypt("This is just a test", "toolongsaltstring"),
      "$6$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0",
    );
  });

  it("agrees with openssl passwd -6 for short, long and non-ASCII passwords", (t) => {
    if (spawnSync("openssl", ["version"]).status !== 0) return t.skip("openssl is not installed");
    for (const password of ["x", "a".repeat(64), "b".repeat(200), "pässwörd-€-日本", "with:colon and space"]) {
      const salt = randomCryptSalt();
      const expected = spawnSync("openssl", ["passwd", "-6", "-salt", salt, "-stdin"], { input: `${password}\n`, encoding: "utf8" }).stdout.trim();
      assert.equal(sha512Crypt(password, salt), expected, JSON.stringify(password));
    }
  });

  it("salts each hash afresh from the crypt alphabet", () => {
    const salt = randomCryptSalt();
    assert.match(salt, /^[./0-9A-Za-z]{16}$/);
    assert.notEqual(sha512Crypt("same"), sha512Crypt("same"));
    assert.match(sha512Crypt("same"), /^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
  });
});
