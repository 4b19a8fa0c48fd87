/**
 * Usage statistics through the official SDKs (issue #14 items 6 and 7; docs/statistics.md): tasks measured by their
 * agents in the sandbox every task runs in by default (as root: as the OS account of their identity), their figures
 * on the task (`$expand=stats`), aggregated on the job as its tasks complete, on the pool (usage and resource
 * statistics), and in the account's lifetime statistics (`GET /lifetimejobstats`, `/lifetimepoolstats`, which
 * azure-batch 13.0.1 and @azure/batch 10.2.0 call with api-version 2022-10-01.16.0) — which keep what deleted jobs
 * and pools used.
 *
 * Figures are checked against what the tasks certainly did: bytes written and read by dd and cat, a busy loop's CPU
 * time, one retry and one failure. They are lower bounds (the sandbox's own start-up reads files too).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BatchServiceClient, BatchSharedKeyCredentials } from "@azure/batch";
import { pythonSnippet } from "../support/pythonSnippet.js";
import { requireRoot } from "../support/requireRoot.js";
import { removeOsAccounts, taskAccountNames } from "../support/taskAccounts.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const mib = 1024 * 1024;
const gib = 1024 * mib;

/** 8 MiB written in 8 calls, read back, then a busy loop: CPU, I/O and wall clock a task certainly used. */
const busyCommand = `/bin/sh -c "dd if=/dev/zero of=big.bin bs=1M count=8 2>/dev/null; cat big.bin > /dev/null; i=0; while [ \\$i -lt 300000 ]; do i=\\$((i+1)); done"`;

/** The Python SDK's statistics objects as plain numbers (durations in seconds). */
const statsHelpers = `
def seconds(value):
    return None if value is None else value.total_seconds()
def run_stats(stats):
    return {"url": stats.url, "user": seconds(stats.user_cpu_time), "kernel": seconds(stats.kernel_cpu_time), "wall": seconds(stats.wall_clock_time),
            "readIOps": stats.read_iops, "writeIOps": stats.write_iops, "readGiB": stats.read_io_gi_b, "writeGiB": stats.write_io_gi_b,
            "wait": seconds(stats.wait_time), "start": str(stats.start_time), "lastUpdate": str(stats.last_update_time)}
def job_stats(stats):
    return dict(run_stats(stats), succeeded=stats.num_succeeded_tasks, failed=stats.num_failed_tasks, retries=stats.num_task_retries)
def pool_stats(stats):
    usage, resource = stats.usage_stats, stats.resource_stats
    return {"url": stats.url, "dedicatedCoreTime": seconds(usage.dedicated_core_time), "cpuPercent": resource.avg_cpu_percentage,
            "avgMemoryGiB": resource.avg_memory_gi_b, "peakMemoryGiB": resource.peak_memory_gi_b, "avgDiskGiB": resource.avg_disk_gi_b,
            "peakDiskGiB": resource.peak_disk_gi_b, "readIOps": resource.disk_read_iops, "writeIOps": resource.disk_write_iops,
            "readGiB": resource.disk_read_gi_b, "writeGiB": resource.disk_write_gi_b, "networkReadGiB": resource.network_read_gi_b}
`;

interface RunStats {
  url: string;
  user: number;
  kernel: number;
  wall: number;
  readIOps: number;
  writeIOps: number;
  readGiB: number;
  writeGiB: number;
  wait: number;
}
interface JobStats extends RunStats {
  succeeded: number;
  failed: number;
  retries: number;
}
interface PoolStats {
  url: string;
  dedicatedCoreTime: number;
  cpuPercent: number;
  avgMemoryGiB: number;
  peakMemoryGiB: number;
  avgDiskGiB: number;
  peakDiskGiB: number;
  readIOps: number;
  writeIOps: number;
  readGiB: number;
  writeGiB: number;
  networkReadGiB: number;
}

