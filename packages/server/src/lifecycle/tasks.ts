/**
 * Every change of a task's state (semantics.md §2.1–§2.5; the table is core's `taskMachine`): added (active),
 * placed (running or preparing), prepared, unprepared, requeued, retried or recovered, completed, ended early
 * (`TaskEnded`), reactivated. Each function returns the task as it must be written; the caller writes it in the same
 * transaction. Runs on nodes (killing, stopping) are lifecycle/runs.ts's.
 */
import { formatTimestamp } from "@openbatch/core";
import type { CloudJob, ProcessOutcome, TaskAddParameter } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import { endedByRequest, resolveExitOptions, runEnding } from "../records/exitOptions.js";
import type { NodeTaskAssignment } from "../records/nodes.js";
import { containerInfoOf, filesExpireAt, taskRef, type TaskRecord, type TaskRuntime } from "../records/tasks.js";
import { countedCompletion, countedRetry, uncountedCompletion } from "./statistics.js";
import { created, move, taskLifecycle } from "./transitions.js";

let sequenceSeed = 0;

/** A task as added: active, with its defaults filled in and the job's retry count when it sets none. */
export function newTaskRecord(job: CloudJob, task: TaskAddParameter, url: string, time: string, runtime: Partial<TaskRuntime> = {}): TaskRecord {
  const constraints = {
    maxTaskRetryCount: job.constraints?.maxTaskRetryCount ?? 0,
    retentionTime: "P7D",
    ...task.constraints,
  };
  // Object.assign, not `{ ...task, url, … }` (same keys in the same order): in V8 a literal that spreads and then
  // adds properties costs ~3.5 µs per task here against ~0.2, a tenth of ingesting a task (issue #16).
  return Object.assign({}, task, {
    url,
    creationTime: time,
    state: "active" as const,
    stateTransitionTime: time,
    constraints,
    requiredSlots: task.requiredSlots ?? 1,
    executionInfo: { retryCount: 0, requeueCount: 0 },
    _ob: { sequence: Date.parse(time) * 1000 + (sequenceSeed++ % 1000), attempts: 0, ...runtime },
  });
}

/**
 * The job manager task (semantics.md §5.2) as the job's first task: an ordinary task row whose `_ob.jobManager`
 * keeps what CloudTask has no field for.
 */
export function jobManagerTaskRecord(job: CloudJob, jobUrl: string, time: string): TaskRecord | undefined {
  const manager = job.jobManagerTask;
  if (manager === undefined) return undefined;
  const { killJobOnCompletion, runExclusive, allowLowPriorityNode, ...task } = manager;
  const jobManager = { killJobOnCompletion: killJobOnCompletion ?? true, runExclusive: runExclusive ?? true, allowLowPriorityNode: allowLowPriorityNode ?? true };
  return newTaskRecord(job, task, `${jobUrl}/tasks/${encodeURIComponent(task.id)}`, time, { jobManager });
}

/** Stores a new task (made by `newTaskRecord`); `conflict` from the store when the id is taken. */
export async function insertTask(tx: WriteTx, account: string, jobId: string, task: TaskRecord, now: Date) {
  const ref = taskRef(account, jobId, task.id);
  created(tx, ref, taskLifecycle, task.state ?? "active");
  return tx.insert(ref, task, now);
}

/** The time the task's files may go, for a task completing at `endTime`. */
function expiry(task: TaskRecord, endTime: string): { filesExpireAt?: string } {
  const at = filesExpireAt(task, endTime);
  return at === undefined ? {} : { filesExpireAt: at };
}

function counted(task: TaskRecord) {
  return { ...task.executionInfo, retryCount: task.executionInfo?.retryCount ?? 0, requeueCount: task.executionInfo?.requeueCount ?? 0 };
}

export interface NodeInfo {
  affinityId?: string | undefined;
  nodeUrl: string;
  poolId: string;
  nodeId: string;
  taskRootDirectory: string;
  taskRootDirectoryUrl: string;
}

