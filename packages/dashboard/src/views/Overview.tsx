/**
 * The account at a glance: pools with their nodes by state, jobs by state, task counts of the active jobs, and the
 * running tasks over time. Refreshed by the event stream (or by polling when it is unavailable).
 */
import { useEffect, useState } from "preact/hooks";
import type { BatchServiceClient, CloudJob, CloudPool, NodeCounts, PoolNodeCounts } from "@openbatch/client";
import { ErrorBanner, Section, StateBadge, useLoad } from "../components/common.js";
import { countsOf, type Counts } from "../components/Progress.js";
import { addSample, emptySamples, TimeChart } from "../components/TimeChart.js";
import { useLive, type LiveStatus } from "../live.js";
import { href } from "../router.js";
import { CreatePoolForm, SubmitJobForm } from "./forms.js";

/** Task counts are read for this many jobs: the active ones first, then the newest. */
const jobsCounted = 25;

interface OverviewData {
  readonly pools: CloudPool[];
  readonly nodeCounts: Map<string, PoolNodeCounts>;
  readonly jobs: CloudJob[];
  readonly taskCounts: Map<string, Counts>;
}

async function loadOverview(client: BatchServiceClient): Promise<OverviewData> {
  const pools: CloudPool[] = [];
  for await (const pool of client.pool.list({ select: "id,state,allocationState,vmSize,currentDedicatedNodes,targetDedicatedNodes,currentLowPriorityNodes,targetLowPriorityNodes,enableAutoScale" })) pools.push(pool);
  const nodeCounts = new Map<string, PoolNodeCounts>();
  for await (const counts of client.account.listPoolNodeCounts()) nodeCounts.set(counts.poolId ?? "", counts);
  const jobs: CloudJob[] = [];
  for await (const job of client.job.list({ select: "id,state,poolInfo,creationTime" })) jobs.push(job);
  // Active jobs first, then the most recently created others.
  const byAge = (a: CloudJob, b: CloudJob) => String(b.creationTime ?? "").localeCompare(String(a.creationTime ?? ""));
  const counted = [...jobs.filter((job) => job.state === "active").sort(byAge), ...jobs.filter((job) => job.state !== "active").sort(byAge)].slice(0, jobsCounted);
  const taskCounts = new Map<string, Counts>();
  await Promise.all(counted.map(async (job) => taskCounts.set(job.id ?? "", countsOf((await client.job.getTaskCounts(job.id ?? "")).taskCounts))));
  return { pools, nodeCounts, jobs, taskCounts };
}

function sum(counts: NodeCounts | undefined, other: NodeCounts | undefined, field: keyof NodeCounts): number {
  return (counts?.[field] ?? 0) + (other?.[field] ?? 0);
}

export function LiveBadge({ status }: { status: LiveStatus }) {
  const text = status === "live" ? "Live" : status === "polling" ? "Polling every 5 s" : "Connecting…";
  return (
    <span class={`live live-${status}`} role="status" aria-live="polite">
      {text}
    </span>
  );
}

