/**
 * Translates a list Predicate into a SQLite WHERE fragment over the `entities` table, so filters run in the
 * database rather than over whole tables in memory. Field paths become `json_extract(body, '$."a"."b"')`, except
 * the columns the store owns (`id` → id_key, `lastModified` → modified_at). Values are always bound parameters.
 */
import { assertNever, type Literal, type Predicate, type ValueKind } from "@openbatch/core";

export interface SqlFragment {
  readonly sql: string;
  readonly params: (string | number | null)[];
}

const sqlOperators = { eq: "=", ne: "<>", gt: ">", ge: ">=", lt: "<", le: "<=" } as const;

function jsonPath(path: readonly string[]): string {
  return "$" + path.map((segment) => `."${segment.replace(/"/g, '""')}"`).join("");
}

function column(path: readonly string[], kind: ValueKind, params: SqlFragment["params"]): string {
  if (path.length === 1 && path[0] === "id") return "id_key";
  if (path.length === 1 && path[0] === "lastModified") return "modified_at";
  params.push(jsonPath(path).replace(/'/g, "''"));
  const extracted = "json_extract(body, ?)";
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
        const field = column(node.path, node.kind, params);
        params.push(node.value.length, node.value);
        return `(substr(${field}, 1, ?) = ?)`;
      }
      case "eq":
      case "ne":
      case "gt":
      case "ge":
      case "lt":
      case "le": {
        const field = column(node.path, node.kind, params);
        if (node.value === null) return node.op === "ne" ? `(${field} IS NOT NULL)` : node.op === "eq" ? `(${field} IS NULL)` : "(0)";
        params.push(bind(node.value));
        // A missing field is "not equal" to any value, as the in-memory matcher says.
        return node.op === "ne" ? `(${field} IS NULL OR ${field} <> ?)` : `(${field} ${sqlOperators[node.op]} ?)`;
      }
      default:
        return assertNever(node, "predicate");
    }
  };
  return { sql: visit(predicate), params };
}
