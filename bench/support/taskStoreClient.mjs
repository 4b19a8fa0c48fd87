// The client side of bench/taskStore.mjs and bench/millionTasks.mjs, run in a worker thread so that its own work
// (signing, JSON, HTTP parsing) does not share the server's event loop, as a separate client process would not.
// Phases: `ingest` (trivial requests, then add-collections), `trivial`, `add`, and `list`.
import { parentPort, workerData } from "node:worker_threads";
import { batchRequest } from "../../tests/dist/support/batchRequest.js";

const { url, account, phase, total, parallel, digits = 6 } = workerData;
const api = "api-version=2024-02-01.19.0";
const request = (options) => batchRequest(url, { account, ...options });

async function inParallel(count, work) {
  let started = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (started < count) {
      const index = started++;
      await work(index);
    }
  }));
}

/** `requests` signed GETs of the job, `parallel` at a time: the trivial-request baseline. */
async function trivial(requests) {
  const started = performance.now();
  await inParallel(requests, async () => {
    const read = await request({ path: `/jobs/big?${api}` });
    if (read.status !== 200) throw new Error(read.text);
  });
  return performance.now() - started;
}

/** `total` tasks in add-collections of 100, `parallel` at a time. */
async function add() {
  const requests = Math.ceil(total / 100);
  const started = performance.now();
  await inParallel(requests, async (index) => {
    const value = Array.from({ length: Math.min(100, total - index * 100) }, (_, k) => ({ id: `task-${String(index * 100 + k).padStart(digits, "0")}`, commandLine: "/bin/true" }));
    const added = await request({ method: "POST", path: `/jobs/big/addtaskcollection?${api}`, body: { value } });
    if (added.status !== 200 || added.json.value.some((result) => result.status !== "success")) throw new Error(added.text.slice(0, 500));
  });
  return performance.now() - started;
}

if (phase === "ingest") {
  const requests = Math.ceil(total / 100);
  const baselineMs = await trivial(requests);
  parentPort.postMessage({ requests, baselineMs, ingestMs: await add() });
} else if (phase === "trivial") {
  parentPort.postMessage({ requests: total, ms: await trivial(total) });
} else if (phase === "add") {
  parentPort.postMessage({ requests: Math.ceil(total / 100), ms: await add() });
} else {
  const pageTimes = async (filter) => {
    const times = [];
    const served = [];
    let count = 0;
    let path = `/jobs/big/tasks?${api}&maxresults=1000${filter === undefined ? "" : `&$filter=${encodeURIComponent(filter)}`}`;
    for (;;) {
      const started = performance.now();
      const page = await request({ path });
      const total = performance.now() - started;
      // The page's time includes this client's JSON.parse of ~1 MB; it is measured again here so the service's
      // share (until the last byte arrived) can be reported apart from the client's.
      const parseStarted = performance.now();
      JSON.parse(page.text);
      const parse = performance.now() - parseStarted;
      times.push(total);
      served.push(total - parse);
      if (page.status !== 200) throw new Error(page.text);
      count += page.json.value.length;
      const link = page.json["odata.nextLink"];
      if (link === undefined) break;
      path = link.slice(url.length);
    }
    return { count, times, served };
  };
  parentPort.postMessage({ filtered: await pageTimes("state eq 'completed'"), plain: await pageTimes(undefined) });
}
