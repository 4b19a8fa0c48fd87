/**
 * Reboot and reimage with each node option, on a node running a task: `requeue` kills and requeues it (it runs
 * again, requeueCount 1), `terminate` ends it (`TaskEnded`), `taskcompletion` and `retaineddata` let it finish —
 * the node shows `rebooting`/`reimaging` meanwhile and takes no new task — and restart the node afterwards.
 * The pool's start task appends a line to `shared/boots` on every boot: a reboot keeps the file, a reimage wipes it.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { pythonSnippet } from "../support/pythonSnippet.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const time = (value: string | undefined): number => Date.parse(value ?? "");

interface Task {
  state: string;
  executionInfo?: { startTime?: string; endTime?: string; exitCode?: number; result?: string; requeueCount?: number; failureInfo?: { code: string } };
}

describe("reboot and reimage options with a running task", () => {
  let server: TestServer;
  let nodeId: string;
  /** Outside the node, so a reimage does not wipe it: a task's second run finds its marker and ends at once. */
  let markers: string;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;
  const node = () => get(`/pools/rb/nodes/${nodeId}`);
  const task = (id: string): Promise<Task> => get(`/jobs/rbj/tasks/${id}`);
  const taskIn = (id: string, state: string) => waitFor(`${id} ${state}`, async () => ((await task(id)).state === state ? task(id) : undefined), 60_000).catch(async (error: unknown) => {
      console.log(JSON.stringify({ task: await task(id), node: await node() }, null, 1));
      throw error;
    });
  const idle = () => waitFor("the node idle", async () => ((await node()).state === "idle" ? node() : undefined), 60_000);
  const boots = async () => (await call("GET", `/pools/rb/nodes/${nodeId}/files/shared%2Fboots`)).text.split("\n").filter((line) => line !== "").length;
  /** Runs 60 s the first time, and ends at once when run again (after a requeue). */
  const runsOnce = (id: string) => `/bin/sh -c 'if [ -e ${markers}/${id} ]; then echo again; exit 0; fi; touch ${markers}/${id}; sleep 60'`;
  /** The task's process has begun (its marker exists), so a requeue kills a real run. */
  const started = (id: string) => waitFor(`${id}'s process to begin`, async () => (existsSync(join(markers, id)) ? true : undefined));
  const add = async (id: string, commandLine: string) => assert.equal((await call("POST", "/jobs/rbj/tasks", { id, commandLine })).status, 201);

  before(async () => {
    markers = mkdtempSync(join(tmpdir(), "openbatch-restart-"));
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", {
      id: "rb", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, taskSlotsPerNode: 2, virtualMachineConfiguration: ubuntuVm,
      startTask: { commandLine: "/bin/sh -c 'echo boot >> $AZ_BATCH_NODE_SHARED_DIR/boots'" },
    })).status, 201);
    nodeId = await waitFor("an idle node", async () => {
      const [first] = (await get("/pools/rb/nodes")).value as { id: string; state: string }[];
      return first?.state === "idle" ? first.id : undefined;
    });
    assert.equal((await call("POST", "/jobs", { id: "rbj", poolInfo: { poolId: "rb" } })).status, 201);
  });
  after(async () => {
    await server.dispose();
    rmSync(markers, { recursive: true, force: true });
  });

  it("reboot with requeue kills the task and runs it again", async () => {
    const before = await boots();
    await add("rq", runsOnce("rq"));
    await started("rq");
    assert.equal((await call("POST", `/pools/rb/nodes/${nodeId}/reboot`, { nodeRebootOption: "requeue" })).status, 202);
    const done = await taskIn("rq", "completed");
    assert.equal(done.executionInfo?.requeueCount, 1);
    assert.equal(done.executionInfo?.result, "success");
    await idle();
    assert.equal(await boots(), before + 1);
  });

  it("reboot with terminate ends the task with TaskEnded", async () => {
    const before = await boots();
    await add("tm", "/bin/sleep 60");
    await taskIn("tm", "running");
    assert.equal((await call("POST", `/pools/rb/nodes/${nodeId}/reboot`, { nodeRebootOption: "terminate" })).status, 202);
    const done = await taskIn("tm", "completed");
    assert.equal(done.executionInfo?.failureInfo?.code, "TaskEnded");
    assert.equal(done.executionInfo?.requeueCount, 0);
    await idle();
    assert.equal(await boots(), before + 1);
  });

  for (const option of ["taskcompletion", "retaineddata"] as const) {
    it(`reboot with ${option} lets the task finish, schedules nothing new meanwhile, then reboots`, async () => {
      const before = await boots();
      const id = `${option}-first`;
      const later = `${option}-later`;
      await add(id, "/bin/sh -c 'sleep 8; echo finished'");
      await taskIn(id, "running");
      const sdk = await pythonSnippet(server.url, account, `
client.compute_node.reboot("rb", ${JSON.stringify(nodeId)}, node_reboot_option=${JSON.stringify(option)})
emit(client.compute_node.get("rb", ${JSON.stringify(nodeId)}).state)
`);
      assert.equal(sdk, "rebooting", "the node shows the reboot at once");
      assert.equal((await task(id)).state, "running", "its task keeps running");
      // A free slot, but the node is on its way to a reboot: the new task waits.
      await add(later, "/bin/true");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal((await task(later)).state, "active");
      assert.equal((await node()).state, "rebooting");
      assert.equal(await boots(), before, "not rebooted yet");

      const done = await taskIn(id, "completed");
      assert.equal(done.executionInfo?.result, "success");
      assert.equal(done.executionInfo?.exitCode, 0);
      assert.equal(done.executionInfo?.requeueCount, 0);
      const afterLater = await taskIn(later, "completed");
      const rebooted = await idle();
      assert.equal(await boots(), before + 1);
      assert.ok(time(rebooted.lastBootTime) >= time(done.executionInfo?.endTime), "the node rebooted after its task ended");
      assert.ok(time(afterLater.executionInfo?.startTime) >= time(rebooted.lastBootTime), "the waiting task ran after the reboot");
    });
  }

  it("reimage with requeue kills the task, wipes the node and runs the task again", async () => {
    await add("mq", runsOnce("mq"));
    await started("mq");
    assert.equal((await call("POST", `/pools/rb/nodes/${nodeId}/reimage`, { nodeReimageOption: "requeue" })).status, 202);
    const done = await taskIn("mq", "completed");
    assert.equal(done.executionInfo?.requeueCount, 1);
    assert.equal(done.executionInfo?.result, "success");
    await idle();
    assert.equal(await boots(), 1, "the reimage wiped shared/; the start task wrote it once since");
  });

  it("reimage with taskcompletion lets the task finish, then reimages", async () => {
    await add("mt", "/bin/sh -c 'sleep 8; echo finished'");
    await taskIn("mt", "running");
    const sdk = await pythonSnippet(server.url, account, `
client.compute_node.reimage("rb", ${JSON.stringify(nodeId)}, node_reimage_option="taskcompletion")
emit(client.compute_node.get("rb", ${JSON.stringify(nodeId)}).state)
`);
    assert.equal(sdk, "reimaging");
    assert.equal((await task("mt")).state, "running");
    assert.equal(await boots(), 1, "not reimaged yet");
    const done = await taskIn("mt", "completed");
    assert.equal(done.executionInfo?.result, "success");
    assert.equal(done.executionInfo?.requeueCount, 0);
    const reimaged = await idle();
    assert.ok(time(reimaged.lastBootTime) >= time(done.executionInfo?.endTime));
    assert.equal(await boots(), 1, "wiped and booted once");
    const output = await call("GET", `/jobs/rbj/tasks/mt/files/stdout.txt`);
    assert.equal(output.status, 404, "the reimage wiped the finished task's files");
  });
});
