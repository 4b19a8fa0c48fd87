/**
 * Job preparation and release tasks (semantics.md §5.3). Each runs on a node as an ordinary task run (an
 * assignment the agent executes like any other, holding no slot), so the agent needs nothing special; what is
 * special lives here, in the `jobNode` entity (scope: the job, id: the node) that records what ran on each node:
 *
 * - preparation starts on a node when the plan applier first places one of the job's tasks there. With
 *   `waitForSuccess` that task is `preparing` and its assignment `held` (not sent to the agent) until the
 *   preparation succeeds; it is retried per its own `maxTaskRetryCount`; a final failure sends the held tasks back to
 *   `active` and excludes the node for the job until it is reimaged.
 * - release runs when the job ends, on every node where preparation completed; the job stays `terminating` (or
 *   `deleting`) until every release has ended, and then completes (or is removed), whatever their results.
 */
import { formatTimestamp, parseDuration } from "@openbatch/core";
import { releaseJobPool } from "../services/autoPools.js";
import { jobPoolId } from "../services/jobStates.js";
import type { CloudJob, EnvironmentSetting, JobPreparationTaskExecutionInformation, JobReleaseTaskExecutionInformation, ProcessOutcome } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import type { NodeRecord, NodeTaskAssignment } from "../services/nodeService.js";
import type { TaskRecord } from "../services/taskService.js";
import { jobDirectory } from "../jobSchedules/scheduleJobIds.js";
import { runsInstance, stopRun } from "./multiInstance.js";

export interface JobNodeRecord {
  poolId: string;
  nodeId: string;
  nodeUrl: string;
  jobPreparationTaskExecutionInfo?: JobPreparationTaskExecutionInformation;
  jobReleaseTaskExecutionInfo?: JobReleaseTaskExecutionInformation;
  _ob: {
    /** Runs started on this node (preparation and release), so that every assignment id is new. */
    runs: number;
    /** The assignment of the run in progress. */
    assignmentId?: string;
    /** Preparation failed for good with `waitForSuccess`: the job's tasks do not use this node until it is reimaged. */
    excluded?: boolean;
  };
}

export type JobTaskRole = "jobPreparation" | "jobRelease";

function environmentOf(settings: readonly EnvironmentSetting[] | undefined): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const setting of settings ?? []) environment[setting.name] = setting.value ?? "";
  return environment;
}

export function jobTaskDirectory(jobId: string, taskId: string): string {
  return `workitems/${jobDirectory(jobId)}/${taskId}`;
}

function jobNodeRef(account: string, jobId: string, nodeId: string) {
  return { account, kind: "jobNode" as const, scope: jobId, id: nodeId };
}

/** The assignment that runs the job's preparation or release task on a node. */
function roleAssignment(job: CloudJob, jobId: string, role: JobTaskRole, run: number): NodeTaskAssignment {
  const spec = role === "jobPreparation" ? job.jobPreparationTask : job.jobReleaseTask;
  const taskId = spec?.id ?? (role === "jobPreparation" ? "jobpreparation" : "jobrelease");
  const wallClock = role === "jobPreparation" ? job.jobPreparationTask?.constraints?.maxWallClockTime : job.jobReleaseTask?.maxWallClockTime;
  const wallClockInMs = wallClock === undefined ? undefined : parseDuration(wallClock);
  return {
    assignmentId: `${jobId}.${taskId}.${run}`,
    jobId,
    taskId,
    attempt: run,
    commandLine: spec?.commandLine ?? "",
    taskDirectory: jobTaskDirectory(jobId, taskId),
    environment: { ...environmentOf(job.commonEnvironmentSettings), ...environmentOf(spec?.environmentSettings), AZ_BATCH_JOB_ID: jobId, AZ_BATCH_TASK_ID: taskId },
    ...(wallClockInMs === undefined ? {} : { maxWallClockTimeInMs: Math.max(1, wallClockInMs) }),
    ...(spec?.resourceFiles === undefined ? {} : { resourceFiles: spec.resourceFiles }),
    ...(spec?.userIdentity === undefined ? {} : { userIdentity: spec.userIdentity }),
    ...(spec?.containerSettings === undefined ? {} : { containerSettings: spec.containerSettings }),
    slots: 0,
    role,
  };
}

