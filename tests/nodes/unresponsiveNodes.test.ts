/**
 * A frozen agent (SIGSTOP): issue #15 item 4 and docs/agent-protocol.md "Unresponsive nodes". Its node turns
 * `unknown` after the heartbeat timeout and its running task stays `running` (Azure keeps it: the node may come
 * back). Once the node has been `unknown` for `unknownNodeTimeoutInSeconds`, the run is given up as lost to a host
 * failure: the task is retried on another node as a recovery retry (no retry, no requeue counted). When the agent
 * thaws, its node recovers and the agent ends the process of the run it no longer has, so only one copy runs.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { readSavedState } from "@openbatch/agent";
import { ubuntuVm } from "../support/pools.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

function agentPid(agentId: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv.includes("--agent-id") && argv[argv.indexOf("--agent-id") + 1] === agentId) return Number(entry);
    } catch {
      // ended while we looked
    }
  }
  return undefined;
}

/** Process groups of the live processes of the task `frozen`, from their environment. */
function taskGroups(): Set<number> {
  const groups = new Set<number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environment = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (!environment.includes("AZ_BATCH_TASK_ID=frozen") || !environment.includes("AZ_BATCH_JOB_ID=freezejob")) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z") groups.add(Number(fields[2]));
    } catch {
      // ended while we looked
    }
  }
  return groups;
}

describe("a node that stays unknown (frozen agent)", () => {
  let server: TestServer;
  let gates: string;
  let frozenPid = 0;
  let firstNode = "";
  const call = (method: string, path: string, body?: object): Promise<BatchResponse> =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const node = async (id: string) => (await call("GET", `/pools/frozen/nodes/${id}`)).json as { state: string };
  const task = async () => (await call("GET", "/jobs/freezejob/tasks/frozen")).json;

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1, nodeHeartbeatTimeoutInSeconds: 2, unknownNodeTimeoutInSeconds: 3, nodesPerAgent: 1 });
    gates = mkdtempSync(join(tmpdir(), "openbatch-gates-"));
    assert.equal((await call("POST", "/pools", { id: "frozen", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 2, virtualMachineConfiguration: ubuntuVm })).status, 201);
    await waitFor("2 idle nodes", async () => {
      const list = (await call("GET", "/pools/frozen/nodes")).json.value as { state: string }[];
      return list.length === 2 && list.every((entry) => entry.state === "idle");
    });
    assert.equal((await call("POST", "/jobs", { id: "freezejob", poolInfo: { poolId: "frozen" } })).status, 201);
    const gate = join(gates, "open");
    const added = await call("POST", "/jobs/freezejob/tasks", { id: "frozen", commandLine: `/bin/sh -c "echo run >> ${join(gates, "runs")}; while [ ! -e ${gate} ]; do sleep 0.1; done"` });
    assert.equal(added.status, 201, added.text);
    firstNode = await waitFor("the task to run", async () => {
      const current = await task();
      return current.state === "running" && taskGroups().size === 1 ? (current.nodeInfo.nodeId as string) : undefined;
    });
    const nodesDir = join(server.dataDir, "nodes");
    const hosts = (file: string) => readSavedState(join(nodesDir, file))?.nodes.some((entry) => entry.nodeId === firstNode) === true;
    const stateFile = readdirSync(nodesDir).find((file) => /^agent-state\..+\.json$/.test(file) && hosts(file));
    assert.ok(stateFile !== undefined, "the agent hosting the task's node has a state file");
    frozenPid = agentPid(stateFile.slice("agent-state.".length, -".json".length)) as number;
    assert.ok(frozenPid > 0);
    process.kill(frozenPid, "SIGSTOP");
  });
  after(async () => {
    if (frozenPid > 0) process.kill(frozenPid, "SIGCONT");
    writeFileSync(join(gates, "open"), "");
    await server.dispose();
    rmSync(gates, { recursive: true, force: true });
  });

  it("keeps the task running while the node is unknown, then retries it elsewhere as a recovery retry", async () => {
    await waitFor("the frozen agent's node to turn unknown", async () => (await node(firstNode)).state === "unknown", 30_000, 100);
    const whileUnknown = await task();
    assert.equal(whileUnknown.state, "running", "Azure keeps a task of an unknown node");
    assert.equal(whileUnknown.nodeInfo.nodeId, firstNode);

    const moved = await waitFor("the task to run on the other node", async () => {
      const current = await task();
      return current.state === "running" && current.nodeInfo.nodeId !== firstNode ? current : undefined;
    }, 30_000, 100);
    assert.equal(moved.executionInfo.retryCount, 0, "a host failure uses no retry");
    assert.equal(moved.executionInfo.requeueCount, 0, "nor a requeue, which counts user requests");
    assert.equal((await node(firstNode)).state, "unknown", "the node itself stays unknown until its agent is back");
    await waitFor("the second run to start", async () => readFileSync(join(gates, "runs"), "utf8") === "run\nrun\n", 30_000);
  });

  it("recovers the node when the agent thaws, and ends the run it gave up", async () => {
    process.kill(frozenPid, "SIGCONT");
    frozenPid = 0;
    await waitFor("the node to recover", async () => (await node(firstNode)).state === "idle", 30_000, 100);
    await waitFor("one copy of the task left", async () => taskGroups().size === 1, 30_000, 100);
    writeFileSync(join(gates, "open"), "");
    const done = await waitFor("the task to complete", async () => {
      const current = await task();
      return current.state === "completed" ? current : undefined;
    }, 30_000);
    assert.equal(done.executionInfo.result, "success", JSON.stringify(done.executionInfo));
    assert.notEqual(done.nodeInfo.nodeId, firstNode);
  });
});
