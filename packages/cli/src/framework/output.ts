/**
 * `--output` and `--query`, as az has them: the result is first narrowed by the JMESPath query, then printed as
 * json (indented), jsonc (json in colour, on a terminal), yaml, tsv (az's rules: one line per item, its scalar
 * values tab-separated, nested objects empty, arrays as their length), table (the command's own columns, or the
 * top-level scalars when a query reshaped the result) or none.
 *
 * The default is `table` when stdout is a terminal and `json` otherwise, so that a person sees a table and a
 * script gets JSON; OPENBATCH_OUTPUT or a profile's `output` changes the default.
 */
import { search, type JSONValue } from "@jmespath-community/jmespath";
import { stringify as toYaml } from "yaml";
import { UsageError } from "./errors.js";
import { genericRows, propertyRows, renderTable, type Row } from "./table.js";
import type { Colors, Terminal } from "./terminal.js";

export const outputFormats = ["json", "jsonc", "table", "tsv", "yaml", "none"] as const;
export type OutputFormat = (typeof outputFormats)[number];

export function parseOutputFormat(value: string, source: string): OutputFormat {
  const format = value.toLowerCase();
  if (!(outputFormats as readonly string[]).includes(format)) {
    throw new UsageError(`${source}: '${value}' is not an output format (${outputFormats.join(", ")}).`);
  }
  return format as OutputFormat;
}

export interface OutputSettings {
  readonly format: OutputFormat;
  readonly query: string | undefined;
}

/** Rows for `--output table` when no query reshaped the result; undefined for the generic table. */
export type TableTransform = (value: unknown) => Row[] | undefined;

/** Plain JSON data: drops `undefined` and non-enumerable extras such as the client's `_response`. */
export function plain(value: unknown): JSONValue {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JSONValue);
}

export function applyQuery(value: JSONValue, query: string | undefined): JSONValue {
  if (query === undefined) return value;
  try {
    return search(value, query);
  } catch (error) {
    throw new UsageError(`--query '${query}' is not a valid JMESPath expression: ${(error as Error).message}`);
  }
}

function colorJson(text: string, colors: Colors): string {
  return text.replace(/("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, (match, string?: string, colon?: string, literal?: string, number?: string) => {
    if (string !== undefined) return colon === undefined ? colors.green(string) : `${colors.cyan(string)}${colon}`;
    if (literal !== undefined) return colors.magenta(literal);
    if (number !== undefined) return colors.yellow(number);
    return match;
  });
}

function tsvCell(value: unknown): string {
  if (Array.isArray(value)) return String(value.length);
  if (value !== null && typeof value === "object") return "";
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "True" : "False";
  return String(value);
}

function renderTsv(value: JSONValue): string {
  const items = Array.isArray(value) ? value : [value];
  return items
    .map((item) => {
      if (typeof item === "boolean") return String(item);
      if (Array.isArray(item)) return item.map(tsvCell).join("\t");
      if (item !== null && typeof item === "object") return Object.values(item).map(tsvCell).join("\t");
      return tsvCell(item);
    })
    .map((line) => `${line}\n`)
    .join("");
}

function tableRows(value: JSONValue, transform: TableTransform | undefined, queried: boolean): Row[] {
  if (!queried && transform !== undefined) {
    const rows = transform(value);
    if (rows !== undefined) return rows;
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value) && !queried) return propertyRows(value);
  return genericRows(value);
}

/** The text to write to stdout for `result` (empty for nothing to show). */
export function render(result: unknown, settings: OutputSettings, terminal: Terminal, transform?: TableTransform): string {
  if (result === undefined || settings.format === "none") return "";
  const value = applyQuery(plain(result), settings.query);
  switch (settings.format) {
    case "json":
      return `${JSON.stringify(value, null, 2)}\n`;
    case "jsonc":
      return `${colorJson(JSON.stringify(value, null, 2), terminal.colors)}\n`;
    case "yaml":
      return toYaml(value);
    case "tsv":
      return renderTsv(value);
    case "table":
      return renderTable(tableRows(value, transform, settings.query !== undefined), terminal.columns, terminal.colors);
  }
}
