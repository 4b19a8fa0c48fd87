/**
 * The list query as data: what an OData `$filter` means once parsed and checked, in a form every store backend can
 * translate into its own query language (SQLite `json_extract`, PostgreSQL `jsonb` paths) and that static catalogues
 * can evaluate directly.
 *
 * Paths name fields of the stored wire entity (`["executionInfo", "exitCode"]`). Values are already normalised for
 * their property's kind: enums lower-cased, date-times in the stored `formatTimestamp` shape, case-insensitive
 * strings lower-cased (and then compared against the lower-cased field).
 */
export type ComparisonOperator = "eq" | "ne" | "gt" | "ge" | "lt" | "le";

export const comparisonOperators: readonly ComparisonOperator[] = ["eq", "ne", "gt", "ge", "lt", "le"];

/** How a field's values compare: decides both normalisation and the SQL that compares them. */
export type ValueKind = "string" | "caseInsensitiveString" | "enum" | "int" | "double" | "bool" | "datetime";

export type Literal = string | number | boolean;

export type Predicate =
  | { readonly op: "and" | "or"; readonly left: Predicate; readonly right: Predicate }
  | { readonly op: "not"; readonly operand: Predicate }
  | {
      readonly op: ComparisonOperator;
      readonly path: readonly string[];
      readonly kind: ValueKind;
      readonly value: Literal | null;
    }
  | { readonly op: "startswith"; readonly path: readonly string[]; readonly kind: ValueKind; readonly value: string };

/** Reads a nested field of a plain JSON object. */
export function readPath(entity: unknown, path: readonly string[]): unknown {
  let current: unknown = entity;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function normalise(value: unknown, kind: ValueKind): unknown {
  if (typeof value !== "string") return value;
  if (kind === "caseInsensitiveString" || kind === "enum") return value.toLowerCase();
  return value;
}

function compare(a: unknown, b: unknown): number | undefined {
  if (a === undefined || a === null || b === null) return undefined;
  if (typeof a !== typeof b) return undefined;
  if (a === b) return 0;
  return (a as string | number) < (b as string | number) ? -1 : 1;
}

/**
 * Evaluates a predicate against one in-memory entity, with the same rules the store backends implement in SQL:
 * a missing field matches `ne` and `eq null`, and never orders.
 */
export function matchesPredicate(entity: unknown, predicate: Predicate): boolean {
  switch (predicate.op) {
    case "and":
      return matchesPredicate(entity, predicate.left) && matchesPredicate(entity, predicate.right);
    case "or":
      return matchesPredicate(entity, predicate.left) || matchesPredicate(entity, predicate.right);
    case "not":
      return !matchesPredicate(entity, predicate.operand);
    case "startswith": {
      const field = normalise(readPath(entity, predicate.path), predicate.kind);
      return typeof field === "string" && field.startsWith(predicate.value);
    }
    default: {
      const field = normalise(readPath(entity, predicate.path), predicate.kind);
      if (predicate.value === null) {
        const present = field !== undefined && field !== null;
        return predicate.op === "ne" ? present : predicate.op === "eq" ? !present : false;
      }
      const order = compare(field, predicate.value);
      if (predicate.op === "ne") return order !== 0;
      if (order === undefined) return false;
      switch (predicate.op) {
        case "eq": return order === 0;
        case "gt": return order > 0;
        case "ge": return order >= 0;
        case "lt": return order < 0;
        case "le": return order <= 0;
      }
    }
  }
}
