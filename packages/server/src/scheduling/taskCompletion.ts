/**
 * What a finished task run means for the task (semantics.md §2.2, §2.4): exit 0 completes it with success; a
 * non-zero exit is retried while `retryCount < maxTaskRetryCount` (−1: without limit) by sending the task back to
 * `active`; a run that failed without an exit code of its own (could not start, killed) is never retried and
 * completes with its failure. A run lost because its agent restarted (`AgentRestarted`) is a recovery retry, as
 * Azure's after a host failure: back to `active` without touching retryCount or requeueCount, at most
 * `maxRecoveries` times, then it completes with that failure. A completed task carries the exit options its ending
 * selected (exitOptions.ts), which the job reactions and dependants read. Pure: the caller commits the result.
 */
import type { ProcessOutcome } from "@openbatch/protocol";
import type { TaskRecord } from "../services/taskService.js";
import { filesExpireAt } from "./deadlines.js";
import { resolveExitOptions, runEnding } from "./exitOptions.js";
import { backToActive } from "./requeue.js";
import { failureInfoOf } from "./runFailure.js";

/** The time the task's files may go, for a task completing at `endTime`. */
export function expiry(task: TaskRecord, endTime: string): { filesExpireAt?: string } {
  const at = filesExpireAt(task, endTime);
  return at === undefined ? {} : { filesExpireAt: at };
}

/** Recovery retries of one task before a lost run counts as its failure. */
export const maxRecoveries = 3;

export function taskAfterRun(task: TaskRecord, outcome: ProcessOutcome, time: string): TaskRecord {
  const { assignment: _finished, ...runtime } = task._ob;
  const recoveries = runtime.recoveries ?? 0;
  if (outcome.failure?.code === "AgentRestarted" && recoveries < maxRecoveries) {
    return backToActive(task, time, (info) => ({ executionInfo: info, _ob: { ...runtime, recoveries: recoveries + 1 } }));
  }
  const info = { ...task.executionInfo, retryCount: task.executionInfo?.retryCount ?? 0, requeueCount: task.executionInfo?.requeueCount ?? 0 };
  const exitFailure = outcome.failure === undefined && outcome.exitCode !== 0;
  const maxRetries = task.constraints?.maxTaskRetryCount ?? 0;
  if (exitFailure && (maxRetries === -1 || info.retryCount < maxRetries)) {
    return {
      ...task,
      state: "active",
      previousState: "running",
      previousStateTransitionTime: task.stateTransitionTime,
      stateTransitionTime: time,
      executionInfo: { ...info, ...(outcome.exitCode === undefined ? {} : { exitCode: outcome.exitCode }), retryCount: info.retryCount + 1, lastRetryTime: time },
      _ob: runtime,
    };
  }
  const failed = outcome.failure !== undefined || outcome.exitCode !== 0;
  const { failureInfo: _old, ...rest } = info;
  return {
    ...task,
    state: "completed",
    previousState: "running",
    previousStateTransitionTime: task.stateTransitionTime,
    stateTransitionTime: time,
    executionInfo: {
      ...rest,
      endTime: outcome.endTime ?? time,
      ...(outcome.exitCode === undefined ? {} : { exitCode: outcome.exitCode }),
      result: failed ? "failure" : "success",
      ...(failed ? { failureInfo: failureInfoOf(outcome) } : {}),
    },
    _ob: {
      ...runtime,
      exitOptions: resolveExitOptions(task.exitConditions, runEnding(outcome.exitCode, outcome.failure?.code)),
      ...expiry(task, outcome.endTime ?? time),
    },
  };
}
