// Benchmark: issue #14 item 8's newcomer — a pool of N dedicated nodes (default 5000) on this machine with the
// server's default configuration, whose core quota comes from the host (docs/quotas.md). Prints how long the pool add
// takes, when the quota error shows on the pool, `/healthz` latency (median, 99th percentile, max) sampled every
// 20 ms from the add until the allocated nodes are all idle, the pool delete's round trip, and the time until the
// pool and every agent process are gone. Run after `npm run build`: `node bench/quotaDefaults.mjs [nodes]`.
import { spawnSync } from "node:child_process";
import { availableParallelism, totalmem } from "node:os";
import { join } from "node:path";
import { hostCoreQuota } from "@openbatch/server";
import { api, startBenchServer } from "./support/benchServer.mjs";

const requested = Number(process.argv[2] ?? 5000);
const bench = await startBenchServer();
const { request, server, dataDir } = bench;
const quota = hostCoreQuota(availableParallelism(), totalmem());
const ms = (start) => performance.now() - start;
const row = (label, value) => console.log(`${label.padEnd(52)} ${value}`);

async function until(what, probe, timeoutInMs = 300_000) {
  const deadline = Date.now() + timeoutInMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Probes /healthz every 20 ms until stopped; resolves with the latencies. */
function probeHealth() {
  const latencies = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const start = performance.now();
      const response = await fetch(`${server.url}/healthz`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`/healthz answered ${response.status}`);
      latencies.push(ms(start));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return latencies;
  })();
  return { stop: () => ((running = false), done) };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

try {
  console.log(`host: ${availableParallelism()} CPUs, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB → core quota ${quota} (default configuration)`);
  const health = probeHealth();
  const start = performance.now();
  const added = await request({
    method: "POST",
    path: `/pools?${api}`,
    body: {
      id: "huge", vmSize: "Standard_D2s_v3", targetDedicatedNodes: requested,
      virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
    },
  });
  if (added.status !== 201) throw new Error(added.text);
  row(`pool add (${requested} nodes requested)`, `${ms(start).toFixed(1)} ms`);
  const pool = await until("the quota error", async () => {
    const response = await request({ path: `/pools/huge?${api}` });
    return (response.json.resizeErrors ?? []).some((error) => error.code === "AccountCoreQuotaReached") ? response.json : undefined;
  });
  row("quota error visible on the pool after", `${ms(start).toFixed(1)} ms`);
  await until("the allocated nodes idle", async () => {
    const nodes = (await request({ path: `/pools/huge/nodes?${api}` })).json.value;
    return nodes.length === pool.currentDedicatedNodes && nodes.every((node) => node.state === "idle");
  });
  row(`${pool.currentDedicatedNodes} nodes allocated, all idle after`, `${ms(start).toFixed(0)} ms`);
  const latencies = (await health.stop()).sort((a, b) => a - b);
  row(`/healthz meanwhile (${latencies.length} probes): median / p99 / max`, `${percentile(latencies, 50).toFixed(1)} / ${percentile(latencies, 99).toFixed(1)} / ${latencies.at(-1).toFixed(1)} ms`);
  const deleteStart = performance.now();
  const deleted = await request({ method: "DELETE", path: `/pools/huge?${api}` });
  if (deleted.status !== 202) throw new Error(deleted.text);
  row("pool delete answered (202)", `${ms(deleteStart).toFixed(1)} ms`);
  await until("pool gone", async () => (await request({ method: "HEAD", path: `/pools/huge?${api}` })).status === 404);
  row("pool gone after", `${ms(deleteStart).toFixed(0)} ms`);
  await until("agents gone", async () => spawnSync("pgrep", ["-f", "--", `--data-dir ${join(dataDir, "nodes")}`]).stdout.toString().trim() === "");
  row("every agent process exited after", `${ms(deleteStart).toFixed(0)} ms`);
} finally {
  await bench.close();
}
