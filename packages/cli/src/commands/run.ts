/**
 * `openbatch run`: one line to run a command over many inputs, like GNU parallel. Each input (a line of
 * --input-file, a number of --range, a value of --input) becomes a task whose command line is the template with
 * `{}` replaced by the input (shell-quoted) and `{#}` by its number; a template with neither gets ` {}` appended.
 * The command runs under /bin/sh -c (so pipes and $VARIABLES work) unless --no-shell.
 *
 * It makes a job on --pool-id (or the account's only pool, or with --nodes N a pool of its own that goes when the
 * job ends), adds the tasks with a progress bar, waits with another, then prints a summary: how many succeeded, and
 * for each failed task its input, exit code and the last lines of its stderr. Exit 1 when any task failed. The job
 * is terminated at the end, so it shows as completed; its tasks and files stay until deleted.
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { toArray, type JobAddParameter, type TaskAddParameter } from "@openbatch/client";
import { flags } from "../framework/body.js";
import { UsageError, WorkFailedError } from "../framework/errors.js";
import { leaf, type Invocation } from "../framework/leaf.js";
import { integer, positiveSeconds, strings, wholeNumber } from "../framework/parse.js";
import type { Row } from "../framework/table.js";
import { defaultImage, defaultNodeAgentSku } from "./pool.js";
import { addTasks } from "./task.js";
import { waitForJob } from "./watch.js";

interface RunFlags {
  poolId?: string;
  nodes?: number;
  vmSize: string;
  taskSlotsPerNode?: number;
  jobId?: string;
  inputFile?: string;
  range?: string;
  input?: string[];
  shell: boolean;
  wait: boolean;
  maxTaskRetryCount?: number;
  tailLines: number;
  interval: number;
}

/** `1..10`, `0..100..5`, `10..1`: the numbers from the first to the last, by the step. */
export function parseRange(text: string): string[] {
  const match = /^(-?\d+)\.\.(-?\d+)(?:\.\.(\d+))?$/.exec(text.trim());
  if (match === null) throw new UsageError(`--range '${text}' must be FIRST..LAST or FIRST..LAST..STEP, e.g. 1..100.`);
  const first = Number(match[1]);
  const last = Number(match[2]);
  const step = Number(match[3] ?? 1);
  if (step === 0) throw new UsageError("--range's step must be at least 1.");
  const values: string[] = [];
  const direction = last >= first ? 1 : -1;
  for (let value = first; direction > 0 ? value <= last : value >= last; value += direction * step) values.push(String(value));
  return values;
}

/** The input as one shell word: left alone when it is plainly safe, single-quoted otherwise. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The command line of input number `index` (1-based). */
export function commandFor(template: string, input: string, index: number, shell: boolean): string {
  const withSlot = template.includes("{}") || template.includes("{#}") ? template : `${template} {}`;
  const command = withSlot.replaceAll("{#}", String(index)).replaceAll("{}", shell ? shellQuote(input) : input);
  return shell ? `/bin/sh -c ${shellQuote(command)}` : command;
}

