// Benchmark: end-to-end throughput of N trivial tasks (`/bin/true`) on a local pool with enough slots, against the
// raw spawn rate of `seq N | xargs -P <slots> -n1 /bin/true` measured in the same run (issue #4 target: ≥ 0.8×).
// Run after `npm run build`: `node bench/tasks2000.mjs [tasks] [nodes] [slotsPerNode]`; `TASK_ISOLATION=off` runs the
// tasks unconfined (by default each runs in a sandbox, as root as its pool's OS account: docs/security.md);
// `DISPATCH_LOOKAHEAD=<n>` sets the server's look-ahead per slot (pipelined dispatch; 0 turns it off).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "@openbatch/server";
import { batchRequest } from "../tests/dist/support/batchRequest.js";
import { removeTaskAccounts } from "../tests/dist/support/taskAccounts.js";

const total = Number(process.argv[2] ?? 2000);
const nodes = Number(process.argv[3] ?? 2);
const slotsPerNode = Number(process.argv[4] ?? 8);
const slots = nodes * slotsPerNode;
const key = Buffer.from("benchmark-account-key-0123456789").toString("base64");
const account = { name: "benchacct", key };
const api = "api-version=2024-02-01.19.0";

const baselineStart = process.hrtime.bigint();
spawnSync("sh", ["-c", `seq ${total} | xargs -P ${slots} -n1 /bin/true`]);
const baseline = Number(process.hrtime.bigint() - baselineStart) / 1e9;

const dataDir = mkdtempSync(join(tmpdir(), "openbatch-bench-"));
const server = await startServer({
  port: 0, dataDir, logLevel: "silent", accounts: [`${account.name}:${key}`],
  localAgentEntry: fileURLToPath(import.meta.resolve("@openbatch/agent/main")),
  ...(process.env.NODES_PER_AGENT === undefined ? {} : { nodesPerAgent: Number(process.env.NODES_PER_AGENT) }),
  taskIsolation: process.env.TASK_ISOLATION !== "off",
  ...(process.env.DISPATCH_LOOKAHEAD === undefined ? {} : { dispatchLookAhead: Number(process.env.DISPATCH_LOOKAHEAD) }),
});
const request = (options) => batchRequest(server.url, { account, ...options });
const until = async (probe, intervalInMs = 20) => {
  for (;;) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalInMs));
  }
};
try {
  await request({
    method: "POST", path: `/pools?${api}`,
    body: {
      id: "bench", vmSize: "Standard_D4s_v3", targetDedicatedNodes: nodes, taskSlotsPerNode: slotsPerNode,
      virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
    },
  });
  await until(async () => {
    const list = await request({ path: `/pools/bench/nodes?${api}` });
    return list.json.value.length === nodes && list.json.value.every((node) => node.state === "idle");
  });
  await request({ method: "POST", path: `/jobs?${api}`, body: { id: "job", poolInfo: { poolId: "bench" } } });
  const started = process.hrtime.bigint();
  for (let i = 0; i < total; i += 100) {
    const value = Array.from({ length: Math.min(100, total - i) }, (_, k) => ({ id: `t${i + k}`, commandLine: "/bin/true" }));
    const added = await request({ method: "POST", path: `/jobs/job/addtaskcollection?${api}`, body: { value } });
    if (added.status !== 200) throw new Error(added.text);
  }
  // Polled gently (the observer must not be the load): task counts, every 100 ms.
  await until(async () => {
    const counts = await request({ path: `/jobs/job/taskcounts?${api}` });
    return counts.json.taskCounts.completed === total;
  }, 100);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`baseline: xargs -P ${slots} /bin/true × ${total}   ${baseline.toFixed(2)} s  (${(total / baseline).toFixed(0)} tasks/s)`);
  console.log(`OpenBatch: ${total} tasks on ${nodes} nodes × ${slotsPerNode} slots, task isolation ${server.taskIsolation.mode}  ${seconds.toFixed(2)} s  (${(total / seconds).toFixed(0)} tasks/s)`);
  console.log(`ratio to the raw spawn rate: ${(baseline / seconds).toFixed(3)}× (target ≥ 0.8×)`);
} finally {
  await server.close();
  spawnSync("pkill", ["-KILL", "-f", "--", `--data-dir ${join(dataDir, "nodes")}`]);
  // As root, the tasks' OS accounts go with the agents (docs/security.md).
  removeTaskAccounts(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
}
