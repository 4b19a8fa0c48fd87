/** A duration hook for code whose timing the metrics want, without that code knowing about metrics. */
/** Runs `work` and reports its duration in seconds to `observe` (when given). */
export async function timed<T>(observe: ((seconds: number) => void) | undefined, work: () => Promise<T>): Promise<T> {
  if (observe === undefined) return work();
  const started = performance.now();
  try {
    return await work();
  } finally {
    observe((performance.now() - started) / 1000);
  }
}