function inputsOf(options: RunFlags): string[] {
  const sources = [options.inputFile, options.range, options.input].filter((source) => source !== undefined);
  if (sources.length !== 1) throw new UsageError("give exactly one of --input-file, --range and --input.");
  if (options.range !== undefined) return parseRange(options.range);
  if (options.input !== undefined) return options.input;
  const path = options.inputFile as string;
  let text: string;
  try {
    text = readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read --input-file '${path}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  return text.split(/\r?\n/).filter((line) => line.trim() !== "");
}

async function poolInfoFor(invocation: Invocation, options: RunFlags): Promise<JobAddParameter["poolInfo"]> {
  if (options.poolId !== undefined && options.nodes !== undefined) throw new UsageError("give --pool-id or --nodes, not both.");
  if (options.nodes !== undefined) {
    return {
      autoPoolSpecification: {
        autoPoolIdPrefix: "run",
        poolLifetimeOption: "job",
        keepAlive: false,
        pool: {
          vmSize: options.vmSize,
          virtualMachineConfiguration: { imageReference: { ...defaultImage }, nodeAgentSKUId: defaultNodeAgentSku },
          targetDedicatedNodes: options.nodes,
          ...(options.taskSlotsPerNode === undefined ? {} : { taskSlotsPerNode: options.taskSlotsPerNode }),
        },
      },
    };
  }
  if (options.poolId !== undefined) {
    await invocation.client().pool.get(options.poolId, { select: ["id"] }); // PoolNotFound now rather than tasks that never run
    return { poolId: options.poolId };
  }
  const pools = await toArray(invocation.client().pool.list({ select: ["id"] }));
  if (pools.length !== 1) {
    throw new UsageError(
      pools.length === 0
        ? "the account has no pool: give --nodes N to make one for this run, or create one (openbatch pool create)."
        : `the account has ${pools.length} pools (${pools.map((pool) => pool.id).join(", ")}): choose one with --pool-id.`,
    );
  }
  return { poolId: pools[0]?.id as string };
}

/** The last `lines` lines of a task's stderr (empty when it has none). */
async function stderrTail(invocation: Invocation, jobId: string, taskId: string, lines: number): Promise<string> {
  try {
    const properties = await invocation.client().file.getPropertiesFromTask(jobId, taskId, "stderr.txt");
    const length = properties.contentLength ?? 0;
    if (length === 0) return "";
    const start = Math.max(0, length - 4096);
    const download = await invocation.client().file.getFromTask(jobId, taskId, "stderr.txt", { ocpRange: `bytes=${start}-${length - 1}` });
    const parts: Buffer[] = [];
    for await (const chunk of download.readableStreamBody) parts.push(chunk as Buffer);
    return Buffer.concat(parts).toString("utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

const failureRows = (value: unknown): Row[] | undefined => {
  const summary = value as { failures?: { taskId: string; input: string; exitCode: unknown; stderrTail: string }[] };
  if (summary.failures === undefined || summary.failures.length === 0) return undefined;
  return summary.failures.map((failure) => ({ "Task Id": failure.taskId, Input: failure.input, "Exit Code": failure.exitCode, "Stderr (last lines)": failure.stderrTail }));
};

export function runCommand(): Command {
  const holder = new Command("holder");
  leaf(holder, "run", "Run a command over many inputs, one task each ({} is the input, {#} its number), wait, and summarise.")
    .options((command) =>
      command
        .argument("<command...>", "the command template, e.g. 'gzip -k {}' (put it after -- when it has flags)")
        .option("--input-file <path>", "one task per non-empty line of this file (- for stdin)")
        .option("--range <first..last[..step]>", "one task per number, e.g. 1..100")
        .option("--input <value...>", "one task per value", strings)
        .option("--pool-id <id>", "the pool to run on (default: the account's only pool)")
        .option("--nodes <n>", "make a pool of N nodes for this run instead (it goes when the job ends)", wholeNumber)
        .option("--vm-size <size>", "the VM size of that pool", "standard_d2s_v3")
        .option("--task-slots-per-node <n>", "tasks one node of that pool runs at once", wholeNumber)
        .option("--job-id <id>", "the job's id (default run-<date>-<time>)")
        .option("--max-task-retry-count <n>", "retries of a failing task", integer)
        .option("--no-shell", "run the command as given, not under /bin/sh -c")
        .option("--no-wait", "submit the tasks and return the job's id")
        .option("--tail-lines <n>", "lines of stderr shown for each failed task", wholeNumber, 5)
        .option("--interval <seconds>", "time between polls while waiting", positiveSeconds, 1),
    )
    .table(failureRows)
    .action(async (invocation) => {
      const options = flags<RunFlags>(invocation);
      const template = ((invocation.args[0] as string[] | undefined) ?? []).join(" ");
      if (template.trim() === "") throw new UsageError("give the command to run, e.g. openbatch run --range 1..10 -- echo {}");
      const inputs = inputsOf(options);
      if (inputs.length === 0) throw new UsageError("there are no inputs: nothing to run.");
      const client = invocation.client();
      const jobId = options.jobId ?? `run-${new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}`;
      const poolInfo = await poolInfoFor(invocation, options);
      await client.job.add({ id: jobId, poolInfo });
      const width = String(inputs.length).length;
      const taskIdOf = (index: number) => `task-${String(index).padStart(width, "0")}`;
      const tasks: TaskAddParameter[] = inputs.map((input, at) => ({
        id: taskIdOf(at + 1),
        commandLine: commandFor(template, input, at + 1, options.shell),
        ...(options.maxTaskRetryCount === undefined ? {} : { constraints: { maxTaskRetryCount: options.maxTaskRetryCount } }),
      }));
      await addTasks(invocation, jobId, tasks);
      if (!options.wait) return { jobId, tasks: tasks.length };
      const { taskCounts } = await waitForJob(invocation, jobId);
      const failedTasks = (taskCounts.failed ?? 0) === 0 ? [] : await toArray(client.task.list(jobId, { filter: "executionInfo/result eq 'failure'", select: ["id", "executionInfo"] }));
      const failures = [];
      for (const task of failedTasks) {
        const index = Number((task.id as string).slice("task-".length));
        failures.push({
          taskId: task.id as string,
          input: inputs[index - 1] ?? "",
          exitCode: task.executionInfo?.exitCode ?? null,
          failure: task.executionInfo?.failureInfo?.message ?? null,
          stderrTail: await stderrTail(invocation, jobId, task.id as string, options.tailLines),
        });
      }
      await client.job.terminate(jobId).catch(() => undefined); // already ending (e.g. its auto pool went) is fine
      const summary = { jobId, poolId: "poolId" in (poolInfo ?? {}) ? poolInfo?.poolId : "(auto pool)", tasks: tasks.length, succeeded: taskCounts.succeeded ?? 0, failed: failures.length, failures };
      if (invocation.terminal.stderrIsTTY) invocation.terminal.note(`${summary.succeeded} of ${summary.tasks} tasks succeeded, ${summary.failed} failed (job ${jobId}).`);
      if (failures.length > 0) throw new WorkFailedError(`${failures.length} of ${tasks.length} tasks failed (job ${jobId}).`, summary);
      return summary;
    });
  return holder.commands[0] as Command;
}
