/**
 * Waiting and watching: `job wait` (a live bar of the job's tasks: completed of all, active, running, failed, rate
 * and time left; exit 1 when tasks failed), `pool wait` (steady, then every node idle; exit 1 when a node is
 * unusable or its start task failed), `task wait` (until the task completes; exit 1 when it failed) and
 * `task logs` (a task's stdout or stderr, `--follow`ed with ranged reads until the task completes).
 * Progress goes to stderr and only on a terminal; the final state is the command's output.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { isBatchError, toArray, type BatchServiceClient, type CloudTask, type TaskCounts } from "@openbatch/client";
import { flags } from "../framework/body.js";
import { UsageError, WorkFailedError } from "../framework/errors.js";
import { leaf, type Invocation } from "../framework/leaf.js";
import { positiveSeconds, wholeNumber } from "../framework/parse.js";
import { formatSeconds, progressBar, RateMeter } from "../framework/progress.js";
import { nodeRows, taskCountRows, taskRows } from "./tables.js";

interface WaitFlags {
  interval: number;
  timeout?: number;
}

function waitFlags(command: Command): Command {
  return command
    .option("--interval <seconds>", "time between polls", positiveSeconds, 1)
    .option("--timeout <seconds>", "give up (exit 1) after this long", positiveSeconds);
}

const waitOptions = (invocation: Invocation) => {
  const options = flags<WaitFlags>(invocation);
  return {
    pollIntervalInMs: options.interval * 1000,
    abortSignal: invocation.signal,
    ...(options.timeout === undefined ? {} : { timeoutInMs: options.timeout * 1000 }),
  };
};

const totalOf = (counts: TaskCounts) => (counts.active ?? 0) + (counts.running ?? 0) + (counts.completed ?? 0);

/** Waits for a job's tasks, drawing the bar; resolves with the last counts. Used by `job wait` and `openbatch run`. */
export async function waitForJob(invocation: Invocation, jobId: string): Promise<{ taskCounts: TaskCounts; taskSlotCounts?: unknown }> {
  const bar = progressBar(
    invocation.terminal,
    `${jobId} [{bar}] {percentage}% | {value}/{total} completed | {active} active, {running} running, {failed} failed | {rate} tasks/s | ETA {etaText}`,
  );
  let meter: RateMeter | undefined;
  try {
    const result = await invocation.client().waitForTasksComplete(jobId, {
      ...waitOptions(invocation),
      onProgress: (counts) => {
        const total = totalOf(counts);
        const completed = counts.completed ?? 0;
        meter ??= new RateMeter(completed);
        const { rate, eta } = meter.sample(completed, total);
        bar.update(completed, total, { active: counts.active ?? 0, running: counts.running ?? 0, failed: counts.failed ?? 0, rate, etaText: eta });
      },
    });
    return { taskCounts: result.taskCounts ?? {}, ...(result.taskSlotCounts === undefined ? {} : { taskSlotCounts: result.taskSlotCounts }) };
  } finally {
    bar.stop();
  }
}

/** Follows a task's output file, writing what is new; resolves when the task has completed and all of it is out. */
export async function followTaskFile(
  invocation: Invocation,
  target: { jobId: string; taskId: string; file: string; follow: boolean; tailLines?: number },
): Promise<void> {
  const client: BatchServiceClient = invocation.client();
  const interval = flags<WaitFlags>(invocation).interval * 1000;
  let offset: number | undefined;
  let waitingNoted = false;
  for (;;) {
    const task = await client.task.get(target.jobId, target.taskId, { select: ["id", "state"] });
    const completed = task.state === "completed";
    let length: number | undefined;
    try {
      length = (await client.file.getPropertiesFromTask(target.jobId, target.taskId, target.file)).contentLength;
    } catch (error) {
      // Not started yet (no node), or started but nothing written: keep waiting while following.
      if (!isBatchError(error) || error.statusCode !== 404 && error.statusCode !== 409) throw error;
    }
    if (length === undefined) {
      if (!target.follow || completed) throw new UsageError(`task '${target.taskId}' has no ${target.file} (it is ${task.state}).`);
      if (!waitingNoted && invocation.terminal.stderrIsTTY) invocation.terminal.note(`Waiting for task '${target.taskId}' to start (it is ${task.state})…`);
      waitingNoted = true;
    } else {
      if (offset === undefined) offset = target.tailLines === undefined ? 0 : await tailStart(client, target, length);
      if (length < offset) {
        invocation.terminal.note(`(${target.file} started again: the task was retried or requeued)`);
        offset = 0;
      }
      if (length > offset) {
        const download = await client.file.getFromTask(target.jobId, target.taskId, target.file, { ocpRange: `bytes=${offset}-${length - 1}` });
        for await (const chunk of download.readableStreamBody) process.stdout.write(chunk as Buffer);
        offset = length;
      }
      if (!target.follow || completed) return;
    }
    await sleep(interval, undefined, { signal: invocation.signal });
  }
}

