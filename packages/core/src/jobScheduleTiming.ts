/**
 * When a job schedule creates its jobs (semantics.md §8), as a pure decision from the schedule, its stored next run
 * time, whether its most recent job is still active, and the time now.
 *
 * Rules:
 * - Occurrences lie on a fixed grid: the first at `doNotRunUntil` (absent: when the schedule was created or its
 *   schedule last changed), then every `recurrenceInterval`. A non-recurring schedule has one occurrence.
 * - An occurrence may start its job during its window `[due, due + window)`, where the window is `startWindow`
 *   (absent: unlimited) but, on a recurring schedule, never longer than the interval: a due job is not carried into
 *   the next interval. A missed window skips that occurrence.
 * - At most one active job: a due occurrence waits while the previous job is still active.
 * - No job is created after `doNotRunAfter`. The schedule completes when no further occurrence can run and no job is
 *   active: a non-recurring schedule once its one job is done (or its window missed), a recurring one once
 *   `doNotRunAfter` has passed. A recurring schedule without `doNotRunAfter` runs until terminated.
 */

export interface ScheduleTiming {
  readonly doNotRunUntil?: Date | undefined;
  readonly doNotRunAfter?: Date | undefined;
  readonly startWindowInMs?: number | undefined;
  readonly recurrenceIntervalInMs?: number | undefined;
}

export interface ScheduleSituation {
  readonly timing: ScheduleTiming;
  /** The occurrence waiting to run (`executionInfo.nextRunTime`); absent when none is left. */
  readonly nextRunTime: Date | undefined;
  /** The schedule's most recent job exists and is not completed. */
  readonly hasActiveJob: boolean;
  readonly now: Date;
}

export type ScheduleDecision =
  /** Nothing to do now; `nextRunTime` is the occurrence to show, `wakeAt` when to decide again (absent: on an event). */
  | { readonly kind: "wait"; readonly nextRunTime: Date | undefined; readonly wakeAt: Date | undefined }
  /** Create the job of the occurrence due at `runTime`; then the next occurrence is `nextRunTime`. */
  | { readonly kind: "createJob"; readonly runTime: Date; readonly nextRunTime: Date | undefined; readonly wakeAt: Date | undefined }
  | { readonly kind: "complete" };

/** The shortest `startWindow` and `recurrenceInterval` the service accepts. */
export const minimumScheduleIntervalInMs = 60_000;

/** How long an occurrence may wait for its job to start. */
export function effectiveWindowInMs(timing: ScheduleTiming): number {
  const window = timing.startWindowInMs ?? Infinity;
  return timing.recurrenceIntervalInMs === undefined ? window : Math.min(window, timing.recurrenceIntervalInMs);
}

/** The occurrence after `runTime`, or undefined when the schedule has no further one. */
function occurrenceAfter(timing: ScheduleTiming, runTime: Date): Date | undefined {
  if (timing.recurrenceIntervalInMs === undefined) return undefined;
  return withinRunPeriod(timing, new Date(runTime.getTime() + timing.recurrenceIntervalInMs));
}

function withinRunPeriod(timing: ScheduleTiming, time: Date | undefined): Date | undefined {
  if (time === undefined) return undefined;
  return timing.doNotRunAfter !== undefined && time.getTime() > timing.doNotRunAfter.getTime() ? undefined : time;
}

/**
 * The first occurrence of a schedule that starts (or restarts, after its `schedule` changed) at `now`:
 * - `lastRunTime` is the occurrence of the last job made, if any; a recurring schedule keeps its rhythm from there,
 *   a non-recurring one that already made its job has no further occurrence.
 */
export function firstRunTime(timing: ScheduleTiming, now: Date, lastRunTime?: Date): Date | undefined {
  const notBefore = timing.doNotRunUntil ?? now;
  if (lastRunTime === undefined) return withinRunPeriod(timing, notBefore);
  if (timing.recurrenceIntervalInMs === undefined) return undefined;
  const next = lastRunTime.getTime() + timing.recurrenceIntervalInMs;
  return withinRunPeriod(timing, new Date(Math.max(next, notBefore.getTime())));
}

/** The earliest occurrence, from `due` on, whose window has not closed by `now`; undefined when none is left. */
function firstOpenOccurrence(timing: ScheduleTiming, due: Date, now: Date): Date | undefined {
  const window = effectiveWindowInMs(timing);
  if (due.getTime() + window > now.getTime()) return due;
  const interval = timing.recurrenceIntervalInMs;
  if (interval === undefined) return undefined;
  // Skip every closed window at once: the first k with due + k·interval + window > now.
  const skipped = Math.floor((now.getTime() - due.getTime() - window) / interval) + 1;
  return withinRunPeriod(timing, new Date(due.getTime() + skipped * interval));
}

export function decideSchedule(situation: ScheduleSituation): ScheduleDecision {
  const { timing, now, hasActiveJob } = situation;
  const due = situation.nextRunTime === undefined ? undefined : withinRunPeriod(timing, firstOpenOccurrence(timing, situation.nextRunTime, now));
  if (due === undefined) {
    const deadline = timing.recurrenceIntervalInMs === undefined ? undefined : timing.doNotRunAfter;
    if (deadline !== undefined && now.getTime() <= deadline.getTime()) return { kind: "wait", nextRunTime: undefined, wakeAt: new Date(deadline.getTime() + 1) };
    return hasActiveJob ? { kind: "wait", nextRunTime: undefined, wakeAt: undefined } : { kind: "complete" };
  }
  if (due.getTime() > now.getTime()) return { kind: "wait", nextRunTime: due, wakeAt: due };
  if (hasActiveJob) {
    const windowEnd = due.getTime() + effectiveWindowInMs(timing);
    return { kind: "wait", nextRunTime: due, wakeAt: Number.isFinite(windowEnd) ? new Date(windowEnd) : undefined };
  }
  const nextRunTime = occurrenceAfter(timing, due);
  const wakeAt = nextRunTime ?? (timing.recurrenceIntervalInMs !== undefined && timing.doNotRunAfter !== undefined ? new Date(timing.doNotRunAfter.getTime() + 1) : undefined);
  return { kind: "createJob", runTime: due, nextRunTime, wakeAt };
}
