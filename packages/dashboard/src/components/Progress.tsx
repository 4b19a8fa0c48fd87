/** A job's progress: completed tasks of all tasks, with succeeded and failed apart. */
import type { TaskCounts } from "@openbatch/client";

export interface Counts {
  readonly active: number;
  readonly running: number;
  readonly completed: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly total: number;
}

export function countsOf(counts: TaskCounts | undefined): Counts {
  const active = counts?.active ?? 0;
  const running = counts?.running ?? 0;
  const completed = counts?.completed ?? 0;
  return { active, running, completed, succeeded: counts?.succeeded ?? 0, failed: counts?.failed ?? 0, total: active + running + completed };
}

export function ProgressBar({ counts }: { counts: Counts }) {
  const share = (value: number) => (counts.total === 0 ? 0 : (value / counts.total) * 100);
  const percent = Math.floor(share(counts.completed));
  return (
    <div class="progress-wrap">
      <div
        class="progress"
        role="progressbar"
        aria-label="Job progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}% (${counts.completed} of ${counts.total} tasks completed)`}
      >
        <div class="progress-succeeded" style={{ width: `${share(counts.succeeded)}%` }} />
        <div class="progress-failed" style={{ width: `${share(counts.failed)}%` }} />
      </div>
      <p class="progress-text" data-testid="progress-text">
        {percent}% — {counts.completed} of {counts.total} completed ({counts.succeeded} succeeded, {counts.failed} failed), {counts.running} running, {counts.active} waiting
      </p>
    </div>
  );
}
