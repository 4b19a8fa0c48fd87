/**
 * What Node's launcher can measure of a process group (launchers.ts `nodeLauncher`): Node reaps its children itself
 * and tells nothing of what they used, so the group is sampled from /proc while it runs (procfs.ts), every
 * `intervalInMs`, and its figures are the largest each sample showed. They miss what the group used after the last
 * sample — all of it for a run shorter than the interval — and what a process used once it was reaped by one
 * outside the group (a sandbox's init, which bwrap's exit leaves to the host's init). The agent's process spawner
 * measures exactly instead (native/spawner.c); docs/statistics.md says where each is used.
 */
import type { ProcessUsage } from "@openbatch/protocol";
import { sampleGroups, type GroupSample } from "./procfs.js";

export class GroupSampler {
  private readonly peaks = new Map<number, GroupSample>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;

  constructor(private readonly intervalInMs = 500) {}

  /** Starts sampling the group `pgid` (a process just started). */
  track(pgid: number): void {
    this.peaks.set(pgid, { userCpuMicroseconds: 0, kernelCpuMicroseconds: 0, readOperations: 0, writeOperations: 0, readBytes: 0, writeBytes: 0, memoryBytes: 0 });
    this.timer ??= setInterval(() => void this.sample(), this.intervalInMs).unref();
  }

  /** Stops sampling the group; its figures as far as the samples saw them. */
  stop(pgid: number): ProcessUsage | undefined {
    const peak = this.peaks.get(pgid);
    this.peaks.delete(pgid);
    if (this.peaks.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    if (peak === undefined) return undefined;
    return {
      userCpuMicroseconds: Math.round(peak.userCpuMicroseconds),
      kernelCpuMicroseconds: Math.round(peak.kernelCpuMicroseconds),
      readOperations: peak.readOperations,
      writeOperations: peak.writeOperations,
      readBytes: peak.readBytes,
      writeBytes: peak.writeBytes,
      peakMemoryBytes: peak.memoryBytes,
      method: "sampled",
    };
  }

  /** One sample of every tracked group (a pass already under way is not doubled). */
  sample(): Promise<void> {
    this.sampling ??= (async () => {
      try {
        const samples = await sampleGroups(new Set(this.peaks.keys()), { io: true });
        for (const [pgid, sample] of samples) {
          const peak = this.peaks.get(pgid);
          if (peak === undefined) continue;
          for (const field of Object.keys(peak) as (keyof GroupSample)[]) peak[field] = Math.max(peak[field], sample[field]);
        }
      } finally {
        this.sampling = undefined;
      }
    })();
    return this.sampling;
  }
}
