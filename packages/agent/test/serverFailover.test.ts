/**
 * An agent with several servers (replicas): it syncs with one at a time, moves on to the next when an exchange
 * fails, and adds the servers an answer names to those it was started with (session/serverUrls.ts).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { noIsolation, silentLogger, startAgent } from "../src/index.js";
import { ServerUrls, parseServerUrls } from "../src/session/serverUrls.js";
import { FakeSyncServer } from "./support/fakeSyncServer.js";

const token = "failover-token";

describe("server URLs", () => {
  it("parses one URL or a comma-separated list, refusing what is not an http(s) URL", () => {
    assert.deepEqual(parseServerUrls("http://a:1"), ["http://a:1"]);
    assert.deepEqual(parseServerUrls(" http://a:1/ , https://b:2,http://a:1"), ["http://a:1", "https://b:2"]);
    assert.throws(() => parseServerUrls("http://a:1,not a url"), /'not a url' is not a valid URL/);
    assert.throws(() => parseServerUrls("ftp://a"), /not an http\(s\) URL/);
    assert.throws(() => parseServerUrls(" , "), /no server URL/);
  });

  it("stays with a server until it fails, then takes the next in turn; learns new ones after those it knows", () => {
    const urls = new ServerUrls(["http://a", "http://b"]);
    assert.equal(urls.current, "http://a");
    urls.failed("http://b");
    assert.equal(urls.current, "http://a", "a failure of another server moves nothing");
    urls.failed("http://a");
    assert.equal(urls.current, "http://b");
    assert.deepEqual(urls.learn(["http://b/", "http://c", "file:///etc/passwd"]), ["http://c"]);
    urls.failed("http://b");
    assert.equal(urls.current, "http://c");
    urls.failed("http://c");
    assert.equal(urls.current, "http://a");
    assert.equal(urls.learn(Array.from({ length: 100 }, (_, i) => `http://n${i}`)).length, 61, "at most 64 kept");
  });
});

describe("an agent with several servers", () => {
  it("syncs with the first that answers, learns the servers an answer names, and fails over when its server goes away", async () => {
    const directory = await mkdtemp(join(tmpdir(), "ob-agent-failover-"));
    const gone = await FakeSyncServer.start({ token });
    await gone.close();
    const first = await FakeSyncServer.start({ token });
    const learned = await FakeSyncServer.start({ token });
    const agent = await startAgent({
      serverUrl: `${gone.url},${first.url}`,
      agentId: "agent-failover",
      token,
      dataDirectory: directory,
      waitInMs: 1000,
      backoff: { initialInMs: 10, maxInMs: 50 },
      logger: silentLogger,
      isolation: noIsolation("agent unit tests run unconfined"),
    });
    try {
      await first.waitForRequest(() => true);
      first.serverUrls = [learned.url];
      first.setDesired([]);
      await first.waitForRequest(() => first.requests.length >= 2);
      assert.equal(learned.requests.length, 0, "a server that answers is kept");
      await first.close();
      const request = await learned.waitForRequest(() => true);
      assert.equal(request.agentId, "agent-failover");
    } finally {
      await agent.close();
      await learned.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
