/**
 * Deleting a pool leaves nothing behind on this machine: processes a start task or a task left running in the
 * background are killed with their process group, the node and pool directories are gone, and each retired agent
 * deletes its state file; its log goes too once it has exited (it recorded no error).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

/** Pids of processes whose command line is exactly `argv` (a duration no other test uses). */
function processes(argv: string): string[] {
  const found = spawnSync("pgrep", ["-x", "-f", argv]).stdout.toString().trim();
  return found === "" ? [] : found.split("\n");
}

describe("pool delete cleans up", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;

  before(async () => {
    // One agent per node: two agents each retire and clean up after themselves.
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1, nodesPerAgent: 1 });
  });
  after(() => {
    // A failed assertion must not leave the background sleeps behind.
    spawnSync("pkill", ["-KILL", "-x", "-f", "sleep 3171"]);
    spawnSync("pkill", ["-KILL", "-x", "-f", "sleep 3172"]);
    return server.dispose();
  });

  it("kills what the start task and a task left in the background, and removes node directories, state files and logs", async () => {
    assert.equal((await call("POST", "/pools", {
      id: "tidy", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 2, virtualMachineConfiguration: ubuntuVm,
      startTask: { commandLine: "/bin/sh -c 'sleep 3171 & echo started'" },
    })).status, 201);
    await waitFor("two idle nodes", async () => {
      const nodes = (await get("/pools/tidy/nodes")).value as { state: string }[];
      return nodes.length === 2 && nodes.every((node) => node.state === "idle") ? true : undefined;
    });
    assert.equal(processes("sleep 3171").length, 2, "each node's start task left a sleep running");
    assert.equal((await call("POST", "/jobs", { id: "tj", poolInfo: { poolId: "tidy" } })).status, 201);
    assert.equal((await call("POST", "/jobs/tj/tasks", { id: "bg", commandLine: "/bin/sh -c 'sleep 3172 & echo background'" })).status, 201);
    await waitFor("the task to complete", async () => ((await get("/jobs/tj/tasks/bg")).state === "completed" ? true : undefined));
    assert.equal(processes("sleep 3172").length, 1, "the task left a sleep running");

    const nodesDir = join(server.dataDir, "nodes");
    const agentsDir = join(server.dataDir, "agents");
    assert.equal(readdirSync(nodesDir).filter((name) => name.startsWith("agent-state.")).length, 2);
    assert.equal(readdirSync(agentsDir).length, 2);

    assert.equal((await call("DELETE", "/pools/tidy")).status, 202);
    await waitFor("the pool to be gone", async () => ((await call("GET", "/pools/tidy")).status === 404 ? true : undefined), 30_000);
    await waitFor("the background processes to be killed", async () => (processes("sleep 3171").length + processes("sleep 3172").length === 0 ? true : undefined), 30_000);
    await waitFor("the agents, their state files, the pool directory and the logs to be gone", async () => {
      const agents = spawnSync("pgrep", ["-f", "--", `--data-dir ${nodesDir}`]).stdout.toString().trim();
      const left = [...readdirSync(nodesDir), ...readdirSync(agentsDir)];
      return agents === "" && left.length === 0 ? true : undefined;
    }, 30_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; left: ${[...readdirSync(nodesDir), ...readdirSync(agentsDir)].join(", ")}`);
    });
    assert.equal(existsSync(join(nodesDir, "tidy")), false);
  });
});
