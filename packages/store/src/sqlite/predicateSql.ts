/**
 * Translates a list Predicate into a SQLite WHERE fragment over the `entities` table, so filters run in the
 * database rather than over whole tables in memory. Field paths become `json_extract(body, '$."a"."b"')`, except
 * the columns the store owns (`id` → id_key, `lastModified` → modified_at), compared so that SQLite can read a range
 * of their index. Values are always bound parameters;
 * paths come from the protocol's filterable-property table and are escaped as SQL string literals.
 */
import { assertNever, type Literal, type Predicate, type ValueKind } from "@openbatch/core";
import { prefixEnd } from "../keyRange.js";

export interface SqlFragment {
  readonly sql: string;
  readonly params: (string | number | null)[];
}

const sqlOperators = { eq: "=", ne: "<>", gt: ">", ge: ">=", lt: "<", le: "<=" } as const;

export function jsonPath(path: readonly string[]): string {
  return "$" + path.map((segment) => `."${segment.replace(/"/g, '""')}"`).join("");
}

/** A SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * The SQL expression of a field; the JSON path is an escaped literal so the expression can appear twice. Generated
 * columns (migrations/0003_task_counts.sql) must be defined exactly as this writes their expressions.
 */
/** Fields kept in columns of their own (id → id_key, lastModified → modified_at), NOT NULL. */
export function isStoreColumn(path: readonly string[]): boolean {
  return path.length === 1 && (path[0] === "id" || path[0] === "lastModified");
}

export function fieldSql(path: readonly string[], kind: ValueKind): string {
  if (path.length === 1 && path[0] === "id") return "id_key";
  if (path.length === 1 && path[0] === "lastModified") return "modified_at";
  // Stored generated columns of exactly the expression below (migrations/0003_task_counts.sql): SQLite matches an
  // index on a generated column only when the query names the column.
  if (kind === "enum" || kind === "caseInsensitiveString") {
    if (path.length === 1 && path[0] === "state") return "state";
    if (path.length === 2 && path[0] === "executionInfo" && path[1] === "result") return "result";
  }
  const extracted = `json_extract(body, ${sqlString(jsonPath(path))})`;
  return kind === "caseInsensitiveString" || kind === "enum" ? `lower(${extracted})` : extracted;
}

function bind(value: Literal | null): string | number | null {
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}

export function predicateToSql(predicate: Predicate): SqlFragment {
  const params: SqlFragment["params"] = [];
  const visit = (node: Predicate): string => {
    switch (node.op) {
      case "and":
      case "or":
        return `(${visit(node.left)} ${node.op.toUpperCase()} ${visit(node.right)})`;
      case "not":
        return `(NOT ${visit(node.operand)})`;
      case "startswith": {
        const field = fieldSql(node.path, node.kind);
        const end = isStoreColumn(node.path) ? prefixEnd(node.value) : undefined;
        if (end !== undefined) {
          // A range of the column's index (keyRange.ts): `startswith(id, 't09')` reads only the ids it returns.
          params.push(node.value, end);
          return `(${field} >= ? AND ${field} < ?)`;
        }
        // substr counts characters, not UTF-16 code units.
        params.push(Array.from(node.value).length, node.value);
        return `IFNULL(substr(${field}, 1, ?) = ?, 0)`;
      }
      case "eq":
      case "ne":
      case "gt":
      case "ge":
      case "lt":
      case "le": {
        const field = fieldSql(node.path, node.kind);
        if (node.value === null) return node.op === "ne" ? `(${field} IS NOT NULL)` : node.op === "eq" ? `(${field} IS NULL)` : "(0)";
        params.push(bind(node.value));
        // The store's own columns are never NULL: a plain comparison, which SQLite turns into a range of the key
        // index (`id ge 't0900000'` starts reading there instead of at the job's first task).
        if (isStoreColumn(node.path)) return `(${field} ${sqlOperators[node.op]} ?)`;
        // Two-valued logic, as the in-memory matcher: a missing field is "not equal" to any value and fails every
        // other comparison, so NOT over it is true rather than SQL's NULL.
        // `eq` is written so that SQLite can use an index on the field (IFNULL hides the comparison from it).
        if (node.op === "eq") return `(${field} = ? AND ${field} IS NOT NULL)`;
        return node.op === "ne" ? `(${field} IS NULL OR ${field} <> ?)` : `IFNULL(${field} ${sqlOperators[node.op]} ?, 0)`;
      }
      default:
        return assertNever(node, "predicate");
    }
  };
  return { sql: visit(predicate), params };
}