/** Whether the job's preparation failed on the node for good, so that none of the job's tasks may use it. */
export async function excludedFromJob(tx: WriteTx, account: string, jobId: string, nodeId: string): Promise<boolean> {
  return (await tx.get<JobNodeRecord>(jobNodeRef(account, jobId, nodeId)))?.body._ob.excluded === true;
}

/** What the plan applier must do to place one of the job's tasks on a node. */
export type PreparationGate = "none" | "wait" | "refuse";

/**
 * Called by the plan applier before it places a task of `job` on `node`: starts the preparation task there when it
 * has not run (adding its assignment to `node`, which the caller then writes), and says whether the task may run now
 * (`none`), must wait in `preparing` (`wait`), or may not use the node (`refuse`).
 */
export async function gateOnPreparation(tx: WriteTx, account: string, job: CloudJob, jobId: string, poolId: string, node: NodeRecord, now: Date): Promise<{ gate: PreparationGate; node: NodeRecord }> {
  const preparation = job.jobPreparationTask;
  if (preparation === undefined) return { gate: "none", node };
  const ref = jobNodeRef(account, jobId, node.id);
  const stored = (await tx.get<JobNodeRecord>(ref))?.body;
  if (stored?._ob.excluded === true) return { gate: "refuse", node };
  const info = stored?.jobPreparationTaskExecutionInfo;
  const waitForSuccess = preparation.waitForSuccess !== false;
  if (info !== undefined) {
    const done = info.state === "completed" && (info.result === "success" || !waitForSuccess);
    return { gate: done || !waitForSuccess ? "none" : "wait", node };
  }
  const run = (stored?._ob.runs ?? 0) + 1;
  const assignment = roleAssignment(job, jobId, "jobPreparation", run);
  const time = formatTimestamp(now);
  const record: JobNodeRecord = {
    poolId,
    nodeId: node.id,
    nodeUrl: node.url ?? "",
    ...(stored?.jobReleaseTaskExecutionInfo === undefined ? {} : { jobReleaseTaskExecutionInfo: stored.jobReleaseTaskExecutionInfo }),
    jobPreparationTaskExecutionInfo: { state: "running", startTime: time, retryCount: 0, ...directoryOf(node, assignment) },
    _ob: { runs: run, assignmentId: assignment.assignmentId },
  };
  await (stored === undefined ? tx.insert(ref, record, now) : tx.replace(ref, record, now));
  return { gate: waitForSuccess ? "wait" : "none", node: { ...node, _ob: { ...node._ob, assignments: [...(node._ob.assignments ?? []), assignment] } } };
}

function directoryOf(node: NodeRecord, assignment: NodeTaskAssignment) {
  return { taskRootDirectory: assignment.taskDirectory, taskRootDirectoryUrl: `${node.url ?? ""}/files/${encodeURIComponent(assignment.taskDirectory)}` };
}

/** Tasks of the job that are preparing or running: the ones a job end, disable or node restart acts on. */
export const busyTaskFilter = {
  op: "or",
  left: { op: "eq", path: ["state"], kind: "enum", value: "running" },
  right: { op: "eq", path: ["state"], kind: "enum", value: "preparing" },
} as const;

async function changeNode(tx: WriteTx, account: string, poolId: string, nodeId: string, now: Date, change: (assignments: NodeTaskAssignment[]) => NodeTaskAssignment[]): Promise<boolean> {
  const ref = { account, kind: "node" as const, scope: poolId, id: nodeId };
  const node = await tx.get<NodeRecord>(ref);
  if (node === undefined) return false;
  const assignments = change(node.body._ob.assignments ?? []);
  await tx.replace(ref, { ...node.body, runningTasksCount: assignments.filter((a) => a.role === undefined).length, _ob: { ...node.body._ob, assignments } }, now);
  return true;
}

