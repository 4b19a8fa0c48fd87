import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

/**
 * `$filter` on nested paths with number literals, through the server, over entities whose values come from processes
 * that really ran: tasks that exit 0, 3 and 10, and two nodes whose start tasks exit 0 and 3.
 */
describe("$filter on nested paths and numbers, over tasks and nodes that really ran", () => {
  let server: TestServer;
  let raceDir: string;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path, account, ...(body === undefined ? {} : { body }) });
  const ids = async (path: string, filter: string): Promise<string[]> => {
    const response = await call("GET", `${path}?api-version=${apiVersion}&$filter=${encodeURIComponent(filter)}`);
    assert.equal(response.status, 200, `${filter}: ${response.text}`);
    return (response.json.value as { id: string }[]).map((entity) => entity.id).sort();
  };

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    raceDir = mkdtempSync(join(tmpdir(), "openbatch-filter-race-"));
    // Both nodes race for one directory: exactly one start task exits 0, the other 3.
    const startTask = { commandLine: `/bin/sh -c 'mkdir ${raceDir}/won 2>/dev/null && exit 0 || exit 3'`, waitForSuccess: false };
    const pool = { id: "filterpool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 2, taskSlotsPerNode: 4, virtualMachineConfiguration: ubuntuVm, startTask };
    assert.equal((await call("POST", `/pools?api-version=${apiVersion}`, pool)).status, 201);
    assert.equal((await call("POST", `/jobs?api-version=${apiVersion}`, { id: "filterjob", poolInfo: { poolId: "filterpool" } })).status, 201);
    for (const [id, exitCode] of [["zero", 0], ["three", 3], ["ten", 10]] as const) {
      const added = await call("POST", `/jobs/filterjob/tasks?api-version=${apiVersion}`, { id, commandLine: `/bin/sh -c 'exit ${exitCode}'` });
      assert.equal(added.status, 201, added.text);
    }
    await waitFor("the three tasks to complete", async () => (await ids("/jobs/filterjob/tasks", "state eq 'completed'")).length === 3 || undefined, 120_000);
    await waitFor("both start tasks to complete", async () => {
      const response = await call("GET", `/pools/filterpool/nodes?api-version=${apiVersion}`);
      const nodes = (response.json?.value ?? []) as { startTaskInfo?: { state?: string } }[];
      return nodes.length === 2 && nodes.every((node) => node.startTaskInfo?.state === "completed") ? true : undefined;
    }, 120_000);
  });
  after(async () => {
    await server.dispose();
    rmSync(raceDir, { recursive: true, force: true });
  });

  it("filters tasks on executionInfo/exitCode with eq, ge and gt, comparing numbers as numbers", async () => {
    assert.deepEqual(await ids("/jobs/filterjob/tasks", "executionInfo/exitCode eq 0"), ["zero"]);
    assert.deepEqual(await ids("/jobs/filterjob/tasks", "executionInfo/exitCode ge 1"), ["ten", "three"]);
    // As strings, '10' sorts before '4': only a numeric comparison finds exit code 10 here.
    assert.deepEqual(await ids("/jobs/filterjob/tasks", "executionInfo/exitCode gt 4"), ["ten"]);
    assert.deepEqual(await ids("/jobs/filterjob/tasks", "executionInfo/exitCode lt 10 and executionInfo/result eq 'failure'"), ["three"]);
    assert.deepEqual(await ids("/jobs/filterjob/tasks", "executionInfo/exitCode ne 3"), ["ten", "zero"]);
  });

  it("filters nodes on startTaskInfo/exitCode and startTaskInfo/result", async () => {
    const all = await ids("/pools/filterpool/nodes", "startTaskInfo/exitCode ge 0");
    assert.equal(all.length, 2);
    const succeeded = await ids("/pools/filterpool/nodes", "startTaskInfo/exitCode eq 0");
    const failed = await ids("/pools/filterpool/nodes", "startTaskInfo/exitCode ge 1");
    assert.equal(succeeded.length, 1);
    assert.equal(failed.length, 1);
    assert.deepEqual([...succeeded, ...failed].sort(), all);
    assert.deepEqual(await ids("/pools/filterpool/nodes", "startTaskInfo/result eq 'failure'"), failed);
    assert.deepEqual(await ids("/pools/filterpool/nodes", "startTaskInfo/exitCode gt 3"), []);
  });
});
