/**
 * Autoscale acceptance through the official Python SDK (azure-batch 13.0.1) against a real server with real local
 * agents. The server's clock runs 60× faster than real time, so the shortest allowed interval (5 minutes) passes in
 * 5 real seconds; heartbeat timeout and clock skew are widened to match.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const execFileAsync = promisify(execFile);
const python = "/usr/bin/python3";
const script = fileURLToPath(new URL("../../conformance/python/autoscale.py", import.meta.url));
const speed = 60;

describe("autoscale through the Python SDK", () => {
  let server: TestServer;
  before(async () => {
    assert.ok(existsSync(python), `${python} with azure-batch is needed (apt-get install -y python3-azure)`);
    const realStart = Date.now();
    server = await startTestServer({
      clock: { now: () => new Date(realStart + (Date.now() - realStart) * speed) },
      autoscaleTickInMs: 100,
      nodeHeartbeatTimeoutInSeconds: 30 * 24 * 3600,
      clockSkewInSeconds: 365 * 24 * 3600,
    });
  });
  after(() => server.dispose());

  it("evaluates, refuses a syntax error, grows with queued tasks and shrinks when they finish", async () => {
    const account = testAccounts.alpha;
    const { stdout } = await execFileAsync(python, [script, server.url, account.name, account.key, "--pool", "autoscaled"], {
      timeout: 200_000,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    const result = JSON.parse(stdout.trim()) as { ok: boolean; steps: Record<string, any>; error?: unknown; exception?: unknown };
    assert.equal(result.ok, true, stdout);
    const { steps } = result;
    assert.deepEqual(steps["enabled"], {
      enableAutoScale: true,
      interval: "0:05:00",
      results: "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion;pending=0",
      target: 0,
    });
    assert.deepEqual(steps["evaluate"], { results: "$TargetDedicatedNodes=2;$TargetLowPriorityNodes=1;$NodeDeallocationOption=requeue;mid=3.5", hasTimestamp: true, error: null });
    assert.equal(steps["syntaxError"].code, "AutoScalingFormulaSyntaxError");
    assert.equal(steps["syntaxError"].statusCode, 400);
    assert.equal(steps["syntaxError"].lang, "en-US");
    assert.match(steps["syntaxError"].values.find((v: { key: string }) => v.key === "Message").value, /^Line 1, Col 31: Unexpected end of formula$/);
    assert.deepEqual(steps["grown"], { target: 3, current: 3, results: "$TargetDedicatedNodes=3;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion;pending=3" });
    assert.deepEqual(steps["tasks"], [0, 0, 0]);
    assert.deepEqual(steps["shrunk"], { target: 0, current: 0, results: "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion;pending=0" });
    assert.equal(steps["disabled"], false);
  });
});
