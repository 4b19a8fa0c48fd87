// Benchmark: add-collection ingest and task listing at scale (issue #4 targets: ≥ 20,000 tasks/s ingested with 100
// tasks per request and 4 requests in parallel, tasks not yet runnable; listing 100,000 tasks with
// `$filter=state eq 'completed'`, 1,000 per page, ≤ 20 ms per page).
// The job's pool does not exist, so nothing runs (Azure accepts such jobs; their tasks wait). To list completed
// tasks without running 100,000 processes, the benchmark then marks three quarters of them completed directly in
// the SQLite file (setup only; the listing goes through the API as any client's would).
// Baselines in the same run: for ingest, the same number of signed requests to a trivial operation (GET a job);
// for listing, unfiltered pages of the same size.
// Run after `npm run build`: `node bench/taskStore.mjs [tasks]`.
import { join } from "node:path";
import Database from "better-sqlite3";
import { api, percentile, startBenchServer } from "./support/benchServer.mjs";

const total = Number(process.argv[2] ?? 100_000);
const parallel = 4;
const bench = await startBenchServer();
try {
  await bench.request({ method: "POST", path: `/jobs?${api}`, body: { id: "big", poolInfo: { poolId: "no-such-pool" } } });
  const chunks = [];
  for (let i = 0; i < total; i += 100) {
    chunks.push(Array.from({ length: Math.min(100, total - i) }, (_, k) => ({ id: `task-${String(i + k).padStart(6, "0")}`, commandLine: "/bin/true" })));
  }

  const baselineStart = process.hrtime.bigint();
  await inParallel(chunks.length, async () => {
    const read = await bench.request({ path: `/jobs/big?${api}` });
    if (read.status !== 200) throw new Error(read.text);
  });
  const baselineSeconds = Number(process.hrtime.bigint() - baselineStart) / 1e9;

  let next = 0;
  const ingestStart = process.hrtime.bigint();
  await inParallel(chunks.length, async () => {
    const value = chunks[next++];
    const added = await bench.request({ method: "POST", path: `/jobs/big/addtaskcollection?${api}`, body: { value } });
    if (added.status !== 200 || added.json.value.some((result) => result.status !== "success")) throw new Error(added.text.slice(0, 500));
  });
  const ingestSeconds = Number(process.hrtime.bigint() - ingestStart) / 1e9;
  console.log(`baseline: ${chunks.length} GET job requests, ${parallel} in parallel: ${baselineSeconds.toFixed(2)} s (${(chunks.length / baselineSeconds).toFixed(0)} requests/s)`);
  console.log(`ingest: ${total} tasks in ${chunks.length} add-collection requests, ${parallel} in parallel: ${ingestSeconds.toFixed(2)} s = ${(total / ingestSeconds).toFixed(0)} tasks/s (target ≥ 20,000); ${(baselineSeconds / ingestSeconds).toFixed(2)}× the trivial-request rate`);

  const db = new Database(join(bench.dataDir, "openbatch.db"));
  db.pragma("busy_timeout = 10000");
  const marked = db.prepare(
    "UPDATE entities SET body = json_set(body, '$.state', 'completed') WHERE kind = 'task' AND scope = 'big' AND CAST(substr(id, 6) AS INTEGER) % 4 <> 3",
  ).run().changes;
  db.close();

  const pageTimes = async (filter) => {
    const times = [];
    let count = 0;
    let path = `/jobs/big/tasks?${api}&maxresults=1000${filter === undefined ? "" : `&$filter=${encodeURIComponent(filter)}`}`;
    for (;;) {
      const started = process.hrtime.bigint();
      const page = await bench.request({ path });
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (page.status !== 200) throw new Error(page.text);
      count += page.json.value.length;
      const link = page.json["odata.nextLink"];
      if (link === undefined) break;
      path = link.slice(bench.server.url.length);
    }
    times.sort((a, b) => a - b);
    return { count, pages: times.length, mean: times.reduce((a, b) => a + b, 0) / times.length, p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
  };
  const filtered = await pageTimes("state eq 'completed'");
  const plain = await pageTimes(undefined);
  if (filtered.count !== marked) throw new Error(`listed ${filtered.count} completed tasks, expected ${marked}`);
  console.log(`list with $filter=state eq 'completed': ${filtered.count} tasks in ${filtered.pages} pages: mean ${filtered.mean.toFixed(1)} ms, p50 ${filtered.p50.toFixed(1)} ms, p99 ${filtered.p99.toFixed(1)} ms per page (target ≤ 20)`);
  console.log(`baseline: unfiltered pages: ${plain.count} tasks in ${plain.pages} pages: mean ${plain.mean.toFixed(1)} ms, p50 ${plain.p50.toFixed(1)} ms per page; ratio ${(filtered.mean / plain.mean).toFixed(2)}×`);
} finally {
  await bench.close();
}

async function inParallel(count, work) {
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      await work();
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}
