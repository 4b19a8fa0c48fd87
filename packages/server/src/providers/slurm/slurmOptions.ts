/**
 * What a Slurm pilot job asks for (pure). Settings come from the server (`ServerOptions.slurm`, `serve --slurm-*`)
 * and may be overridden per pool by its metadata:
 *
 * | metadata item                   | server option         | sbatch                                          |
 * |---------------------------------|-----------------------|-------------------------------------------------|
 * | `openbatch.slurm.partition`     | `partition`           | `--partition`                                   |
 * | `openbatch.slurm.account`       | `account`             | `--account`                                     |
 * | `openbatch.slurm.qos`           | `qos`                 | `--qos`                                         |
 * | `openbatch.slurm.timeLimit`     | `timeLimit`           | `--time` (Slurm's format: `90`, `1:30:00`, `1-0`) |
 * | `openbatch.slurm.drainBefore`   | `drainBeforeInSeconds`| — seconds before the time limit a node is drained and replaced |
 * | `openbatch.slurm.sbatchOptions` | `sbatchOptions`       | extra options, whitespace-separated (appended after the server's) |
 *
 * The pool's `vmSize` becomes `--cpus-per-task` (its cores) and `--mem` (its memory), so Slurm places a pilot
 * where a node of that size fits. Every value is checked when the pool is added: a value that is not a plain
 * Slurm token is refused (400 naming `metadata`), never passed to a shell.
 */
import { propertyDetails, serviceError, vmSizeInfo } from "@openbatch/core";
import type { CloudPool, MetadataItem } from "@openbatch/protocol";

export interface SlurmSettings {
  readonly partition?: string;
  readonly account?: string;
  readonly qos?: string;
  /** Slurm time format; absent: the partition's default. */
  readonly timeLimit?: string;
  /** @default 300 (or a tenth of the time limit when that is shorter) */
  readonly drainBeforeInSeconds?: number;
  readonly sbatchOptions?: readonly string[];
}

export const slurmMetadataPrefix = "openbatch.slurm.";
const keys = ["partition", "account", "qos", "timeLimit", "drainBefore", "sbatchOptions"] as const;
type Key = (typeof keys)[number];

/** A Slurm name (partition, account, QoS): no spaces, quotes or shell characters. */
const namePattern = /^[A-Za-z0-9_.+-]{1,128}$/;
/** `minutes`, `minutes:seconds`, `hours:minutes:seconds`, `days-hours[:minutes[:seconds]]`. */
const timePattern = /^(\d+-)?\d+(:\d+){0,2}$/;
/** One extra sbatch option: `--name` or `--name=value` without shell characters. */
const optionPattern = /^--[a-z][a-z-]*(=[A-Za-z0-9_.,:@%/=+-]+)?$/;

function refuse(reason: string): never {
  throw serviceError("InvalidPropertyValue", { message: `The value provided for the property 'metadata' is invalid. ${reason}`, values: propertyDetails("metadata", reason) });
}

/** Slurm time (`--time`) in seconds. */
export function slurmTimeInSeconds(time: string): number | undefined {
  if (!timePattern.test(time)) return undefined;
  const [daysPart, rest] = time.includes("-") ? (time.split("-") as [string, string]) : [undefined, time];
  const parts = rest.split(":").map(Number);
  const days = daysPart === undefined ? 0 : Number(daysPart);
  let seconds: number;
  if (daysPart !== undefined) {
    // days-hours, days-hours:minutes, days-hours:minutes:seconds
    const [hours = 0, minutes = 0, secs = 0] = parts;
    seconds = hours * 3600 + minutes * 60 + secs;
  } else if (parts.length === 1) {
    seconds = (parts[0] as number) * 60;
  } else if (parts.length === 2) {
    seconds = (parts[0] as number) * 60 + (parts[1] as number);
  } else {
    seconds = (parts[0] as number) * 3600 + (parts[1] as number) * 60 + (parts[2] as number);
  }
  return days * 86_400 + seconds;
}

/** Checks the server's own settings (`serve --slurm-*`); throws an Error naming the bad one. */
export function checkServerSlurmSettings(settings: SlurmSettings): void {
  for (const key of ["partition", "account", "qos"] as const) {
    const value = settings[key];
    if (value !== undefined && !namePattern.test(value)) throw new Error(`The Slurm ${key} '${value}' is not a Slurm name`);
  }
  if (settings.timeLimit !== undefined && slurmTimeInSeconds(settings.timeLimit) === undefined) throw new Error(`The Slurm time limit '${settings.timeLimit}' is not in Slurm's format (60, 1:30:00, 1-12)`);
  const bad = (settings.sbatchOptions ?? []).find((option) => !optionPattern.test(option));
  if (bad !== undefined) throw new Error(`'${bad}' is not an sbatch option of the form --name or --name=value`);
}