function sameId(left: string, right: string): boolean {
  return left.toLowerCase() === right.toLowerCase();
}

/** The result fields of a finished run (shared by preparation and release). */
function finishedRun(outcome: ProcessOutcome, time: string) {
  const failed = outcome.failure !== undefined || outcome.exitCode !== 0;
  return {
    state: "completed" as const,
    endTime: outcome.endTime ?? time,
    ...(outcome.exitCode === undefined ? {} : { exitCode: outcome.exitCode }),
    result: failed ? ("failure" as const) : ("success" as const),
    ...(failed
      ? {
          failureInfo:
            outcome.failure !== undefined
              ? { category: "usererror" as const, code: outcome.failure.code, message: outcome.failure.message }
              : { category: "usererror" as const, code: "FailureExitCode", message: "The task process exited with an unexpected exit code" },
        }
      : {}),
  };
}

/**
 * A preparation or release run reported finished by the node's agent. Preparation: retried while its retries last;
 * success lets the held tasks run; a final failure with `waitForSuccess` sends them back to `active` and excludes
 * the node. Release: recorded; the last one lets the ending job complete (or go). Returns the job's auto pool when
 * it started deleting because the job went (`finishJobIfReleased`), for the caller to announce after the commit.
 */
export async function roleRunFinished(tx: WriteTx, account: string, poolId: string, nodeId: string, assignment: NodeTaskAssignment, outcome: ProcessOutcome, now: Date): Promise<string | undefined> {
  const ref = jobNodeRef(account, assignment.jobId, nodeId);
  const stored = await tx.get<JobNodeRecord>(ref);
  const job = await tx.get<CloudJob>({ account, kind: "job", scope: "", id: assignment.jobId });
  if (stored === undefined || job === undefined || stored.body._ob.assignmentId !== assignment.assignmentId) return undefined;
  const record = stored.body;
  const time = formatTimestamp(now);
  const { assignmentId: _done, ...runtime } = record._ob;
  if (assignment.role === "jobRelease") {
    await tx.replace(ref, { ...record, jobReleaseTaskExecutionInfo: { ...record.jobReleaseTaskExecutionInfo, ...finishedRun(outcome, time) }, _ob: runtime }, now);
    return finishJobIfReleased(tx, account, assignment.jobId, job.body, now);
  }
  const info = record.jobPreparationTaskExecutionInfo ?? {};
  const retryCount = info.retryCount ?? 0;
  const maxRetries = job.body.jobPreparationTask?.constraints?.maxTaskRetryCount ?? 0;
  if (outcome.failure === undefined && outcome.exitCode !== 0 && (maxRetries === -1 || retryCount < maxRetries)) {
    const run = record._ob.runs + 1;
    const retry = roleAssignment(job.body, assignment.jobId, "jobPreparation", run);
    if (!(await changeNode(tx, account, poolId, nodeId, now, (assignments) => [...assignments, retry]))) return undefined;
    const retried = { ...info, retryCount: retryCount + 1, lastRetryTime: time, ...(outcome.exitCode === undefined ? {} : { exitCode: outcome.exitCode }) };
    await tx.replace(ref, { ...record, jobPreparationTaskExecutionInfo: retried, _ob: { ...runtime, runs: run, assignmentId: retry.assignmentId } }, now);
    return undefined;
  }
  const finished = { ...info, ...finishedRun(outcome, time) };
  const waitForSuccess = job.body.jobPreparationTask?.waitForSuccess !== false;
  const excluded = finished.result === "failure" && waitForSuccess;
  await tx.replace(ref, { ...record, jobPreparationTaskExecutionInfo: finished, _ob: { ...runtime, ...(excluded ? { excluded } : {}) } }, now);
  const held: NodeTaskAssignment[] = [];
  await changeNode(tx, account, poolId, nodeId, now, (assignments) =>
    assignments.flatMap((entry) => {
      if (entry.held !== true || !sameId(entry.jobId, assignment.jobId)) return [entry];
      held.push(entry);
      if (excluded) return [];
      const { held: _released, ...running } = entry;
      return [running];
    }),
  );
  for (const entry of held) {
    const taskRef = { account, kind: "task" as const, scope: assignment.jobId, id: entry.taskId };
    const task = await tx.get<TaskRecord>(taskRef);
    if (task === undefined) continue;
    const own = task.body._ob.assignment?.assignmentId === entry.assignmentId;
    // A multi-instance task's held subtask simply runs once prepared; if its node cannot prepare, the whole task
    // goes back to `active`, its other instances killed.
    if (!own && !(excluded && runsInstance(task.body, entry.assignmentId))) continue;
    if (excluded) {
      const whole = task.body._ob.multiInstance === undefined ? task.body : (await stopRun(tx, account, task.body, "The node of an instance of the multi-instance task could not prepare the job.", now)).task;
      await tx.replace(taskRef, unpreparedTask(whole, time), now);
    } else {
      await tx.replace(taskRef, preparedTask(task.body, time), now);
    }
  }
  return undefined;
}

