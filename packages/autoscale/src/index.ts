/**
 * @openbatch/autoscale — the Azure Batch autoscale formula language: lexer, parser, typed evaluator over a metric
 * history, the service's results string, and a simulator. Pure: no I/O, no clock (time comes in the context).
 */
export type { Expression, Formula, Statement } from "./ast.js";
export { evaluateFormula, type AutoscaleEvaluation, type EvaluationContext } from "./evaluator.js";
export { FormulaError, type FormulaErrorCode, type Position } from "./formulaError.js";
export { defaultSamplePeriodInMs, historyFromSeries, historyUntil, type MetricHistory, type MetricSample } from "./history.js";
export { tokenize, type Token } from "./lexer.js";
export { formulaLimits, parseFormula } from "./parser.js";
export { defaultEvaluationIntervalInMs, simulate, type SimulateOptions, type SimulationStep } from "./simulate.js";
export { formatTimeInterval, formatValue, timeIntervalConstants, type Value } from "./values.js";
export {
  isMetric, metricNames, nodeDeallocationOptions, nodeMetrics, resourceMetrics, taskMetrics, type MetricName, type NodeDeallocationOption,
} from "./variables.js";
export { parseHistoryDocument, type HistoryDocument, type ParsedHistory, type RecordedEvaluation } from "./historyDocument.js";
