/**
 * What processes use right now, read from Linux's /proc, per process group: CPU time (the process's own and what
 * its reaped children used), I/O system calls and bytes (/proc/<pid>/io, reaped children included) and resident
 * memory. Processes that end or cannot be read while the scan runs (another user's, on a kernel that hides them)
 * are skipped. Elsewhere than Linux every scan is empty.
 */
import { readdir, readFile } from "node:fs/promises";

/** Linux reports CPU times in USER_HZ ticks, 100 per second on every architecture it runs on. */
const ticksPerSecond = 100;

export interface GroupSample {
  userCpuMicroseconds: number;
  kernelCpuMicroseconds: number;
  readOperations: number;
  writeOperations: number;
  readBytes: number;
  writeBytes: number;
  /** The resident set of the group's processes together. */
  memoryBytes: number;
}

interface StatFields {
  readonly group: number;
  readonly userTicks: number;
  readonly kernelTicks: number;
}

/** Fields of /proc/<pid>/stat: the process group and CPU ticks, its own and its reaped children's. */
export function parseStat(text: string): StatFields | undefined {
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')', at field 3.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const number = (field: number) => Number(fields[field - 3]);
  const group = number(5);
  const userTicks = number(14) + number(16);
  const kernelTicks = number(15) + number(17);
  return Number.isInteger(group) && Number.isFinite(userTicks) && Number.isFinite(kernelTicks) ? { group, userTicks, kernelTicks } : undefined;
}

/** `rchar`, `wchar`, `syscr`, `syscw` of /proc/<pid>/io. */
export function parseIo(text: string): Pick<GroupSample, "readOperations" | "writeOperations" | "readBytes" | "writeBytes"> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [name, value] = line.split(":");
    if (name !== undefined && value !== undefined) values.set(name.trim(), Number(value.trim()));
  }
  const value = (name: string) => values.get(name) ?? 0;
  return { readBytes: value("rchar"), writeBytes: value("wchar"), readOperations: value("syscr"), writeOperations: value("syscw") };
}

/** VmRSS of /proc/<pid>/status, in bytes (0 for a zombie or a kernel thread). */
export function parseResidentBytes(text: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return match === null ? 0 : Number(match[1]) * 1024;
}

function emptySample(): GroupSample {
  return { userCpuMicroseconds: 0, kernelCpuMicroseconds: 0, readOperations: 0, writeOperations: 0, readBytes: 0, writeBytes: 0, memoryBytes: 0 };
}

/**
 * One pass over /proc: the current figures of each of `groups` that has a process left. `io` reads the I/O counters
 * too (one more file per process of the groups).
 */
export async function sampleGroups(groups: ReadonlySet<number>, options: { readonly io: boolean }): Promise<Map<number, GroupSample>> {
  const samples = new Map<number, GroupSample>();
  if (groups.size === 0 || process.platform !== "linux") return samples;
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return samples;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = parseStat(await readFile(`/proc/${entry}/stat`, "utf8"));
      if (stat === undefined || !groups.has(stat.group)) continue;
      const [status, io] = await Promise.all([readFile(`/proc/${entry}/status`, "utf8"), options.io ? readFile(`/proc/${entry}/io`, "utf8") : Promise.resolve(undefined)]);
      let sample = samples.get(stat.group);
      if (sample === undefined) samples.set(stat.group, (sample = emptySample()));
      sample.userCpuMicroseconds += (stat.userTicks * 1_000_000) / ticksPerSecond;
      sample.kernelCpuMicroseconds += (stat.kernelTicks * 1_000_000) / ticksPerSecond;
      sample.memoryBytes += parseResidentBytes(status);
      if (io !== undefined) {
        const counters = parseIo(io);
        sample.readOperations += counters.readOperations;
        sample.writeOperations += counters.writeOperations;
        sample.readBytes += counters.readBytes;
        sample.writeBytes += counters.writeBytes;
      }
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return samples;
}
