/**
 * `openbatch status`: one screen on the account — where it is, its pools with their nodes by state, and its jobs
 * that are not completed (plus the last few that are) with their task counts. With --output other than table it
 * prints the same as one object.
 */
import { Command } from "commander";
import { toArray, type CloudJob, type TaskCounts } from "@openbatch/client";
import { flags } from "../framework/body.js";
import { leaf, type Invocation } from "../framework/leaf.js";
import { wholeNumber } from "../framework/parse.js";
import { renderTable } from "../framework/table.js";

interface PoolStatus {
  id: string;
  state: string | undefined;
  allocationState: string | undefined;
  vmSize: string | undefined;
  dedicated: string;
  lowPriority: string;
  nodes: Record<string, number>;
}

interface JobStatus {
  id: string;
  state: string | undefined;
  pool: string;
  tasks: TaskCounts;
}

async function collect(invocation: Invocation, completedShown: number) {
  const client = invocation.client();
  const connection = invocation.connection();
  const [pools, counts, jobs] = await Promise.all([
    toArray(client.pool.list({ select: ["id", "state", "allocationState", "vmSize", "currentDedicatedNodes", "targetDedicatedNodes", "currentLowPriorityNodes", "targetLowPriorityNodes"] })),
    toArray(client.account.listPoolNodeCounts()),
    toArray(client.job.list({ select: ["id", "state", "poolInfo", "executionInfo", "creationTime"] })),
  ]);
  const poolStatus: PoolStatus[] = pools.map((pool) => {
    const count = counts.find((entry) => entry.poolId === pool.id);
    const nodes: Record<string, number> = {};
    for (const group of [count?.dedicated, count?.lowPriority]) {
      for (const [state, value] of Object.entries(group ?? {})) if (state !== "total" && typeof value === "number" && value > 0) nodes[state] = (nodes[state] ?? 0) + value;
    }
    return {
      id: pool.id as string,
      state: pool.state,
      allocationState: pool.allocationState,
      vmSize: pool.vmSize,
      dedicated: `${pool.currentDedicatedNodes ?? 0}/${pool.targetDedicatedNodes ?? 0}`,
      lowPriority: `${pool.currentLowPriorityNodes ?? 0}/${pool.targetLowPriorityNodes ?? 0}`,
      nodes,
    };
  });
  const open = jobs.filter((job) => job.state !== "completed");
  const recent = jobs
    .filter((job) => job.state === "completed")
    .sort((a, b) => String(b.creationTime).localeCompare(String(a.creationTime)))
    .slice(0, completedShown);
  const shown: CloudJob[] = [...open, ...recent];
  const jobStatus: JobStatus[] = await Promise.all(
    shown.map(async (job) => ({
      id: job.id as string,
      state: job.state,
      pool: job.executionInfo?.poolId ?? job.poolInfo?.poolId ?? "(auto pool)",
      tasks: (await client.job.getTaskCounts(job.id as string)).taskCounts ?? {},
    })),
  );
  return {
    endpoint: connection.endpoint,
    account: connection.account,
    pools: poolStatus,
    jobs: jobStatus,
    jobsNotShown: jobs.length - shown.length,
  };
}

export function statusCommand(): Command {
  const holder = new Command("holder");
  leaf(holder, "status", "A one-screen summary of the account: pools and their nodes, jobs and their tasks.")
    .options((command) => command.option("--completed-jobs <n>", "how many completed jobs to show (the newest)", wholeNumber, 5))
    .action(async (invocation) => {
      const status = await collect(invocation, flags<{ completedJobs: number }>(invocation).completedJobs);
      if (invocation.output.format !== "table" || invocation.output.query !== undefined) return status;
      const { terminal } = invocation;
      const bold = terminal.colors.bold;
      const sections = [`${bold("Account")} ${status.account} at ${status.endpoint}\n`];
      sections.push(
        status.pools.length === 0
          ? `${bold("Pools")}: none (create one: npx openbatch pool create --id mypool --vm-size standard_d2s_v3 --target-dedicated-nodes 2)\n`
          : `${bold("Pools")}\n${renderTable(
              status.pools.map((pool) => ({
                Pool: pool.id,
                State: pool.state,
                Allocation: pool.allocationState,
                "VM Size": pool.vmSize,
                Dedicated: pool.dedicated,
                "Low Priority": pool.lowPriority,
                Nodes: Object.entries(pool.nodes).map(([state, count]) => `${count} ${state}`).join(", ") || "none",
              })),
              terminal.columns,
              terminal.colors,
            )}`,
      );
      sections.push(
        status.jobs.length === 0
          ? `${bold("Jobs")}: none\n`
          : `${bold("Jobs")}\n${renderTable(
              status.jobs.map((job) => ({
                Job: job.id,
                State: job.state,
                Pool: job.pool,
                Active: job.tasks.active ?? 0,
                Running: job.tasks.running ?? 0,
                Completed: job.tasks.completed ?? 0,
                Succeeded: job.tasks.succeeded ?? 0,
                Failed: job.tasks.failed ?? 0,
              })),
              terminal.columns,
              terminal.colors,
            )}${status.jobsNotShown > 0 ? `(${status.jobsNotShown} older completed jobs not shown: openbatch job list)\n` : ""}`,
      );
      terminal.out(sections.join("\n"));
      return undefined;
    });
  return holder.commands[0] as Command;
}
