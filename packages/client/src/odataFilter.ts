/**
 * A small typed builder for `$filter` expressions, checked against the protocol's table of filterable properties
 * per list (`filterableProperties`, generated into src/generated/wireTable.ts): a property the list cannot filter on,
 * an operator the list does not support for that property, or a value of the wrong kind is a compile error, and the
 * same checks run when the expression is built (a TypeError, for untyped callers). Values are written in the
 * service's literal syntax: strings and enums quoted with `''` escaping, date-times as `DateTime'…'`, numbers and
 * booleans bare.
 *
 *   const f = odataFilter("pools");
 *   client.pool.list({ filter: f.and(f.eq("state", "active"), f.startsWith("id", "render-")) });
 *   // → "(state eq 'active') and (startswith(id,'render-'))"
 */
import { filterableProperties, type FilterOperator, type FilterTarget } from "./generated/wireTable.js";

type Properties<T extends FilterTarget> = (typeof filterableProperties)[T];

/** The properties list `T` can be filtered on with `operator` (any supported operator when omitted). */
export type FilterProperty<T extends FilterTarget, Operator extends FilterOperator = FilterOperator> = {
  [P in keyof Properties<T>]: Properties<T>[P] extends { readonly operators: readonly (infer Supported)[] } ? (Operator extends Supported ? P : never) : never;
}[keyof Properties<T>] &
  string;

/** A comparison value: Date or ISO string for date-times, number, boolean or string, per the property's kind. */
export type FilterValue = string | number | boolean | Date;

type ValueOfKind<Kind> = Kind extends "datetime" ? Date | string : Kind extends "int" | "double" ? number : Kind extends "bool" ? boolean : string;

/** The value type property `P` of list `T` compares with. */
export type FilterValueOf<T extends FilterTarget, P extends keyof Properties<T>> = Properties<T>[P] extends { readonly kind: infer Kind } ? ValueOfKind<Kind> : never;

export interface ODataFilterBuilder<T extends FilterTarget> {
  eq<P extends FilterProperty<T, "eq">>(property: P, value: FilterValueOf<T, P>): string;
  ne<P extends FilterProperty<T, "ne">>(property: P, value: FilterValueOf<T, P>): string;
  gt<P extends FilterProperty<T, "gt">>(property: P, value: FilterValueOf<T, P>): string;
  ge<P extends FilterProperty<T, "ge">>(property: P, value: FilterValueOf<T, P>): string;
  lt<P extends FilterProperty<T, "lt">>(property: P, value: FilterValueOf<T, P>): string;
  le<P extends FilterProperty<T, "le">>(property: P, value: FilterValueOf<T, P>): string;
  startsWith(property: FilterProperty<T, "startswith">, prefix: string): string;
  /** All of the expressions (each parenthesised). */
  and(...expressions: string[]): string;
  /** Any of the expressions (each parenthesised). */
  or(...expressions: string[]): string;
}

/** Quotes a string literal: `it's` → `'it''s'`. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function literal(kind: string, value: unknown, property: string): string {
  switch (kind) {
    case "datetime": {
      const text = value instanceof Date ? value.toISOString() : typeof value === "string" ? value : undefined;
      if (text === undefined || Number.isNaN(Date.parse(text))) throw new TypeError(`${property} compares with a Date or an ISO-8601 string`);
      return `DateTime'${text}'`;
    }
    case "int":
    case "double":
      if (typeof value !== "number" || !Number.isFinite(value) || (kind === "int" && !Number.isInteger(value))) {
        throw new TypeError(`${property} compares with ${kind === "int" ? "an integer" : "a number"}`);
      }
      return String(value);
    case "bool":
      if (typeof value !== "boolean") throw new TypeError(`${property} compares with a boolean`);
      return String(value);
    default:
      if (typeof value !== "string") throw new TypeError(`${property} compares with a string`);
      return odataString(value);
  }
}

function combine(operator: "and" | "or", expressions: string[]): string {
  const parts = expressions.filter((expression) => expression.trim() !== "");
  if (parts.length === 0) throw new TypeError(`${operator}() needs at least one expression`);
  return parts.length === 1 ? (parts[0] as string) : parts.map((part) => `(${part})`).join(` ${operator} `);
}

/** A filter builder for one list: `pools`, `nodes`, `jobs`, `jobsFromSchedule`, `jobSchedules`, `tasks`, `files`, … */
export function odataFilter<T extends FilterTarget>(target: T): ODataFilterBuilder<T> {
  const properties = filterableProperties[target] as Record<string, { kind: string; operators: readonly string[] }> | undefined;
  if (properties === undefined) throw new TypeError(`Unknown filter target ${String(target)}`);
  const property = (name: string, operator: string) => {
    const spec = properties[name];
    if (spec === undefined) throw new TypeError(`${target} cannot be filtered on ${name}`);
    if (!spec.operators.includes(operator)) throw new TypeError(`${target}: ${name} does not support ${operator}`);
    return spec;
  };
  const compare = (operator: string) => (name: string, value: unknown) => `${name} ${operator} ${literal(property(name, operator).kind, value, name)}`;
  return {
    eq: compare("eq"),
    ne: compare("ne"),
    gt: compare("gt"),
    ge: compare("ge"),
    lt: compare("lt"),
    le: compare("le"),
    startsWith: (name: string, prefix: string) => {
      property(name, "startswith");
      if (typeof prefix !== "string") throw new TypeError("startsWith takes a string prefix");
      return `startswith(${name},${odataString(prefix)})`;
    },
    and: (...expressions: string[]) => combine("and", expressions),
    or: (...expressions: string[]) => combine("or", expressions),
  } as ODataFilterBuilder<T>;
}