/** A held task whose node prepared the job: it runs now. */
function preparedTask(task: TaskRecord, time: string): TaskRecord {
  return {
    ...task,
    state: "running",
    previousState: task.state,
    previousStateTransitionTime: task.stateTransitionTime,
    stateTransitionTime: time,
    executionInfo: { ...task.executionInfo, startTime: time, retryCount: task.executionInfo?.retryCount ?? 0, requeueCount: task.executionInfo?.requeueCount ?? 0 },
  };
}

/** A held task whose node failed to prepare the job: back to `active`, to go elsewhere (no retry, no requeue). */
function unpreparedTask(task: TaskRecord, time: string): TaskRecord {
  const { assignment: _dropped, ...runtime } = task._ob;
  const { nodeInfo: _node, ...rest } = task;
  return { ...rest, state: "active", previousState: task.state, previousStateTransitionTime: task.stateTransitionTime, stateTransitionTime: time, _ob: runtime };
}

/**
 * Starts the job's release task on every node where its preparation completed (the job is ending). Returns the
 * pools whose agents must wake; none means nothing to wait for.
 */
export async function startReleases(tx: WriteTx, account: string, jobId: string, job: CloudJob, now: Date): Promise<Set<string>> {
  const pools = new Set<string>();
  if (job.jobReleaseTask === undefined) return pools;
  const records = await tx.list<JobNodeRecord>({ account, kind: "jobNode", scope: jobId }, { limit: 100_000 });
  const time = formatTimestamp(now);
  for (const { body: record } of records.items) {
    if (record.jobPreparationTaskExecutionInfo?.state !== "completed" || record.jobReleaseTaskExecutionInfo !== undefined) continue;
    const run = record._ob.runs + 1;
    const assignment = roleAssignment(job, jobId, "jobRelease", run);
    if (!(await changeNode(tx, account, record.poolId, record.nodeId, now, (assignments) => [...assignments, assignment]))) continue;
    const nodeUrl = record.nodeUrl;
    const release = { state: "running" as const, startTime: time, taskRootDirectory: assignment.taskDirectory, taskRootDirectoryUrl: `${nodeUrl}/files/${encodeURIComponent(assignment.taskDirectory)}` };
    await tx.replace(jobNodeRef(account, jobId, record.nodeId), { ...record, jobReleaseTaskExecutionInfo: release, _ob: { ...record._ob, runs: run, assignmentId: assignment.assignmentId } }, now);
    pools.add(record.poolId);
  }
  return pools;
}

