/**
 * Slurm's commands as the provider uses them: `sbatch` (script on stdin), `squeue`, `scancel`. Each runs with the
 * configured environment (e.g. `SLURM_CONF`) and a timeout; its output is read whole (nothing is left to fill a
 * pipe), and a failure is an Error quoting Slurm's own message.
 */
import { execFile } from "node:child_process";

export interface SlurmJob {
  readonly jobId: string;
  readonly name: string;
  /** Slurm's long state name: PENDING, RUNNING, COMPLETING, COMPLETED, CANCELLED, TIMEOUT, FAILED… */
  readonly state: string;
  /** Seconds left before the time limit, when Slurm knows one. */
  readonly timeLeftInSeconds?: number;
}

export interface SlurmCommands {
  /** Submits a batch script; resolves with the job id. */
  submit(args: readonly string[], script: string, environment: NodeJS.ProcessEnv): Promise<string>;
  /** This user's jobs whose name starts with `prefix`. */
  jobs(prefix: string): Promise<SlurmJob[]>;
  cancel(jobIds: readonly string[]): Promise<void>;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error !== null) {
        const detail = stderr.trim() === "" ? error.message : stderr.trim().split("\n").slice(-3).join(" ");
        reject(new Error(`${command} failed: ${detail}`));
        return;
      }
      resolve(stdout);
    });
    // A command that exits before reading its input (a bad configuration) closes the pipe: that is its error to report.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input ?? "");
  });
}

/** `squeue`'s `%L`: `[days-]hours:minutes:seconds`, `minutes:seconds`, or INVALID/UNLIMITED/NOT_SET. */
export function parseTimeLeft(text: string): number | undefined {
  const match = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(text.trim());
  if (match === null) return undefined;
  const [, days = "0", hours = "0", minutes = "0", seconds = "0"] = match;
  return Number(days) * 86_400 + Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
}

export function slurmCommands(baseEnvironment: NodeJS.ProcessEnv): SlurmCommands {
  return {
    async submit(args, script, environment) {
      const output = await run("sbatch", args, { ...baseEnvironment, ...environment }, script);
      // --parsable: `jobid[;cluster]`
      const jobId = output.trim().split(";")[0] ?? "";
      if (!/^\d+$/.test(jobId)) throw new Error(`sbatch answered '${output.trim().slice(0, 200)}' instead of a job id`);
      return jobId;
    },
    async jobs(prefix) {
      const output = await run("squeue", ["--noheader", "--me", "--states=all", "--format=%i|%j|%T|%L"], baseEnvironment);
      const jobs: SlurmJob[] = [];
      for (const line of output.split("\n")) {
        const [jobId, name, state, left] = line.trim().split("|");
        if (jobId === undefined || name === undefined || state === undefined || !name.startsWith(prefix)) continue;
        const timeLeftInSeconds = left === undefined ? undefined : parseTimeLeft(left);
        jobs.push({ jobId, name, state, ...(timeLeftInSeconds === undefined ? {} : { timeLeftInSeconds }) });
      }
      return jobs;
    },
    async cancel(jobIds) {
      if (jobIds.length > 0) await run("scancel", [...jobIds], baseEnvironment);
    },
  };
}
