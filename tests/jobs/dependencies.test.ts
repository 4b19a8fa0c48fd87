import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";
import { ubuntuVm } from "../support/pools.js";

const account = testAccounts.alpha;

describe("task dependencies and maxParallelTasks", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", {
      id: "deppool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, taskSlotsPerNode: 4,
      virtualMachineConfiguration: ubuntuVm,
    })).status, 201);
  });
  after(() => server.dispose());

  it("runs dependants after their parents (ids and ranges); a failed parent blocks its dependants", async () => {
    assert.equal((await call("POST", "/jobs", { id: "deps", poolInfo: { poolId: "deppool" }, usesTaskDependencies: true })).status, 201);
    const tasks = [
      { id: "1", commandLine: "/bin/sleep 0.4" },
      { id: "2", commandLine: "/bin/sleep 0.2" },
      { id: "after-range", commandLine: "/bin/true", dependsOn: { taskIdRanges: [{ start: 1, end: 2 }] } },
      { id: "after-one", commandLine: "/bin/true", dependsOn: { taskIds: ["1"] } },
      { id: "bad", commandLine: "/bin/sh -c 'exit 1'" },
      { id: "after-bad", commandLine: "/bin/true", dependsOn: { taskIds: ["bad"] } },
    ];
    const added = await call("POST", "/jobs/deps/addtaskcollection", { value: tasks });
    assert.ok(added.json.value.every((result: { status: string }) => result.status === "success"), added.text);
    await waitFor("the dependants to complete", async () => {
      const [range, one] = [await get("/jobs/deps/tasks/after-range"), await get("/jobs/deps/tasks/after-one")];
      return range.state === "completed" && one.state === "completed" ? true : undefined;
    });
    const byId = async (id: string) => get(`/jobs/deps/tasks/${id}`);
    assert.ok(Date.parse((await byId("after-range")).executionInfo.startTime) >= Date.parse((await byId("1")).executionInfo.endTime));
    assert.ok(Date.parse((await byId("after-range")).executionInfo.startTime) >= Date.parse((await byId("2")).executionInfo.endTime));
    assert.ok(Date.parse((await byId("after-one")).executionInfo.startTime) >= Date.parse((await byId("1")).executionInfo.endTime));
    await waitFor("the failing parent", async () => ((await byId("bad")).state === "completed" ? true : undefined));
    assert.equal((await byId("after-bad")).state, "active", "a blocked dependant stays active");
  });

  it("refuses dependencies on a job without usesTaskDependencies, and a task depending on itself", async () => {
    assert.equal((await call("POST", "/jobs", { id: "nodeps", poolInfo: { poolId: "deppool" } })).status, 201);
    const refused = await call("POST", "/jobs/nodeps/tasks", { id: "x", commandLine: "/bin/true", dependsOn: { taskIds: ["y"] } });
    assert.equal(refused.status, 400);
    assert.equal(batchErrorCode(refused), "TaskDependenciesNotSpecifiedOnJob");
    const self = await call("POST", "/jobs/deps/tasks", { id: "me", commandLine: "/bin/true", dependsOn: { taskIds: ["me"] } });
    assert.equal(self.status, 400);
  });

  it("never runs more than maxParallelTasks of a job at once", async () => {
    assert.equal((await call("POST", "/jobs", { id: "serial", poolInfo: { poolId: "deppool" }, maxParallelTasks: 1 })).status, 201);
    const value = ["s1", "s2", "s3"].map((id) => ({ id, commandLine: "/bin/sleep 0.3" }));
    assert.equal((await call("POST", "/jobs/serial/addtaskcollection", { value })).status, 200);
    const done = await waitFor("all three", async () => {
      const list = (await get("/jobs/serial/tasks")).value as { state: string; executionInfo: { startTime: string; endTime: string } }[];
      return list.length === 3 && list.every((task) => task.state === "completed") ? list : undefined;
    });
    const spans = done.map((task) => [Date.parse(task.executionInfo.startTime), Date.parse(task.executionInfo.endTime)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `task ${i} started before the previous one ended`);
  });
});
