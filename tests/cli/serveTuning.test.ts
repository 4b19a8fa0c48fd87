/**
 * `openbatch serve`'s agent tuning flags reach the server: with `--nodes-per-agent 1` a pool of two nodes is hosted
 * by two agent processes (the default, 16, would host both in one); bad values are refused before the server starts.
 * `--subscription-id` and the Spot eviction flags (issue #14 items 2 and 11) likewise.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { developmentAccount } from "@openbatch/server";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const main = new URL("../../../packages/cli/dist/src/main.js", import.meta.url).pathname;
const account = { name: developmentAccount.name, key: developmentAccount.key };

/** The pids of the agent processes serving `dataDir` (their command line names its `nodes` directory). */
function agentPids(dataDir: string): string[] {
  const found = spawnSync("pgrep", ["-f", "--", `--data-dir ${join(dataDir, "nodes")}`]).stdout.toString().trim();
  return found === "" ? [] : found.split("\n");
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stderr };
}

describe("openbatch serve agent tuning", () => {
  let dataDir: string;
  let server: ChildProcess | undefined;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), "openbatch-serve-tuning-"));
  });
  after(() => {
    server?.kill("SIGKILL");
    // Agents are detached from the server: end the ones this test's server started (named by its data directory).
    spawnSync("pkill", ["-KILL", "-f", "--", `--data-dir ${join(dataDir, "nodes")}`]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("--nodes-per-agent 1 hosts each node of a two-node pool in its own agent process", async () => {
    const child = spawn(process.execPath, [main, "serve", "--port", "0", "--log-level", "warn", "--data-dir", dataDir, "--nodes-per-agent", "1", "--agent-heartbeat-interval", "1"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    server = child;
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const url = await waitFor("the serve banner", async () => /listening on (http:\/\/\S+)\n[\s\S]*Data directory: /.exec(output)?.[1], 30_000);
    const call = (method: string, path: string, body?: object) =>
      batchRequest(url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });

    const created = await call("POST", "/pools", { id: "pair", vmSize: "standard_d2s_v3", virtualMachineConfiguration: ubuntuVm, targetDedicatedNodes: 2 });
    assert.equal(created.status, 201, created.text);
    await waitFor("two idle nodes", async () => {
      const nodes = (await call("GET", "/pools/pair/nodes")).json.value as { state: string }[];
      return nodes.length === 2 && nodes.every((node) => node.state === "idle") ? true : undefined;
    });
    assert.equal(agentPids(dataDir).length, 2, "one agent process per node");

    assert.equal((await call("DELETE", "/pools/pair")).status, 202);
    await waitFor("the agents to exit", async () => (agentPids(dataDir).length === 0 ? true : undefined), 30_000);
    const stopped = once(child, "exit");
    child.kill("SIGTERM");
    assert.equal(((await stopped) as [number | null])[0], 0);
    server = undefined;
  });

  it("refuses a value that is not a positive whole number, from the flag and from the environment", async () => {
    const flag = await exitOf(spawn(process.execPath, [main, "serve", "--port", "0", "--data-dir", dataDir, "--nodes-per-agent", "0"], { stdio: ["ignore", "pipe", "pipe"] }));
    assert.equal(flag.code, 2, "a usage error");
    assert.match(flag.stderr, /--nodes-per-agent.*at least 1/);
    const environment = await exitOf(
      spawn(process.execPath, [main, "serve", "--port", "0", "--data-dir", dataDir], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, OPENBATCH_NODE_HEARTBEAT_TIMEOUT: "soon" },
      }),
    );
    assert.equal(environment.code, 2, "a usage error");
    assert.match(environment.stderr, /OPENBATCH_NODE_HEARTBEAT_TIMEOUT must be a whole number/);
  });

  it("--subscription-id is the subscription ARM ids must name; bad Spot eviction rates are refused", async () => {
    const subscription = "12345678-1234-4234-8234-123456789abc";
    const child = spawn(process.execPath, [main, "serve", "--port", "0", "--log-level", "warn", "--data-dir", dataDir, "--subscription-id", subscription, "--spot-eviction-rate", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    server = child;
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const url = await waitFor("the serve banner", async () => /listening on (http:\/\/\S+)\n[\s\S]*Data directory: /.exec(output)?.[1], 30_000);
    const subnet = (id: string) => `/subscriptions/${id}/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/s`;
    const add = (id: string, subscriptionId: string) =>
      batchRequest(url, {
        method: "POST",
        path: `/pools?api-version=${apiVersion}`,
        account,
        body: { id, vmSize: "standard_d2s_v3", virtualMachineConfiguration: ubuntuVm, networkConfiguration: { subnetId: subnet(subscriptionId) } },
      });
    assert.equal((await add("mine", subscription)).status, 201);
    const other = await add("theirs", "6f70656e-6261-7463-6800-000000000000");
    assert.equal(other.status, 400, other.text);
    assert.equal(other.json.code, "InvalidPropertyValue");
    const stopped = once(child, "exit");
    child.kill("SIGTERM");
    assert.equal(((await stopped) as [number | null])[0], 0);
    server = undefined;

    const negative = await exitOf(spawn(process.execPath, [main, "serve", "--port", "0", "--data-dir", dataDir, "--spot-eviction-rate", "-1"], { stdio: ["ignore", "pipe", "pipe"] }));
    assert.equal(negative.code, 2, "a usage error");
    assert.match(negative.stderr, /--spot-eviction-rate.*at least 0/);
    const environment = await exitOf(
      spawn(process.execPath, [main, "serve", "--port", "0", "--data-dir", dataDir], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, OPENBATCH_SPOT_EVICTION_RATE: "often" } }),
    );
    assert.equal(environment.code, 2, "a usage error");
    assert.match(environment.stderr, /OPENBATCH_SPOT_EVICTION_RATE must be a number/);
  });
});
