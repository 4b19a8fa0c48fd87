/**
 * The memory of pulls that vouch for an image (containers/checkedImages.ts, images.ts `checkKey`): what a later run
 * may use without pulling, for how long, and never for other credentials. The pulls themselves run on a real
 * podman in tests/containers/.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CheckedImages } from "../src/containers/checkedImages.js";
import { checkKey } from "../src/containers/images.js";
import { detectContainerRuntime } from "../src/containers/runtime.js";

const image = "registry.example.com:5000/team/app:1";
const alice = { registryServer: "registry.example.com:5000", username: "alice", password: "a-secret" };

describe("checkKey", () => {
  it("differs with any part of the credentials and with the image, and keeps no password", () => {
    const key = checkKey(image, alice);
    assert.equal(checkKey(image, { ...alice }), key);
    // The same server written another way is the same credentials.
    assert.equal(checkKey(image, { ...alice, registryServer: "https://REGISTRY.example.com:5000/" }), key);
    for (const other of [
      checkKey(image, { ...alice, password: "another" }),
      checkKey(image, { ...alice, username: "bob" }),
      checkKey(image, { ...alice, registryServer: "other.example.com" }),
      checkKey(image, undefined),
      checkKey(`${image}-other`, alice),
    ]) {
      assert.notEqual(other, key);
    }
    assert.doesNotMatch(key, /a-secret|alice/);
    // Credentials without a user name are no credentials (as credentialsFor treats them).
    assert.equal(checkKey(image, { registryServer: alice.registryServer }), checkKey(image, undefined));
  });
});

describe("CheckedImages", () => {
  it("gives the image ID a pull gave until its time is up, then forgets it", () => {
    let now = 1_000;
    const checked = new CheckedImages(300_000, () => now);
    const key = checkKey(image, alice);
    assert.equal(checked.get(key), undefined);
    checked.remember(key, "sha256:1111");
    now += 299_999;
    assert.equal(checked.get(key), "sha256:1111");
    assert.equal(checked.get(checkKey(image, { ...alice, password: "wrong" })), undefined, "other credentials find nothing");
    now += 1;
    assert.equal(checked.get(key), undefined);
    // A later pull starts a new period.
    checked.remember(key, "sha256:2222");
    assert.equal(checked.get(key), "sha256:2222");
    checked.forget(key);
    assert.equal(checked.get(key), undefined);
  });

  it("remembers nothing with a time of 0, and keeps at most maxEntries, dropping the oldest", () => {
    const never = new CheckedImages(0);
    never.remember("k", "sha256:1");
    assert.equal(never.get("k"), undefined);
    const small = new CheckedImages(60_000, Date.now, 2);
    small.remember("a", "1");
    small.remember("b", "2");
    small.remember("a", "3");
    small.remember("c", "4");
    assert.equal(small.get("b"), undefined, "b is the oldest once a is remembered again");
    assert.equal(small.get("a"), "3");
    assert.equal(small.get("c"), "4");
  });
});

describe("OPENBATCH_AGENT_IMAGE_CHECK_TTL", () => {
  it("is refused, naming the variable, unless it is a number of seconds", async () => {
    for (const value of ["soon", "-1", "Infinity"]) {
      const detection = await detectContainerRuntime({ PATH: "/usr/bin", OPENBATCH_AGENT_IMAGE_CHECK_TTL: value }, "linux");
      assert.equal(detection.runtime, undefined, value);
      assert.match(detection.runtime === undefined ? detection.reason : "", /OPENBATCH_AGENT_IMAGE_CHECK_TTL must be a number of seconds/, value);
    }
  });

  it("sets how long the runtime's pulls vouch for an image (default 300 s)", async () => {
    const byDefault = await detectContainerRuntime({ PATH: "/usr/bin" }, "linux");
    assert.equal(byDefault.runtime?.checkedImages.ttlInMs, 300_000, byDefault.runtime === undefined ? byDefault.reason : "");
    const off = await detectContainerRuntime({ PATH: "/usr/bin", OPENBATCH_AGENT_IMAGE_CHECK_TTL: "0" }, "linux");
    assert.equal(off.runtime?.checkedImages.ttlInMs, 0);
  });
});
