/** The names the parser accepts after `name(`, `.Name(` and `.name` (semantics.md §7.2, §7.4). */
export const functionNames: ReadonlySet<string> = new Set([
  "avg", "sum", "min", "max", "len", "range", "std", "norm", "lg", "ln", "log", "percentile", "val", "rand", "time", "stop", "ceil", "floor", "round",
]);

export const methodNames: ReadonlySet<string> = new Set(["GetSample", "GetSamplePeriod", "GetSamplePercent", "Count", "HistoryBeginTime"]);

export const propertyNames: ReadonlySet<string> = new Set(["year", "month", "day", "weekday", "hour", "minute", "second"]);
