/** Job state transitions shared by the job service and the job reactions to tasks. */
import type { CloudJob, JobState } from "@openbatch/protocol";

/** The job moved to `state`, remembering where it came from. */
export function transition(job: CloudJob, state: JobState, time: string): CloudJob {
  return {
    ...job,
    previousState: job.state,
    previousStateTransitionTime: job.stateTransitionTime,
    state,
    stateTransitionTime: time,
  };
}

/** The job, completed now for `reason` (`executionInfo.endTime`, `terminateReason`). */
export function completeJob(job: CloudJob, reason: string, time: string): CloudJob {
  const completed = transition(job, "completed", time);
  return { ...completed, executionInfo: { ...job.executionInfo, endTime: time, terminateReason: reason } };
}

/** The pool the job's tasks run in: its auto pool once made (`executionInfo.poolId`), else `poolInfo.poolId`. */
export function jobPoolId(job: CloudJob): string {
  return job.executionInfo?.poolId ?? job.poolInfo?.poolId ?? "";
}
