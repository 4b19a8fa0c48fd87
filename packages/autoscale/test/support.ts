/** Shared fixtures for the autoscale tests: a fixed instant and a history builder. */
import { evaluateFormula, formatValue, historyFromSeries, type AutoscaleEvaluation, type MetricHistory, type MetricSample } from "../src/index.js";

/** A Tuesday, 10:00:00 UTC. */
export const now = new Date("2024-03-05T10:00:00.000Z");
export const nowMs = now.getTime();

/** `values` as one sample every 30 s, the last one at `endMs` (oldest first). Null leaves a gap. */
export function series(values: readonly (number | null)[], endMs = nowMs, periodInMs = 30_000): MetricSample[] {
  return values.flatMap((value, i) => (value === null ? [] : [{ time: endMs - (values.length - 1 - i) * periodInMs, value }]));
}

export function history(seriesByName: Record<string, readonly (number | null)[]> = {}): MetricHistory {
  return historyFromSeries(Object.fromEntries(Object.entries(seriesByName).map(([name, values]) => [name, series(values)])));
}

export function run(formula: string, options: { history?: MetricHistory; targets?: { dedicated: number; lowPriority: number }; random?: () => number } = {}): AutoscaleEvaluation {
  return evaluateFormula(formula, {
    now,
    history: options.history ?? history(),
    currentTargets: options.targets ?? { dedicated: 0, lowPriority: 0 },
    random: options.random ?? (() => 0.25),
  });
}

/** The formatted value of variable `x` after `formula`. */
export function valueOf(formula: string, options: Parameters<typeof run>[1] = {}): string {
  const value = run(formula, options).variables.get("x");
  if (value === undefined) throw new Error(`the formula did not assign x: ${formula}`);
  return formatValue(value);
}
