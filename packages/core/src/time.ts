/**
 * The service's time formats. Entities store and return date-times as ISO-8601 UTC with seven fractional digits
 * (`2014-09-05T17:46:58.9909975Z`, as the real service does), so stored values order correctly as strings;
 * HTTP headers use RFC 1123.
 */

/** `2024-03-05T10:00:00.1230000Z`. */
export function formatTimestamp(date: Date): string {
  // toISOString always ends in `.sssZ`; slicing is several times cheaper than a regular expression, and this runs
  // for every entity written.
  return `${date.toISOString().slice(0, -1)}0000Z`;
}

/** `Tue, 05 Mar 2024 10:00:00 GMT`. */
export function formatHttpDate(date: Date): string {
  return date.toUTCString();
}

const isoDateTime = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Parses an ISO-8601 date-time (timezone-less values are UTC), or returns undefined. */
export function parseTimestamp(text: string): Date | undefined {
  const match = isoDateTime.exec(text.trim());
  if (match === null) return undefined;
  const zone = match[8] ?? "Z";
  const fraction = (match[7] ?? "").slice(0, 3).padEnd(3, "0");
  const date = new Date(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6] ?? "00"}.${fraction}${zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Parses an RFC 1123 HTTP date, or returns undefined. */
export function parseHttpDate(text: string): Date | undefined {
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text.trim())) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const isoDuration = /^P(?!$)(?:(\d+(?:\.\d+)?)D)?(?:T(?!$)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Parses the ISO-8601 durations the service accepts (`PT15M`, `P7D`, `PT1.5S`) into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = isoDuration.exec(text);
  if (match === null) return undefined;
  const [days, hours, minutes, seconds] = match.slice(1, 5).map((part) => Number(part ?? 0)) as [number, number, number, number];
  return Math.round((((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000);
}

/**
 * The `time` of the first line of a JSON-lines log (agents write their logs so), given the file's first bytes; for
 * file systems without birth times. Undefined when the line is not such a record.
 */
export function firstLogLineTime(head: string): number | undefined {
  try {
    const time = (JSON.parse(head.split("\n", 1)[0] ?? "") as { time?: unknown }).time;
    const parsed = typeof time === "string" ? Date.parse(time) : Number.NaN;
    return Number.isNaN(parsed) ? undefined : parsed;
  } catch {
    return undefined;
  }
}

/**
 * An ISO-8601 duration as the service writes one (.NET's XmlConvert of a TimeSpan): days, hours, minutes and
 * seconds with up to 7 fractional digits, zero parts left out (`PT0S`, `PT1.5S`, `PT1H2M3.25S`, `P1DT2H`).
 */
export function formatDuration(milliseconds: number): string {
  const ticks = Math.max(0, Math.round(milliseconds * 10_000));
  const ticksPerSecond = 10_000_000;
  const totalSeconds = Math.floor(ticks / ticksPerSecond);
  const fraction = ticks % ticksPerSecond;
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const secondsText = fraction === 0 ? String(seconds) : `${seconds}.${String(fraction).padStart(7, "0").replace(/0+$/, "")}`;
  let time = "";
  if (hours > 0) time += `${hours}H`;
  if (minutes > 0) time += `${minutes}M`;
  if (seconds > 0 || fraction > 0) time += `${secondsText}S`;
  if (days === 0 && time === "") return "PT0S";
  return `P${days > 0 ? `${days}D` : ""}${time === "" ? "" : `T${time}`}`;
}
