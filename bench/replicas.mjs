// Benchmark: one deployment on PostgreSQL served by 1, 2 and 3 replicas (`openbatch serve` processes on one database,
// issue #13): end-to-end task throughput (N `/bin/true` tasks on 2 nodes × 8 slots, added through the replicas in
// turn), read requests served per second (point reads of tasks from C concurrent clients spread over the replicas,
// and pages of 100 tasks; with several replicas also alternated, in the same deployment, with the same reads sent
// to one replica only — the fairest "1 vs N" on a machine whose load moves), and the failover time (the replica running the background work killed with SIGKILL →
// another's "took over" log line, and → a task added at the kill completed). PostgreSQL runs in a throwaway cluster
// with its default durability. Prints the load average around each phase: the machine may be shared.
// Run after `npm run build`: `node bench/replicas.mjs [tasks=2000] [replicaCounts=1,2,3] [readSeconds=10] [clients=32]`.
import { request as httpRequest, Agent } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { stopLocalAgents } from "@openbatch/server";
import { apiVersion, batchRequest, signPythonStyle } from "../tests/dist/support/batchRequest.js";
import { startPostgresCluster } from "../tests/dist/support/postgresCluster.js";
import { leaderOf, startReplicaProcess } from "../tests/dist/support/replicaProcesses.js";

const total = Number(process.argv[2] ?? 2000);
const counts = (process.argv[3] ?? "1,2,3").split(",").map(Number);
const readSeconds = Number(process.argv[4] ?? 10);
const clients = Number(process.argv[5] ?? 32);
const account = { name: "benchacct", key: Buffer.from("benchmark-account-key-0123456789").toString("base64") };
const vm = { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" };
const load = () => loadavg().map((value) => value.toFixed(1)).join(" ");
const seconds = (from) => Number(process.hrtime.bigint() - from) / 1e9;
const until = async (probe, intervalInMs = 50, timeoutInMs = 600_000) => {
  const deadline = Date.now() + timeoutInMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, intervalInMs));
  }
};

const cluster = await startPostgresCluster({ durable: true });

/** Starts n replicas on a fresh database, sharing one data directory; `logLevel` info only where log lines are read. */
async function deployment(n, logLevel) {
  const storeUrl = await cluster.createDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), "openbatch-bench-replicas-"));
  const replicas = [];
  const start = async () => {
    const replica = await startReplicaProcess({
      name: `r${replicas.length + 1}`,
      storeUrl,
      dataDir,
      accounts: [`${account.name}:${account.key}`],
      args: ["--nodes-per-agent", "1", "--log-level", logLevel],
    });
    replicas.push(replica);
    return replica;
  };
  const seeEachOther = (live) =>
    until(async () => {
      for (const replica of live) if ((await replica.health())?.replicas !== live.length) return false;
      return true;
    });
  for (let i = 0; i < n; i++) await start();
  await seeEachOther(replicas);
  const call = (replica, options) => batchRequest(replica.url, { account, ...options });
  return {
    replicas,
    call,
    start,
    seeEachOther,
    async pool(nodes, slots) {
      const added = await call(replicas[0], { method: "POST", path: `/pools?api-version=${apiVersion}`, body: { id: "bench", vmSize: "Standard_D4s_v3", targetDedicatedNodes: nodes, taskSlotsPerNode: slots, virtualMachineConfiguration: vm } });
      if (added.status !== 201) throw new Error(added.text);
      await until(async () => {
        const list = await call(replicas[0], { path: `/pools/bench/nodes?api-version=${apiVersion}` });
        return list.json.value.length === nodes && list.json.value.every((node) => node.state === "idle");
      });
    },
    async close() {
      for (const replica of replicas) await replica.stop();
      await stopLocalAgents(dataDir, 5000);
      rmSync(dataDir, { recursive: true, force: true });
      await cluster.dropDatabase(storeUrl);
    },
  };
}

/** Requests with a signature made once (SharedKey allows 15 minutes of clock skew): the client costs little. */
function presigned(url, path) {
  const target = new URL(url + path);
  const headers = { "ocp-date": new Date().toUTCString() };
  headers.authorization = `SharedKey ${account.name}:${signPythonStyle("GET", target, headers, account)}`;
  return { target, headers };
}

/** `clients` loops, each sending its requests to the replicas in turn, for `durationInS`; returns requests/s answered 200. */
async function readLoad(urls, paths, durationInS) {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const prepared = urls.map((url) => paths.map((path) => presigned(url, path)));
  let ok = 0;
  let failed = 0;
  const deadline = Date.now() + durationInS * 1000;
  const loop = async (index) => {
    for (let i = index; Date.now() < deadline; i += clients) {
      const { target, headers } = prepared[i % urls.length][Math.floor(i / urls.length) % paths.length];
      const status = await new Promise((resolve) => {
        const request = httpRequest(target, { method: "GET", headers, agent }, (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode));
        });
        request.on("error", () => resolve(0));
        request.end();
      });
      if (status === 200) ok++;
      else failed++;
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: clients }, (_, index) => loop(index)));
  const elapsed = seconds(started);
  agent.destroy();
  if (failed > 0) console.log(`  (${failed} reads failed)`);
  return ok / elapsed;
}

