import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const size = 100;
/** Generous: this proves a 100-node pool works on a loaded 2-core machine, not how fast (bench/pool100.mjs does). */
const budgetInMs = 300_000;

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

describe(`a pool of ${size} local nodes`, () => {
  let server: TestServer;
  let nodesDir: string;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });

  /** Every node, following odata.nextLink with small pages; returns the nodes and the page sizes. */
  async function listNodes(): Promise<{ nodes: { id: string; state: string }[]; pages: number[] }> {
    const nodes: { id: string; state: string }[] = [];
    const pages: number[] = [];
    let path: string | undefined = `/pools/big/nodes?maxresults=30&api-version=${apiVersion}`;
    while (path !== undefined) {
      const response = await batchRequest(server.url, { path, account });
      assert.equal(response.status, 200, response.text);
      nodes.push(...response.json.value);
      pages.push(response.json.value.length);
      const link: string | undefined = response.json["odata.nextLink"];
      path = link === undefined ? undefined : link.slice(server.url.length);
    }
    return { nodes, pages };
  }

  const steadyAndIdle = (count: number) =>
    waitFor(`a steady pool of ${count} idle nodes`, async () => {
      const pool = (await call("GET", "/pools/big")).json;
      if (pool.allocationState !== "steady" || pool.currentDedicatedNodes !== count) return undefined;
      const { nodes } = await listNodes();
      return nodes.length === count && nodes.every((node) => node.state === "idle") ? nodes : undefined;
    }, budgetInMs, 500);

  async function timed<T>(t: TestContext, label: string, work: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    const result = await work();
    t.diagnostic(`${label}: ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(2)} s`);
    return result;
  }

  before(async () => {
    // Beyond this host's default core quota (docs/quotas.md): this test is about a pool of this size.
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 2, quotas: { dedicatedCores: 2 * size } });
    nodesDir = join(server.dataDir, "nodes");
  });
  after(() => server.dispose());

  it(`brings ${size} nodes with a start task up to idle, hosted by several agent processes`, async (t) => {
    const nodes = await timed(t, `create ${size} nodes → all idle`, async () => {
      const created = await call("POST", "/pools", {
        id: "big", vmSize: "Standard_D2s_v3", targetDedicatedNodes: size, virtualMachineConfiguration: ubuntuVm,
        startTask: { commandLine: "/bin/sh -c 'echo ready > $AZ_BATCH_NODE_SHARED_DIR/ready'" },
      });
      assert.equal(created.status, 201, created.text);
      return steadyAndIdle(size);
    });
    assert.equal(new Set(nodes.map((node) => node.id)).size, size);
    // Several nodes per agent, and more than one agent: process start-up is not serialised in one event loop.
    const agents = agentPids(nodesDir);
    t.diagnostic(`agent processes: ${agents.length}`);
    assert.ok(agents.length > 1 && agents.length < size, `${agents.length} agent processes for ${size} nodes`);
    const counts = (await call("GET", "/nodecounts")).json.value.find((entry: { poolId: string }) => entry.poolId === "big");
    assert.equal(counts.dedicated.idle, size);
    assert.equal(counts.dedicated.total, size);
  });

  it(`lists all ${size} nodes page by page`, async (t) => {
    const { nodes, pages } = await timed(t, `list ${size} nodes`, listNodes);
    assert.equal(nodes.length, size);
    assert.equal(new Set(nodes.map((node) => node.id)).size, size, "no node listed twice");
    assert.deepEqual(pages, [30, 30, 30, 10]);
  });

  it(`resizes to ${size / 2} and back to ${size}`, async (t) => {
    const down = await timed(t, `resize to ${size / 2} → steady`, async () => {
      assert.equal((await call("POST", "/pools/big/resize", { targetDedicatedNodes: size / 2 })).status, 202);
      return steadyAndIdle(size / 2);
    });
    assert.equal(down.length, size / 2);
    const up = await timed(t, `resize back to ${size} → all idle`, async () => {
      assert.equal((await call("POST", "/pools/big/resize", { targetDedicatedNodes: size })).status, 202);
      return steadyAndIdle(size);
    });
    assert.equal(new Set(up.map((node) => node.id)).size, size);
  });

  it("deletes the pool and every agent process exits", async (t) => {
    await timed(t, "delete → pool gone, every agent exited", async () => {
      assert.equal((await call("DELETE", "/pools/big")).status, 202);
      await waitFor("the pool to be gone", async () => ((await call("HEAD", "/pools/big")).status === 404 ? true : undefined), budgetInMs, 500);
      await waitFor("every agent process to exit", async () => (agentPids(nodesDir).length === 0 ? true : undefined), budgetInMs, 500)
        .catch(() => assert.fail(`agent processes still running: ${agentPids(nodesDir)}`));
    });
    const poolDir = join(nodesDir, "big");
    assert.deepEqual(existsSync(poolDir) ? readdirSync(poolDir) : [], [], "no node directory is left");
  });
});
