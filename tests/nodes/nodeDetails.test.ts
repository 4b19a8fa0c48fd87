/**
 * What a node shows and serves, with real agents: a start task with `waitForSuccess: false` (the node is usable while
 * it runs and after it fails), `nodeAgentInfo`, node lists with `$filter` and `$select`, and the server's node file
 * API refusing symbolic links that lead out of the node's directory.
 */
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

describe("node details", () => {
  let server: TestServer;
  let scratch: string;
  let outside: string;
  let gate: string;
  const call = (method: string, path: string, body?: object): Promise<BatchResponse> =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const nodes = async (query = "") => {
    const response = await call("GET", `/pools/details/nodes${query}`);
    assert.equal(response.status, 200, response.text);
    return response.json.value as any[];
  };
  const taskDone = (id: string) =>
    waitFor(`task ${id} to complete`, async () => {
      const task = (await call("GET", `/jobs/detailsjob/tasks/${id}`)).json;
      return task.state === "completed" ? task : undefined;
    });

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    scratch = mkdtempSync(join(tmpdir(), "openbatch-outside-"));
    outside = join(scratch, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "secret.txt"), "not for the file API\n");
    gate = join(scratch, "gate");
    // The start task plants two links out of the node (a directory and a file) and one inside it, then waits for the
    // gate and fails.
    const startCommand = `/bin/sh -c "ln -s ${outside} escape; ln -s ${outside}/secret.txt leak.txt; ln -s ../../shared inside; while [ ! -e ${gate} ]; do sleep 0.1; done; exit 3"`;
    const created = await call("POST", "/pools", {
      id: "details", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 2, virtualMachineConfiguration: ubuntuVm,
      startTask: { commandLine: startCommand, waitForSuccess: false },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal((await call("POST", "/jobs", { id: "detailsjob", poolInfo: { poolId: "details" } })).status, 201);
  });
  after(async () => {
    writeFileSync(gate, "");
    await server.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("with waitForSuccess false, nodes are idle and run tasks while the start task runs, and stay so after it fails", async () => {
    const running = await waitFor("idle nodes with a running start task", async () => {
      const list = await nodes();
      return list.length === 2 && list.every((node) => node.state === "idle" && node.startTaskInfo?.state === "running") ? list : undefined;
    });
    assert.equal(running[0].startTaskInfo.exitCode, undefined);
    assert.equal((await call("POST", "/jobs/detailsjob/tasks", { id: "during", commandLine: "/bin/echo during" })).status, 201);
    assert.equal((await taskDone("during")).executionInfo.result, "success", "a task ran while the start task was running");

    writeFileSync(gate, "");
    const failed = await waitFor("the start tasks to fail", async () => {
      const list = await nodes();
      return list.length === 2 && list.every((node) => node.startTaskInfo?.state === "completed") ? list : undefined;
    });
    for (const node of failed) {
      assert.equal(node.state, "idle", "not starttaskfailed: the pool does not wait for the start task");
      assert.equal(node.startTaskInfo.exitCode, 3);
      assert.equal(node.startTaskInfo.result, "failure");
      assert.equal(node.startTaskInfo.failureInfo.code, "FailureExitCode");
      assert.equal(node.startTaskInfo.failureInfo.category, "usererror");
    }
    const counts = (await call("GET", "/nodecounts")).json.value.find((entry: { poolId: string }) => entry.poolId === "details");
    assert.deepEqual([counts.dedicated.idle, counts.dedicated.startTaskFailed, counts.dedicated.total], [2, 0, 2]);
    assert.equal((await call("POST", "/jobs/detailsjob/tasks", { id: "after", commandLine: "/bin/echo after" })).status, 201);
    assert.equal((await taskDone("after")).executionInfo.result, "success", "tasks keep coming after the start task failed");
  });

  it("reports nodeAgentInfo with the agent's version and when it was last updated", async () => {
    const started = Date.now();
    for (const listed of await nodes()) {
      const node = (await call("GET", `/pools/details/nodes/${listed.id}`)).json;
      assert.equal(typeof node.nodeAgentInfo?.version, "string", JSON.stringify(node.nodeAgentInfo));
      assert.ok(node.nodeAgentInfo.version.length > 0);
      const updated = Date.parse(node.nodeAgentInfo.lastUpdateTime);
      assert.ok(Number.isFinite(updated), node.nodeAgentInfo.lastUpdateTime);
      assert.ok(updated <= started && updated >= Date.parse(node.allocationTime), `${node.nodeAgentInfo.lastUpdateTime} vs allocation ${node.allocationTime}`);
    }
  });

  it("lists nodes with $filter on state and with $select", async () => {
    const [first, second] = await nodes();
    assert.equal((await call("POST", `/pools/details/nodes/${first.id}/disablescheduling`)).status, 200);
    const idle = await nodes(`?$filter=${encodeURIComponent("state eq 'idle'")}`);
    assert.deepEqual(idle.map((node) => node.id), [second.id]);
    const offline = await nodes(`?$filter=${encodeURIComponent("state eq 'offline'")}`);
    assert.deepEqual(offline.map((node) => node.id), [first.id]);
    assert.deepEqual(await nodes(`?$filter=${encodeURIComponent("state eq 'running'")}`), []);

    const selected = await nodes("?$select=id,state");
    assert.deepEqual(selected.map((node) => Object.keys(node).sort()), [["id", "state"], ["id", "state"]]);
    assert.deepEqual(selected.map((node) => node.state).sort(), ["idle", "offline"]);
    const both = await nodes(`?$filter=${encodeURIComponent("state eq 'idle'")}&$select=id,schedulingState`);
    assert.deepEqual(both, [{ id: second.id, schedulingState: "enabled" }]);
    assert.equal((await call("POST", `/pools/details/nodes/${first.id}/enablescheduling`)).status, 200);
  });

  it("refuses node file paths through symbolic links that leave the node's directory, and never touches their target", async () => {
    const [node] = await nodes();
    const file = (method: string, path: string) => call(method, `/pools/details/nodes/${node.id}/files/${encodeURIComponent(path)}`);
    // The links exist where the start task made them.
    const wd = join(server.dataDir, "nodes", "details", node.id, "startup", "wd");
    for (const link of ["escape", "leak.txt", "inside"]) assert.ok(lstatSync(join(wd, link)).isSymbolicLink(), link);
    const listing = (await call("GET", `/pools/details/nodes/${node.id}/files?recursive=true`)).json.value.map((entry: { name: string }) => entry.name);
    assert.ok(listing.includes("startup/wd"), listing.join(", "));
    assert.ok(!listing.some((name: string) => name.includes("secret")), `the listing does not follow links out: ${listing.join(", ")}`);

    for (const path of ["startup/wd/escape/secret.txt", "startup/wd/leak.txt", "startup/wd/escape"]) {
      for (const method of ["GET", "HEAD"]) {
        const response = await file(method, path);
        assert.ok(response.status >= 400 && response.status < 500, `${method} ${path} → ${response.status}`);
        if (method === "GET") {
          assert.ok(batchErrorCode(response), `${method} ${path}: ${response.text}`);
          assert.ok(!response.text.includes("not for the file API"));
        }
      }
    }
    const deleted = await file("DELETE", "startup/wd/escape/secret.txt");
    assert.ok(deleted.status >= 400 && deleted.status < 500, `DELETE through the link → ${deleted.status}`);
    assert.ok(batchErrorCode(deleted), deleted.text);
    assert.ok(existsSync(join(outside, "secret.txt")), "the file outside the node is still there");
    // A link that stays inside the node is followed.
    writeFileSync(join(server.dataDir, "nodes", "details", node.id, "shared", "note.txt"), "inside\n");
    const inside = await file("GET", "startup/wd/inside/note.txt");
    assert.equal(inside.status, 200, inside.text);
    assert.equal(inside.text, "inside\n");
  });
});
