/**
 * The stable orders that make plans deterministic. Every tie the scheduler meets ends in `compareIds`, which is a
 * total order on strings (case-insensitive key first, then exact code units), so a plan never depends on the order
 * in which the state listed its pools, nodes, jobs, tasks or running tasks.
 */
import { idKey } from "@openbatch/core";
import type { RunningTask, SchedulerJob, SchedulerTask } from "./types.js";

export function compareIds(a: string, b: string): number {
  return a === b ? 0 : compareKeyed(idKey(a), a, idKey(b), b);
}

/** `compareIds` for ids whose keys are already known. */
export function compareKeyed(keyA: string, a: string, keyB: string, b: string): number {
  if (keyA !== keyB) return keyA < keyB ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Jobs: priority descending, then creation sequence ascending, then id. */
export function compareJobs(a: SchedulerJob, b: SchedulerJob): number {
  return (b.priority ?? 0) - (a.priority ?? 0) || a.sequence - b.sequence || compareIds(a.id, b.id);
}

/** Tasks within a job: sequence ascending, then id. (Azure promises no order; we choose addition order.) */
export function compareTasks(a: SchedulerTask, b: SchedulerTask): number {
  return a.sequence - b.sequence || compareIds(a.id, b.id);
}

/**
 * Preemption victims: runs not begun yet (waiting) before any that runs — withdrawing them stops nothing — then
 * lowest job priority first, then most recently started, then job and task id.
 */
export function compareVictims(a: RunningTask, b: RunningTask): number {
  return (
    (a.waiting === true ? 0 : 1) - (b.waiting === true ? 0 : 1) ||
    (a.jobPriority ?? 0) - (b.jobPriority ?? 0) ||
    b.sequence - a.sequence ||
    compareIds(a.jobId, b.jobId) ||
    compareIds(a.taskId, b.taskId)
  );
}
