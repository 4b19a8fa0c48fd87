// Benchmark: a pool of 100 local nodes, each running a start task — time to all idle, to list them, to resize to
// 50 and back to 100, and to delete the pool (every node process gone). Prints seconds per step and nodes per
// second. Run after `npm run build`: `node bench/pool100.mjs [nodes]`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startServer } from "@openbatch/server";
import { batchRequest } from "../tests/dist/support/batchRequest.js";
import { removeTaskAccounts } from "../tests/dist/support/taskAccounts.js";

const total = Number(process.argv[2] ?? 100);
const key = Buffer.from("benchmark-account-key-0123456789").toString("base64");
const account = { name: "benchacct", key };
const dataDir = mkdtempSync(join(tmpdir(), "openbatch-bench-"));
const server = await startServer({
  port: 0,
  dataDir,
  logLevel: "silent",
  accounts: [`${account.name}:${key}`],
  localAgentEntry: fileURLToPath(import.meta.resolve("@openbatch/agent/main")),
  taskIsolation: process.env.TASK_ISOLATION !== "off",
  // Beyond the host's default core quota (docs/quotas.md): the pool's size is what is measured.
  quotas: { dedicatedCores: 2 * total },
});
const api = "api-version=2024-02-01.19.0";
const request = (options) => batchRequest(server.url, { account, ...options });

async function until(what, probe) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function listNodes() {
  const nodes = [];
  let path = `/pools/bench/nodes?${api}&maxresults=1000`;
  while (path) {
    const response = await request({ path });
    nodes.push(...response.json.value);
    const link = response.json["odata.nextLink"];
    path = link === undefined ? undefined : link.slice(server.url.length);
  }
  return nodes;
}

async function steady(count) {
  await until(`${count} idle nodes`, async () => {
    const pool = await request({ path: `/pools/bench?${api}` });
    if (pool.json.allocationState !== "steady") return false;
    const nodes = await listNodes();
    return nodes.length === count && nodes.every((node) => node.state === "idle");
  });
}

const timed = async (label, work) => {
  const started = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${label.padEnd(44)} ${seconds.toFixed(2).padStart(7)} s`);
  return seconds;
};

try {
  const up = await timed(`create ${total} nodes with a start task → all idle`, async () => {
    const created = await request({
      method: "POST",
      path: `/pools?${api}`,
      body: {
        id: "bench",
        vmSize: "Standard_D2s_v3",
        virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
        targetDedicatedNodes: total,
        startTask: { commandLine: "/bin/sh -c 'echo ready > $AZ_BATCH_NODE_SHARED_DIR/ready'" },
      },
    });
    if (created.status !== 201) throw new Error(created.text);
    await steady(total);
  });
  await timed(`list ${total} nodes`, async () => {
    if ((await listNodes()).length !== total) throw new Error("wrong count");
  });
  const half = Math.floor(total / 2);
  await timed(`resize to ${half} → steady`, async () => {
    await request({ method: "POST", path: `/pools/bench/resize?${api}`, body: { targetDedicatedNodes: half } });
    await steady(half);
  });
  await timed(`resize back to ${total} → all idle`, async () => {
    await request({ method: "POST", path: `/pools/bench/resize?${api}`, body: { targetDedicatedNodes: total } });
    await steady(total);
  });
  await timed("delete the pool → gone, every agent exited", async () => {
    await request({ method: "DELETE", path: `/pools/bench?${api}` });
    await until("pool gone", async () => (await request({ method: "HEAD", path: `/pools/bench?${api}` })).status === 404);
    await until("agents gone", async () => spawnSync("pgrep", ["-f", "--", `--data-dir ${join(dataDir, "nodes")}`]).stdout.toString().trim() === "");
  });
  console.log(`nodes brought up per second: ${(total / up).toFixed(1)}`);
} finally {
  await server.close();
  spawnSync("pkill", ["-KILL", "-f", "--", `--data-dir ${join(dataDir, "nodes")}`]);
  // As root, the tasks' OS accounts go with the agents (docs/security.md).
  removeTaskAccounts(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
}
