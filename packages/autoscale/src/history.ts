/**
 * Metric history: what the sample methods read. The server records a sample of every metric of an autoscale pool
 * every `samplePeriodInMs` (30 s, as the service); a simulator builds one from a synthetic or recorded series.
 * Samples are in time order, oldest first; a missing sample is simply absent (that is what `GetSamplePercent`
 * measures).
 */
export interface MetricSample {
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly value: number;
}

export interface MetricHistory {
  /** The interval samples are taken at, in ms. */
  readonly samplePeriodInMs: number;
  /** Every retained sample of the variable (e.g. `$PendingTasks`), oldest first; empty when it has none. */
  samples(variable: string): readonly MetricSample[];
}

/** The service's sampling interval (semantics.md §7.4). */
export const defaultSamplePeriodInMs = 30_000;

/** A history over in-memory series, e.g. `{ $PendingTasks: [{ time, value }, …] }`. Series are sorted by time. */
export function historyFromSeries(series: Readonly<Record<string, readonly MetricSample[]>>, samplePeriodInMs = defaultSamplePeriodInMs): MetricHistory {
  const sorted = new Map(Object.entries(series).map(([name, samples]) => [name, [...samples].sort((a, b) => a.time - b.time)]));
  return { samplePeriodInMs, samples: (variable) => sorted.get(variable) ?? [] };
}

/** The same history as it looked at `nowMs`: only samples taken by then. */
export function historyUntil(history: MetricHistory, nowMs: number): MetricHistory {
  return {
    samplePeriodInMs: history.samplePeriodInMs,
    samples: (variable) => {
      const all = history.samples(variable);
      let end = all.length;
      while (end > 0 && (all[end - 1] as MetricSample).time > nowMs) end--;
      return end === all.length ? all : all.slice(0, end);
    },
  };
}
