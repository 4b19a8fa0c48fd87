/**
 * The order in which a node starts the runs waiting for its slots, and how a run is reported (pipelined dispatch,
 * docs/agent-protocol.md "Task slots and the look-ahead"). Pure.
 */
import type { ProcessOutcome, TaskAssignment, TaskReport } from "@openbatch/protocol";

/** Waiting runs start in ascending `order` (element by element, a shorter prefix first), then by assignment id. */
export function compareStartOrder(a: TaskAssignment, b: TaskAssignment): number {
  const left = a.order ?? [];
  const right = b.order ?? [];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = (left[i] as number) - (right[i] as number);
    if (difference !== 0) return difference;
  }
  return left.length - right.length || (a.assignmentId < b.assignmentId ? -1 : a.assignmentId > b.assignmentId ? 1 : 0);
}

/** A run as the node reports it: its outcome, or that it was withdrawn before it began. */
export function taskReport(run: { readonly assignmentId: string; readonly outcome?: ProcessOutcome; readonly withdrawn?: boolean }): TaskReport {
  return run.withdrawn === true || run.outcome === undefined ? { assignmentId: run.assignmentId, withdrawn: true } : { assignmentId: run.assignmentId, outcome: run.outcome };
}
