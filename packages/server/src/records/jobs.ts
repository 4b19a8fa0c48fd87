/**
 * Job rows (`kind = job`, scope "") and the per-node record of a job's preparation and release tasks (`kind =
 * jobNode`, scope = the job, id = the node). Types and pure helpers only; every change of a job's state is made by
 * lifecycle/jobs.ts, of a job-node record by lifecycle/preparation.ts.
 */
import type { CloudJob, JobPreparationTaskExecutionInformation, JobReleaseTaskExecutionInformation } from "@openbatch/protocol";
import type { StoredEntity } from "@openbatch/store";
import { jobDirectory } from "./jobIds.js";

export type StoredJob = StoredEntity<CloudJob>;

export const defaultTerminateReason = "UserTerminate";
export const allTasksCompleteReason = "AllTasksComplete";
export const terminateJobScheduleReason = "TerminateJobSchedule";

export function jobRef(account: string, jobId: string) {
  return { account, kind: "job" as const, scope: "", id: jobId };
}

/** The pool the job's tasks run in: its auto pool once made (`executionInfo.poolId`), else `poolInfo.poolId`. */
export function jobPoolId(job: CloudJob): string {
  return job.executionInfo?.poolId ?? job.poolInfo?.poolId ?? "";
}

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

export function jobNodeRef(account: string, jobId: string, nodeId: string) {
  return { account, kind: "jobNode" as const, scope: jobId, id: nodeId };
}

/** A task's directory on its node, relative to the node root. */
export function jobTaskDirectory(jobId: string, taskId: string): string {
  return `workitems/${jobDirectory(jobId)}/${taskId}`;
}
