/**
 * Ids of jobs made by schedules: `<scheduleId>:job-<n>` (semantics.md §1). No other job id can contain `:`, so the
 * id alone tells a schedule's job apart; on nodes its tasks live under `workitems/<scheduleId>/job-<n>/`, a
 * stand-alone job's under `workitems/<jobId>/job-1/` (semantics.md §2.10).
 */
export function scheduleJobId(scheduleId: string, jobNumber: number): string {
  return `${scheduleId}:job-${jobNumber}`;
}

/** The job's directory under `workitems/`, relative, `/`-separated. */
export function jobDirectory(jobId: string): string {
  const made = /^([A-Za-z0-9_-]+):job-(\d+)$/.exec(jobId);
  return made === null ? `${jobId}/job-1` : `${made[1]}/job-${made[2]}`;
}
