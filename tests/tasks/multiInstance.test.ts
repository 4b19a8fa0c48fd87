import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  const nodesOf = async (taskId: string) => {
    const task = await get(`/jobs/mpi/tasks/${taskId}`);
    const subtasks = (await get(`/jobs/mpi/tasks/${taskId}/subtasksinfo`)).value as { nodeInfo: { nodeId: string } }[];
    return [task.nodeInfo.nodeId as string, ...subtasks.map((subtask) => subtask.nodeInfo.nodeId)];
  };
  const allIdle = () =>
    waitFor("every node to be idle", async () => {
      const nodes = (await get("/pools/mpipool/nodes")).value as { state: string }[];
      return nodes.length === 3 && nodes.every((node) => node.state === "idle") ? true : undefined;
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

  it("runs the job preparation task on every instance's node before the instances", async () => {
    // The preparation is slow to write its marker: an instance that did not wait for it would not find it.
    const added = await call("POST", "/jobs", {
      id: "mpiprep",
      poolInfo: { poolId: "mpipool" },
      jobPreparationTask: { commandLine: "/bin/sh -c 'sleep 1; touch $AZ_BATCH_NODE_SHARED_DIR/prepared-mpiprep'" },
    });
    assert.equal(added.status, 201, added.text);
    const check = "/bin/sh -c 'test -f $AZ_BATCH_NODE_SHARED_DIR/prepared-mpiprep'";
    assert.equal((await call("POST", "/jobs/mpiprep/tasks", { id: "prepared", commandLine: check, multiInstanceSettings: { numberOfInstances: 3, coordinationCommandLine: check } })).status, 201);
    const task = await waitFor("prepared to complete", async () => {
      const current = await get("/jobs/mpiprep/tasks/prepared");
      return current.state === "completed" ? current : undefined;
    });
    assert.equal(task.executionInfo.result, "success", JSON.stringify(task.executionInfo));
    const subtasks = (await get("/jobs/mpiprep/tasks/prepared/subtasksinfo")).value as { result: string; nodeInfo: { nodeId: string } }[];
    assert.ok(subtasks.every((subtask) => subtask.result === "success"), JSON.stringify(subtasks));
    const taskNodes = [task.nodeInfo.nodeId as string, ...subtasks.map((subtask) => subtask.nodeInfo.nodeId)].sort();
    const status = (await get("/jobs/mpiprep/jobpreparationandreleasetaskstatus")).value as { nodeId: string; jobPreparationTaskExecutionInfo: { state: string; result: string } }[];
    assert.deepEqual(status.map((entry) => entry.nodeId).sort(), taskNodes);
    assert.ok(status.every((entry) => entry.jobPreparationTaskExecutionInfo.state === "completed" && entry.jobPreparationTaskExecutionInfo.result === "success"), JSON.stringify(status));
  });

  it("rebooting a subtask's node with requeue requeues the whole task, which later completes on 3 nodes", async () => {
    await allIdle();
    // Every instance notes its process id, waits for the gate, then notes that it passed it: a run whose instances
    // were not all killed would pass it more than 3 times.
    const gates = mkdtempSync(join(tmpdir(), "mpi-gate-"));
    try {
      const wait = `/bin/sh -c 'echo $$ >> ${gates}/pids; while [ ! -f ${gates}/open ]; do sleep 0.1; done; echo passed >> ${gates}/passed'`;
      assert.equal((await call("POST", "/jobs/mpi/tasks", { id: "requeued", commandLine: "/bin/true", multiInstanceSettings: { numberOfInstances: 3, coordinationCommandLine: wait } })).status, 201);
      await waitFor("requeued to run", async () => ((await get("/jobs/mpi/tasks/requeued")).state === "running" ? true : undefined));
      const firstRun = await waitFor("the first run's 3 instances to start", async () => {
        const pids = readFileSync(join(gates, "pids"), "utf8").trim().split("\n").map(Number);
        return pids.length === 3 ? pids : undefined;
      });
      const [, subtaskNode] = await nodesOf("requeued");
      // A local node reboots in milliseconds, and the requeued task could be placed again before its cut run is
      // read: the job, disabled with its running task left alone, places nothing until it is enabled again.
      assert.equal((await call("POST", "/jobs/mpi/disable", { disableTasks: "wait" })).status, 202);
      assert.equal((await call("POST", `/pools/mpipool/nodes/${subtaskNode}/reboot`, { nodeRebootOption: "requeue" })).status, 202);
      const requeued = await get("/jobs/mpi/tasks/requeued");
      assert.equal(requeued.executionInfo.requeueCount, 1);
      assert.equal(requeued.state, "active");
      const cut = (await get("/jobs/mpi/tasks/requeued/subtasksinfo")).value as { state: string; failureInfo?: { code: string } }[];
      assert.ok(cut.every((subtask) => subtask.state === "completed" && subtask.failureInfo?.code === "TaskEnded"), JSON.stringify(cut));
      assert.equal((await call("POST", "/jobs/mpi/enable")).status, 202);
      // The requeued task may be placed again at once (a run being killed holds no slot); the gate opens only once
      // the agents have killed every process of the first run.
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      await waitFor("the first run's instances to be killed", async () => !firstRun.some(alive));
      writeFileSync(join(gates, "open"), "");
      const task = await completed("requeued");
      assert.equal(task.executionInfo.result, "success", JSON.stringify(task.executionInfo));
      assert.equal(task.executionInfo.requeueCount, 1);
      assert.equal(task.executionInfo.retryCount, 0);
      assert.equal(new Set(await nodesOf("requeued")).size, 3);
      assert.equal(readFileSync(join(gates, "passed"), "utf8"), "passed\n".repeat(3), "only the second run's 3 instances passed the gate");
    } finally {
      // A failure above must not leave instances waiting at a gate that will never open, holding every node.
      await call("POST", "/jobs/mpi/enable");
      await call("POST", "/jobs/mpi/tasks/requeued/terminate");
      rmSync(gates, { recursive: true, force: true });
    }
  });

  it("rebooting a subtask's node with terminate ends the whole task at once with TaskEnded", async () => {
    await allIdle();
    assert.equal((await call("POST", "/jobs/mpi/tasks", { id: "terminated", commandLine: "/bin/true", multiInstanceSettings: { numberOfInstances: 3, coordinationCommandLine: "/bin/sleep 60" } })).status, 201);
    await waitFor("terminated to run", async () => ((await get("/jobs/mpi/tasks/terminated")).state === "running" ? true : undefined));
    const [, , subtaskNode] = await nodesOf("terminated");
    assert.equal((await call("POST", `/pools/mpipool/nodes/${subtaskNode}/reboot`, { nodeRebootOption: "terminate" })).status, 202);
    const task = await get("/jobs/mpi/tasks/terminated");
    assert.equal(task.state, "completed");
    assert.equal(task.executionInfo.failureInfo.code, "TaskEnded");
    assert.equal(task.executionInfo.requeueCount, 0);
    const subtasks = (await get("/jobs/mpi/tasks/terminated/subtasksinfo")).value as { state: string; failureInfo?: { code: string } }[];
    assert.ok(subtasks.every((subtask) => subtask.state === "completed" && subtask.failureInfo?.code === "TaskEnded"), JSON.stringify(subtasks));
    // The other instances' sleeps were killed: their nodes are free long before the 60 s are up.
    await allIdle();
    assert.equal((await get("/jobs/mpi/tasks/terminated")).executionInfo.failureInfo.code, "TaskEnded", "the killed instances' ends change nothing");
  });

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
