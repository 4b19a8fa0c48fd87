/**
 * The OData `$filter` subset the Batch service accepts (semantics.md §13), parsed into a core Predicate.
 *
 *   expr    := or
 *   or      := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | primary
 *   primary := "(" expr ")" | "startswith" "(" path "," literal ")" | path op literal
 *   path    := name ("/" name)*            op := eq | ne | gt | ge | lt | le
 *   literal := 'text' ('' escapes a quote) | number | true | false | null | DateTime'…' | datetime'…'
 *
 * Keywords are case-insensitive, property names case-sensitive (as in the service). Each property must be
 * filterable for the list at hand, with that operator; values are normalised for their property's kind. Any
 * problem is a 400 InvalidQueryParameterValue whose message names the property or token at fault.
 */
import { formatTimestamp, parseHttpDate, parseTimestamp, serviceError, type ComparisonOperator, type Literal, type Predicate, type ServiceError } from "@openbatch/core";
import type { FilterableProperty, FilterOperator } from "@openbatch/protocol";

const maxFilterLength = 8192;
const maxDepth = 32;

type Token =
  | { type: "name"; text: string; at: number }
  | { type: "string"; text: string; at: number }
  | { type: "datetime"; text: string; at: number }
  | { type: "number"; value: number; text: string; at: number }
  | { type: "punct"; text: "(" | ")" | ","; at: number }
  | { type: "end"; at: number };

export function filterError(filter: string, reason: string): ServiceError {
  return serviceError("InvalidQueryParameterValue", {
    message: `The value for the query parameter '$filter' is invalid: ${reason}`,
    values: [
      { key: "QueryParameterName", value: "$filter" },
      { key: "QueryParameterValue", value: filter.length > 500 ? `${filter.slice(0, 500)}…` : filter },
      { key: "Reason", value: reason },
    ],
  });
}

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const readQuoted = (start: number): string => {
    let text = "";
    let j = start + 1;
    for (;;) {
      if (j >= filter.length) throw filterError(filter, `unterminated string starting at position ${start}`);
      const char = filter[j] as string;
      if (char === "'") {
        if (filter[j + 1] === "'") {
          text += "'";
          j += 2;
          continue;
        }
        i = j + 1;
        return text;
      }
      text += char;
      j++;
    }
  };
  while (i < filter.length) {
    const char = filter[i] as string;
    if (/\s/.test(char)) {
      i++;
    } else if (char === "(" || char === ")" || char === ",") {
      tokens.push({ type: "punct", text: char, at: i });
      i++;
    } else if (char === "'") {
      const at = i;
      tokens.push({ type: "string", text: readQuoted(i), at });
    } else if (/[-0-9.]/.test(char)) {
      const match = /^-?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?[dDlLfFmM]?/.exec(filter.slice(i));
      if (match === null) throw filterError(filter, `unexpected '${char}' at position ${i}`);
      const text = match[0];
      tokens.push({ type: "number", value: Number(text.replace(/[dDlLfFmM]$/, "")), text, at: i });
      i += text.length;
    } else if (/[A-Za-z_$]/.test(char)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_$]*(\/[A-Za-z_$][A-Za-z0-9_$]*)*/.exec(filter.slice(i)) as RegExpExecArray;
      const text = match[0];
      const at = i;
      i += text.length;
      if (text.toLowerCase() === "datetime" && filter[i] === "'") {
        tokens.push({ type: "datetime", text: readQuoted(i), at });
      } else {
        tokens.push({ type: "name", text, at });
      }
    } else {
      throw filterError(filter, `unexpected '${char}' at position ${i}`);
    }
  }
  tokens.push({ type: "end", at: filter.length });
  return tokens;
}

const comparisonOps = new Set(["eq", "ne", "gt", "ge", "lt", "le"]);

function describe(token: Token): string {
  return token.type === "end" ? "the end of the filter" : `'${"text" in token ? token.text : ""}' at position ${token.at}`;
}

