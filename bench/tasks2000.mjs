// Benchmark: end-to-end throughput of N trivial tasks (`/bin/true`) on a local pool with enough slots, against the
// raw spawn rate of `seq N | xargs -P <slots> -n1 /bin/true` measured in the same run (issue #4 target: ≥ 0.8×).
// Run after `npm run build`: `node bench/tasks2000.mjs [tasks] [nodes] [slotsPerNode]`; `TASK_ISOLATION=off` runs the
// tasks unconfined (by default each runs in a sandbox, as root as its pool's OS account: docs/security.md);
// `DISPATCH_LOOKAHEAD=<n>` sets the server's look-ahead per slot (pipelined dispatch; 0 turns it off);
// `PROFILE_DIR=<dir>` writes a CPU profile of every agent there (support/profiledAgent.mjs; for the server's, which
// runs in this process, run the script with `node --cpu-prof --cpu-prof-dir=<dir>`).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "@openbatch/server";
import { batchRequest } from "../tests/dist/support/batchRequest.js";
import { removeTaskAccounts } from "../tests/dist/support/taskAccounts.js";

/** User and system CPU seconds of a process so far, from /proc (undefined once it is gone). */
function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}
const ticksPerSecond = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

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
const profileDir = process.env.PROFILE_DIR === undefined ? undefined : resolve(process.env.PROFILE_DIR);
if (profileDir !== undefined) {
  mkdirSync(profileDir, { recursive: true });
  process.env.OPENBATCH_AGENT_PROFILE_DIR = profileDir;
}
const server = await startServer({
  port: 0, dataDir, logLevel: "silent", accounts: [`${account.name}:${key}`],
  localAgentEntry: profileDir === undefined ? fileURLToPath(import.meta.resolve("@openbatch/agent/main")) : fileURLToPath(new URL("support/profiledAgent.mjs", import.meta.url)),
  ...(process.env.NODES_PER_AGENT === undefined ? {} : { nodesPerAgent: Number(process.env.NODES_PER_AGENT) }),
  taskIsolation: process.env.TASK_ISOLATION !== "off",
  ...(process.env.DISPATCH_LOOKAHEAD === undefined ? {} : { dispatchLookAhead: Number(process.env.DISPATCH_LOOKAHEAD) }),
});
const request = (options) => batchRequest(server.url, { account, ...options });
/** Agent exchanges, store commits and scheduling rounds so far, from the server's /metrics. */
const hotPathCounts = async () => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const value = (name) => Number(text.match(new RegExp(`^${name} (\\S+)$`, "m"))?.[1] ?? Number.NaN);
  return {
    exchanges: value("openbatch_agent_exchanges_total"),
    commits: value("openbatch_store_commit_duration_seconds_count"),
    rounds: value("openbatch_scheduling_round_duration_seconds_count"),
  };
};
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
  const agentPids = (spawnSync("pgrep", ["-f", "--", `--data-dir ${join(dataDir, "nodes")}`], { encoding: "utf8" }).stdout ?? "").split("\n").filter(Boolean).map(Number);
  const agentCpuBefore = agentPids.map(processCpuSeconds);
  const countsBefore = await hotPathCounts();
  const serverCpuBefore = process.cpuUsage();
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
  const serverCpu = process.cpuUsage(serverCpuBefore);
  const serverMs = (serverCpu.user + serverCpu.system) / 1000;
  const agentMs = agentPids.reduce((sum, pid, index) => sum + ((processCpuSeconds(pid) ?? 0) - (agentCpuBefore[index] ?? 0)) * 1000, 0);
  const counts = await hotPathCounts();
  const perTask = (name) => ((counts[name] - countsBefore[name]) / total).toFixed(2);
  console.log(`per task: ${perTask("exchanges")} agent exchanges, ${perTask("commits")} store commits, ${perTask("rounds")} scheduling rounds`);
  console.log(`baseline: xargs -P ${slots} /bin/true × ${total}   ${baseline.toFixed(2)} s  (${(total / baseline).toFixed(0)} tasks/s)`);
  console.log(`OpenBatch: ${total} tasks on ${nodes} nodes × ${slotsPerNode} slots, task isolation ${server.taskIsolation.mode}  ${seconds.toFixed(2)} s  (${(total / seconds).toFixed(0)} tasks/s)`);
  console.log(`ratio to the raw spawn rate: ${(baseline / seconds).toFixed(3)}× (target ≥ 0.8×)`);
  // The server runs in this process (its figure includes this script's requests); the agents' own processes, not
  // their tasks' nor their spawner helpers' (a process start's cost, which xargs pays too).
  console.log(`CPU per task: server ${(serverMs / total).toFixed(3)} ms, agents ${(agentMs / total).toFixed(3)} ms (${agentPids.length} agent processes), together ${((serverMs + agentMs) / total).toFixed(3)} ms (target ≤ 0.4 ms)`);
} finally {
  await server.close();
  const agents = ["-f", "--", `--data-dir ${join(dataDir, "nodes")}`];
  if (profileDir !== undefined) {
    // A profiled agent writes its profile as it exits: let it stop on SIGTERM.
    spawnSync("pkill", ["-TERM", ...agents]);
    for (let i = 0; i < 100 && spawnSync("pgrep", agents).status === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  spawnSync("pkill", ["-KILL", ...agents]);
  // As root, the tasks' OS accounts go with the agents (docs/security.md).
  removeTaskAccounts(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
}
