import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { parseAgentArguments, UsageError } from "../src/index.js";
import { FakeSyncServer, desiredNode } from "./support/fakeSyncServer.js";

const mainScript = fileURLToPath(new URL("../src/main.js", import.meta.url));
const token = "main-test-secret-token";

function runMain(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [mainScript, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("agent process (main.js)", () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "ob-agent-main-"));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("runs a node and exits 0 when the server says shutdown, never logging the token", async () => {
    const server = await FakeSyncServer.start({ token, desired: [desiredNode({ nodeId: "m1", startTask: { commandLine: "/bin/sh -c 'echo ok'" }, startTaskAttempt: 1 })] });
    try {
      const running = runMain(["--server", server.url, "--agent-id", "main-agent", "--data-dir", directory], { OPENBATCH_AGENT_TOKEN: token });
      await server.waitForRequest((request) => request.nodes[0]?.startTask?.state === "completed");
      server.setDesired([], true);
      const { code, stderr } = await running;
      assert.equal(code, 0, stderr);
      assert.ok(!stderr.includes(token), "the token is not logged");
      const lines = stderr.trim().split("\n").map((line) => JSON.parse(line) as { level: string; msg: string });
      assert.ok(lines.some((line) => line.msg === "agent started"));
      assert.ok(lines.some((line) => line.msg === "agent stopped"));
    } finally {
      await server.close();
    }
  });

  it("exits 3 when the server refuses its credentials", async () => {
    const server = await FakeSyncServer.start({ token: "the-right-one" });
    try {
      const { code, stderr } = await runMain(["--server", server.url, "--agent-id", "main-401", "--data-dir", directory, "--token", token], {});
      assert.equal(code, 3, stderr);
      assert.ok(!stderr.includes(token));
    } finally {
      await server.close();
    }
  });

  it("exits 2 on usage errors without echoing values", async () => {
    const { code, stderr } = await runMain(["--token", token, "--bogus", "x"], {});
    assert.equal(code, 2);
    assert.match(stderr, /Unknown argument '--bogus'/);
    assert.ok(!stderr.includes(token));
  });
});

describe("parseAgentArguments", () => {
  it("reads flags, --flag=value and the environment; flags win", async () => {
    const parsed = parseAgentArguments(["--server=http://s:1", "--agent-id", "a1", "--verbose"], {
      OPENBATCH_AGENT_SERVER: "http://ignored:2",
      OPENBATCH_AGENT_TOKEN: "t",
      OPENBATCH_AGENT_DATA_DIR: "/data",
      OPENBATCH_AGENT_HOST_IP: "10.0.0.5",
    });
    assert.deepEqual(parsed.options, { serverUrl: "http://s:1", agentId: "a1", token: "t", dataDirectory: "/data", hostIp: "10.0.0.5", fileServerPort: 0 });
    assert.equal(parsed.verbose, true);
  });

  it("takes several servers, comma-separated, and refuses a list with something that is not a URL", () => {
    const env = { OPENBATCH_AGENT_TOKEN: "t", OPENBATCH_AGENT_DATA_DIR: "/data", OPENBATCH_AGENT_ID: "a1" };
    assert.equal(parseAgentArguments(["--server", "http://s:1,http://s:2"], env).options.serverUrl, "http://s:1,http://s:2");
    assert.throws(() => parseAgentArguments(["--server", "http://s:1,s2"], env), /--server is not a valid URL \(or comma-separated list of URLs\)/);
  });

  it("reads the token from a file", async () => {
    const directory = await mkdtemp(join(tmpdir(), "ob-agent-token-"));
    try {
      await writeFile(join(directory, "token"), "from-file\n");
      const parsed = parseAgentArguments(["--server", "http://s", "--agent-id", "a", "--data-dir", "/d", "--token-file", join(directory, "token")], {});
      assert.equal(parsed.options.token, "from-file");
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("refuses missing or malformed values", () => {
    const env = { OPENBATCH_AGENT_TOKEN: "t", OPENBATCH_AGENT_DATA_DIR: "/d", OPENBATCH_AGENT_ID: "a" };
    assert.throws(() => parseAgentArguments([], env), UsageError);
    assert.throws(() => parseAgentArguments(["--server", "not a url"], env), UsageError);
    assert.throws(() => parseAgentArguments(["--server"], env), UsageError);
    assert.throws(() => parseAgentArguments(["--server", "http://s", "--file-server-port", "70000"], env), UsageError);
    assert.throws(() => parseAgentArguments(["--server", "http://s"], { ...env, OPENBATCH_AGENT_TOKEN: "" }), UsageError);
    assert.throws(() => parseAgentArguments(["--server", "http://s"], { ...env, OPENBATCH_AGENT_REPORT_BATCHING_MS: "soon" }), /OPENBATCH_AGENT_REPORT_BATCHING_MS must be/);
  });

  it("reads how long reports may wait to go out together", async () => {
    const env = { OPENBATCH_AGENT_TOKEN: "t", OPENBATCH_AGENT_ID: "a", OPENBATCH_AGENT_DATA_DIR: "/d" };
    assert.equal(parseAgentArguments(["--server", "http://s"], { ...env, OPENBATCH_AGENT_REPORT_BATCHING_MS: "0" }).options.reportBatchingInMs, 0);
    assert.equal(parseAgentArguments(["--server", "http://s"], { ...env, OPENBATCH_AGENT_REPORT_BATCHING_MS: "25" }).options.reportBatchingInMs, 25);
    assert.equal(parseAgentArguments(["--server", "http://s"], env).options.reportBatchingInMs, undefined);
  });
});
