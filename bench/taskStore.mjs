// Benchmark: add-collection ingest and task listing at scale, on each store backend in the same run (issue #4
// targets: ≥ 20,000 tasks/s ingested with 100 tasks per request and 4 requests in parallel, tasks not yet runnable;
// listing 100,000 tasks with `$filter=state eq 'completed'`, 1,000 per page, ≤ 20 ms per page; issue #13: the
// PostgreSQL store within 0.5× of SQLite on both).
// The job's pool does not exist, so nothing runs (Azure accepts such jobs; their tasks wait). To list completed
// tasks without running 100,000 processes, the benchmark then marks three quarters of them completed directly in
// the database (setup only, then VACUUM ANALYZE on PostgreSQL; the listing goes through the API as any client's
// would).
// Baselines in the same run: for ingest, the same number of signed requests to a trivial operation (GET a job);
// for listing, unfiltered pages of the same size. The client runs in a worker thread (support/taskStoreClient.mjs),
// as a separate client would, so its signing and JSON work does not sit on the server's event loop.
// PostgreSQL runs in a throwaway cluster (tests/support/postgresCluster.ts) with its default durability: every
// commit is fsynced (SQLite's default, `synchronous = NORMAL`, is not; `--durable-writes` is).
// Run after `npm run build`: `node bench/taskStore.mjs [tasks] [stores]`, stores a comma-separated subset of
// sqlite,postgres (default both).
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import pg from "pg";
import { startPostgresCluster } from "../tests/dist/support/postgresCluster.js";
import { api, percentile, startBenchServer } from "./support/benchServer.mjs";

const total = Number(process.argv[2] ?? 100_000);
const stores = (process.argv[3] ?? "sqlite,postgres").split(",");
const parallel = 4;

const summary = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { pages: sorted.length, mean: sorted.reduce((a, b) => a + b, 0) / sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
};

/** Marks three quarters of the tasks completed in the store's own database; returns how many. */
const markers = {
  sqlite: async (bench) => {
    const db = new Database(join(bench.dataDir, "openbatch.db"));
    db.pragma("busy_timeout = 10000");
    const marked = db.prepare(
      "UPDATE entities SET body = json_set(body, '$.state', 'completed') WHERE kind = 'task' AND scope = 'big' AND CAST(substr(id, 6) AS INTEGER) % 4 <> 3",
    ).run().changes;
    db.close();
    return marked;
  },
  postgres: async (bench, url) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const stats = await client.query("SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()");
      console.log(`  (PostgreSQL so far: ${stats.rows[0].xact_commit} transactions committed, ${stats.rows[0].xact_rollback} rolled back: conflicts retried, or failed requests)`);
      const marked = await client.query(
        `UPDATE entities SET body = jsonb_set(body, '{state}', '"completed"') WHERE kind = 'task' AND scope = 'big' AND substr(id, 6)::int % 4 <> 3`,
      );
      await client.query("VACUUM ANALYZE entities");
      return marked.rowCount;
    } finally {
      await client.end();
    }
  },
};

async function measure(backend) {
  let cluster;
  let url;
  if (backend === "postgres") {
    cluster = await startPostgresCluster({ durable: true });
    url = await cluster.createDatabase();
  }
  const bench = await startBenchServer(url === undefined ? {} : { store: url });
  const client = (phase) =>
    new Promise((resolve, reject) => {
      const worker = new Worker(new URL("./support/taskStoreClient.mjs", import.meta.url), {
        workerData: { url: bench.server.url, account: bench.account, phase, total, parallel },
      });
      worker.once("message", resolve);
      worker.once("error", reject);
    });
  try {
    await bench.request({ method: "POST", path: `/jobs?${api}`, body: { id: "big", poolInfo: { poolId: "no-such-pool" } } });
    const ingest = await client("ingest");
    const marked = await markers[backend](bench, url);
    const listing = await client("list");
    if (listing.filtered.count !== marked) throw new Error(`listed ${listing.filtered.count} completed tasks, expected ${marked}`);
    return {
      requests: ingest.requests,
      baselineSeconds: ingest.baselineMs / 1000,
      ingestSeconds: ingest.ingestMs / 1000,
      filtered: summary(listing.filtered.times),
      filteredServed: summary(listing.filtered.served),
      plain: summary(listing.plain.times),
      count: listing.filtered.count,
      plainCount: listing.plain.count,
    };
  } finally {
    await bench.close();
    await cluster?.stop();
  }
}

const results = {};
for (const backend of stores) {
  if (markers[backend] === undefined) throw new Error(`unknown store ${backend}: use sqlite and/or postgres`);
  const result = await measure(backend);
  results[backend] = result;
  const rate = total / result.ingestSeconds;
  console.log(`[${backend}]`);
  console.log(`  baseline: ${result.requests} GET job requests, ${parallel} in parallel: ${result.baselineSeconds.toFixed(2)} s (${(result.requests / result.baselineSeconds).toFixed(0)} requests/s)`);
  console.log(`  ingest: ${total} tasks in ${result.requests} add-collection requests, ${parallel} in parallel: ${result.ingestSeconds.toFixed(2)} s = ${rate.toFixed(0)} tasks/s (target ≥ 20,000); ${(result.baselineSeconds / result.ingestSeconds).toFixed(2)}× the trivial-request rate`);
  console.log(`  list with $filter=state eq 'completed': ${result.count} tasks in ${result.filtered.pages} pages: mean ${result.filtered.mean.toFixed(1)} ms, p50 ${result.filtered.p50.toFixed(1)} ms, p99 ${result.filtered.p99.toFixed(1)} ms per page (target ≤ 20)`);
  console.log(`    of which until the page's last byte arrived (the client's own JSON.parse excluded): mean ${result.filteredServed.mean.toFixed(1)} ms, p50 ${result.filteredServed.p50.toFixed(1)} ms`);
  console.log(`  baseline: unfiltered pages: ${result.plainCount} tasks in ${result.plain.pages} pages: mean ${result.plain.mean.toFixed(1)} ms, p50 ${result.plain.p50.toFixed(1)} ms per page; ratio ${(result.filtered.mean / result.plain.mean).toFixed(2)}×`);
}
if (results.sqlite !== undefined && results.postgres !== undefined) {
  const ingestRatio = results.sqlite.ingestSeconds / results.postgres.ingestSeconds;
  const listRatio = results.sqlite.filtered.mean / results.postgres.filtered.mean;
  const plainRatio = results.sqlite.plain.mean / results.postgres.plain.mean;
  console.log(`PostgreSQL / SQLite (goal ≥ 0.5×): ingest ${ingestRatio.toFixed(2)}×, filtered listing ${listRatio.toFixed(2)}× (page time ${results.postgres.filtered.mean.toFixed(1)} vs ${results.sqlite.filtered.mean.toFixed(1)} ms), unfiltered listing ${plainRatio.toFixed(2)}×`);
}
