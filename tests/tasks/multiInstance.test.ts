import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

describe("multi-instance tasks", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;
  const completed = (taskId: string) =>
    waitFor(`${taskId} to complete`, async () => {
      const task = await get(`/jobs/mpi/tasks/${taskId}`);
      return task.state === "completed" ? task : undefined;
    });
  const nodeFile = (nodeId: string, path: string) => call("GET", `/pools/mpipool/nodes/${nodeId}/files/${encodeURIComponent(path)}`);

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1, nodesPerAgent: 1 });
    assert.equal((await call("POST", "/pools", {
      id: "mpipool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 3, enableInterNodeCommunication: true,
      virtualMachineConfiguration: ubuntuVm,
    })).status, 201);
    assert.equal((await call("POST", "/jobs", { id: "mpi", poolInfo: { poolId: "mpipool" } })).status, 201);
  });
  after(() => server.dispose());

  it("runs the coordination command on 3 nodes, then the application command on the primary, with the MI environment", async () => {
    const coordination = "/bin/sh -c 'echo \"$AZ_BATCH_IS_CURRENT_NODE_MASTER $AZ_BATCH_HOST_LIST\" > $AZ_BATCH_NODE_SHARED_DIR/coordinated; test \"$AZ_BATCH_TASK_SHARED_DIR\" = \"$AZ_BATCH_TASK_DIR\"'";
    const added = await call("POST", "/jobs/mpi/tasks", {
      id: "allreduce",
      commandLine: "/bin/sh -c 'cat $AZ_BATCH_NODE_SHARED_DIR/coordinated; echo master=$AZ_BATCH_MASTER_NODE'",
      multiInstanceSettings: { numberOfInstances: 3, coordinationCommandLine: coordination },
    });
    assert.equal(added.status, 201, added.text);
    const task = await completed("allreduce");
    assert.equal(task.executionInfo.result, "success", JSON.stringify(task.executionInfo));
    const subtasks = (await get("/jobs/mpi/tasks/allreduce/subtasksinfo")).value as { id: number; state: string; result: string; exitCode: number; nodeInfo: { nodeId: string } }[];
    assert.deepEqual(subtasks.map((subtask) => subtask.id), [1, 2]);
    assert.ok(subtasks.every((subtask) => subtask.state === "completed" && subtask.result === "success" && subtask.exitCode === 0));
    const nodeIds = new Set([task.nodeInfo.nodeId, ...subtasks.map((subtask) => subtask.nodeInfo.nodeId)]);
    assert.equal(nodeIds.size, 3, "one instance per node");
    const stdout = (await call("GET", "/jobs/mpi/tasks/allreduce/files/stdout.txt")).text;
    const [coordinated, master] = stdout.trim().split("\n");
    assert.match(coordinated ?? "", /^true [^,]+,[^,]+,[^,]+$/, "the primary ran the coordination command as master, with 3 hosts");
    assert.match(master ?? "", /^master=[^:]+:\d+$/);
    for (const subtask of subtasks) assert.match((await nodeFile(subtask.nodeInfo.nodeId, "shared/coordinated")).text, /^false /);
  });

  it("a failing coordination command fails the task and ends the other instances", async () => {
    const added = await call("POST", "/jobs/mpi/tasks", {
      id: "broken",
      commandLine: "/bin/true",
      multiInstanceSettings: { numberOfInstances: 3, coordinationCommandLine: "/bin/sh -c 'if [ \"$AZ_BATCH_IS_CURRENT_NODE_MASTER\" = true ]; then exit 5; fi; sleep 30'" },
    });
    assert.equal(added.status, 201, added.text);
    const task = await completed("broken");
    assert.equal(task.executionInfo.result, "failure");
    assert.equal(task.executionInfo.exitCode, 5);
    const subtasks = (await get("/jobs/mpi/tasks/broken/subtasksinfo")).value as { state: string; failureInfo?: { code: string } }[];
    assert.ok(subtasks.every((subtask) => subtask.state === "completed" && subtask.failureInfo?.code === "TaskEnded"));
    await waitFor("every slot to be free", async () => {
      const nodes = (await get("/pools/mpipool/nodes")).value as { runningTasksCount: number }[];
      return nodes.every((node) => node.runningTasksCount === 0) ? true : undefined;
    }, 15_000);
  });

  it("lists no subtasks for an ordinary task and refuses requiredSlots other than 1", async () => {
    assert.equal((await call("POST", "/jobs/mpi/tasks", { id: "plain", commandLine: "/bin/true" })).status, 201);
    assert.deepEqual((await get("/jobs/mpi/tasks/plain/subtasksinfo")).value, []);
    const refused = await call("POST", "/jobs/mpi/tasks", { id: "wide", commandLine: "/bin/true", requiredSlots: 2, multiInstanceSettings: { coordinationCommandLine: "/bin/true" } });
    assert.equal(refused.status, 400);
    assert.equal(batchErrorCode(refused), "InvalidPropertyValue");
  });
});
