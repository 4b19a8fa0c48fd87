/**
 * The scheduling loop's safety net proves the wake-ups right (docs/architecture.md, "Server core"): work that
 * becomes placeable without a wake-up still starts, late, and is counted as a missed wake-up — which fails a test's
 * `dispose()`. Here the miss is made on purpose: a task row is written into the server's database through a second
 * store, bypassing the server's transactions and so its effects, as a code path that forgot its wake-up would.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteStore } from "@openbatch/store";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

describe("the scheduling safety net", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const completed = (taskId: string) =>
    waitFor(`${taskId} completed`, async () => {
      const task = (await call("GET", `/jobs/netjob/tasks/${taskId}`)).json;
      return task.state === "completed" ? task : undefined;
    });

  before(async () => {
    server = await startTestServer({ schedulingSafetyNetInSeconds: 1 });
    assert.equal((await call("POST", "/pools", { id: "netpool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, virtualMachineConfiguration: ubuntuVm })).status, 201);
    assert.equal((await call("POST", "/jobs", { id: "netjob", poolInfo: { poolId: "netpool" } })).status, 201);
  });
  after(() => server.killAgents());

  it("places work no wake-up announced, counts it, shows it on /healthz, and fails the test server's dispose", async () => {
    assert.equal((await call("POST", "/jobs/netjob/tasks", { id: "announced", commandLine: "/bin/true" })).status, 201);
    await completed("announced");
    assert.equal(server.health().missedWakeUps, 0, "a task added through the API wakes the scheduler");

    const sideDoor = new SqliteStore({ filename: join(server.dataDir, "openbatch.db"), now: new Date() });
    const time = new Date().toISOString().replace("Z", "0000Z");
    try {
      await sideDoor.write((tx) =>
        tx.insert({ account: account.name, kind: "task", scope: "netjob", id: "unannounced" }, {
          id: "unannounced", url: `${server.url}/jobs/netjob/tasks/unannounced`, commandLine: "/bin/true", creationTime: time, state: "active",
          stateTransitionTime: time, constraints: { maxTaskRetryCount: 0, retentionTime: "P7D" }, requiredSlots: 1,
          executionInfo: { retryCount: 0, requeueCount: 0 }, _ob: { sequence: 1, attempts: 0 },
        }, new Date()),
      );
    } finally {
      await sideDoor.close();
    }
    const task = await completed("unannounced");
    assert.equal(task.executionInfo.exitCode, 0, "the safety net placed it");
    assert.equal(server.health().missedWakeUps, 1);
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { status: string; details: { missedWakeUps: number; illegalTransitions: number } };
    assert.equal(health.status, "ok");
    assert.deepEqual([health.details.missedWakeUps, health.details.illegalTransitions], [1, 0]);
    await assert.rejects(server.dispose(), /1 task placement\(s\) came from the scheduling safety net/);
  });
});
