/**
 * Job schedules through the official Python SDK (azure-batch 13.0.1) on a simulated clock: the script asks for the
 * clock to move (a `{"advance": ms}` line on stdout) and this test moves the server's SimulatedClock, then answers
 * `ok` on the script's stdin. Acceptance for issue #7: `<id>:job-1`, `<id>:job-2`, … with one active at a time,
 * doNotRunAfter, the start window, and disable/enable/terminate/delete.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { SimulatedClock } from "@openbatch/core";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const python = "/usr/bin/python3";

function script(name: string): string {
  return fileURLToPath(new URL(`../../conformance/python/${name}`, import.meta.url));
}

/** Runs a script that may ask for clock moves; resolves with its final JSON document. */
function runWithClock(name: string, server: TestServer, clock: SimulatedClock, args: string[]): Promise<any> {
  const account = testAccounts.alpha;
  const child = spawn(python, [script(name), server.url, account.name, account.key, ...args], { env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  return new Promise((resolve, reject) => {
    let result: unknown;
    createInterface({ input: child.stdout }).on("line", (line) => {
      const message = JSON.parse(line) as { advance?: number };
      if (typeof message.advance === "number") {
        clock.advance(message.advance);
        child.stdin.write("ok\n");
      } else {
        result = message;
      }
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (result === undefined) reject(new Error(`${name} exited ${code} without a result:\n${stderr}`));
      else resolve(result);
    });
  });
}

describe("job schedules through the Python SDK on a simulated clock", () => {
  let server: TestServer;
  const clock = new SimulatedClock(new Date("2031-06-01T12:00:00Z"));
  before(async () => {
    server = await startTestServer({ localAgentEntry: undefined, clock, clockSkewInSeconds: 20 * 365 * 86_400 });
  });
  after(() => server.dispose());

  it("makes one job per minute, one active at a time, honours doNotRunAfter and the start window, and obeys disable/enable/terminate/delete", async () => {
    const result = await runWithClock("job_schedules.py", server, clock, ["--start", clock.now().toISOString()]);
    assert.equal(result.ok, true, JSON.stringify(result));
    const active = (jobs: [string, string][]) => jobs.filter(([, state]) => state !== "completed").length;
    const steps = result.recurring.steps as [string, string][][];
    for (const step of steps) assert.ok(active(step) <= 1, `one active job at a time: ${JSON.stringify(step)}`);
    assert.deepEqual(steps[0], [["pyrec:job-1", "active"]]);
    // Each minute: the due job waits for the active one; ending that one starts the next.
    for (let minute = 1; minute <= 3; minute++) {
      assert.equal(steps[2 * minute - 1]?.length, minute, `no job-${minute + 1} while job-${minute} is active`);
      assert.deepEqual(steps[2 * minute]?.at(-1), [`pyrec:job-${minute + 1}`, "active"]);
    }
    assert.deepEqual(result.recurring.final.map(([id]: [string]) => id), ["pyrec:job-1", "pyrec:job-2", "pyrec:job-3", "pyrec:job-4"], "no job after doNotRunAfter");
    assert.equal(active(result.recurring.final), 0);
    assert.equal(result.recurring.recentJob, "pyrec:job-4");
    assert.deepEqual(result.window, { before: "active", jobs: [] });
    assert.equal(result.duplicate, "JobScheduleExists");
    assert.deepEqual(result.control, {
      disabled: "disabled",
      enabled: "active",
      terminated: "completed",
      jobState: "completed",
      terminateReason: "TerminateJobSchedule",
      listedCompleted: ["pyctl", "pyrec", "pywin", "zprobe"],
      existsAfterDelete: false,
      jobAfterDelete: "JobNotFound",
    });
  });
});
