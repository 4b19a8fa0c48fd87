// Benchmark: add-collection ingest and task listing at scale (issue #4 targets: ≥ 20,000 tasks/s ingested with 100
// tasks per request and 4 requests in parallel, tasks not yet runnable; listing 100,000 tasks with
// `$filter=state eq 'completed'`, 1,000 per page, ≤ 20 ms per page).
// The job's pool does not exist, so nothing runs (Azure accepts such jobs; their tasks wait). To list completed
// tasks without running 100,000 processes, the benchmark then marks three quarters of them completed directly in
// the SQLite file (setup only; the listing goes through the API as any client's would).
// Baselines in the same run: for ingest, the same number of signed requests to a trivial operation (GET a job);
// for listing, unfiltered pages of the same size. The client runs in a worker thread (support/taskStoreClient.mjs),
// as a separate client would, so its signing and JSON work does not sit on the server's event loop.
// Run after `npm run build`: `node bench/taskStore.mjs [tasks]`.
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { api, percentile, startBenchServer } from "./support/benchServer.mjs";

const total = Number(process.argv[2] ?? 100_000);
const parallel = 4;
const bench = await startBenchServer();
const client = (phase) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./support/taskStoreClient.mjs", import.meta.url), {
      workerData: { url: bench.server.url, account: bench.account, phase, total, parallel },
    });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
const summary = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { pages: sorted.length, mean: sorted.reduce((a, b) => a + b, 0) / sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
};
try {
  await bench.request({ method: "POST", path: `/jobs?${api}`, body: { id: "big", poolInfo: { poolId: "no-such-pool" } } });
  const ingest = await client("ingest");
  const baselineSeconds = ingest.baselineMs / 1000;
  const ingestSeconds = ingest.ingestMs / 1000;
  console.log(`baseline: ${ingest.requests} GET job requests, ${parallel} in parallel: ${baselineSeconds.toFixed(2)} s (${(ingest.requests / baselineSeconds).toFixed(0)} requests/s)`);
  console.log(`ingest: ${total} tasks in ${ingest.requests} add-collection requests, ${parallel} in parallel: ${ingestSeconds.toFixed(2)} s = ${(total / ingestSeconds).toFixed(0)} tasks/s (target ≥ 20,000); ${(baselineSeconds / ingestSeconds).toFixed(2)}× the trivial-request rate`);

  const db = new Database(join(bench.dataDir, "openbatch.db"));
  db.pragma("busy_timeout = 10000");
  const marked = db.prepare(
    "UPDATE entities SET body = json_set(body, '$.state', 'completed') WHERE kind = 'task' AND scope = 'big' AND CAST(substr(id, 6) AS INTEGER) % 4 <> 3",
  ).run().changes;
  db.close();

  const listing = await client("list");
  const filtered = summary(listing.filtered.times);
  const plain = summary(listing.plain.times);
  if (listing.filtered.count !== marked) throw new Error(`listed ${listing.filtered.count} completed tasks, expected ${marked}`);
  const filteredServed = summary(listing.filtered.served);
  console.log(`list with $filter=state eq 'completed': ${listing.filtered.count} tasks in ${filtered.pages} pages: mean ${filtered.mean.toFixed(1)} ms, p50 ${filtered.p50.toFixed(1)} ms, p99 ${filtered.p99.toFixed(1)} ms per page (target ≤ 20)`);
  console.log(`  of which until the page's last byte arrived (the client's own JSON.parse excluded): mean ${filteredServed.mean.toFixed(1)} ms, p50 ${filteredServed.p50.toFixed(1)} ms, p99 ${filteredServed.p99.toFixed(1)} ms`);
  console.log(`baseline: unfiltered pages: ${listing.plain.count} tasks in ${plain.pages} pages: mean ${plain.mean.toFixed(1)} ms, p50 ${plain.p50.toFixed(1)} ms per page; ratio ${(filtered.mean / plain.mean).toFixed(2)}×`);
} finally {
  await bench.close();
}
