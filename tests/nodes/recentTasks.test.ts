/**
 * A node's `recentTasks`: absent before any task ran there; a running task shows as running; a finished one
 * shows its end (exit code, result); the list keeps the 10 most recently changed tasks, newest first; the
 * official Python SDK reads it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { pythonSnippet } from "../support/pythonSnippet.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

interface RecentTask {
  taskUrl: string;
  jobId: string;
  taskId: string;
  subtaskId?: number;
  taskState: string;
  executionInfo?: { startTime?: string; endTime?: string; exitCode?: number; result?: string; failureInfo?: { code: string } };
}

describe("a node's recent tasks", () => {
  let server: TestServer;
  let nodeId: string;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;
  const recent = async (): Promise<RecentTask[] | undefined> => (await get(`/pools/recent/nodes/${nodeId}`)).recentTasks;

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", { id: "recent", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, virtualMachineConfiguration: ubuntuVm })).status, 201);
    nodeId = await waitFor("an idle node", async () => {
      const [node] = (await get("/pools/recent/nodes")).value as { id: string; state: string }[];
      return node?.state === "idle" ? node.id : undefined;
    });
    assert.equal((await call("POST", "/jobs", { id: "rj", poolInfo: { poolId: "recent" } })).status, 201);
  });
  after(() => server.dispose());

  it("is absent before a task ran, shows a running task, then its end", async () => {
    assert.equal(await recent(), undefined, "no task has run on the node yet");
    assert.equal((await call("POST", "/jobs/rj/tasks", { id: "long", commandLine: "/bin/sleep 60" })).status, 201);
    const [running] = await waitFor("the running task in recentTasks", async () => {
      const list = await recent();
      return list?.[0]?.taskState === "running" ? list : undefined;
    });
    assert.equal(running?.jobId, "rj");
    assert.equal(running?.taskId, "long");
    assert.match(running?.taskUrl ?? "", /\/jobs\/rj\/tasks\/long$/);
    assert.ok(running?.executionInfo?.startTime, "the run's start time");

    assert.equal((await call("POST", "/jobs/rj/tasks/long/terminate")).status, 204);
    const [ended] = await waitFor("the terminated task in recentTasks", async () => {
      const list = await recent();
      return list?.[0]?.taskState === "completed" ? list : undefined;
    });
    assert.equal(ended?.taskId, "long");
    assert.equal(ended?.executionInfo?.result, "failure");
  });

  it("keeps the 10 most recently changed tasks, newest first, with each one's outcome", async () => {
    const ids = Array.from({ length: 11 }, (_, i) => `t${String(i + 1).padStart(2, "0")}`);
    for (const id of ids) {
      const exit = id === "t05" ? 5 : 0;
      assert.equal((await call("POST", "/jobs/rj/tasks", { id, commandLine: `/bin/sh -c "exit ${exit}"` })).status, 201);
    }
    await waitFor("every task to complete", async () => {
      const tasks = (await get("/jobs/rj/tasks")).value as { state: string }[];
      return tasks.length === 12 && tasks.every((task) => task.state === "completed") ? true : undefined;
    }, 90_000);
    const list = (await waitFor("ten completed entries", async () => {
      const entries = await recent();
      return entries?.length === 10 && entries.every((entry) => entry.taskState === "completed") ? entries : undefined;
    })) as RecentTask[];
    assert.deepEqual(new Set(list.map((entry) => entry.taskId)), new Set(ids.slice(1)), "the oldest changes (long, t01) dropped out");
    const ends = list.map((entry) => entry.executionInfo?.endTime ?? "");
    assert.deepEqual(ends, [...ends].sort().reverse(), "newest first");
    const failed = list.find((entry) => entry.taskId === "t05");
    assert.equal(failed?.executionInfo?.exitCode, 5);
    assert.equal(failed?.executionInfo?.result, "failure");
    assert.equal(failed?.executionInfo?.failureInfo?.code, "FailureExitCode");
    assert.equal(list.find((entry) => entry.taskId === "t11")?.executionInfo?.exitCode, 0);

    const sdk = await pythonSnippet(server.url, account, `
node = client.compute_node.get("recent", ${JSON.stringify(nodeId)})
emit([[t.task_id, t.task_state, t.execution_info.exit_code] for t in node.recent_tasks])
`);
    assert.equal(sdk.length, 10);
    assert.deepEqual(sdk.find((entry: [string]) => entry[0] === "t05"), ["t05", "completed", 5]);
  });
});
