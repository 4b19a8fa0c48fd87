/**
 * The simulator: evaluates a formula at a series of instants over a metric history — synthetic or recorded by a
 * server — and returns what each evaluation produced, without any nodes. Each evaluation sees only the samples taken
 * by its instant and starts from the targets the previous one left (a failed evaluation changes nothing, as on the
 * service). Given the history a server recorded and the instants it evaluated at, it reproduces the server's
 * targets: the server evaluates from its recorded samples only, exactly as here.
 */
import { FormulaError } from "./formulaError.js";
import { evaluateFormula } from "./evaluator.js";
import { historyUntil, type MetricHistory } from "./history.js";
import { parseFormula } from "./parser.js";
import type { NodeDeallocationOption } from "./variables.js";

export interface SimulateOptions {
  /** First evaluation (ms since the epoch). @default the history's oldest sample of any `variables` */
  readonly startMs?: number;
  /** No evaluation after this. @default the history's newest sample of any `variables` */
  readonly endMs?: number;
  /** Time between evaluations. @default 15 minutes, the service's default */
  readonly intervalInMs?: number;
  /** Evaluate at exactly these instants instead of start/end/interval (e.g. a server's recorded evaluations). */
  readonly evaluationTimesMs?: readonly number[];
  /** The pool's targets before the first evaluation. @default 0 and 0 */
  readonly initialTargets?: { readonly dedicated: number; readonly lowPriority: number };
  /** The variables whose samples bound the default start and end. @default every `$…` the formula mentions */
  readonly variables?: readonly string[];
  /** For `rand()`. @default Math.random */
  readonly random?: () => number;
}

export type SimulationStep =
  | {
      readonly timeMs: number;
      readonly ok: true;
      readonly targetDedicatedNodes: number;
      readonly targetLowPriorityNodes: number;
      readonly nodeDeallocationOption: NodeDeallocationOption;
      readonly results: string;
    }
  | { readonly timeMs: number; readonly ok: false; readonly targetDedicatedNodes: number; readonly targetLowPriorityNodes: number; readonly error: { readonly code: string; readonly message: string } };

export const defaultEvaluationIntervalInMs = 15 * 60_000;

/** Evaluates `formula` over `history`; throws a FormulaError only for a formula that does not parse. */
export function simulate(formula: string, history: MetricHistory, options: SimulateOptions = {}): SimulationStep[] {
  const parsed = parseFormula(formula);
  const times = options.evaluationTimesMs ?? evaluationTimes(formula, history, options);
  let targets = options.initialTargets ?? { dedicated: 0, lowPriority: 0 };
  const steps: SimulationStep[] = [];
  for (const timeMs of times) {
    try {
      const result = evaluateFormula(parsed, {
        now: new Date(timeMs),
        history: historyUntil(history, timeMs),
        currentTargets: targets,
        ...(options.random === undefined ? {} : { random: options.random }),
      });
      targets = { dedicated: result.targetDedicatedNodes, lowPriority: result.targetLowPriorityNodes };
      steps.push({ timeMs, ok: true, ...result });
    } catch (error) {
      if (!(error instanceof FormulaError)) throw error;
      steps.push({ timeMs, ok: false, targetDedicatedNodes: targets.dedicated, targetLowPriorityNodes: targets.lowPriority, error: { code: error.code, message: error.message } });
    }
  }
  return steps;
}

function evaluationTimes(formula: string, history: MetricHistory, options: SimulateOptions): number[] {
  const variables = options.variables ?? [...new Set(formula.match(/\$[A-Za-z_][A-Za-z0-9_]*/g) ?? [])];
  const sampleTimes = variables.flatMap((name) => history.samples(name).map((sample) => sample.time));
  const start = options.startMs ?? (sampleTimes.length === 0 ? undefined : Math.min(...sampleTimes));
  const end = options.endMs ?? (sampleTimes.length === 0 ? undefined : Math.max(...sampleTimes));
  if (start === undefined || end === undefined) return [];
  const interval = options.intervalInMs ?? defaultEvaluationIntervalInMs;
  if (!(interval > 0)) throw new RangeError("intervalInMs must be positive");
  const times: number[] = [];
  for (let time = start; time <= end; time += interval) times.push(time);
  return times;
}
