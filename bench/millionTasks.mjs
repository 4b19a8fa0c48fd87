// Benchmark: one job of 1,000,000 tasks (issue #16 items 3 and 4 and the store acceptance figures): ingest rate,
// `Job_GetTaskCounts`, list pages filtered on id ranges, equalities and prefixes, and the server's memory.
// Targets: task counts and id-range pages ≤ 10 ms, ingest ≥ 40,000 tasks/s, server RSS ≤ 300 MB.
//
// The server runs in a process of its own (support/serverProcess.mjs), so its RSS and CPU are its own; the client
// that ingests runs in a worker thread of this process (support/taskStoreClient.mjs: add-collections of 100, 4 in
// parallel), as in bench/taskStore.mjs. The job's pool does not exist, so nothing runs; a quarter of the tasks is
// then marked completed (half of them failed) directly in the database, so that counts have several groups (the
// store's triggers count such changes like any other).
//
// Baselines, in the same run and interleaved with what they are compared with (the machine is shared; compare
// ratios, not absolute figures): for ingest, signed GETs of the job (trivial requests) and the server main
// thread's CPU per task; for task counts, the same GET of the job, and the GROUP BY over the job's tasks the server
// used to run (issue #16: 1,537 ms at 1M), timed on the database directly; for id pages, the first page of
// `state eq 'active'` (issue #16: 15 ms) and of no filter, and the id filter as SQL could not use the key index
// (`IFNULL(id_key >= ?, 0)`, as predicateSql.ts wrote it before), timed on the database directly.
//
// Run after `npm run build`: `node bench/millionTasks.mjs [tasks] [stores] [repeats]`; stores a comma-separated
// subset of sqlite,postgres (default sqlite); repeats per measurement (default 20).
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import pg from "pg";
import { signPythonStyle } from "../tests/dist/support/batchRequest.js";
import { startPostgresCluster } from "../tests/dist/support/postgresCluster.js";
import { api, percentile } from "./support/benchServer.mjs";
import { startServerProcess } from "./support/serverProcess.mjs";

const total = Number(process.argv[2] ?? 1_000_000);
const stores = (process.argv[3] ?? "sqlite").split(",");
const repeats = Number(process.argv[4] ?? 20);
const digits = String(total - 1).length;
const taskId = (n) => `task-${String(n).padStart(digits, "0")}`;

const summary = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  return `mean ${(sorted.reduce((a, b) => a + b, 0) / sorted.length).toFixed(1)} ms, p50 ${percentile(sorted, 0.5).toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms`;
};
const median = (times) => percentile([...times].sort((a, b) => a - b), 0.5);