/** Where the last `lines` lines of the file begin (reads back from the end in growing slices). */
async function tailStart(client: BatchServiceClient, target: { jobId: string; taskId: string; file: string; tailLines?: number }, length: number): Promise<number> {
  const lines = target.tailLines ?? 0;
  if (lines === 0) return length;
  for (let slice = 16 * 1024; ; slice *= 4) {
    const start = Math.max(0, length - slice);
    const download = await client.file.getFromTask(target.jobId, target.taskId, target.file, { ocpRange: `bytes=${start}-${length - 1}` });
    const parts: Buffer[] = [];
    for await (const chunk of download.readableStreamBody) parts.push(chunk as Buffer);
    const text = Buffer.concat(parts);
    // Count newlines from the end, ignoring a final one.
    let seen = 0;
    for (let index = text.length - 2; index >= 0; index--) {
      if (text[index] === 0x0a && ++seen === lines) return start + index + 1;
    }
    if (start === 0) return 0;
  }
}

export function addJobWait(jobs: Command): void {
  leaf(jobs, "wait", "Wait until no task of the job is active or running, with a progress bar; exit 1 if any task failed.")
    .ids("job-id")
    .options(waitFlags)
    .table(taskCountRows)
    .action(async (invocation) => {
      const jobId = invocation.ids["jobId"] as string;
      const started = Date.now();
      const result = await waitForJob(invocation, jobId);
      const failed = result.taskCounts.failed ?? 0;
      const total = totalOf(result.taskCounts);
      if (invocation.terminal.stderrIsTTY) {
        invocation.terminal.note(`${total - failed} of ${total} tasks succeeded, ${failed} failed, in ${formatSeconds((Date.now() - started) / 1000)}.`);
      }
      if (failed > 0) {
        throw new WorkFailedError(
          `${failed} of ${total} tasks of job '${jobId}' failed; list them with: openbatch task list --job-id ${jobId} --filter "executionInfo/result eq 'failure'"`,
          result,
        );
      }
      return result;
    });
}

export function addPoolWait(pools: Command): void {
  leaf(pools, "wait", "Wait until the pool is steady and every node is idle; exit 1 if a node is unusable or its start task failed.")
    .ids("pool-id")
    .options((command) => waitFlags(command).option("--min-nodes <n>", "nodes that must exist (default: the pool's targets)", wholeNumber))
    .table(nodeRows)
    .action(async (invocation) => {
      const poolId = invocation.ids["poolId"] as string;
      const options = waitOptions(invocation);
      const bar = progressBar(invocation.terminal, `${poolId} [{bar}] {value}/{total} nodes idle | {states}`);
      try {
        await invocation.client().waitForPoolSteady(poolId, options);
        const minNodes = flags<{ minNodes?: number }>(invocation).minNodes;
        await invocation.client().waitForNodesIdle(poolId, {
          ...options,
          ...(minNodes === undefined ? {} : { minNodes }),
          onProgress: (progress) => {
            const states = Object.entries(progress.counts).map(([state, count]) => `${count} ${state}`).join(", ");
            bar.update(progress.counts.idle ?? 0, Math.max(progress.minNodes, progress.total), { states: states === "" ? "no nodes yet" : states });
          },
        });
      } finally {
        bar.stop();
      }
      return toArray(invocation.client().computeNode.list(poolId));
    });
}

export function addTaskWatch(tasks: Command): void {
  leaf(tasks, "wait", "Wait until the task completes; exit 1 if it failed.")
    .ids("job-id", "task-id")
    .options(waitFlags)
    .table(taskRows)
    .action(async (invocation) => {
      const { jobId, taskId } = invocation.ids as { jobId: string; taskId: string };
      const options = flags<WaitFlags>(invocation);
      const deadline = options.timeout === undefined ? Infinity : Date.now() + options.timeout * 1000;
      const started = Date.now();
      const bar = progressBar(invocation.terminal, `${taskId}: {state} for {elapsed}`);
      let task: CloudTask;
      try {
        for (;;) {
          task = await invocation.client().task.get(jobId, taskId);
          bar.update(task.state === "completed" ? 1 : 0, 1, { state: task.state, elapsed: formatSeconds((Date.now() - started) / 1000) });
          if (task.state === "completed") break;
          if (Date.now() > deadline) throw new WorkFailedError(`timed out after ${options.timeout} s: task '${taskId}' is ${task.state}.`);
          await sleep(options.interval * 1000, undefined, { signal: invocation.signal });
        }
      } finally {
        bar.stop();
      }
      if (task.executionInfo?.result === "failure") {
        const info = task.executionInfo;
        const why = info.failureInfo?.message ?? `exit code ${info.exitCode}`;
        throw new WorkFailedError(`task '${taskId}' failed: ${why}. Its stderr: openbatch task logs --job-id ${jobId} --task-id ${taskId} --stderr`, task);
      }
      return task;
    });

  leaf(tasks, "logs", "Print a task's stdout (or --stderr); --follow keeps printing what it writes until it completes.")
    .ids("job-id", "task-id")
    .options((command) =>
      command
        .option("--stderr", "stderr.txt instead of stdout.txt")
        .option("-f, --follow", "keep printing new output until the task completes")
        .option("--tail <lines>", "start with the last N lines", wholeNumber)
        .option("--interval <seconds>", "time between reads while following", positiveSeconds, 1),
    )
    .action(async (invocation) => {
      const options = flags<{ stderr?: boolean; follow?: boolean; tail?: number }>(invocation);
      await followTaskFile(invocation, {
        jobId: invocation.ids["jobId"] as string,
        taskId: invocation.ids["taskId"] as string,
        file: options.stderr === true ? "stderr.txt" : "stdout.txt",
        follow: options.follow === true,
        ...(options.tail === undefined ? {} : { tailLines: options.tail }),
      });
      return undefined;
    });
}