/** The task, placed on a node now: `running` (or `preparing`, held), with the attempt and assignment recorded. */
export function placedTask(tx: WriteTx, account: string, jobId: string, task: TaskRecord, nodeInfo: NodeInfo, assignment: NodeTaskAssignment, time: string, held: boolean): TaskRecord {
  const moved = move(tx, taskRef(account, jobId, task.id), taskLifecycle, task, "place", held ? "preparing" : "running", time);
  return {
    ...moved,
    nodeInfo,
    executionInfo: { ...counted(task), ...(held ? {} : { startTime: time }) },
    _ob: { ...task._ob, attempts: assignment.attempt, assignment: { assignmentId: assignment.assignmentId, nodeId: nodeInfo.nodeId, poolId: nodeInfo.poolId, attempt: assignment.attempt } },
  };
}

/** A held task whose node prepared the job: it runs now. */
export function preparedTask(tx: WriteTx, account: string, jobId: string, task: TaskRecord, time: string): TaskRecord {
  const moved = move(tx, taskRef(account, jobId, task.id), taskLifecycle, task, "prepared", "running", time);
  return { ...moved, executionInfo: { ...counted(task), startTime: time } };
}

/** A held task whose node failed to prepare the job: back to `active`, to go elsewhere (no retry, no requeue). */
export function unpreparedTask(tx: WriteTx, account: string, jobId: string, task: TaskRecord, time: string): TaskRecord {
  const { assignment: _dropped, ...runtime } = task._ob;
  const { nodeInfo: _node, ...rest } = move(tx, taskRef(account, jobId, task.id), taskLifecycle, task, "unprepared", "active", time);
  return { ...rest, _ob: runtime };
}

type CountedExecutionInfo = NonNullable<TaskRecord["executionInfo"]> & { retryCount: number; requeueCount: number };

/** The task back to `active` by `event`, its assignment released, with `executionInfo` and `_ob` as `adjust` says. */
function backToActive(
  tx: WriteTx,
  account: string,
  jobId: string,
  task: TaskRecord,
  event: "requeue" | "retry",
  time: string,
  adjust: (executionInfo: CountedExecutionInfo, runtime: TaskRecord["_ob"]) => Pick<TaskRecord, "executionInfo" | "_ob">,
): TaskRecord {
  const { assignment: _released, ...runtime } = task._ob;
  return { ...move(tx, taskRef(account, jobId, task.id), taskLifecycle, task, event, "active", time), ...adjust(counted(task), runtime) };
}

/** The task back to `active` after a user-caused requeue: `requeueCount` + 1, no retry used (§2.2). */
export function requeuedTask(tx: WriteTx, account: string, jobId: string, task: TaskRecord, time: string): TaskRecord {
  return backToActive(tx, account, jobId, task, "requeue", time, (info, runtime) => ({
    executionInfo: { ...info, requeueCount: info.requeueCount + 1, lastRequeueTime: time },
    _ob: runtime,
  }));
}

/** Recovery retries of one task before a lost run counts as its failure. */
export const maxRecoveries = 3;

/**
 * What a finished task run means for the task (semantics.md §2.2, §2.4): exit 0 completes it with success; a
 * non-zero exit is retried while `retryCount < maxTaskRetryCount` (−1: without limit) by sending the task back to
 * `active`; a run that failed without an exit code of its own (could not start, killed) is never retried and
 * completes with its failure. A run lost because its agent restarted (`AgentRestarted`) is a recovery retry, as
 * Azure's after a host failure: back to `active` without touching retryCount or requeueCount, at most
 * `maxRecoveries` times, then it completes with that failure. A completed task carries the exit options its ending
 * selected (exitOptions.ts), which the job reactions and dependants read.
 */
