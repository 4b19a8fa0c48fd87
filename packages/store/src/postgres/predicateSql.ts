/**
 * Translates a list Predicate into a PostgreSQL WHERE fragment over `entities.body` (jsonb), with the same results
 * as the SQLite translation (../sqlite/predicateSql.ts) and the in-memory matcher (core `matchesPredicate`):
 *
 * - Strings (string, datetime, enum, case-insensitive) compare as text in the "C" collation, byte order as in
 *   SQLite, whatever the database's default collation; enum and case-insensitive fields are `lower()`ed, which in
 *   "C" changes ASCII letters only, as SQLite's `lower()` does.
 * - Numbers and booleans compare as jsonb (numerically; `false < true`), so a stray value of another type orders
 *   without a cast error. JSON `null` counts as missing (`NULLIF(…, 'null')`), as `json_extract` makes it SQL NULL.
 * - Two-valued logic: every comparison is true or false, never NULL, so `not` over a missing field is true.
 *
 * String values are escaped as stored bodies are (textEscape.ts). Paths are escaped literals (`body -> 'a' ->> 'b'`), never parameters, so the expressions equal the index
 * expressions of migrations/postgres and the planner can use those. Values are always bound parameters.
 */
import { assertNever, type Literal, type Predicate, type ValueKind } from "@openbatch/core";
import { prefixEnd } from "../keyRange.js";
import { escapeText } from "./textEscape.js";

/** A SQL string literal (standard_conforming_strings: only the quote is special). */
export function pgString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The value at `path` as text (`->>` makes JSON null SQL NULL), in the byte-order collation. */
function textAt(path: readonly string[]): string {
  const keys = path.map(pgString);
  const last = keys.pop() as string;
  return `(${["body", ...keys].join(" -> ")} ->> ${last}) COLLATE "C"`;
}

/** The value at `path` as jsonb, SQL NULL when missing or JSON null. */
function jsonAt(path: readonly string[]): string {
  return `NULLIF(${["body", ...path.map(pgString)].join(" -> ")}, 'null')`;
}

function isJsonKind(kind: ValueKind): boolean {
  return kind === "int" || kind === "double" || kind === "bool";
}

/**
 * The SQL expression of a field. Index expressions (migrations/postgres) must be written exactly as this writes
 * them.
 */
export function pgFieldSql(path: readonly string[], kind: ValueKind): string {
  if (path.length === 1 && path[0] === "id") return "id_key";
  if (path.length === 1 && path[0] === "lastModified") return "modified_at";
  if (isJsonKind(kind)) return jsonAt(path);
  return kind === "caseInsensitiveString" || kind === "enum" ? `lower(${textAt(path)})` : textAt(path);
}

/** The field as text, whatever its kind: for `startswith`. */
function pgTextFieldSql(path: readonly string[], kind: ValueKind): string {
  return isJsonKind(kind) ? textAt(path) : pgFieldSql(path, kind);
}

const sqlOperators = { eq: "=", ne: "<>", gt: ">", ge: ">=", lt: "<", le: "<=" } as const;

/**
 * The fragment for `predicate`; its values are appended to `params` and referenced as `$n`, so the fragment can
 * follow other parameters.
 */
export function pgPredicateSql(predicate: Predicate, params: unknown[]): string {
  const bind = (value: unknown, cast = ""): string => {
    params.push(value);
    return `$${params.length}${cast}`;
  };
  const visit = (node: Predicate): string => {
    switch (node.op) {
      case "and":
      case "or":
        return `(${visit(node.left)} ${node.op.toUpperCase()} ${visit(node.right)})`;
      case "not":
        return `(NOT ${visit(node.operand)})`;
      case "startswith": {
        // On a column of the store's own ("C" collation, never NULL, unescaped text), a range of its index
        // (../keyRange.ts); PostgreSQL text cannot hold U+0000, so such a prefix keeps the escaped comparison.
        const end = isStoreColumn(node.path) && !node.value.includes("\u0000") ? prefixEnd(node.value) : undefined;
        if (end !== undefined) return `(${pgFieldSql(node.path, node.kind)} >= ${bind(node.value, "::text")} AND ${pgFieldSql(node.path, node.kind)} < ${bind(end, "::text")})`;
        return `COALESCE(starts_with(${pgTextFieldSql(node.path, node.kind)}, ${bind(escapeText(node.value), "::text")}), false)`;
      }
      case "eq":
      case "ne":
      case "gt":
      case "ge":
      case "lt":
      case "le": {
        const field = pgFieldSql(node.path, node.kind);
        if (node.value === null) return node.op === "ne" ? `(${field} IS NOT NULL)` : node.op === "eq" ? `(${field} IS NULL)` : "false";
        const value =
          isJsonKind(node.kind) && !isStoreColumn(node.path)
            ? bind(JSON.stringify(node.value satisfies Literal), "::jsonb")
            : bind(typeof node.value === "string" ? textValue(node.path, node.value) : node.value, "::text");
        // `x op v AND x IS NOT NULL` is false, not NULL, on a missing field, and still lets the planner use an index.
        return node.op === "ne" ? `(${field} IS NULL OR ${field} <> ${value})` : `(${field} ${sqlOperators[node.op]} ${value} AND ${field} IS NOT NULL)`;
      }
      default:
        return assertNever(node, "predicate");
    }
  };
  return visit(predicate);
}

/**
 * A string compared with a field: escaped as bodies are (textEscape.ts), except for the store's own columns, which
 * hold ids and times as they are — but text cannot hold U+0000 at all, so such a value is still escaped (it then
 * equals no stored id) rather than sent to fail.
 */
function textValue(path: readonly string[], value: string): string {
  return isStoreColumn(path) && !value.includes("\u0000") ? value : escapeText(value);
}

function isStoreColumn(path: readonly string[]): boolean {
  return path.length === 1 && (path[0] === "id" || path[0] === "lastModified");
}
