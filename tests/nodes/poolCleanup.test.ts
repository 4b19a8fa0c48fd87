import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

/** The pids of this machine's processes whose command line or environment satisfies `matches`. */
function processesWhere(matches: (argv: string[], environment: string[]) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const environment = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (matches(argv, environment)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked, or is not ours to read
    }
  }
  return pids;
}

describe("deleting a pool cleans up after its nodes", () => {
  let server: TestServer;
  let nodesDir: string;
  const poolId = "cleanpool";
  /** Processes started on the pool's nodes: their environment names a node directory of the pool. */
  const poolProcesses = () =>
    processesWhere((_argv, environment) => environment.some((entry) => entry.startsWith(`AZ_BATCH_NODE_ROOT_DIR=${join(nodesDir, poolId)}/`)));
  const agentProcesses = () => processesWhere((argv) => argv.includes("--data-dir") && argv[argv.indexOf("--data-dir") + 1] === nodesDir);

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    nodesDir = join(server.dataDir, "nodes");
    const created = await batchRequest(server.url, {
      method: "POST", path: `/pools?api-version=${apiVersion}`, account,
      body: {
        id: poolId, vmSize: "Standard_D2s_v3", targetDedicatedNodes: 2, virtualMachineConfiguration: ubuntuVm,
        // The start task ends at once but leaves a `sleep` running in its process group.
        startTask: { commandLine: "/bin/sh -c 'sleep 600 & echo left a sleep behind'" },
      },
    });
    assert.equal(created.status, 201, created.text);
    await waitFor("two idle nodes", async () => {
      const nodes = (await batchRequest(server.url, { path: `/pools/${poolId}/nodes?api-version=${apiVersion}`, account })).json.value;
      return nodes.length === 2 && nodes.every((node: { state: string }) => node.state === "idle") ? true : undefined;
    });
    const sleeps = poolProcesses();
    assert.equal(sleeps.length, 2, "each node's start task left one sleep running");
    assert.ok(agentProcesses().length >= 1, "the pool's agent runs");
    assert.ok(existsSync(join(nodesDir, poolId)), "the pool has a directory");

    const deleted = await batchRequest(server.url, { method: "DELETE", path: `/pools/${poolId}?api-version=${apiVersion}`, account });
    assert.equal(deleted.status, 202, deleted.text);
    await waitFor("the pool to be gone", async () => {
      const pool = await batchRequest(server.url, { path: `/pools/${poolId}?api-version=${apiVersion}`, account });
      return pool.status === 404 ? true : undefined;
    });
  });
  after(async () => {
    // Whatever the agent failed to end is ended here, by pid, so that a failing run leaves nothing behind.
    for (const pid of poolProcesses()) process.kill(pid, "SIGKILL");
    await server.dispose();
  });

  it("leaves no agent process and no process started on its nodes", async () => {
    // The agent exits once it hosts no node; the bound is generous for a loaded machine.
    await waitFor("the pool's processes to end", async () => (poolProcesses().length === 0 && agentProcesses().length === 0 ? true : undefined), 30_000)
      .catch(() => assert.fail(`left running: node processes ${poolProcesses()}, agents ${agentProcesses()}`));
  });

  // The agent removes each node's directory but not yet the pool's own (fixed on branch fix-i3a).
  it("removes the pool's directory", { todo: "needs fix-i3a" }, async () => {
    const poolDir = join(nodesDir, poolId);
    await waitFor("the pool directory to be removed", async () => (existsSync(poolDir) ? undefined : true), 20_000)
      .catch(() => assert.fail(`${poolDir} is still there: ${readdirSync(poolDir)}`));
  });
});
