/**
 * The service-defined variables (semantics.md §7.3): the read-write targets with their legacy aliases, the
 * deallocation option, and the read-only sampled metrics.
 */

export const targetDedicated = "$TargetDedicatedNodes";
export const targetLowPriority = "$TargetLowPriorityNodes";
export const nodeDeallocationOption = "$NodeDeallocationOption";

/** Legacy names; when both a name and its alias are assigned, the full name wins. */
export const targetAliases: Readonly<Record<string, string>> = {
  $TargetDedicated: targetDedicated,
  $TargetLowPriority: targetLowPriority,
};

export const readWriteVariables: readonly string[] = [targetDedicated, targetLowPriority, nodeDeallocationOption, ...Object.keys(targetAliases)];

export const nodeDeallocationOptions = ["requeue", "terminate", "taskcompletion", "retaineddata"] as const;
export type NodeDeallocationOption = (typeof nodeDeallocationOptions)[number];

/** Task metrics: counts of tasks (not slots) over every job on the pool, job release tasks excluded. */
export const taskMetrics = ["$ActiveTasks", "$RunningTasks", "$PendingTasks", "$SucceededTasks", "$FailedTasks"] as const;

/** Node metrics; also readable directly as numbers (their current value). */
export const nodeMetrics = [
  "$CurrentDedicatedNodes",
  "$CurrentLowPriorityNodes",
  "$PreemptedNodeCount",
  "$UsableNodeCount",
  "$TaskSlotsPerNode",
  "$SampleNodeCount",
] as const;

/** Resource metrics, averaged over the pool's nodes where agents report them. */
export const resourceMetrics = [
  "$CPUPercent",
  "$WallClockSeconds",
  "$MemoryBytes",
  "$DiskBytes",
  "$DiskReadBytes",
  "$DiskWriteBytes",
  "$DiskReadOps",
  "$DiskWriteOps",
  "$NetworkInBytes",
  "$NetworkOutBytes",
] as const;

export type MetricName = (typeof taskMetrics)[number] | (typeof nodeMetrics)[number] | (typeof resourceMetrics)[number];

export const metricNames: readonly MetricName[] = [...taskMetrics, ...nodeMetrics, ...resourceMetrics];

const metricSet = new Set<string>(metricNames);

export function isMetric(name: string): name is MetricName {
  return metricSet.has(name);
}
