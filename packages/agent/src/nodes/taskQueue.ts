/**
 * A node's task runs apart from their processes (pipelined dispatch, docs/agent-protocol.md "Task slots and the
 * look-ahead"): which waiting runs start, in what order, how a run is reported, and how it is saved and restored
 * across agent restarts (localState.ts). Pure.
 *
 * How a hosted node (hostedNode.ts) treats its job tasks (TaskAssignment, run by jobTask.ts): in phase `ready`,
 * assignments of the desired state the node does not know yet start independently of the start task, as the node
 * has room for them: one without slots (job preparation, release) at once,
 * the others in their `order` while the slots of the runs in progress (not being killed) and theirs fit in the
 * node's `taskSlots` — never one while an earlier one waits for room. Whenever a run ends, the next ones start at
 * once, without asking the server. A run's outcome is `running` from the moment it begins and `completed` when it
 * ends; both wake the sync loop. `kill: true` on a running assignment ends its process group (`TaskEnded`); on one
 * not yet started it is recorded as completed with `TaskEnded` without running; `withdraw: true` on one not yet
 * started records it as withdrawn (reported so) and it never starts, while one begun runs on. An assignment the
 * desired state no longer lists is killed if it runs and is then forgotten (no longer reported). A reboot, reimage
 * or removal ends running assignments (`TaskEnded`); their outcomes stay reported until the server drops them.
 * Assignment ids are never reused, so one the node knows is never started again, whatever generation it ran in.
 */
import type { DesiredNode, ProcessOutcome, TaskAssignment, TaskReport } from "@openbatch/protocol";
import type { PersistedProcess, PersistedTask } from "../localState.js";

/** A task assignment the node knows: its latest outcome (or its withdrawal) and, while its process runs, how to end it. */
export interface TaskRun {
  readonly assignmentId: string;
  /** Absent for a run withdrawn before it began. */
  outcome?: ProcessOutcome;
  withdrawn?: boolean;
  /** Task slots it holds while it runs. */
  slots: number;
  /** The process, once it runs (for a restarted agent to end it). */
  process?: PersistedProcess;
  /** Set while the run is in progress. */
  controller?: AbortController;
  done?: Promise<void>;
  /** The server no longer lists it: it is being killed, is not reported, and is forgotten once it ended. */
  dropped: boolean;
}


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

/**
 * The waiting runs to start now, in start order, with `used` of the node's `taskSlots` held by runs in progress:
 * those without slots (job preparation and release) at once, the others in their order while their slots fit —
 * never one while an earlier one waits for room.
 */
export function runsToStart(waiting: readonly TaskAssignment[], used: number, taskSlots: number): TaskAssignment[] {
  const starting: TaskAssignment[] = [];
  let held = used;
  let blocked = false;
  for (const assignment of [...waiting].sort(compareStartOrder)) {
    const slots = assignment.slots ?? 1;
    if (slots === 0) {
      starting.push(assignment);
      continue;
    }
    if (blocked || held + slots > taskSlots) {
      blocked = true;
      continue;
    }
    held += slots;
    starting.push(assignment);
  }
  return starting;
}

/**
 * Whether runs the node has not begun (nor been told to kill or withdraw) wait for at least all of its slots: its
 * slots stay busy for one more turn of its runs without a word from the server, so reports of its runs beginning
 * and ending may wait a little and go out together (session/syncLoop.ts, "Batched reports").
 */
export function hasWorkQueued(desired: DesiredNode, known: ReadonlyMap<string, unknown>): boolean {
  let waitingSlots = 0;
  for (const assignment of desired.tasks ?? []) {
    if (assignment.kill !== true && assignment.withdraw !== true && !known.has(assignment.assignmentId)) waitingSlots += assignment.slots ?? 1;
  }
  return waitingSlots >= desired.taskSlots;
}

/** A run as saved for a restarted agent. */
export function persistedTask(run: TaskRun): PersistedTask {
  return {
    assignmentId: run.assignmentId,
    ...(run.outcome === undefined ? {} : { outcome: run.outcome }),
    ...(run.withdrawn === true ? { withdrawn: true } : {}),
    ...(run.process === undefined ? {} : { process: run.process }),
  };
}

/**
 * A run restored from the saved state of an earlier agent process: one that was running cannot be re-attached and
 * is reported completed with `AgentRestarted` at `now` (its process is ended by the node's `recover`).
 */
export function restoredTask(saved: PersistedTask, now: string): TaskRun {
  const outcome = saved.outcome === undefined ? undefined : restoredOutcome(saved.outcome, now, "task");
  return {
    assignmentId: saved.assignmentId,
    ...(outcome === undefined ? {} : { outcome }),
    ...(saved.withdrawn === true ? { withdrawn: true } : {}),
    slots: 0,
    ...(saved.process === undefined ? {} : { process: saved.process }),
    dropped: false,
  };
}

/** A run (a task's or the start task's) that ended with `failure` before or instead of its process. */
export function failedRun(attempt: number, startTime: string, endTime: string, failure: NonNullable<ProcessOutcome["failure"]>): ProcessOutcome {
  return { attempt, state: "completed", startTime, endTime, failure };
}

/**
 * A run's outcome as an earlier agent process saved it: one it recorded `running` (the task's or the start task's)
 * cannot be re-attached, and is `completed` with `AgentRestarted` at `now`.
 */
export function restoredOutcome(saved: ProcessOutcome, now: string, what: "task" | "start task"): ProcessOutcome {
  if (saved.state !== "running") return saved;
  const message = `The agent restarted while the ${what} ran; its process could not be re-attached and was ended.`;
  return { ...saved, state: "completed", endTime: now, failure: { code: "AgentRestarted", category: "servererror", message } };
}
