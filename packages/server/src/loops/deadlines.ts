/**
 * Work that falls due with time (semantics.md §2.3, §5.1), per account, on the injected clock:
 * - a job past its `constraints.maxWallClockTime` (counted from creation) ends with `MaxWallClockTimeExpiry`;
 * - a completed task past its retention (`retentionTime` after its end, default 7 days) has its directory removed
 *   from its node(s); its file operations then answer 409 `TaskFilesCleanedup`. The task record stays.
 * Job deadlines are exact (a timer waits for the earliest); retention is swept at least every `sweepInMs`.
 */
import { formatTimestamp, parseDuration, type Clock } from "@openbatch/core";
import type { CloudJob } from "@openbatch/protocol";
import type { Store } from "@openbatch/store";
import { endJob } from "../lifecycle/jobs.js";
import { jobRef } from "../records/jobs.js";
import { listAll } from "../records/listAll.js";
import { taskRef, type TaskRecord } from "../records/tasks.js";
import { TimedPasses } from "./timedPasses.js";

export interface DeadlinesOptions {
  readonly store: Store;
  readonly clock: Clock;
  /** Removes a directory (relative to the node root) from a node; resolves when done or when the node is gone. */
  readonly removeNodeDirectory: (account: string, poolId: string, nodeId: string, directory: string) => Promise<void>;
  readonly onError: (error: unknown, account: string) => void;
  /** Longest wait between retention sweeps. @default 60_000 */
  readonly sweepInMs?: number;
}

const unfinishedJobStates = new Set(["active", "disabling", "disabled", "enabling"]);

export class Deadlines {
  private readonly passes: TimedPasses;
  /** When each account's retention sweep last ran (real time: it paces work, it decides nothing). */
  private readonly lastSweep = new Map<string, number>();

  constructor(private readonly options: DeadlinesOptions) {
    this.passes = new TimedPasses({
      clock: options.clock,
      pass: (account) => this.pass(account),
      onError: options.onError,
      maxWaitInMs: options.sweepInMs ?? 60_000,
      repeatWithoutTime: true,
    });
  }

  start(accounts: readonly string[]): void {
    this.passes.start(accounts);
  }

  /** A job was added or changed: its deadline may be the next one. */
  kick(account: string): void {
    this.passes.kick(account);
  }

  close(): Promise<void> {
    return this.passes.close();
  }

  private async pass(account: string): Promise<Date | undefined> {
    const jobs = await this.options.store.read((tx) => listAll<CloudJob>(tx, { account, kind: "job", scope: "" }));
    let earliest: Date | undefined;
    for (const job of jobs) {
      const deadline = jobDeadline(job.body);
      if (deadline === undefined || !unfinishedJobStates.has(job.body.state ?? "")) continue;
      if (deadline > this.options.clock.now()) {
        if (earliest === undefined || deadline < earliest) earliest = deadline;
        continue;
      }
      await this.expire(account, job.id);
    }
    // Job changes kick this pass for their deadlines; the retention sweep (a scan of every job's tasks) runs at
    // most once per `sweepInMs`, so a busy job service does not repeat it.
    const sweptAt = this.lastSweep.get(account);
    const sweepInMs = this.options.sweepInMs ?? 60_000;
    if (sweptAt === undefined || performance.now() - sweptAt >= sweepInMs) {
      this.lastSweep.set(account, performance.now());
      for (const job of jobs) await this.cleanUp(account, job.id);
    }
    return earliest;
  }

  private async expire(account: string, jobId: string): Promise<void> {
    const now = this.options.clock.now();
    await this.options.store.write(async (tx) => {
      const job = await tx.get<CloudJob>(jobRef(account, jobId));
      if (job === undefined || !unfinishedJobStates.has(job.body.state ?? "")) return;
      await endJob(tx, account, jobId, job.body, "MaxWallClockTimeExpiry", now);
    });
  }

  /** Removes the directories of the job's completed tasks whose retention has passed. */
  private async cleanUp(account: string, jobId: string): Promise<void> {
    const now = formatTimestamp(this.options.clock.now());
    const due = await this.options.store.read((tx) => listAll<TaskRecord>(tx, { account, kind: "task", scope: jobId }, { op: "le", path: ["_ob", "filesExpireAt"], kind: "string", value: now }));
    for (const task of due) {
      const places = [
        ...(task.body.nodeInfo?.nodeId === undefined ? [] : [{ poolId: task.body.nodeInfo.poolId ?? "", nodeId: task.body.nodeInfo.nodeId, directory: task.body.nodeInfo.taskRootDirectory ?? "" }]),
        ...(task.body._ob.multiInstance?.instances ?? []).slice(1).map((instance) => ({ poolId: instance.poolId, nodeId: instance.nodeId, directory: instance.taskRootDirectory })),
      ];
      for (const place of places) {
        if (place.directory !== "") await this.options.removeNodeDirectory(account, place.poolId, place.nodeId, place.directory);
      }
      await this.options.store.write(async (tx) => {
        const ref = taskRef(account, jobId, task.id);
        const current = await tx.get<TaskRecord>(ref);
        if (current === undefined || current.body._ob.filesExpireAt !== task.body._ob.filesExpireAt) return;
        const { filesExpireAt: _expired, ...runtime } = current.body._ob;
        await tx.replace(ref, { ...current.body, _ob: { ...runtime, filesCleanedUp: true } }, this.options.clock.now());
      });
    }
  }
}

function jobDeadline(job: CloudJob): Date | undefined {
  const limit = job.constraints?.maxWallClockTime === undefined ? undefined : parseDuration(job.constraints.maxWallClockTime);
  const created = Date.parse(job.creationTime ?? "");
  return limit === undefined || Number.isNaN(created) ? undefined : new Date(created + limit);
}
