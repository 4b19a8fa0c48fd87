// Benchmark: a pool of N local nodes (default 1,000), each running a start task (issue #16 item 5: ≤ 1.5 GB of
// total RSS for server and agents, ≤ 30 s from pool add to all `idle`). The server runs in a process of its own
// (support/serverProcess.mjs), so its memory and CPU are read from /proc apart from this client's. Prints, per step,
// seconds; at all-idle and at the peak, the RSS (and PSS, which shares the Node binary's pages fairly) of the
// server, of the agent processes and of their helpers (the process spawner), the agent count and the CPU seconds
// each side used; then list, resize to N/2 and back, and delete (every agent process gone) times.
//
// Run after `npm run build`: `node bench/pool1000.mjs [nodes]`. Environment: NODES_PER_AGENT (the server's
// `nodesPerAgent`; default the server's own), TASK_ISOLATION=off (start tasks unconfined), PROFILE_DIR=<dir>
// (a CPU profile of every agent, support/profiledAgent.mjs; for the server's, run this script with
// `node --cpu-prof --cpu-prof-dir=<dir>`: the forked server inherits the flags).
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { uptime } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { batchRequest } from "../tests/dist/support/batchRequest.js";
import { startServerProcess } from "./support/serverProcess.mjs";

const total = Number(process.argv[2] ?? 1000);
const api = "api-version=2024-02-01.19.0";
const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

console.log(`pool of ${total} local nodes; load average at start ${loadAverage()} (uptime ${Math.round(uptime() / 60)} min)`);

const serverOptions = {
  // Beyond the host's default core quota (docs/quotas.md): the pool's size is what is measured (Standard_D2s_v3: 2 cores).
  quotas: { dedicatedCores: 2 * total },
  ...(process.env.NODES_PER_AGENT === undefined ? {} : { nodesPerAgent: Number(process.env.NODES_PER_AGENT) }),
};
const profileDir = process.env.PROFILE_DIR === undefined ? undefined : resolve(process.env.PROFILE_DIR);
if (profileDir !== undefined) {
  mkdirSync(profileDir, { recursive: true });
  // Agents inherit OPENBATCH_AGENT_* (providers/local/localProvider.ts); the forked server inherits our environment.
  process.env.OPENBATCH_AGENT_PROFILE_DIR = profileDir;
  serverOptions.localAgentEntry = fileURLToPath(new URL("support/profiledAgent.mjs", import.meta.url));
}
// Task isolation follows TASK_ISOLATION (support/benchServer.mjs).
const started = await startServerProcess(serverOptions);
const serverUrl = started.url;
const nodesDir = join(started.dataDir, "nodes");
const request = (options) => batchRequest(serverUrl, { account: started.account, ...options });

/** Every process of this run: the server, the agents (their command line names our node directory) and their children. */
function processes() {
  const byPid = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      byPid.set(Number(entry), { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // ended while we looked
    }
  }
  const agents = [];
  for (const pid of byPid.keys()) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      const at = argv.indexOf("--data-dir");
      if (at >= 0 && argv[at + 1] === nodesDir) agents.push(pid);
    } catch {
      // ended while we looked
    }
  }
  const agentSet = new Set(agents);
  const helpers = [...byPid].filter(([, info]) => agentSet.has(info.ppid)).map(([pid]) => pid);
  return { byPid, agents, helpers };
}

function memoryOf(pid) {
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    const pss = Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? 0);
    return { rss, pss };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

const ticksPerSecond = 100;
function sample() {
  const { byPid, agents, helpers } = processes();
  const sum = (pids) => pids.map(memoryOf).reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss }), { rss: 0, pss: 0 });
  const cpu = (pids) => pids.reduce((seconds, pid) => seconds + (byPid.get(pid)?.cpuTicks ?? 0) / ticksPerSecond, 0);
  const server = memoryOf(started.pid);
  const agentMemory = sum(agents);
  const helperMemory = sum(helpers);
  return {
    agents: agents.length,
    helpers: helpers.length,
    server,
    agentMemory,
    helperMemory,
    totalRss: server.rss + agentMemory.rss + helperMemory.rss,
    totalPss: server.pss + agentMemory.pss + helperMemory.pss,
    serverCpu: cpu([started.pid]),
    agentCpu: cpu(agents),
  };
}

