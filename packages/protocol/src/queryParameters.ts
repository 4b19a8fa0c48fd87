/**
 * The operation-specific query parameters of the Batch API and the type of each (rest-api.md §1.5). A name means the
 * same thing on every operation that takes it, so it is declared once here and operations list the names they take
 * (`query` in operations.ts). `parseQueryParameters` turns the strings of a request into those types, refusing a
 * malformed value with 400 InvalidQueryParameterValue naming the parameter; ranges that differ per operation (the
 * largest `maxresults`) are the caller's to check.
 */
import { parseTimestamp, serviceError, type ServiceError } from "@openbatch/core";

/** `integer` is a non-negative whole number: every integer option of the API is a count or a number of seconds. */
export type QueryParameterType = "string" | "integer" | "boolean" | "date-time";

export const queryParameters = {
  $filter: "string",
  $select: "string",
  $expand: "string",
  /** The continuation token of a paged list; every paged operation takes it (operations.ts `paged`). */
  $skiptoken: "string",
  maxresults: "integer",
  recursive: "boolean",
  starttime: "date-time",
  endtime: "date-time",
  recoverafterseconds: "integer",
} as const satisfies Record<string, QueryParameterType>;

export type QueryParameterName = keyof typeof queryParameters;

interface QueryValueTypes {
  string: string;
  integer: number;
  boolean: boolean;
  "date-time": Date;
}

/** The parsed value of a query parameter: `maxresults` → number, `starttime` → Date, `recursive` → boolean. */
export type QueryParameterValue<Name extends QueryParameterName> = QueryValueTypes[(typeof queryParameters)[Name]];

export function isQueryParameterName(name: string): name is QueryParameterName {
  return Object.hasOwn(queryParameters, name);
}

function invalid(name: string, value: string, reason: string): ServiceError {
  return serviceError("InvalidQueryParameterValue", {
    message: `The value for the query parameter '${name}' is invalid: ${reason}`,
    values: [
      { key: "QueryParameterName", value: name },
      { key: "QueryParameterValue", value },
      { key: "Reason", value: reason },
    ],
  });
}

/** One query value as its declared type, or a 400 naming the parameter. */
export function parseQueryValue(name: QueryParameterName, raw: string): string | number | boolean | Date {
  switch (queryParameters[name]) {
    case "string":
      return raw;
    case "integer":
      if (!/^\d+$/.test(raw)) throw invalid(name, raw, `${name} must be a whole number`);
      return Number(raw);
    case "boolean":
      if (!/^(true|false)$/i.test(raw)) throw invalid(name, raw, `${name} must be true or false`);
      return raw.toLowerCase() === "true";
    case "date-time": {
      const time = parseTimestamp(raw);
      if (time === undefined) throw invalid(name, raw, `${name} must be an ISO-8601 date-time, such as 2024-03-05T10:00:00Z.`);
      return time;
    }
  }
}

/**
 * The named query parameters of a request, each parsed as its declared type; names not in `accepted` are left out
 * (the caller refuses them before). Returns a plain object keyed by parameter name.
 */
export function parseQueryParameters(
  accepted: readonly QueryParameterName[],
  query: ReadonlyMap<string, string>,
): Partial<Record<QueryParameterName, string | number | boolean | Date>> {
  const parsed: Partial<Record<QueryParameterName, string | number | boolean | Date>> = {};
  for (const name of accepted) {
    const raw = query.get(name);
    if (raw !== undefined) parsed[name] = parseQueryValue(name, raw);
  }
  return parsed;
}
