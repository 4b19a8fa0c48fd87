// Benchmark: task add → running latency with free slots (issue #4 target: p50 ≤ 5 ms, p99 ≤ 50 ms).
// One task at a time is added to a job on an idle pool (the next once the node has reported the last one's end); the latency is the server's own record of it, from the
// task's `creationTime` to its `executionInfo.startTime` (both stamped by the server, 0.1 µs resolution), so client
// polling does not blur it. Baseline in the same run: the round trip of the add request itself.
// Run after `npm run build`: `node bench/addLatency.mjs [samples]`.
import { api, percentile, startBenchServer, until } from "./support/benchServer.mjs";

const samples = Number(process.argv[2] ?? 300);
const bench = await startBenchServer();
try {
  await bench.pool("latency", 1, 16);
  await bench.request({ method: "POST", path: `/jobs?${api}`, body: { id: "job", poolInfo: { poolId: "latency" } } });
  const latencies = [];
  const roundTrips = [];
  for (let i = 0; i < samples; i++) {
    const sent = process.hrtime.bigint();
    const added = await bench.request({ method: "POST", path: `/jobs/job/tasks?${api}`, body: { id: `t${i}`, commandLine: "/bin/true" } });
    roundTrips.push(Number(process.hrtime.bigint() - sent) / 1e6);
    if (added.status !== 201) throw new Error(added.text);
    let task;
    await until(async () => {
      task = (await bench.request({ path: `/jobs/job/tasks/t${i}?${api}` })).json;
      return task.state !== "active";
    }, 2);
    latencies.push(Date.parse(task.executionInfo.startTime) - Date.parse(task.creationTime));
    // Free slots for the next one: the node has heard of this task's end.
    await until(async () => (await bench.request({ path: `/pools/latency/nodes?${api}` })).json.value[0].runningTasksCount === 0, 2);
  }
  latencies.sort((a, b) => a - b);
  roundTrips.sort((a, b) => a - b);
  console.log(`add → running over ${samples} tasks: p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms, max ${latencies.at(-1).toFixed(1)} ms (target p50 ≤ 5, p99 ≤ 50)`);
  console.log(`baseline: the add request's round trip: p50 ${percentile(roundTrips, 0.5).toFixed(1)} ms, p99 ${percentile(roundTrips, 0.99).toFixed(1)} ms`);
  console.log(`ratio p50 latency / p50 round trip: ${(percentile(latencies, 0.5) / percentile(roundTrips, 0.5)).toFixed(2)}×`);
} finally {
  await bench.close();
}