const mb = (kb) => `${(kb / 1024).toFixed(0)} MB`;
function printSample(label, s) {
  console.log(
    `  ${label}: total RSS ${mb(s.totalRss)} (PSS ${mb(s.totalPss)}) = server ${mb(s.server.rss)} + ${s.agents} agents ${mb(s.agentMemory.rss)}` +
      ` (${s.agents === 0 ? "-" : mb(s.agentMemory.rss / s.agents)} each) + ${s.helpers} helpers ${mb(s.helperMemory.rss)};` +
      ` CPU so far: server ${s.serverCpu.toFixed(1)} s, agents ${s.agentCpu.toFixed(1)} s`,
  );
}

/** Samples memory every 250 ms while `work` runs; returns its result and the sample with the highest total RSS. */
async function sampled(work) {
  let peak = sample();
  const timer = setInterval(() => {
    const now = sample();
    if (now.totalRss > peak.totalRss) peak = now;
  }, 250);
  try {
    return { result: await work(), peak };
  } finally {
    clearInterval(timer);
  }
}

async function until(what, probe) {
  const deadline = Date.now() + 600_000;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

async function listNodes() {
  const nodes = [];
  let path = `/pools/bench/nodes?${api}&maxresults=1000`;
  while (path) {
    const response = await request({ path });
    nodes.push(...response.json.value);
    const link = response.json["odata.nextLink"];
    path = link === undefined ? undefined : link.slice(serverUrl.length);
  }
  return nodes;
}

/** Steady with `count` idle nodes, read from the pool and the node counts (cheap), then checked on the full list. */
async function steady(count) {
  await until(`${count} idle nodes`, async () => {
    const pool = await request({ path: `/pools/bench?${api}&$select=allocationState,currentDedicatedNodes` });
    if (pool.json.allocationState !== "steady" || pool.json.currentDedicatedNodes !== count) return false;
    const counts = (await request({ path: `/nodecounts?${api}` })).json.value.find((entry) => entry.poolId === "bench");
    return counts?.dedicated.idle === count && counts.dedicated.total === count;
  });
  const nodes = await listNodes();
  if (nodes.length !== count || !nodes.every((node) => node.state === "idle")) throw new Error(`expected ${count} idle nodes, listed ${nodes.length}`);
}

const timed = async (label, work) => {
  const begin = process.hrtime.bigint();
  const result = await work();
  const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
  console.log(`${label.padEnd(46)} ${seconds.toFixed(2).padStart(7)} s`);
  return { seconds, result };
};

try {
  const up = await timed(`create ${total} nodes with a start task → all idle`, () =>
    sampled(async () => {
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
    }),
  );
  printSample("at all idle", sample());
  printSample("peak while starting", up.result.peak);
  await new Promise((done) => setTimeout(done, 5000));
  printSample("idle 5 s later", sample());
  await timed(`list ${total} nodes`, async () => {
    if ((await listNodes()).length !== total) throw new Error("wrong count");
  });
  const half = Math.floor(total / 2);
  await timed(`resize to ${half} → steady`, async () => {
    await request({ method: "POST", path: `/pools/bench/resize?${api}`, body: { targetDedicatedNodes: half } });
    await steady(half);
  });
  printSample(`at ${half} nodes`, sample());
  const back = await timed(`resize back to ${total} → all idle`, () =>
    sampled(async () => {
      await request({ method: "POST", path: `/pools/bench/resize?${api}`, body: { targetDedicatedNodes: total } });
      await steady(total);
    }),
  );
  printSample(`back at ${total} nodes`, sample());
  printSample("peak while growing back", back.result.peak);
  await timed("delete the pool → gone, every agent exited", async () => {
    await request({ method: "DELETE", path: `/pools/bench?${api}` });
    await until("pool gone", async () => (await request({ method: "HEAD", path: `/pools/bench?${api}` })).status === 404);
    await until("agents gone", async () => processes().agents.length === 0);
  });
  console.log(`nodes brought up per second: ${(total / up.seconds).toFixed(1)}; load average at end ${loadAverage()}`);
} finally {
  // Agents outlive a server on purpose: end this run's by pid first (their command line names its node directory),
  // then the server, which removes the data directory and, as root, the tasks' OS accounts (support/benchServer.mjs).
  const { agents, helpers } = processes();
  for (const pid of [...helpers, ...agents]) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  await started.stop();
}
