/**
 * Tables as az prints them (a header, a rule of dashes, columns two spaces apart), fitted to the terminal: when the
 * rows are wider than it, the widest columns give up room and their cells end in "…".
 */
import type { Colors } from "./terminal.js";

export type Row = Readonly<Record<string, unknown>>;

/** A cell as az shows it: nothing for null, Python's spelling of booleans, JSON for anything nested. */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value).replace(/\s*\n\s*/g, " ");
}

function truncate(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
}

/** Column widths that fit in `columns` (0: no limit), shrinking the widest first, none below its floor. */
function fit(natural: number[], headers: string[], columns: number): number[] {
  const widths = [...natural];
  const gaps = 2 * (widths.length - 1);
  if (columns <= 0) return widths;
  const floors = headers.map((header, index) => Math.min(natural[index] as number, Math.max(6, Math.min(header.length, 12))));
  let excess = widths.reduce((sum, width) => sum + width, 0) + gaps - columns;
  while (excess > 0) {
    let widest = -1;
    for (let index = 0; index < widths.length; index++) {
      if ((widths[index] as number) > (floors[index] as number) && (widest < 0 || (widths[index] as number) > (widths[widest] as number))) widest = index;
    }
    if (widest < 0) break; // every column is at its floor: let the terminal wrap
    widths[widest] = (widths[widest] as number) - 1;
    excess--;
  }
  return widths;
}

export function renderTable(rows: readonly Row[], columns: number, colors: Colors): string {
  if (rows.length === 0) return "";
  const headers: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!headers.includes(key)) headers.push(key);
  const cells = rows.map((row) => headers.map((header) => cellText(row[header])));
  const natural = headers.map((header, index) => Math.max(header.length, ...cells.map((line) => (line[index] as string).length)));
  const widths = fit(natural, headers, columns);
  const line = (values: string[]) =>
    values
      .map((value, index) => {
        const width = widths[index] as number;
        return index === values.length - 1 ? truncate(value, width) : truncate(value, width).padEnd(width);
      })
      .join("  ")
      .trimEnd();
  const header = colors.bold(line(headers));
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return `${[header, rule, ...cells.map(line)].join("\n")}\n`;
}

/** az's generic table: the top-level scalar properties, with their first letter capitalised. */
export function genericRows(value: unknown): Row[] {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) return { Result: item };
    const row: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(item as Record<string, unknown>)) {
      if (field !== null && typeof field === "object") continue;
      row[key.charAt(0).toUpperCase() + key.slice(1)] = field;
    }
    return row;
  });
}

/** One object as two columns, Property and Value, nested values as JSON: what `show -o table` prints. */
export function propertyRows(value: Readonly<Record<string, unknown>>): Row[] {
  return Object.entries(value)
    .filter(([, field]) => field !== undefined)
    .map(([key, field]) => ({ Property: key, Value: field }));
}