describe("usage statistics through the official SDKs, tasks sandboxed as their own OS accounts", () => {
  before(() => requireRoot("running tasks as their identities' accounts"));
  let server: TestServer;
  let accounts: string[] = [];
  const python = (code: string) => pythonSnippet(server.url, account, `${statsHelpers}\n${code}`);
  let taskStats: RunStats;
  let jobStats: JobStats;

  before(async () => {
    // Agents sample the nodes' memory and disk every second here (30 s by default).
    process.env["OPENBATCH_AGENT_SAMPLE_SECONDS"] = "1";
    server = await startTestServer({ taskIsolation: true, agentHeartbeatIntervalInSeconds: 1 });
    await python(`
client.pool.add(batchmodels.PoolAddParameter(id="statspool", vm_size="Standard_D2s_v3", target_dedicated_nodes=1,
    virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
        image_reference=batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
        node_agent_sku_id="batch.node.ubuntu 22.04")))
client.job.add(batchmodels.JobAddParameter(id="statsjob", pool_info=batchmodels.PoolInformation(pool_id="statspool")))
client.task.add_collection("statsjob", [
    batchmodels.TaskAddParameter(id="busy", command_line=${JSON.stringify(busyCommand)}),
    batchmodels.TaskAddParameter(id="fails", command_line='/bin/sh -c "exit 3"', constraints=batchmodels.TaskConstraints(max_task_retry_count=1)),
    batchmodels.TaskAddParameter(id="ok", command_line="/bin/true"),
])
emit(True)`);
    await waitFor("the three tasks to complete", async () => {
      const states: string[] = await python(`emit([task.state for task in client.task.list("statsjob")])`);
      return states.length === 3 && states.every((state) => state === "completed");
    }, 180_000, 500);
  });
  after(async () => {
    delete process.env["OPENBATCH_AGENT_SAMPLE_SECONDS"];
    accounts = server === undefined ? [] : taskAccountNames(server.dataDir);
    try {
      await server?.dispose();
    } finally {
      removeOsAccounts(accounts);
    }
  });

  it("shows a task's own figures with $expand=stats: its process tree's CPU, reads and writes, wall clock and wait", async () => {
    const result: { busy: RunStats; plain: boolean; listed: RunStats | null } = await python(`
busy = client.task.get("statsjob", "busy", task_get_options=batchmodels.TaskGetOptions(expand="stats"))
plain = client.task.get("statsjob", "busy")
listed = [task for task in client.task.list("statsjob", task_list_options=batchmodels.TaskListOptions(expand="stats")) if task.id == "busy"][0]
emit({"busy": run_stats(busy.stats), "plain": plain.stats is None, "listed": run_stats(listed.stats) if listed.stats else None})`);
    taskStats = result.busy;
    assert.ok(result.plain, "no statistics without $expand=stats");
    assert.match(taskStats.url, /\/jobs\/statsjob\/tasks\/busy\/stats$/);
    assert.ok(taskStats.writeGiB * gib >= 8 * mib, `writeIOGiB ${taskStats.writeGiB}`);
    assert.ok(taskStats.readGiB * gib >= 16 * mib, `readIOGiB ${taskStats.readGiB}: dd read 8 MiB of zeros, cat read the file`);
    assert.ok(taskStats.writeIOps >= 8 && taskStats.readIOps >= 16, `IOps ${taskStats.readIOps}/${taskStats.writeIOps}`);
    assert.ok(taskStats.user + taskStats.kernel >= 0.05, `CPU ${taskStats.user} + ${taskStats.kernel} s: a 300,000-step shell loop`);
    assert.ok(taskStats.wall >= taskStats.user, `wall clock ${taskStats.wall} s`);
    assert.ok(taskStats.wait > 0, `wait ${taskStats.wait} s from creation to start`);
    // Read a moment apart: the same figures but the time they are as of.
    assert.deepEqual(result.listed === null ? null : { ...result.listed, lastUpdate: "" }, { ...taskStats, lastUpdate: "" }, "the list shows the same figures");
  });

  it("aggregates a job's figures as its tasks complete: usage, successes, failures and retries", async () => {
    const result: { job: JobStats; listed: JobStats } = await python(`
job = client.job.get("statsjob", job_get_options=batchmodels.JobGetOptions(expand="stats"))
listed = [j for j in client.job.list(job_list_options=batchmodels.JobListOptions(expand="stats")) if j.id == "statsjob"][0]
emit({"job": job_stats(job.stats), "listed": job_stats(listed.stats)})`);
    jobStats = result.job;
    assert.deepEqual({ succeeded: jobStats.succeeded, failed: jobStats.failed, retries: jobStats.retries }, { succeeded: 2, failed: 1, retries: 1 });
    assert.ok(jobStats.writeGiB >= taskStats.writeGiB && jobStats.readGiB >= taskStats.readGiB, "the job's I/O includes its tasks'");
    assert.ok(jobStats.user >= taskStats.user && jobStats.wall >= 0.9 * taskStats.wall, "the job's CPU and wall clock include its tasks'");
    // As the service documents it: wait time is in the account's lifetime statistics only.
    assert.equal(jobStats.wait, 0);
    assert.deepEqual(result.listed, jobStats);
  });

  it("shows the pool's usage and resource statistics from its node's measurements and samples", async () => {
    // The node's disk sample must have seen big.bin (agents sample every second here).
    const pool: PoolStats = await waitFor("a disk sample with the task's file", async () => {
      const stats: PoolStats = await python(`emit(pool_stats(client.pool.get("statspool", pool_get_options=batchmodels.PoolGetOptions(expand="stats")).stats))`);
      return stats.peakDiskGiB * gib >= 8 * mib ? stats : undefined;
    }, 60_000, 500);
    assert.match(pool.url, /\/pools\/statspool\/stats$/);
    assert.ok(pool.dedicatedCoreTime > 0, "a dedicated node of 2 cores is core time");
    assert.ok(pool.writeGiB >= jobStats.writeGiB && pool.readGiB >= jobStats.readGiB, "the node's disk I/O includes the job's");
    assert.ok(pool.writeIOps >= jobStats.writeIOps, "write calls");
    assert.ok(pool.cpuPercent > 0 && pool.cpuPercent <= 100, `avgCPUPercentage ${pool.cpuPercent}`);
    assert.ok(pool.peakMemoryGiB > 0, "the tasks' largest resident set");
    assert.ok(pool.avgDiskGiB > 0 && pool.avgDiskGiB <= pool.peakDiskGiB, `disk ${pool.avgDiskGiB} ≤ ${pool.peakDiskGiB}`);
    assert.equal(pool.networkReadGiB, 0, "not measured (docs/statistics.md)");
  });

  it("answers the account's lifetime statistics at api-version 2022-10-01.16.0 (Python SDK), keeping deleted jobs and pools", async () => {
    const before: { jobs: JobStats; pools: PoolStats } = await python(`emit({"jobs": job_stats(client.job.get_all_lifetime_statistics()), "pools": pool_stats(client.pool.get_all_lifetime_statistics())})`);
    assert.equal(before.jobs.url, `${server.url}/lifetimejobstats`);
    assert.equal(before.pools.url, `${server.url}/lifetimepoolstats`);
    const figures = ({ url: _url, wait: _wait, start: _start, lastUpdate: _lastUpdate, ...rest }: JobStats & { start?: string; lastUpdate?: string }) => rest;
    assert.deepEqual(figures(before.jobs), figures(jobStats), "one job: its figures");
    assert.ok(before.jobs.wait >= taskStats.wait, `lifetime wait time ${before.jobs.wait} s includes the tasks' waits`);
    assert.ok(before.pools.writeGiB >= jobStats.writeGiB && before.pools.dedicatedCoreTime > 0);

    await python(`
client.job.delete("statsjob")
client.pool.delete("statspool")
emit(True)`);
    await waitFor("the pool to be gone", async () => {
      const exists: boolean = await python(`emit(client.pool.exists("statspool"))`);
      return !exists;
    }, 120_000, 500);
    const afterwards: { jobs: JobStats; pools: PoolStats } = await python(`emit({"jobs": job_stats(client.job.get_all_lifetime_statistics()), "pools": pool_stats(client.pool.get_all_lifetime_statistics())})`);
    assert.deepEqual(figures(afterwards.jobs), figures(before.jobs), "a deleted job's figures stay in the account's");
    assert.equal(afterwards.jobs.wait, before.jobs.wait);
    assert.ok(afterwards.pools.writeGiB >= before.pools.writeGiB && afterwards.pools.writeIOps >= before.pools.writeIOps, "a deleted pool's figures stay");
    assert.ok(afterwards.pools.dedicatedCoreTime >= before.pools.dedicatedCoreTime, "its core time stays");
    assert.ok(afterwards.pools.peakDiskGiB * gib >= 8 * mib);

    // The JavaScript SDK speaks the same api-version and reads the same figures.
    const client = new BatchServiceClient(new BatchSharedKeyCredentials(account.name, account.key), server.url);
    const jobs = await client.job.getAllLifetimeStatistics();
    const pools = await client.pool.getAllLifetimeStatistics();
    assert.equal(jobs.numSucceededTasks, 2);
    assert.equal(jobs.numFailedTasks, 1);
    assert.equal(jobs.numTaskRetries, 1);
    assert.ok(jobs.writeIOGiB * gib >= 8 * mib);
    assert.ok(pools.resourceStats?.diskWriteGiB !== undefined && pools.resourceStats.diskWriteGiB * gib >= 8 * mib);
    assert.equal(pools.url, `${server.url}/lifetimepoolstats`);
  });
});
