// Benchmark: how long a `slurm` pool takes from a resize to its nodes being `idle`, against Slurm's own submit→start
// latency measured in the same run on the same throwaway cluster (issue #12 acceptance). Each round: N plain jobs
// (`sleep 60`) are submitted with sbatch and timed until squeue shows them RUNNING, then cancelled; then the pool is
// resized from 0 to N and timed until all N nodes are `idle` (each a pilot job that started `openbatch agent`,
// which joined and ran its node's start task), with the pilots' own submit→running time, then resized back to 0.
// Run after `npm run build`, as root: `node bench/slurmPool.mjs [nodes] [rounds]` (slurm-wlm and munge installed).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSlurmCluster } from "../tests/dist/support/slurmCluster.js";
import { api, startBenchServer, until } from "./support/benchServer.mjs";

const nodes = Number(process.argv[2] ?? 4);
const rounds = Number(process.argv[3] ?? 3);
const cli = fileURLToPath(new URL("../packages/cli/dist/src/main.js", import.meta.url));
const cluster = await startSlurmCluster();
const work = mkdtempSync(join(tmpdir(), "openbatch-bench-slurm-"));
const bench = await startBenchServer({
  agentHeartbeatIntervalInSeconds: 2,
  slurm: {
    agentCommand: [process.execPath, cli, "agent"],
    environment: { SLURM_CONF: cluster.env.SLURM_CONF },
    pilotEnvironment: { OPENBATCH_AGENT_ISOLATION: process.env.TASK_ISOLATION === "on" ? "on" : "off" },
    workDir: join(work, "pilots"),
    pollIntervalInMs: 500,
  },
});
const { request } = bench;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const squeue = () =>
  execFileSync("squeue", ["--noheader", "--format=%i|%j|%T"], { env: cluster.env, encoding: "utf8" })
    .trim()
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.trim().split("|"));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  const added = await request({
    method: "POST", path: `/pools?${api}`,
    body: {
      id: "slurmbench", vmSize: "Standard_A1_v2", targetDedicatedNodes: 0,
      virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
      startTask: { commandLine: "/bin/true", waitForSuccess: true },
      metadata: [{ name: "openbatch.provider", value: "slurm" }],
    },
  });
  if (added.status !== 201) throw new Error(added.text);
  const figures = { slurmStart: [], pilotStart: [], toIdle: [] };
  for (let round = 1; round <= rounds; round++) {
    // Slurm alone: submit N jobs, time until each runs.
    const submitted = new Map();
    for (let i = 0; i < nodes; i++) {
      const id = execFileSync("sbatch", ["--parsable", "--output=/dev/null", "--cpus-per-task=1", "--mem=2048M", "--job-name=plain", "--wrap=sleep 60"], { env: cluster.env, encoding: "utf8" }).trim();
      submitted.set(id, now());
    }
    const started = new Map();
    await until(async () => {
      for (const [id, , state] of squeue()) if (submitted.has(id) && state === "RUNNING" && !started.has(id)) started.set(id, now());
      return started.size === nodes;
    }, 20);
    figures.slurmStart.push(median([...started].map(([id, at]) => at - submitted.get(id))));
    execFileSync("scancel", ["--name=plain"], { env: cluster.env });
    await until(async () => !squeue().some(([, name]) => name === "plain"), 100);

    // The pool: resize 0 → N, time until every node is idle; and when each pilot was seen running.
    const resized = now();
    const resize = await request({ method: "POST", path: `/pools/slurmbench/resize?${api}`, body: { targetDedicatedNodes: nodes } });
    if (resize.status !== 202) throw new Error(resize.text);
    const pilotSeen = new Map();
    const pilotRunning = new Map();
    await until(async () => {
      for (const [id, name, state] of squeue()) {
        if (!/^ob[0-9a-f]{6}-agent-/.test(name)) continue;
        if (!pilotSeen.has(id)) pilotSeen.set(id, now());
        if (state === "RUNNING" && !pilotRunning.has(id)) pilotRunning.set(id, now());
      }
      const list = await request({ path: `/pools/slurmbench/nodes?${api}` });
      return list.json.value.length === nodes && list.json.value.every((node) => node.state === "idle");
    }, 20);
    figures.toIdle.push(now() - resized);
    figures.pilotStart.push(median([...pilotRunning].map(([id, at]) => at - pilotSeen.get(id))));
    console.log(
      `round ${round}: sbatch → RUNNING ${figures.slurmStart.at(-1).toFixed(0)} ms (median of ${nodes}); ` +
        `resize → ${nodes} nodes idle ${figures.toIdle.at(-1).toFixed(0)} ms (pilots seen pending → running ${figures.pilotStart.at(-1).toFixed(0)} ms)`,
    );
    await request({ method: "POST", path: `/pools/slurmbench/resize?${api}`, body: { targetDedicatedNodes: 0 } });
    await until(async () => {
      const pool = (await request({ path: `/pools/slurmbench?${api}` })).json;
      return pool.allocationState === "steady" && pool.currentDedicatedNodes === 0 && !squeue().some(([, name]) => /^ob[0-9a-f]{6}-agent-/.test(name));
    }, 100);
  }
  console.log(`${nodes} nodes, median of ${rounds} rounds:`);
  console.log(`  Slurm alone, sbatch → job RUNNING:          ${median(figures.slurmStart).toFixed(0)} ms`);
  console.log(`  OpenBatch, resize → ${nodes} nodes idle:          ${median(figures.toIdle).toFixed(0)} ms`);
  console.log(`  of which pilots pending → running (squeue): ${median(figures.pilotStart).toFixed(0)} ms`);
  console.log(`  overhead over Slurm's own start:            ${(median(figures.toIdle) - median(figures.slurmStart)).toFixed(0)} ms`);
} finally {
  await cluster.stop();
  await bench.close();
  rmSync(work, { recursive: true, force: true });
}