/** The pool's `openbatch.slurm.*` metadata, checked. */
export function poolSlurmSettings(metadata: readonly MetadataItem[] | undefined): SlurmSettings {
  const settings: { -readonly [K in keyof SlurmSettings]: SlurmSettings[K] } = {};
  for (const item of metadata ?? []) {
    if (!item.name.startsWith(slurmMetadataPrefix)) continue;
    const key = item.name.slice(slurmMetadataPrefix.length) as Key;
    if (!keys.includes(key)) refuse(`'${item.name}' is not a Slurm setting (${keys.map((name) => slurmMetadataPrefix + name).join(", ")}).`);
    const value = item.value.trim();
    switch (key) {
      case "partition":
      case "account":
      case "qos":
        if (!namePattern.test(value)) refuse(`'${item.name}' must be a Slurm name (letters, digits, '_', '.', '+', '-').`);
        settings[key] = value;
        break;
      case "timeLimit":
        if (slurmTimeInSeconds(value) === undefined) refuse(`'${item.name}' must be a Slurm time limit such as 60, 1:30:00 or 1-12.`);
        settings.timeLimit = value;
        break;
      case "drainBefore": {
        const seconds = Number(value);
        if (!Number.isInteger(seconds) || seconds < 0) refuse(`'${item.name}' must be a whole number of seconds.`);
        settings.drainBeforeInSeconds = seconds;
        break;
      }
      case "sbatchOptions": {
        const options = value === "" ? [] : value.split(/\s+/);
        const bad = options.find((option) => !optionPattern.test(option));
        if (bad !== undefined) refuse(`'${item.name}' holds '${bad}', which is not an sbatch option of the form --name or --name=value.`);
        settings.sbatchOptions = options;
        break;
      }
    }
  }
  return settings;
}

/** Server settings with the pool's on top (the pool's extra options come after the server's). */
export function effectiveSlurmSettings(server: SlurmSettings, pool: Pick<CloudPool, "metadata">): SlurmSettings {
  const own = poolSlurmSettings(pool.metadata);
  return {
    ...server,
    ...own,
    sbatchOptions: [...(server.sbatchOptions ?? []), ...(own.sbatchOptions ?? [])],
  };
}

/** The seconds before a pilot's time limit at which its node is drained and replaced. */
export function drainBeforeInSeconds(settings: SlurmSettings): number | undefined {
  if (settings.timeLimit === undefined) return undefined;
  const limit = slurmTimeInSeconds(settings.timeLimit) as number;
  return settings.drainBeforeInSeconds ?? Math.min(300, Math.floor(limit / 10));
}

/** The sbatch arguments (besides the script, read from stdin) of a pilot job for a pool. */
export function pilotJobArguments(settings: SlurmSettings, pool: Pick<CloudPool, "vmSize">, jobName: string, exportedVariables: readonly string[]): string[] {
  const size = vmSizeInfo(pool.vmSize ?? "");
  if (size === undefined) throw new Error(`The VM size '${pool.vmSize}' is not known.`);
  return [
    "--parsable",
    `--job-name=${jobName}`,
    // Only what the agent needs crosses into the job: the server's own environment may hold secrets.
    `--export=${exportedVariables.join(",")}`,
    "--output=/dev/null",
    "--nodes=1",
    "--ntasks=1",
    `--cpus-per-task=${size.cores}`,
    `--mem=${Math.round(size.memoryGiB * 1024)}M`,
    ...(settings.timeLimit === undefined ? [] : [`--time=${settings.timeLimit}`]),
    ...(settings.partition === undefined ? [] : [`--partition=${settings.partition}`]),
    ...(settings.account === undefined ? [] : [`--account=${settings.account}`]),
    ...(settings.qos === undefined ? [] : [`--qos=${settings.qos}`]),
    ...(settings.sbatchOptions ?? []),
  ];
}

/** Quotes a word for a POSIX shell. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The pilot's batch script: make its work directory and become `openbatch agent` for its agent id. */
export function pilotScript(options: { agentCommand: readonly string[]; serverUrl: string; agentId: string; workDirectory: string; caFile?: string; description: string }): string {
  const work = `${options.workDirectory.replace(/\/+$/, "")}/${options.agentId}`;
  const command = [
    ...options.agentCommand,
    "--server",
    options.serverUrl,
    "--agent-id",
    options.agentId,
    "--work-dir",
    work,
    ...(options.caFile === undefined ? [] : ["--ca-file", options.caFile]),
  ];
  return [
    "#!/bin/sh",
    `# OpenBatch pilot job: ${options.description.replace(/[\r\n]/g, " ")}`,
    `mkdir -p ${shellQuote(work)} || exit 1`,
    `exec ${command.map(shellQuote).join(" ")}`,
    "",
  ].join("\n");
}
