/**
 * The language's values. Time is kept in milliseconds (fractions allowed, so `TimeInterval_100ns` is 0.0001).
 * A `metric` is a service-defined sampled variable before a method is applied to it; used directly in arithmetic it
 * stands for its current value.
 */
export type Value =
  | { readonly type: "double"; readonly value: number }
  | { readonly type: "doubleVec"; readonly values: readonly number[] }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "timestamp"; readonly ms: number }
  | { readonly type: "timeinterval"; readonly ms: number }
  | { readonly type: "metric"; readonly name: string };

export type ValueType = Value["type"];

export const double = (value: number): Value => ({ type: "double", value });
export const doubleVec = (values: readonly number[]): Value => ({ type: "doubleVec", values });
export const text = (value: string): Value => ({ type: "string", value });
export const timestamp = (ms: number): Value => ({ type: "timestamp", ms });
export const timeinterval = (ms: number): Value => ({ type: "timeinterval", ms });

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
const day = 24 * hour;

/** The `TimeInterval_*` constants; a year is 365 days. */
export const timeIntervalConstants: Readonly<Record<string, number>> = {
  TimeInterval_Zero: 0,
  TimeInterval_100ns: 0.0001,
  TimeInterval_Microsecond: 0.001,
  TimeInterval_Millisecond: 1,
  TimeInterval_Second: second,
  TimeInterval_Minute: minute,
  TimeInterval_Hour: hour,
  TimeInterval_Day: day,
  TimeInterval_Week: 7 * day,
  TimeInterval_Year: 365 * day,
};

/** A number as the results string shows it: integers without a fraction, others with up to 15 significant digits. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  return String(Number(value.toPrecision(15)));
}

/** A time interval as .NET prints a TimeSpan (`[-][d.]hh:mm:ss[.fffffff]`), the service being .NET. */
export function formatTimeInterval(ms: number): string {
  const sign = ms < 0 ? "-" : "";
  const ticks = Math.round(Math.abs(ms) * 10_000);
  const days = Math.floor(ticks / (day * 10_000));
  let rest = ticks - days * day * 10_000;
  const hours = Math.floor(rest / (hour * 10_000));
  rest -= hours * hour * 10_000;
  const minutes = Math.floor(rest / (minute * 10_000));
  rest -= minutes * minute * 10_000;
  const seconds = Math.floor(rest / (second * 10_000));
  const fraction = rest - seconds * second * 10_000;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${sign}${days > 0 ? `${days}.` : ""}${pad(hours)}:${pad(minutes)}:${pad(seconds)}${fraction > 0 ? `.${String(fraction).padStart(7, "0")}` : ""}`;
}

/** A value as the results string shows it; timestamps are ISO-8601 UTC with milliseconds. */
export function formatValue(value: Value): string {
  switch (value.type) {
    case "double":
      return formatNumber(value.value);
    case "doubleVec":
      return `[${value.values.map(formatNumber).join(",")}]`;
    case "string":
      return value.value;
    case "timestamp":
      return new Date(value.ms).toISOString();
    case "timeinterval":
      return formatTimeInterval(value.ms);
    case "metric":
      return value.name;
  }
}
