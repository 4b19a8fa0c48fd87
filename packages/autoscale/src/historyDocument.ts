/**
 * The metric-history file: what `openbatch autoscale simulate --history` reads and what a server exports for a pool
 * (`GET /pools/{id}/autoscalehistory`), so that a recorded history replays in the simulator.
 *
 * ```json
 * {
 *   "samplePeriodInSeconds": 30,
 *   "series": {
 *     "$PendingTasks": [{ "time": "2024-03-05T10:00:00.000Z", "value": 4 }, ["2024-03-05T10:00:30Z", 5]],
 *     "$ActiveTasks": { "start": "2024-03-05T10:00:00Z", "periodInSeconds": 30, "values": [4, null, 6] }
 *   },
 *   "evaluations": [{ "time": "2024-03-05T10:15:00.000Z", "targetDedicatedNodes": 2, "targetLowPriorityNodes": 0 }]
 * }
 * ```
 * A series is a list of samples (objects or `[time, value]` pairs) or a regular series from `start` every
 * `periodInSeconds` (default: the document's sample period), where `null` is a missing sample. `evaluations`, when
 * present, are the instants a server evaluated at and what it decided.
 */
import { defaultSamplePeriodInMs, historyFromSeries, type MetricHistory, type MetricSample } from "./history.js";

export interface RecordedEvaluation {
  readonly time: string;
  readonly targetDedicatedNodes: number;
  readonly targetLowPriorityNodes: number;
  readonly results?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface HistoryDocument {
  readonly samplePeriodInSeconds?: number;
  readonly series: Readonly<Record<string, readonly { time: string; value: number }[]>>;
  readonly evaluations?: readonly RecordedEvaluation[];
}

export interface ParsedHistory {
  readonly history: MetricHistory;
  readonly evaluations: readonly RecordedEvaluation[];
}

/** Parses a history document; throws an Error whose message names the offending field. */
export function parseHistoryDocument(document: unknown): ParsedHistory {
  if (!isObject(document)) throw new Error("The history must be a JSON object with a 'series' object");
  const period = document["samplePeriodInSeconds"];
  if (period !== undefined && !(typeof period === "number" && period > 0)) throw new Error("'samplePeriodInSeconds' must be a positive number");
  const periodInMs = period === undefined ? defaultSamplePeriodInMs : period * 1000;
  const series = document["series"];
  if (!isObject(series)) throw new Error("'series' must be an object of variable name → samples");
  const parsed: Record<string, MetricSample[]> = {};
  for (const [name, value] of Object.entries(series)) parsed[name] = parseSeries(`series.${name}`, value, periodInMs);
  const evaluations = document["evaluations"] ?? [];
  if (!Array.isArray(evaluations)) throw new Error("'evaluations' must be a list");
  evaluations.forEach((evaluation: unknown, i) => {
    if (!isObject(evaluation) || parseTime(evaluation["time"]) === undefined) throw new Error(`evaluations[${i}].time must be an ISO-8601 date-time`);
  });
  return { history: historyFromSeries(parsed, periodInMs), evaluations: evaluations as RecordedEvaluation[] };
}

function parseSeries(field: string, value: unknown, periodInMs: number): MetricSample[] {
  if (Array.isArray(value)) {
    return value.map((sample: unknown, i) => {
      const [time, number] = Array.isArray(sample) ? sample : isObject(sample) ? [sample["time"], sample["value"]] : [undefined, undefined];
      const ms = parseTime(time);
      if (ms === undefined) throw new Error(`${field}[${i}]: the time must be an ISO-8601 date-time`);
      if (typeof number !== "number" || !Number.isFinite(number)) throw new Error(`${field}[${i}]: the value must be a number`);
      return { time: ms, value: number };
    });
  }
  if (isObject(value)) {
    const start = parseTime(value["start"]);
    if (start === undefined) throw new Error(`${field}.start must be an ISO-8601 date-time`);
    const own = value["periodInSeconds"];
    if (own !== undefined && !(typeof own === "number" && own > 0)) throw new Error(`${field}.periodInSeconds must be a positive number`);
    const step = own === undefined ? periodInMs : own * 1000;
    const values = value["values"];
    if (!Array.isArray(values)) throw new Error(`${field}.values must be a list of numbers or nulls`);
    return values.flatMap((number: unknown, i) => {
      if (number === null) return [];
      if (typeof number !== "number" || !Number.isFinite(number)) throw new Error(`${field}.values[${i}] must be a number or null`);
      return [{ time: start + i * step, value: number }];
    });
  }
  throw new Error(`${field} must be a list of samples or { start, values }`);
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
