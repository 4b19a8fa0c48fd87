/**
 * Issue #16 item 5: a large pool of local nodes works — brought up, every node complete, resized, deleted without
 * leaving anything behind — with the production defaults: many nodes per agent process and task isolation on
 * (agents as root: every start task runs sandboxed as the pool's OS account, which all nodes of the pool share and
 * whose holders are written to the host's registry in batches, packages/agent/src/nodes/taskIdentities.ts).
 * It proves correctness only; how fast and how much memory is bench/pool1000.mjs's, so no step is timed against a
 * bound (the waits are generous because CI's two cores are shared).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { requireRoot } from "../support/requireRoot.js";
import { osAccountExists, removeOsAccounts, taskAccountNames } from "../support/taskAccounts.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const size = 500;
const half = size / 2;
/** Generous: the pool must come up on a loaded 2-core machine; this is a timeout, not an assertion. */
const waitInMs = 600_000;

/** The pids of the agent processes serving `nodesDir`, from their command lines. */
function agentPids(nodesDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const at = argv.indexOf("--data-dir");
      if (at >= 0 && argv[at + 1] === nodesDir) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

interface ListedNode {
  readonly id: string;
  readonly state: string;
}

describe(`a pool of ${size} local nodes with the default agents and isolation`, () => {
  before(() => requireRoot("a pool whose start tasks run as OS accounts"));
  let server: TestServer;
  let nodesDir: string;
  const accounts = new Set<string>();
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });

  async function listNodes(): Promise<ListedNode[]> {
    const nodes: ListedNode[] = [];
    let path: string | undefined = `/pools/large/nodes?maxresults=1000&api-version=${apiVersion}`;
    while (path !== undefined) {
      const response = await batchRequest(server.url, { path, account });
      assert.equal(response.status, 200, response.text);
      nodes.push(...response.json.value);
      const link: string | undefined = response.json["odata.nextLink"];
      path = link === undefined ? undefined : link.slice(server.url.length);
    }
    return nodes;
  }

  /** Steady with `count` idle nodes, watched through the cheap pool read, then confirmed on the full list. */
  async function steadyAndIdle(count: number): Promise<ListedNode[]> {
    await waitFor(`a steady pool of ${count} idle nodes`, async () => {
      const pool = (await call("GET", "/pools/large")).json;
      if (pool.allocationState !== "steady" || pool.currentDedicatedNodes !== count) return undefined;
      const counts = (await call("GET", "/nodecounts")).json.value.find((entry: { poolId: string }) => entry.poolId === "large");
      return counts?.dedicated.idle === count ? true : undefined;
    }, waitInMs, 500);
    const nodes = await listNodes();
    assert.equal(nodes.length, count);
    assert.equal(new Set(nodes.map((node) => node.id)).size, count, "no node listed twice");
    assert.ok(nodes.every((node) => node.state === "idle"), "every node idle");
    return nodes;
  }

  /** The registry entry of the pool's OS account: which nodes hold it (taskIdentities.ts). */
  function accountHolders(): { name: string; holders: string[] } {
    const names = taskAccountNames(server.dataDir);
    assert.equal(names.length, 1, `one OS account for the pool's start tasks: ${names.join(", ")}`);
    const name = names[0] as string;
    accounts.add(name);
    const entry = JSON.parse(readFileSync(join(nodesDir, ".task-users", `${name}.json`), "utf8")) as { holders: Record<string, unknown> };
    return { name, holders: Object.keys(entry.holders).sort() };
  }

  /** Every node's tree as the agent made it, and the start task's file written as the pool's account. */
  function assertTrees(nodes: readonly ListedNode[], uid: number): void {
    for (const node of nodes) {
      const root = join(nodesDir, "large", node.id);
      assert.deepEqual(readdirSync(root).sort(), ["applications", "fsmounts", "shared", "startup", "volatile", "workitems"], node.id);
      assert.deepEqual(readdirSync(join(root, "startup")).sort(), ["stderr.txt", "stdout.txt", "wd"], node.id);
      assert.equal(readFileSync(join(root, "startup", "stdout.txt"), "utf8"), `started ${node.id}\n`);
      assert.equal(readFileSync(join(root, "shared", "ready"), "utf8"), `${node.id}\n`);
      assert.equal(statSync(join(root, "shared", "ready")).uid, uid, `${node.id}: the start task ran as the pool's account`);
    }
  }

  /** Each node's start-task file through the node-file API (proxied to the agent hosting it), a few at a time. */
  async function assertFilesReadable(nodes: readonly ListedNode[]): Promise<void> {
    const queue = [...nodes];
    const reader = async (): Promise<void> => {
      for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
        const file = await call("GET", `/pools/large/nodes/${node.id}/files/shared%2Fready`);
        assert.equal(file.status, 200, `${node.id}: ${file.text}`);
        assert.equal(file.text, `${node.id}\n`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, reader));
  }

  before(async () => {
    // Beyond this host's default core quota (docs/quotas.md): this test is about a pool of this size.
    server = await startTestServer({ taskIsolation: true, agentHeartbeatIntervalInSeconds: 2, quotas: { dedicatedCores: 2 * size } });
    nodesDir = join(server.dataDir, "nodes");
  });
  after(async () => {
    for (const name of taskAccountNames(server.dataDir)) accounts.add(name);
    await server.dispose();
    removeOsAccounts(accounts);
  });

  it(`brings ${size} nodes with a start task up to idle, complete, in as few agent processes as the default allows`, async () => {
    const created = await call("POST", "/pools", {
      id: "large", vmSize: "Standard_D2s_v3", targetDedicatedNodes: size, virtualMachineConfiguration: ubuntuVm,
      startTask: { commandLine: "/bin/sh -c 'echo started $AZ_BATCH_NODE_ID; echo $AZ_BATCH_NODE_ID > $AZ_BATCH_NODE_SHARED_DIR/ready'", waitForSuccess: true },
    });
    assert.equal(created.status, 201, created.text);
    const nodes = await steadyAndIdle(size);
    assert.equal(agentPids(nodesDir).length, Math.ceil(size / server.config.nodesPerAgent), "nodes are packed into agents of nodesPerAgent");
    const counts = (await call("GET", "/nodecounts")).json.value.find((entry: { poolId: string }) => entry.poolId === "large");
    assert.equal(counts.dedicated.idle, size);
    assert.equal(counts.dedicated.total, size);
    // One account for the pool, held by every node: the agents' batched registry writes lost none.
    const { name, holders } = accountHolders();
    assert.deepEqual(holders, nodes.map((node) => `large/${node.id}`).sort());
    const uid = Number(readFileSync("/etc/passwd", "utf8").split("\n").find((line) => line.startsWith(`${name}:`))?.split(":")[2]);
    assert.ok(uid > 0, `the account ${name} exists and is not root`);
    assertTrees(nodes, uid);
    await assertFilesReadable(nodes);
  });

  it(`resizes to ${half}: the nodes that left are gone from disk and from the account's holders; and back to ${size}`, async () => {
    const before = new Set((await listNodes()).map((node) => node.id));
    assert.equal((await call("POST", "/pools/large/resize", { targetDedicatedNodes: half })).status, 202);
    const kept = await steadyAndIdle(half);
    const left = [...before].filter((id) => !kept.some((node) => node.id === id));
    assert.equal(left.length, half);
    await waitFor("the directories of the nodes that left to be deleted", async () => left.every((id) => !existsSync(join(nodesDir, "large", id))), waitInMs, 500);
    await waitFor("the nodes that left to release the pool's account", async () => accountHolders().holders.length === half, waitInMs, 500);
    assert.deepEqual(accountHolders().holders, kept.map((node) => `large/${node.id}`).sort());

    assert.equal((await call("POST", "/pools/large/resize", { targetDedicatedNodes: size })).status, 202);
    const grown = await steadyAndIdle(size);
    const { name, holders } = accountHolders();
    assert.deepEqual(holders, grown.map((node) => `large/${node.id}`).sort());
    const uid = Number(readFileSync("/etc/passwd", "utf8").split("\n").find((line) => line.startsWith(`${name}:`))?.split(":")[2]);
    assertTrees(grown.filter((node) => !before.has(node.id)), uid);
  });

  it("deletes the pool: every agent exits, no node directory, agent state or OS account is left", async () => {
    const { name } = accountHolders();
    assert.equal((await call("DELETE", "/pools/large")).status, 202);
    await waitFor("the pool to be gone", async () => ((await call("HEAD", "/pools/large")).status === 404 ? true : undefined), waitInMs, 500);
    await waitFor("every agent process to exit", async () => (agentPids(nodesDir).length === 0 ? true : undefined), waitInMs, 500)
      .catch(() => assert.fail(`agent processes still running: ${agentPids(nodesDir).join(", ")}`));
    assert.equal(existsSync(join(nodesDir, "large")), false, "the pool's directory is gone");
    assert.deepEqual(readdirSync(nodesDir).filter((entry) => entry.startsWith("agent-state.")), [], "no agent state file is left");
    assert.deepEqual(taskAccountNames(server.dataDir), [], "the account's registry entry is gone");
    assert.equal(osAccountExists(name), false, `the OS account ${name} is deleted`);
  });
});
