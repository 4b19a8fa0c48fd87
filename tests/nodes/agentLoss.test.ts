/**
 * An agent process that dies (SIGKILL, so it cannot say goodbye): its nodes leave `idle`/`running` for `unknown`
 * within the configured heartbeat timeout, the other agents' nodes are untouched, and the local provider starts the
 * agent again so that its nodes recover.
 *
 * What Azure Batch does with the task that was running there (semantics.md §2.2): losing the node is a host
 * failure, which Batch answers with a *recovery retry* — the task runs again, on the same node once it is back or
 * on another, without touching `retryCount` (so even with `maxTaskRetryCount` 0) and without counting a
 * `requeueCount` (that one counts user requests only). The task is not failed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { readSavedState } from "@openbatch/agent";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const heartbeatTimeoutInSeconds = 3;

/** The pid of the agent process with this id, from the command lines in /proc. */
function agentPid(agentId: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv[argv.indexOf("--agent-id") + 1] === agentId && argv.includes("--agent-id")) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}

/** The live processes of the task `victim` (its shell and `sleep`s), from their environment: [pid, process group]. */
function taskProcesses(): [number, number][] {
  const found: [number, number][] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environment = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (!environment.includes("AZ_BATCH_TASK_ID=victim") || !environment.includes("AZ_BATCH_JOB_ID=lossjob")) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      found.push([Number(entry), Number(fields[2])]);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

describe("losing an agent process", () => {
  let server: TestServer;
  let gates: string;
  let lostNodes: string[] = [];
  let keptNodes: string[] = [];
  let killedPid = 0;
  let taskNode = "";
  let leftIdleInMs = 0;
  const call = (method: string, path: string, body?: object): Promise<BatchResponse> =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const nodes = async () => (await call("GET", "/pools/lossy/nodes")).json.value as { id: string; state: string }[];

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1, nodeHeartbeatTimeoutInSeconds: heartbeatTimeoutInSeconds, nodesPerAgent: 2 });
    gates = mkdtempSync(join(tmpdir(), "openbatch-gates-"));
    const created = await call("POST", "/pools", { id: "lossy", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 4, virtualMachineConfiguration: ubuntuVm });
    assert.equal(created.status, 201, created.text);
    await waitFor("4 idle nodes", async () => {
      const list = await nodes();
      return list.length === 4 && list.every((node) => node.state === "idle") ? true : undefined;
    });
    assert.equal((await call("POST", "/jobs", { id: "lossjob", poolInfo: { poolId: "lossy" } })).status, 201);
    const gate = join(gates, "open");
    const added = await call("POST", "/jobs/lossjob/tasks", { id: "victim", commandLine: `/bin/sh -c "echo run >> ${join(gates, "runs")}; while [ ! -e ${gate} ]; do sleep 0.1; done"` });
    assert.equal(added.status, 201, added.text);
    taskNode = await waitFor("the task to run", async () => {
      const task = (await call("GET", "/jobs/lossjob/tasks/victim")).json;
      return task.state === "running" ? (task.nodeInfo.nodeId as string) : undefined;
    });

    // Which agent hosts the task's node: each agent keeps its nodes in <nodes dir>/agent-state.<agentId>.json.
    const nodesDir = join(server.dataDir, "nodes");
    const hosts = new Map<string, string[]>();
    for (const file of readdirSync(nodesDir).filter((name) => /^agent-state\..+\.json$/.test(name))) {
      const agentId = file.slice("agent-state.".length, -".json".length);
      hosts.set(agentId, readSavedState(join(nodesDir, file))?.nodes.map((node) => node.nodeId) ?? []);
    }
    assert.equal(hosts.size, 2, "two agents of two nodes each");
    const [agentId, hosted] = [...hosts].find(([, ids]) => ids.includes(taskNode)) as [string, string[]];
    lostNodes = hosted;
    keptNodes = [...hosts.values()].flat().filter((id) => !hosted.includes(id));
    killedPid = agentPid(agentId) as number;
    assert.ok(killedPid > 0, `agent ${agentId} runs`);
    // `running` is reported as the run begins; kill only once the process really runs and the agent has it on disk.
    await waitFor("the task's process to run and be recorded", async () => {
      const state = readSavedState(join(nodesDir, `agent-state.${agentId}.json`));
      const recorded = state?.nodes.some((node) => node.tasks?.some((run) => run.process !== undefined)) === true;
      return recorded && taskProcesses().length > 0 ? true : undefined;
    });

    const killedAt = Date.now();
    process.kill(killedPid, "SIGKILL");
    await waitFor("the lost agent's nodes to leave idle and running", async () => {
      const list = await nodes();
      const lost = list.filter((node) => lostNodes.includes(node.id));
      return lost.length === 2 && lost.every((node) => node.state === "unknown") ? true : undefined;
    }, 60_000, 100);
    leftIdleInMs = Date.now() - killedAt;
  });
  after(async () => {
    writeFileSync(join(gates, "open"), "");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.dispose();
    rmSync(gates, { recursive: true, force: true });
  });

  it("marks the lost agent's nodes unknown within the heartbeat timeout, and only those", async (t) => {
    t.diagnostic(`nodes unknown ${leftIdleInMs} ms after the kill`);
    // The tracker checks every timeout/4; two more seconds cover polling and a busy machine.
    const boundInMs = heartbeatTimeoutInSeconds * 1000 * 1.25 + 2000;
    assert.ok(leftIdleInMs <= boundInMs, `${leftIdleInMs} ms > ${boundInMs} ms`);
    const list = await nodes();
    for (const id of keptNodes) assert.equal(list.find((node) => node.id === id)?.state, "idle", `${id} on the other agent`);
  });

  it("starts the agent again and its nodes recover with the same ids", async () => {
    const list = await waitFor("the nodes to recover", async () => {
      const current = await nodes();
      return current.length === 4 && current.every((node) => node.state !== "unknown") ? current : undefined;
    }, 60_000);
    for (const id of lostNodes) assert.ok(list.some((node) => node.id === id), `${id} is back`);
    assert.equal(list.filter((node) => node.state === "idle" || node.state === "running").length, 4);
  });

  // The restarted agent ends the process it finds left over and reports the run lost (AgentRestarted); the server
  // runs the task again as a recovery retry (semantics.md §2.2).
  it("retries the task that ran there, as a recovery retry (no retry or requeue counted), and it completes", async () => {
    const again = await waitFor("the task to run again or complete", async () => {
      const task = (await call("GET", "/jobs/lossjob/tasks/victim")).json;
      if (task.state === "completed") return task;
      const back = taskProcesses().length > 0 && (await nodes()).every((node) => node.state !== "unknown");
      return task.state === "running" && back ? task : undefined;
    }, 30_000);
    assert.equal(again.state, "running", `the task was not retried: ${JSON.stringify(again.executionInfo)}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const groups = new Set(taskProcesses().map(([, group]) => group));
    assert.equal(groups.size, 1, `one copy of the task runs (process groups ${[...groups]})`);
    writeFileSync(join(gates, "open"), "");
    const task = await waitFor("the task to complete", async () => {
      const current = (await call("GET", "/jobs/lossjob/tasks/victim")).json;
      return current.state === "completed" ? current : undefined;
    }, 60_000);
    assert.equal(task.executionInfo.result, "success", JSON.stringify(task.executionInfo));
    assert.equal(task.executionInfo.exitCode, 0);
    assert.equal(task.executionInfo.retryCount, 0);
    assert.equal(task.executionInfo.requeueCount, 0);
    assert.equal(readFileSync(join(gates, "runs"), "utf8"), "run\nrun\n", "it ran twice: once before the loss, once after");
  });
});