const results = [];
try {
  for (const n of counts) {
    const before = load();
    const bench = await deployment(n, "warn");
    try {
      await bench.pool(2, 8);
      await bench.call(bench.replicas[0], { method: "POST", path: `/jobs?api-version=${apiVersion}`, body: { id: "job", poolInfo: { poolId: "bench" } } });
      const started = process.hrtime.bigint();
      for (let i = 0, turn = 0; i < total; i += 100, turn++) {
        const value = Array.from({ length: Math.min(100, total - i) }, (_, k) => ({ id: `t${String(i + k).padStart(5, "0")}`, commandLine: "/bin/true" }));
        const added = await bench.call(bench.replicas[turn % n], { method: "POST", path: `/jobs/job/addtaskcollection?api-version=${apiVersion}`, body: { value } });
        if (added.status !== 200) throw new Error(added.text);
      }
      await until(async () => (await bench.call(bench.replicas[0], { path: `/jobs/job/taskcounts?api-version=${apiVersion}` })).json.taskCounts.completed === total, 100);
      const taskSeconds = seconds(started);
      const urls = bench.replicas.map((replica) => replica.url);
      const points = Array.from({ length: 200 }, (_, i) => `/jobs/job/tasks/t${String(i * Math.floor(total / 200)).padStart(5, "0")}?api-version=${apiVersion}`);
      const reads = await readLoad(urls, points, readSeconds);
      const pages = await readLoad(urls, [`/jobs/job/tasks?api-version=${apiVersion}&maxresults=100`], readSeconds);
      if (n > 1) {
        // Alternated rounds on the same deployment and data: all replicas, then the first alone, three times each.
        const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
        for (const [what, paths] of [["task reads/s", points], ["pages of 100 tasks/s", [`/jobs/job/tasks?api-version=${apiVersion}&maxresults=100`]]]) {
          const spread = [];
          const alone = [];
          for (let round = 0; round < 3; round++) {
            spread.push(await readLoad(urls, paths, readSeconds));
            alone.push(await readLoad(urls.slice(0, 1), paths, readSeconds));
          }
          console.log(
            `  alternated ${what}, ${n} replicas: ${spread.map((value) => value.toFixed(0)).join(", ")} (median ${median(spread).toFixed(0)}) — ` +
              `1 of them alone: ${alone.map((value) => value.toFixed(0)).join(", ")} (median ${median(alone).toFixed(0)}); ratio ${(median(spread) / median(alone)).toFixed(2)}×`,
          );
        }
      }
      const result = { replicas: n, tasksPerSecond: total / taskSeconds, taskSeconds, readsPerSecond: reads, pagesPerSecond: pages, loadBefore: before, loadAfter: load() };
      results.push(result);
      console.log(
        `${n} replica(s): ${total} tasks in ${taskSeconds.toFixed(2)} s (${result.tasksPerSecond.toFixed(0)} tasks/s); ` +
          `${reads.toFixed(0)} task reads/s, ${pages.toFixed(0)} pages of 100 tasks/s (${clients} clients, ${readSeconds} s each); load ${before} → ${result.loadAfter}`,
      );
    } finally {
      await bench.close();
    }
  }

  // Failover: the replica running the background work killed with SIGKILL, three times.
  const before = load();
  const bench = await deployment(3, "info");
  try {
    await bench.pool(2, 8);
    await bench.call(bench.replicas[0], { method: "POST", path: `/jobs?api-version=${apiVersion}`, body: { id: "job", poolInfo: { poolId: "bench" } } });
    const live = [...bench.replicas];
    const takeovers = [];
    for (let round = 0; round < 3; round++) {
      const leader = await until(() => leaderOf(live, account.name));
      const leaderId = (await leader.health()).id;
      const killedAt = Date.now();
      leader.signal("SIGKILL");
      live.splice(live.indexOf(leader), 1);
      // A task added at the kill, through a survivor: it waits for the new leader's scheduler.
      const taskId = `after-kill-${round}`;
      await bench.call(live[0], { method: "POST", path: `/jobs/job/tasks?api-version=${apiVersion}`, body: { id: taskId, commandLine: "/bin/true" } });
      const line = await until(async () => live.map((replica) => replica.logs.find((entry) => entry.msg === "took over the background work of the account" && entry.previousReplica === leaderId)).find(Boolean), 20);
      await until(async () => (await bench.call(live[0], { path: `/jobs/job/tasks/${taskId}?api-version=${apiVersion}` })).json.state === "completed", 20);
      const completedAt = Date.now();
      takeovers.push({ takeoverMs: line.time - killedAt, taskMs: completedAt - killedAt });
      console.log(`failover ${round + 1}: took over after ${line.time - killedAt} ms; a task added at the kill completed after ${completedAt - killedAt} ms`);
      // Back to three before the next round.
      live.push(await bench.start());
      await bench.seeEachOther(live);
    }
    const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
    console.log(
      `failover (3 replicas): takeover ${takeovers.map((entry) => entry.takeoverMs).join(", ")} ms (mean ${mean(takeovers.map((entry) => entry.takeoverMs)).toFixed(0)}); ` +
        `task added at the kill completed after ${takeovers.map((entry) => entry.taskMs).join(", ")} ms; load ${before} → ${load()}`,
    );
  } finally {
    await bench.close();
  }
} finally {
  await cluster.stop();
}
