/**
 * Job preparation and release tasks on nodes (semantics.md §5.3), recorded per job and node in a `jobNode` row.
 * Each runs as an ordinary run on the node (an assignment the agent executes like any other, holding no slot):
 *
 * - preparation starts on a node when the plan applier first places one of the job's tasks there. With
 *   `waitForSuccess` that task is `preparing` and its assignment `held` (not sent to the agent) until the
 *   preparation succeeds; it is retried per its own `maxTaskRetryCount`; a final failure sends the held tasks back to
 *   `active` and excludes the node for the job until it is reimaged.
 * - release runs when the job ends, on every node where preparation completed; the job stays `terminating` (or
 *   `deleting`) until every release has ended — lifecycle/jobs.ts `finishJobIfReleased` then completes (or removes) it.
 */
import { formatTimestamp, parseDuration } from "@openbatch/core";
import type { CloudJob, ProcessOutcome } from "@openbatch/protocol";
import type { WriteTx } from "@openbatch/store";
import { environmentOf } from "../records/environment.js";
import { jobNodeRef, jobPoolId, jobRef, jobTaskDirectory, type JobNodeRecord, type JobTaskRole } from "../records/jobs.js";
import { listAll } from "../records/listAll.js";
import { nodeRef, type NodeRecord, type NodeTaskAssignment } from "../records/nodes.js";
import { containerInfoOf, taskRef, type TaskRecord } from "../records/tasks.js";
import { writeNode } from "./nodes.js";
import { runsInstance, stopRun } from "./runs.js";
import { preparedTask, unpreparedTask } from "./tasks.js";

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

