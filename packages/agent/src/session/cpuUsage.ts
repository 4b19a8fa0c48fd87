/**
 * The host's CPU use, as a percentage of all its cores busy since the previous reading — what the autoscale
 * variable `$CPUPercent` samples (semantics.md §7.3). The first reading covers the time since boot.
 * `os.cpus()` reads and parses /proc on every call (about a millisecond); a sync loop busy with short tasks calls
 * `read` many times a second, so readings closer together than `minIntervalInMs` repeat the last figure — the
 * server samples it every 30 s.
 */
import { cpus } from "node:os";

interface Times {
  readonly busy: number;
  readonly total: number;
}

function readTimes(): Times {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const { user, nice, sys, idle, irq } = cpu.times;
    busy += user + nice + sys + irq;
    total += user + nice + sys + idle + irq;
  }
  return { busy, total };
}

export class CpuUsage {
  private last: Times = { busy: 0, total: 0 };
  private lastReadAt = -Infinity;
  private lastPercent = 0;

  constructor(private readonly minIntervalInMs = 1000) {}

  /** Percent busy since the previous reading (0–100, two decimals). */
  read(): number {
    const at = performance.now();
    if (at - this.lastReadAt < this.minIntervalInMs) return this.lastPercent;
    this.lastReadAt = at;
    const now = readTimes();
    const total = now.total - this.last.total;
    const busy = now.busy - this.last.busy;
    this.last = now;
    this.lastPercent = total <= 0 ? 0 : Math.round(Math.min(100, Math.max(0, (busy / total) * 100)) * 100) / 100;
    return this.lastPercent;
  }
}