/**
 * A `terminating` job completes, a `deleting` one is removed, once no release task runs any more. A removed job's
 * auto pool goes with it, as on an immediate delete (autoPools.ts `releaseJobPool`): returns that pool, which the
 * caller announces after the commit (its nodes run the releases, so a reconcile of their pool does it).
 */
export async function finishJobIfReleased(tx: WriteTx, account: string, jobId: string, job: CloudJob, now: Date): Promise<string | undefined> {
  if (job.state !== "terminating" && job.state !== "deleting") return undefined;
  const records = await tx.list<JobNodeRecord>({ account, kind: "jobNode", scope: jobId }, { limit: 100_000 });
  if (records.items.some((record) => record.body.jobReleaseTaskExecutionInfo?.state === "running")) return undefined;
  const ref = { account, kind: "job" as const, scope: "", id: jobId };
  if (job.state === "deleting") {
    await removeJobRecords(tx, account, jobId);
    await tx.delete(ref);
    return releaseJobPool(tx, account, job, now);
  }
  const time = formatTimestamp(now);
  await tx.replace(ref, {
    ...job,
    state: "completed",
    previousState: job.state,
    previousStateTransitionTime: job.stateTransitionTime,
    stateTransitionTime: time,
    executionInfo: { ...job.executionInfo, endTime: time },
  }, now);
  return undefined;
}

/** Removes a job's tasks and per-node records (the job row is the caller's). */
export async function removeJobRecords(tx: WriteTx, account: string, jobId: string): Promise<void> {
  await tx.deleteAll({ account, kind: "task", scope: jobId });
  await tx.deleteAll({ account, kind: "jobNode", scope: jobId });
}

/**
 * A node restarts: a reimage forgets every preparation there (it runs again, and an excluded node is usable
 * again); a reboot forgets the unfinished ones and, with `rerunOnNodeRebootAfterSuccess`, the finished ones too.
 * A release cut short by the restart counts as ended.
 */
export async function forgetPreparations(tx: WriteTx, account: string, poolId: string, nodeId: string, change: "reboot" | "reimage", now: Date): Promise<void> {
  const jobs = await tx.list<CloudJob>({ account, kind: "job", scope: "" }, { limit: 100_000 });
  for (const job of jobs.items) {
    if (job.body.jobPreparationTask === undefined || !sameId(jobPoolId(job.body), poolId)) continue;
    const ref = jobNodeRef(account, job.id, nodeId);
    const stored = await tx.get<JobNodeRecord>(ref);
    if (stored === undefined) continue;
    const info = stored.body.jobPreparationTaskExecutionInfo;
    const rerun =
      change === "reimage" || info?.state !== "completed" || (info.result === "success" && job.body.jobPreparationTask.rerunOnNodeRebootAfterSuccess !== false);
    const release = stored.body.jobReleaseTaskExecutionInfo;
    const { assignmentId: _cut, excluded: _excluded, ...runtime } = stored.body._ob;
    const { jobPreparationTaskExecutionInfo: _forgotten, ...kept } = stored.body;
    const next: JobNodeRecord = {
      ...(rerun ? kept : stored.body),
      ...(release?.state === "running"
        ? { jobReleaseTaskExecutionInfo: { ...release, ...finishedRun({ attempt: 1, state: "completed", startTime: release.startTime ?? "", failure: { code: "TaskEnded", message: "The node restarted while the job release task ran." } }, formatTimestamp(now)) } }
        : {}),
      _ob: rerun ? runtime : { ...runtime, ...(stored.body._ob.excluded === true ? { excluded: true } : {}) },
    };
    await tx.replace(ref, next, now);
    // A pool this deletes is this node's own, which the caller reconciles after the commit anyway.
    if (release?.state === "running") await finishJobIfReleased(tx, account, job.id, job.body, now);
  }
}