async function changeNode(tx: WriteTx, account: string, poolId: string, nodeId: string, now: Date, change: (assignments: NodeTaskAssignment[]) => NodeTaskAssignment[]): Promise<boolean> {
  const node = await tx.get<NodeRecord>(nodeRef(account, poolId, nodeId));
  if (node === undefined) return false;
  const assignments = change(node.body._ob.assignments ?? []);
  await writeNode(tx, account, poolId, node.body, { ...node.body, runningTasksCount: assignments.filter((a) => a.role === undefined).length, _ob: { ...node.body._ob, assignments } }, now);
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
    ...containerInfoOf(outcome),
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
 * the node. Release: recorded. Returns true when a release ended, for the caller to let the ending job finish
 * (lifecycle/jobs.ts `finishJobIfReleased`).
 */
export async function roleRunFinished(tx: WriteTx, account: string, poolId: string, nodeId: string, assignment: NodeTaskAssignment, outcome: ProcessOutcome, now: Date): Promise<boolean> {
  const ref = jobNodeRef(account, assignment.jobId, nodeId);
  const stored = await tx.get<JobNodeRecord>(ref);
  const job = await tx.get<CloudJob>(jobRef(account, assignment.jobId));
  if (stored === undefined || job === undefined || stored.body._ob.assignmentId !== assignment.assignmentId) return false;
  const record = stored.body;
  const time = formatTimestamp(now);
  const { assignmentId: _done, ...runtime } = record._ob;
  if (assignment.role === "jobRelease") {
    await tx.replace(ref, { ...record, jobReleaseTaskExecutionInfo: { ...record.jobReleaseTaskExecutionInfo, ...finishedRun(outcome, time) }, _ob: runtime }, now);
    return true;
  }
  const info = record.jobPreparationTaskExecutionInfo ?? {};
  const retryCount = info.retryCount ?? 0;
  const maxRetries = job.body.jobPreparationTask?.constraints?.maxTaskRetryCount ?? 0;
  if (outcome.failure === undefined && outcome.exitCode !== 0 && (maxRetries === -1 || retryCount < maxRetries)) {
    const run = record._ob.runs + 1;
    const retry = roleAssignment(job.body, assignment.jobId, "jobPreparation", run);
    if (!(await changeNode(tx, account, poolId, nodeId, now, (assignments) => [...assignments, retry]))) return false;
    const retried = { ...info, retryCount: retryCount + 1, lastRetryTime: time, ...(outcome.exitCode === undefined ? {} : { exitCode: outcome.exitCode }), ...containerInfoOf(outcome) };
    await tx.replace(ref, { ...record, jobPreparationTaskExecutionInfo: retried, _ob: { ...runtime, runs: run, assignmentId: retry.assignmentId } }, now);
    return false;
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
    const taskKey = taskRef(account, assignment.jobId, entry.taskId);
    const task = await tx.get<TaskRecord>(taskKey);
    if (task === undefined) continue;
    const own = task.body._ob.assignment?.assignmentId === entry.assignmentId;
    // A multi-instance task's held subtask simply runs once prepared; if its node cannot prepare, the whole task
    // goes back to `active`, its other instances killed.
    if (!own && !(excluded && runsInstance(task.body, entry.assignmentId))) continue;
    if (excluded) {
      const whole = task.body._ob.multiInstance === undefined ? task.body : await stopRun(tx, account, task.body, "The node of an instance of the multi-instance task could not prepare the job.", now);
      await tx.replace(taskKey, unpreparedTask(tx, account, assignment.jobId, whole, time), now);
    } else {
      await tx.replace(taskKey, preparedTask(tx, account, assignment.jobId, task.body, time), now);
    }
  }
  return false;
}

/**
 * Starts the job's release task on every node where its preparation completed (the job is ending). Returns whether
 * any started (none: nothing to wait for).
 */
export async function startReleases(tx: WriteTx, account: string, jobId: string, job: CloudJob, now: Date): Promise<boolean> {
  if (job.jobReleaseTask === undefined) return false;
  const records = await listAll<JobNodeRecord>(tx, { account, kind: "jobNode", scope: jobId });
  const time = formatTimestamp(now);
  let started = false;
  for (const { body: record } of records) {
    if (record.jobPreparationTaskExecutionInfo?.state !== "completed" || record.jobReleaseTaskExecutionInfo !== undefined) continue;
    const run = record._ob.runs + 1;
    const assignment = roleAssignment(job, jobId, "jobRelease", run);
    if (!(await changeNode(tx, account, record.poolId, record.nodeId, now, (assignments) => [...assignments, assignment]))) continue;
    const nodeUrl = record.nodeUrl;
    const release = { state: "running" as const, startTime: time, taskRootDirectory: assignment.taskDirectory, taskRootDirectoryUrl: `${nodeUrl}/files/${encodeURIComponent(assignment.taskDirectory)}` };
    await tx.replace(jobNodeRef(account, jobId, record.nodeId), { ...record, jobReleaseTaskExecutionInfo: release, _ob: { ...record._ob, runs: run, assignmentId: assignment.assignmentId } }, now);
    started = true;
  }
  return started;
}

/** Whether a release task of the job still runs somewhere. */
export async function releasesRunning(tx: WriteTx, account: string, jobId: string): Promise<boolean> {
  const records = await listAll<JobNodeRecord>(tx, { account, kind: "jobNode", scope: jobId });
  return records.some((record) => record.body.jobReleaseTaskExecutionInfo?.state === "running");
}

/**
 * A node restarts: a reimage forgets every preparation there (it runs again, and an excluded node is usable
 * again); a reboot forgets the unfinished ones and, with `rerunOnNodeRebootAfterSuccess`, the finished ones too.
 * A release cut short by the restart counts as ended: returns the jobs whose release ended so, for the caller to
 * let them finish (lifecycle/jobs.ts `finishJobIfReleased`).
 */
export async function forgetPreparations(tx: WriteTx, account: string, poolId: string, nodeId: string, change: "reboot" | "reimage", now: Date): Promise<string[]> {
  const released: string[] = [];
  for (const job of await listAll<CloudJob>(tx, { account, kind: "job", scope: "" })) {
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
    if (release?.state === "running") released.push(job.id);
  }
  return released;
}
