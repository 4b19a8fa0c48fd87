// Benchmark: the same N trivial jobs (`/bin/true`) through Slurm and through OpenBatch in one run, on the same
// 16 slots: a throwaway single-node Slurm cluster (2 CPUs, each core shared by up to 8 jobs) and an OpenBatch pool of
// 2 local nodes × 8 slots. Slurm is measured twice — N separate `sbatch` submissions and one job array of N (its
// cheapest way to submit many jobs) — from the first submission until every job is COMPLETED; OpenBatch from the
// first add-collection request until every task is completed. Needs root and Debian's slurm-wlm + munge.
// Run after `npm run build`: `node bench/slurmCompare.mjs [jobs]`.
import { startSlurmCluster } from "../tests/dist/support/slurmCluster.js";
import { api, startBenchServer, until } from "./support/benchServer.mjs";

const total = Number(process.argv[2] ?? 500);

const completed = (cluster) => cluster.run("squeue", ["-h", "-r", "-t", "all", "-o", "%T"]).split("\n").filter((state) => state === "COMPLETED").length;

async function slurmRun(cluster, submit) {
  const started = process.hrtime.bigint();
  await submit();
  await until(() => completed(cluster) >= total, 100);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

let cluster = await startSlurmCluster({ cpus: 2, oversubscribe: 8, minJobAgeInSeconds: 3600 });
let separate;
let array;
try {
  separate = await slurmRun(cluster, async () => {
    for (let i = 0; i < total; i += 1) cluster.run("sbatch", ["-Q", "-o", "/dev/null", "--wrap=/bin/true"]);
  });
  // The first run's jobs stay listed (MinJobAge); a second cluster keeps the two runs apart.
  await cluster.stop();
  cluster = await startSlurmCluster({ cpus: 2, oversubscribe: 8, minJobAgeInSeconds: 3600 });
  array = await slurmRun(cluster, async () => cluster.run("sbatch", ["-Q", "-o", "/dev/null", `--array=1-${total}`, "--wrap=/bin/true"]));
} finally {
  await cluster.stop();
}

const bench = await startBenchServer();
let openbatch;
try {
  await bench.pool("bench", 2, 8);
  await bench.request({ method: "POST", path: `/jobs?${api}`, body: { id: "job", poolInfo: { poolId: "bench" } } });
  const started = process.hrtime.bigint();
  for (let i = 0; i < total; i += 100) {
    const value = Array.from({ length: Math.min(100, total - i) }, (_, k) => ({ id: `t${i + k}`, commandLine: "/bin/true" }));
    const added = await bench.request({ method: "POST", path: `/jobs/job/addtaskcollection?${api}`, body: { value } });
    if (added.status !== 200) throw new Error(added.text);
  }
  await until(async () => (await bench.request({ path: `/jobs/job/taskcounts?${api}` })).json.taskCounts.completed === total, 100);
  openbatch = Number(process.hrtime.bigint() - started) / 1e9;
} finally {
  await bench.close();
}

const rate = (seconds) => `${seconds.toFixed(2)} s (${(total / seconds).toFixed(1)} jobs/s)`;
console.log(`Slurm, ${total} × sbatch /bin/true, 16 shared slots:       ${rate(separate)}`);
console.log(`Slurm, one job array of ${total}, 16 shared slots:        ${rate(array)}`);
console.log(`OpenBatch, ${total} tasks, 2 nodes × 8 slots:              ${rate(openbatch)}`);
console.log(`OpenBatch / Slurm: ${(separate / openbatch).toFixed(1)}× separate jobs, ${(array / openbatch).toFixed(1)}× job array`);