export function Overview({ client }: { client: BatchServiceClient }) {
  const { data, error, reload } = useLoad(() => loadOverview(client), [client]);
  const [running, setRunning] = useState(() => emptySamples([["running tasks", "#2b7bb9"], ["active tasks", "#999"]]));
  const status = useLive(client, {}, () => {
    void reload().then(() => undefined);
  });
  const activeJobs = new Set((data?.jobs ?? []).filter((job) => job.state === "active").map((job) => job.id ?? ""));
  const totals = [...(data?.taskCounts ?? [])].filter(([jobId]) => activeJobs.has(jobId)).map(([, counts]) => counts).reduce(
    (all, counts) => ({ active: all.active + counts.active, running: all.running + counts.running, completed: all.completed + counts.completed, failed: all.failed + counts.failed }),
    { active: 0, running: 0, completed: 0, failed: 0 },
  );
  useEffect(() => {
    if (data !== undefined) setRunning((previous) => addSample(previous, [totals.running, totals.active]));
  }, [data]);
  const jobStates = new Map<string, number>();
  for (const job of data?.jobs ?? []) jobStates.set(job.state ?? "unknown", (jobStates.get(job.state ?? "unknown") ?? 0) + 1);
  const nodeTotals = { idle: 0, running: 0, starting: 0, unusable: 0, other: 0, total: 0 };
  for (const counts of data?.nodeCounts.values() ?? []) {
    const { dedicated, lowPriority } = counts;
    nodeTotals.idle += sum(dedicated, lowPriority, "idle");
    nodeTotals.running += sum(dedicated, lowPriority, "running");
    nodeTotals.starting += sum(dedicated, lowPriority, "starting") + sum(dedicated, lowPriority, "creating") + sum(dedicated, lowPriority, "waitingForStartTask");
    nodeTotals.unusable += sum(dedicated, lowPriority, "unusable") + sum(dedicated, lowPriority, "startTaskFailed");
    nodeTotals.total += sum(dedicated, lowPriority, "total");
  }
  nodeTotals.other = nodeTotals.total - nodeTotals.idle - nodeTotals.running - nodeTotals.starting - nodeTotals.unusable;
  return (
    <main>
      <header class="page-head">
        <h1>Overview</h1>
        <LiveBadge status={status} />
      </header>
      <ErrorBanner error={error} />
      <div class="cards">
        <div class="card">
          <h2>Pools</h2>
          <p class="big">{data?.pools.length ?? "…"}</p>
        </div>
        <div class="card">
          <h2>Nodes</h2>
          <p class="big">{nodeTotals.total}</p>
          <p>
            {nodeTotals.idle} idle, {nodeTotals.running} running, {nodeTotals.starting} starting, {nodeTotals.unusable} unusable, {nodeTotals.other} other
          </p>
        </div>
        <div class="card">
          <h2>Jobs</h2>
          <p class="big">{data?.jobs.length ?? "…"}</p>
          <p>{[...jobStates].map(([state, count]) => `${count} ${state}`).join(", ") || "none"}</p>
        </div>
        <div class="card">
          <h2>Tasks of active jobs</h2>
          <p class="big">{totals.running} running</p>
          <p>
            {totals.active} waiting, {totals.completed} completed ({totals.failed} failed)
          </p>
        </div>
      </div>
      <TimeChart title="Running tasks over time" samples={running} />
      <Section title="Pools">
        <table class="table" aria-label="Pools">
          <thead>
            <tr>
              <th scope="col">Pool</th>
              <th scope="col">State</th>
              <th scope="col">Allocation</th>
              <th scope="col">Dedicated (current / target)</th>
              <th scope="col">Spot (current / target)</th>
              <th scope="col">Idle</th>
              <th scope="col">Running</th>
            </tr>
          </thead>
          <tbody>
            {(data?.pools ?? []).map((pool) => {
              const counts = data?.nodeCounts.get(pool.id ?? "");
              return (
                <tr key={pool.id}>
                  <td>
                    <a href={href.pool(pool.id ?? "")}>{pool.id}</a>
                  </td>
                  <td>
                    <StateBadge state={pool.state} />
                  </td>
                  <td>{pool.allocationState}</td>
                  <td>
                    {pool.currentDedicatedNodes ?? 0} / {pool.enableAutoScale === true ? "autoscale" : (pool.targetDedicatedNodes ?? 0)}
                  </td>
                  <td>
                    {pool.currentLowPriorityNodes ?? 0} / {pool.targetLowPriorityNodes ?? 0}
                  </td>
                  <td>{sum(counts?.dedicated, counts?.lowPriority, "idle")}</td>
                  <td>{sum(counts?.dedicated, counts?.lowPriority, "running")}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Section>
      <Section title="Jobs">
        <table class="table" aria-label="Jobs">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">State</th>
              <th scope="col">Pool</th>
              <th scope="col">Tasks (completed / all)</th>
            </tr>
          </thead>
          <tbody>
            {(data?.jobs ?? []).map((job) => {
              const counts = data?.taskCounts.get(job.id ?? "");
              return (
                <tr key={job.id}>
                  <td>
                    <a href={href.job(job.id ?? "")}>{job.id}</a>
                  </td>
                  <td>
                    <StateBadge state={job.state} />
                  </td>
                  <td>{job.poolInfo?.poolId ?? (job.poolInfo?.autoPoolSpecification === undefined ? "" : "auto pool")}</td>
                  <td>{counts === undefined ? "" : `${counts.completed} / ${counts.total}`}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Section>
      <Section title="Create a pool">
        <CreatePoolForm client={client} onCreated={() => void reload()} />
      </Section>
      <Section title="Submit a job">
        <SubmitJobForm client={client} pools={(data?.pools ?? []).map((pool) => pool.id ?? "")} onCreated={() => void reload()} />
      </Section>
    </main>
  );
}
