import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const run = promisify(execFile);
const account = testAccounts.alpha;
const script = new URL("../../conformance/python/pool_nodes.py", import.meta.url).pathname;

async function pythonScenario(server: TestServer, args: string[]): Promise<any> {
  const { stdout } = await run("/usr/bin/python3", [script, server.url, account.name, account.key, ...args], { timeout: 180_000 });
  const result = JSON.parse(stdout);
  assert.equal(result.ok, true, stdout);
  return result;
}


function pool(id: string, targetDedicatedNodes: number, startTask?: object) {
  return {
    id,
    vmSize: "standard_d2s_v3",
    virtualMachineConfiguration: {
      imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
      nodeAgentSKUId: "batch.node.ubuntu 22.04",
    },
    targetDedicatedNodes,
    ...(startTask === undefined ? {} : { startTask }),
  };
}

async function nodes(server: TestServer, poolId: string): Promise<any[]> {
  const response = await batchRequest(server.url, { path: `/pools/${poolId}/nodes?api-version=${apiVersion}`, account });
  assert.equal(response.status, 200, response.text);
  return response.json.value;
}

describe("pools and their nodes", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ nodeHeartbeatTimeoutInSeconds: 3, agentHeartbeatIntervalInSeconds: 1 });
  });
  after(() => server.dispose());

  it("runs a pool of 3 nodes with a start task through the official Python SDK, then deletes it", async () => {
    const result = await pythonScenario(server, [
      "--pool", "sdkpool", "--nodes", "3",
      "--start-command", `/bin/sh -c "echo hello from $AZ_BATCH_NODE_ID; echo marker > $AZ_BATCH_NODE_SHARED_DIR/marker.txt"`,
    ]);
    assert.equal(result.nodes.length, 3);
    for (const node of result.nodes) {
      assert.equal(node.state, "idle");
      assert.equal(node.isDedicated, true);
      assert.match(node.id, /^tvm-\d{10}_\d+-\d{8}t\d{6}z$/);
    }
    assert.equal(result.allocationState, "steady");
    assert.equal(result.currentDedicatedNodes, 3);
    assert.deepEqual(result.counts, { idle: 3, startTaskFailed: 0, total: 3 });
    assert.match(result.stdout, /^hello from tvm-/);
    assert.equal(result.stdoutLength, Buffer.byteLength(result.stdout));
    assert.equal(String(result.isDirectoryHeader), "false");
    assert.deepEqual(result.startTaskInfo, { state: "completed", exitCode: 0, result: "success", failureCode: null, retryCount: 0 });
    for (const file of ["startup/stdout.txt", "startup/stderr.txt", "shared/marker.txt"]) assert.ok(result.files.includes(file), `${file} in ${result.files}`);
    assert.ok(result.topLevel.includes("startup") && !result.topLevel.includes("startup/stdout.txt"), `top level: ${result.topLevel}`);
    // Every node directory is gone once the pool is.
    const poolDir = join(server.dataDir, "nodes", "sdkpool");
    await waitFor("node directories to be removed", async () => (!existsSync(poolDir) || readdirSync(poolDir).length === 0 ? true : undefined));
  });

  it("leaves nodes starttaskfailed with failureInfo when a waited-for start task fails", async () => {
    const result = await pythonScenario(server, ["--pool", "failing", "--nodes", "2", "--start-command", "/bin/sh -c 'exit 7'", "--expect", "starttaskfailed"]);
    assert.deepEqual(result.startTaskInfo, { state: "completed", exitCode: 7, result: "failure", failureCode: "FailureExitCode", retryCount: 0 });
    assert.deepEqual(result.counts, { idle: 0, startTaskFailed: 2, total: 2 });
  });

  it("retries a failing start task maxTaskRetryCount times", async () => {
    const created = await batchRequest(server.url, {
      method: "POST", path: `/pools?api-version=${apiVersion}`, account,
      body: pool("retrying", 1, { commandLine: "/bin/sh -c 'echo try >> $AZ_BATCH_NODE_SHARED_DIR/tries; exit 1'", maxTaskRetryCount: 2 }),
    });
    assert.equal(created.status, 201, created.text);
    const [node] = await waitFor("the start task to give up", async () => {
      const list = await nodes(server, "retrying");
      return list.length === 1 && list[0].state === "starttaskfailed" ? list : undefined;
    });
    assert.equal(node.startTaskInfo.retryCount, 2);
    const tries = await batchRequest(server.url, { path: `/pools/retrying/nodes/${node.id}/files/shared%2Ftries?api-version=${apiVersion}`, account });
    assert.equal(tries.text, "try\ntry\ntry\n");
  });

  it("refuses node file paths that leave the node's directory", async () => {
    const created = await batchRequest(server.url, { method: "POST", path: `/pools?api-version=${apiVersion}`, account, body: pool("escape", 1) });
    assert.equal(created.status, 201);
    const [node] = await waitFor("the node to be idle", async () => {
      const list = await nodes(server, "escape");
      return list.length === 1 && list[0].state === "idle" ? list : undefined;
    });
    for (const path of ["..%2F..%2F..%2Fetc%2Fpasswd", "startup%2F..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "..", "shared%2F%2E%2E%2F%2E%2E%2F%2E%2E"]) {
      for (const method of ["GET", "HEAD", "DELETE"]) {
        const response = await batchRequest(server.url, { method, path: `/pools/escape/nodes/${node.id}/files/${path}?api-version=${apiVersion}`, account });
        assert.ok(response.status >= 400 && response.status < 500, `${method} ${path} → ${response.status}`);
        if (method !== "HEAD") assert.ok(batchErrorCode(response), `${method} ${path}: ${response.text}`);
      }
    }
    const missing = await batchRequest(server.url, { path: `/pools/escape/nodes/${node.id}/files/nothing.txt?api-version=${apiVersion}`, account });
    assert.equal(missing.status, 404);
    assert.equal(batchErrorCode(missing), "FileNotFound");
  });

  it("marks the nodes of an agent that stopped reporting unknown, then restarts the dead agent and they recover", async () => {
    const created = await batchRequest(server.url, { method: "POST", path: `/pools?api-version=${apiVersion}`, account, body: pool("lost", 2) });
    assert.equal(created.status, 201);
    await waitFor("the nodes to be idle", async () => {
      const list = await nodes(server, "lost");
      return list.length === 2 && list.every((node) => node.state === "idle") ? list : undefined;
    });
    // Kill the agents of this server's pools: the one hosting "lost" is among them.
    server.killAgents("SIGKILL");
    const lost = await waitFor("the nodes to become unknown", async () => {
      const list = await nodes(server, "lost");
      return list.every((node) => node.state === "unknown") ? list : undefined;
    }, 15_000);
    assert.equal(lost.length, 2);
    // The local provider sees the agent process gone and starts it again; the nodes recover.
    await waitFor("the nodes to recover", async () => {
      const list = await nodes(server, "lost");
      return list.length === 2 && list.every((node) => node.state === "idle") ? list : undefined;
    }, 30_000);
  });
});