/** A signed GET, timed from sending it to its last byte (the client's JSON.parse afterwards excluded). */
async function timedGet(server, path) {
  const url = new URL(server.url + path);
  const headers = { "ocp-date": new Date().toUTCString() };
  headers.authorization = `SharedKey ${server.account.name}:${signPythonStyle("GET", url, headers, server.account)}`;
  const started = performance.now();
  const response = await fetch(url, { headers });
  const text = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text.slice(0, 300)}`);
  return { ms, json: JSON.parse(text) };
}

function client(server, phase, count) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./support/taskStoreClient.mjs", import.meta.url), {
      workerData: { url: server.url, account: server.account, phase, total: count, parallel: 4, digits },
    });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

/** What each store needs done on its database directly: marking tasks, and the queries the server used to run. */
const databases = {
  async sqlite(server) {
    const db = new Database(join(server.dataDir, "openbatch.db"));
    db.pragma("busy_timeout = 60000");
    const where = "account = ? AND kind = 'task' AND scope = 'big'";
    const oldCounts = db.prepare(`SELECT state, result, count(*), total(coalesce(slots, 1)) FROM entities WHERE ${where} GROUP BY state, result`);
    const oldIdPage = db.prepare(`SELECT id_key, body FROM entities WHERE ${where} AND IFNULL(id_key >= ?, 0) ORDER BY id_key LIMIT 1001`);
    const newIdPage = db.prepare(`SELECT id_key, body FROM entities WHERE ${where} AND (id_key >= ?) ORDER BY id_key LIMIT 1001`);
    const time = (statement, ...params) => {
      const started = performance.now();
      statement.all(...params);
      return performance.now() - started;
    };
    return {
      mark() {
        return db
          .prepare(
            `UPDATE entities SET body = json_set(body, '$.state', 'completed', '$.executionInfo.result', CASE WHEN CAST(substr(id, 6) AS INTEGER) % 8 = 0 THEN 'failure' ELSE 'success' END)
             WHERE ${where} AND CAST(substr(id, 6) AS INTEGER) % 4 = 0`,
          )
          .run(server.account.name).changes;
      },
      oldCounts: () => time(oldCounts, server.account.name),
      oldIdPage: (from) => time(oldIdPage, server.account.name, from),
      newIdPage: (from) => time(newIdPage, server.account.name, from),
      close: () => db.close(),
    };
  },
  async postgres(server, url) {
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const where = "account = $1 AND kind = 'task' AND scope = 'big'";
    const state = `lower((body ->> 'state') COLLATE "C")`;
    const result = `lower((body -> 'executionInfo' ->> 'result') COLLATE "C")`;
    const time = async (text, values) => {
      const started = performance.now();
      await db.query(text, values);
      return performance.now() - started;
    };
    return {
      async mark() {
        const marked = await db.query(
          `UPDATE entities SET body = jsonb_set(jsonb_set(body, '{state}', '"completed"'), '{executionInfo,result}', CASE WHEN substr(id, 6)::int % 8 = 0 THEN '"failure"'::jsonb ELSE '"success"'::jsonb END)
           WHERE ${where} AND substr(id, 6)::int % 4 = 0`,
          [server.account.name],
        );
        await db.query("VACUUM ANALYZE entities");
        return marked.rowCount;
      },
      oldCounts: () => time(`SELECT ${state}, ${result}, count(*), sum(task_slots(body)) FROM entities WHERE ${where} GROUP BY 1, 2`, [server.account.name]),
      oldIdPage: (from) => time(`SELECT id_key, body FROM entities WHERE ${where} AND COALESCE(id_key >= $2, false) ORDER BY id_key LIMIT 1001`, [server.account.name, from]),
      newIdPage: (from) => time(`SELECT id_key, body FROM entities WHERE ${where} AND id_key >= $2 ORDER BY id_key LIMIT 1001`, [server.account.name, from]),
      close: () => db.end(),
    };
  },
};

async function measure(backend) {
  let cluster;
  let url;
  if (backend === "postgres") {
    cluster = await startPostgresCluster({ durable: true });
    url = await cluster.createDatabase();
  }
  const server = await startServerProcess(url === undefined ? {} : { store: url });
  const db = await databases[backend](server, url);
  try {
    const created = await fetchSigned(server, "POST", `/jobs?${api}`, { id: "big", poolInfo: { poolId: "no-such-pool" } });
    if (created.status !== 201) throw new Error(await created.text());
    const trivial = await client(server, "trivial", 2000);
    const cpuBefore = server.mainThreadCpuMs();
    const ingest = await client(server, "add", total);
    const cpuMs = server.mainThreadCpuMs() - cpuBefore;
    const afterIngest = server.memory();
    const markStarted = performance.now();
    const marked = await db.mark();
    const markSeconds = (performance.now() - markStarted) / 1000;

    const from = taskId(Math.floor(total * 0.9));
    const filters = {
      [`id ge '${from}'`]: `id ge '${from}'`,
      [`id gt '${taskId(Math.floor(total / 2))}'`]: `id gt '${taskId(Math.floor(total / 2))}'`,
      [`id lt '${taskId(1000)}'`]: `id lt '${taskId(1000)}'`,
      [`id le '${taskId(total - 1)}' and id ge '${taskId(total - 1000)}'`]: `id le '${taskId(total - 1)}' and id ge '${taskId(total - 1000)}'`,
      [`id eq '${taskId(Math.floor(total / 3))}'`]: `id eq '${taskId(Math.floor(total / 3))}'`,
      [`startswith(id, '${taskId(Math.floor(total * 0.9)).slice(0, -2)}')`]: `startswith(id, '${taskId(Math.floor(total * 0.9)).slice(0, -2)}')`,
      [`id ge '${from}' and state eq 'active'`]: `id ge '${from}' and state eq 'active'`,
      "baseline: state eq 'active'": "state eq 'active'",
      "baseline: state eq 'completed'": "state eq 'completed'",
      "baseline: no filter": undefined,
    };
    const times = { counts: [], job: [], oldCounts: [], oldIdPage: [], newIdPage: [], ...Object.fromEntries(Object.keys(filters).map((name) => [name, []])) };
    const sizes = {};
    let counts;
    // Interleaved, so that each figure and its baseline meet the same load.
    for (let round = 0; round < repeats; round++) {
      const countsAnswer = await timedGet(server, `/jobs/big/taskcounts?${api}`);
      times.counts.push(countsAnswer.ms);
      counts = countsAnswer.json;
      times.job.push((await timedGet(server, `/jobs/big?${api}`)).ms);
      if (round < Math.min(repeats, 5)) times.oldCounts.push(await db.oldCounts());
      for (const [name, filter] of Object.entries(filters)) {
        const page = await timedGet(server, `/jobs/big/tasks?${api}&maxresults=1000${filter === undefined ? "" : `&$filter=${encodeURIComponent(filter)}`}`);
        times[name].push(page.ms);
        sizes[name] = page.json.value.length;
      }
      if (round < Math.min(repeats, 5)) times.oldIdPage.push(await db.oldIdPage(from));
      times.newIdPage.push(await db.newIdPage(from));
    }
    const expected = { active: total - marked, completed: marked };
    if (counts.taskCounts.active !== expected.active || counts.taskCounts.completed !== expected.completed) {
      throw new Error(`task counts ${JSON.stringify(counts.taskCounts)}, expected ${JSON.stringify(expected)}`);
    }
    return { trivial, ingest, cpuMs, afterIngest, afterAll: server.memory(), marked, markSeconds, times, sizes, counts, filters };
  } finally {
    await db.close();
    await server.stop();
    await cluster?.stop();
  }
}

async function fetchSigned(server, method, path, body) {
  const url = new URL(server.url + path);
  const text = JSON.stringify(body);
  const headers = { "ocp-date": new Date().toUTCString(), "content-type": "application/json; odata=minimalmetadata; charset=utf-8", "content-length": String(Buffer.byteLength(text)) };
  headers.authorization = `SharedKey ${server.account.name}:${signPythonStyle(method, url, headers, server.account)}`;
  return fetch(url, { method, headers, body: text });
}

for (const backend of stores) {
  if (databases[backend] === undefined) throw new Error(`unknown store ${backend}: use sqlite and/or postgres`);
  const r = await measure(backend);
  const rate = total / (r.ingest.ms / 1000);
  console.log(`[${backend}] ${total} tasks in one job, ${repeats} rounds of each measurement`);
  console.log(`  ingest: ${rate.toFixed(0)} tasks/s (${r.ingest.requests} add-collections of 100, 4 in parallel, ${(r.ingest.ms / 1000).toFixed(1)} s; target ≥ 40,000); server main thread ${((r.cpuMs * 1000) / total).toFixed(1)} µs CPU per task`);
  console.log(`    baseline: ${r.trivial.requests} GET job, 4 in parallel: ${((r.trivial.requests * 1000) / r.trivial.ms).toFixed(0)} requests/s`);
  console.log(`  server RSS after ingest ${r.afterIngest.rss.toFixed(0)} MB, at the end ${r.afterAll.rss.toFixed(0)} MB, peak ${r.afterAll.peak.toFixed(0)} MB (target ≤ 300)`);
  console.log(`  marked ${r.marked} tasks completed in the database in ${r.markSeconds.toFixed(1)} s; counts ${JSON.stringify(r.counts.taskCounts)}, slots ${JSON.stringify(r.counts.taskSlotCounts)}`);
  console.log(`  GET taskcounts: ${summary(r.times.counts)} (target ≤ 10)`);
  console.log(`    baseline: GET job ${summary(r.times.job)}; the GROUP BY over the job's tasks it replaced, on the database: ${summary(r.times.oldCounts)}`);
  for (const name of Object.keys(r.filters)) {
    console.log(`  page of ${String(r.sizes[name]).padStart(4)} with ${name}: ${summary(r.times[name])}${name.startsWith("baseline") ? "" : " (target ≤ 10)"}`);
  }
  console.log(`  on the database, the first 1,001 rows of id ≥ ${taskId(Math.floor(total * 0.9))}: through the key index ${summary(r.times.newIdPage)}; as before (IFNULL) ${summary(r.times.oldIdPage)}`);
  console.log(`  medians: taskcounts ${median(r.times.counts).toFixed(1)} ms vs GET job ${median(r.times.job).toFixed(1)} ms; id ge page ${median(r.times[Object.keys(r.filters)[0]]).toFixed(1)} ms vs state eq 'active' page ${median(r.times["baseline: state eq 'active'"]).toFixed(1)} ms`);
}