export function taskAfterRun(tx: WriteTx, account: string, jobId: string, task: TaskRecord, outcome: ProcessOutcome, time: string): TaskRecord {
  const { assignment: _finished, ...runtime } = task._ob;
  const recoveries = runtime.recoveries ?? 0;
  if (outcome.failure?.code === "AgentRestarted" && recoveries < maxRecoveries) {
    return backToActive(tx, account, jobId, task, "retry", time, (info) => ({ executionInfo: info, _ob: { ...runtime, recoveries: recoveries + 1 } }));
  }
  const info = counted(task);
  const exitFailure = outcome.failure === undefined && outcome.exitCode !== 0;
  const maxRetries = task.constraints?.maxTaskRetryCount ?? 0;
  if (exitFailure && (maxRetries === -1 || info.retryCount < maxRetries)) {
    countedRetry(tx, account, jobId, time);
    return backToActive(tx, account, jobId, task, "retry", time, () => ({
      executionInfo: { ...info, ...(outcome.exitCode === undefined ? {} : { exitCode: outcome.exitCode }), ...containerInfoOf(outcome), retryCount: info.retryCount + 1, lastRetryTime: time },
      _ob: runtime,
    }));
  }
  const failed = outcome.failure !== undefined || outcome.exitCode !== 0;
  const { failureInfo: _old, ...rest } = info;
  return countedCompletion(tx, account, jobId, {
    ...move(tx, taskRef(account, jobId, task.id), taskLifecycle, task, "complete", "completed", time),
    executionInfo: {
      ...rest,
      endTime: outcome.endTime ?? time,
      ...(outcome.exitCode === undefined ? {} : { exitCode: outcome.exitCode }),
      ...containerInfoOf(outcome),
      result: failed ? "failure" : "success",
      ...(failed ? { failureInfo: failureInfoOf(outcome) } : {}),
    },
    _ob: {
      ...runtime,
      exitOptions: resolveExitOptions(task.exitConditions, runEnding(outcome.exitCode, outcome.failure?.code)),
      ...expiry(task, outcome.endTime ?? time),
    },
  }, time);
}

/**
 * A finished run's `failureInfo` (semantics.md §2.4): the agent's failure as reported — code, message, category
 * (`usererror` unless the agent says `servererror`, as for a storage error on the node's side) and details — or,
 * when the process ran and exited non-zero without another failure, `FailureExitCode`.
 */
export function failureInfoOf(outcome: ProcessOutcome) {
  const failure = outcome.failure;
  if (failure === undefined) {
    return { category: "usererror" as const, code: "FailureExitCode", message: "The task process exited with an unexpected exit code" };
  }
  return {
    category: failure.category ?? ("usererror" as const),
    code: failure.code,
    message: failure.message,
    ...(failure.details === undefined || failure.details.length === 0 ? {} : { details: failure.details.map(({ name, value }) => ({ name, value })) }),
  };
}

/** The task, completed now as failed with `TaskEnded` and `message`, its assignment dropped (terminate, job end, node left). */
export function endedTask(tx: WriteTx, account: string, jobId: string, task: TaskRecord, message: string, time: string): TaskRecord {
  const { assignment: _ended, ...runtime } = task._ob;
  return countedCompletion(tx, account, jobId, {
    ...move(tx, taskRef(account, jobId, task.id), taskLifecycle, task, "end", "completed", time),
    executionInfo: { ...counted(task), endTime: time, result: "failure", failureInfo: { category: "usererror", code: "TaskEnded", message } },
    _ob: { ...runtime, exitOptions: endedByRequest(task.exitConditions), ...expiry(task, time) },
  }, time);
}

/** A completed, failed task active again, its retry count reset and its ending forgotten. */
export function reactivatedTask(tx: WriteTx, account: string, jobId: string, completed: TaskRecord, time: string): TaskRecord {
  const task = uncountedCompletion(tx, account, jobId, completed, time);
  const { exitCode: _exit, failureInfo: _failure, result: _result, endTime: _end, containerInfo: _container, ...info } = task.executionInfo ?? {};
  const { exitOptions: _chosen, filesExpireAt: _expiry, ...runtime } = task._ob;
  return {
    ...move(tx, taskRef(account, jobId, task.id), taskLifecycle, task, "reactivate", "active", time),
    executionInfo: { ...info, retryCount: 0, requeueCount: info.requeueCount ?? 0 },
    _ob: runtime,
  };
}