/** Parses `$filter` for a list whose filterable properties are `properties`. */
export function parseFilter(filter: string, properties: Readonly<Record<string, FilterableProperty>>): Predicate {
  if (filter.length > maxFilterLength) throw filterError(filter, `the filter is longer than ${maxFilterLength} characters`);
  const tokens = tokenize(filter);
  let position = 0;
  const end = tokens[tokens.length - 1] as Token;
  // Reading past the end keeps returning the end token, so every "expected X" error can name it.
  const peek = (): Token => tokens[position] ?? end;
  const next = (): Token => tokens[position++] ?? end;
  const isKeyword = (token: Token, keyword: string) => token.type === "name" && token.text.toLowerCase() === keyword;
  const expectPunct = (text: "(" | ")" | ",") => {
    const token = next();
    if (token.type !== "punct" || token.text !== text) throw filterError(filter, `expected '${text}' but found ${describe(token)}`);
  };

  const property = (token: Token, operator: FilterOperator): { path: string[]; spec: FilterableProperty } => {
    if (token.type !== "name") throw filterError(filter, `expected a property name but found ${describe(token)}`);
    // Own properties only: `__proto__` or `constructor` must not find Object.prototype's.
    const spec = Object.hasOwn(properties, token.text) ? properties[token.text] : undefined;
    if (spec === undefined) {
      const known = Object.keys(properties);
      throw filterError(
        filter,
        `the property '${token.text}' cannot be used in a filter on this list` +
          (known.length > 0 ? ` (filterable: ${known.join(", ")})` : ""),
      );
    }
    if (!spec.operators.includes(operator)) {
      throw filterError(filter, `the operator '${operator}' cannot be used with the property '${token.text}' (allowed: ${spec.operators.join(", ")})`);
    }
    return { path: (spec.field ?? token.text).split("/"), spec };
  };

  const literal = (token: Token, name: string, spec: FilterableProperty): Literal | null => {
    const wrong = () => filterError(filter, `${describe(token)} is not a valid ${spec.kind} value for the property '${name}'`);
    if (token.type === "name" && token.text.toLowerCase() === "null") return null;
    switch (spec.kind) {
      case "string":
        if (token.type !== "string") throw wrong();
        return token.text;
      case "caseInsensitiveString":
      case "enum":
        if (token.type !== "string") throw wrong();
        return token.text.toLowerCase();
      case "int":
        if (token.type !== "number" || !Number.isInteger(token.value)) throw wrong();
        return token.value;
      case "double":
        if (token.type !== "number") throw wrong();
        return token.value;
      case "bool":
        if (token.type !== "name" || !/^(true|false)$/i.test(token.text)) throw wrong();
        return token.text.toLowerCase() === "true";
      case "datetime": {
        if (token.type !== "string" && token.type !== "datetime") throw wrong();
        const date = parseTimestamp(token.text) ?? parseHttpDate(token.text);
        if (date === undefined) throw wrong();
        return formatTimestamp(date);
      }
    }
  };

  const primary = (depth: number): Predicate => {
    const token = next();
    if (token.type === "punct" && token.text === "(") {
      const inner = or(depth + 1);
      expectPunct(")");
      return inner;
    }
    if (isKeyword(token, "startswith") && peek().type === "punct") {
      expectPunct("(");
      const name = next();
      const { path, spec } = property(name, "startswith");
      expectPunct(",");
      const value = next();
      if (value.type !== "string") throw filterError(filter, `startswith needs a quoted string but found ${describe(value)}`);
      expectPunct(")");
      const text = spec.kind === "string" ? value.text : value.text.toLowerCase();
      return { op: "startswith", path, kind: spec.kind, value: text };
    }
    const operatorToken = next();
    const operator = operatorToken.type === "name" ? operatorToken.text.toLowerCase() : "";
    if (!comparisonOps.has(operator)) {
      throw filterError(filter, `expected a comparison operator (eq, ne, gt, ge, lt, le) after ${describe(token)} but found ${describe(operatorToken)}`);
    }
    const { path, spec } = property(token, operator as ComparisonOperator);
    const value = literal(next(), (token as { text: string }).text, spec);
    if (value === null && operator !== "eq" && operator !== "ne") {
      throw filterError(filter, `null can only be compared with eq or ne`);
    }
    return { op: operator as ComparisonOperator, path, kind: spec.kind, value };
  };

  const unary = (depth: number): Predicate => {
    if (depth > maxDepth) throw filterError(filter, `the filter nests deeper than ${maxDepth} levels`);
    if (isKeyword(peek(), "not")) {
      next();
      return { op: "not", operand: unary(depth + 1) };
    }
    return primary(depth);
  };

  const and = (depth: number): Predicate => {
    let left = unary(depth);
    while (isKeyword(peek(), "and")) {
      next();
      left = { op: "and", left, right: unary(depth) };
    }
    return left;
  };

  const or = (depth: number): Predicate => {
    if (depth > maxDepth) throw filterError(filter, `the filter nests deeper than ${maxDepth} levels`);
    let left = and(depth);
    while (isKeyword(peek(), "or")) {
      next();
      left = { op: "or", left, right: and(depth) };
    }
    return left;
  };

  const predicate = or(0);
  const rest = peek();
  if (rest.type !== "end") throw filterError(filter, `unexpected ${describe(rest)}`);
  return predicate;
}
