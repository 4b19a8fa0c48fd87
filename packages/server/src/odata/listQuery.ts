/**
 * The one list engine's request side (architecture.md invariant 6): `$filter`, `$select`, `$expand`, `maxresults`
 * and the continuation token, for every list operation; and the response side: the paged body with an absolute
 * `odata.nextLink` that repeats api-version and every original option, because clients GET it verbatim (Python
 * even runs `str.format` over it, so it must be absolute and carry no raw braces).
 */
import { limits, serviceError, type Predicate } from "@openbatch/core";
import { filterableProperties, wireModels, type FilterTarget, type OperationSpec, type TSchema } from "@openbatch/protocol";
import { parseFilter } from "./filter.js";

/** The continuation parameter's name, as the real service reportedly calls it. */
export const skipTokenParameter = "$skiptoken";

export interface ListOptions {
  readonly filter?: Predicate;
  readonly select?: readonly string[];
  readonly expandStats: boolean;
  readonly maxResults: number;
  /** The keyset cursor carried by `$skiptoken`. */
  readonly afterKey?: string;
}

/**
 * The list options of a request, parsed as their declared types by the pipeline (protocol queryParameters.ts): a
 * handler passes its typed `query`.
 */
export interface ListQuery {
  readonly $filter?: string;
  readonly $select?: string;
  readonly $expand?: string;
  readonly maxresults?: number;
  readonly $skiptoken?: string;
}

function invalidParameter(name: string, value: string, reason: string, code: "InvalidQueryParameterValue" | "OutOfRangeQueryParameterValue" = "InvalidQueryParameterValue") {
  return serviceError(code, {
    message: `The value for the query parameter '${name}' is invalid: ${reason}`,
    values: [
      { key: "QueryParameterName", value: name },
      { key: "QueryParameterValue", value },
      { key: "Reason", value: reason },
    ],
  });
}

export function encodeSkipToken(key: string): string {
  return Buffer.from(JSON.stringify({ after: key }), "utf8").toString("base64url");
}

function decodeSkipToken(token: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown;
    if (decoded !== null && typeof decoded === "object" && typeof (decoded as { after?: unknown }).after === "string") {
      return (decoded as { after: string }).after;
    }
  } catch {
    // fall through to the error below
  }
  throw invalidParameter(skipTokenParameter, token, "the continuation token is not one this server issued");
}

export interface ListOptionRules {
  /** Which filter table applies; undefined when the list takes no `$filter`. */
  readonly filterTarget?: FilterTarget;
  readonly maxResultsDefault?: number;
  readonly maxResultsMax?: number;
}

/** Reads the list options of a request, refusing malformed values with a 400 that names the parameter. */
export function parseListOptions(query: ListQuery, rules: ListOptionRules): ListOptions {
  const maxMax = rules.maxResultsMax ?? limits.maxResultsMax;
  const maxResults = query.maxresults ?? rules.maxResultsDefault ?? limits.maxResultsDefault;
  if (query.maxresults !== undefined && (maxResults < 1 || maxResults > maxMax)) {
    throw invalidParameter("maxresults", String(query.maxresults), `maxresults must be between 1 and ${maxMax}`, "OutOfRangeQueryParameterValue");
  }
  const rawFilter = query.$filter;
  const filter =
    rawFilter === undefined || rawFilter.trim() === "" || rules.filterTarget === undefined
      ? undefined
      : parseFilter(rawFilter, filterableProperties[rules.filterTarget]);
  const rawSelect = query.$select;
  const select = rawSelect === undefined || rawSelect.trim() === "" ? undefined : parseSelect(rawSelect);
  const rawExpand = query.$expand;
  const expandStats = rawExpand !== undefined && rawExpand.trim() !== "" && parseExpand(rawExpand);
  const token = query.$skiptoken;
  return {
    maxResults,
    expandStats,
    ...(filter === undefined ? {} : { filter }),
    ...(select === undefined ? {} : { select }),
    ...(token === undefined ? {} : { afterKey: decodeSkipToken(token) }),
  };
}

/**
 * Reads a `$select` list. With `selectable` (the entity's top-level wire properties), a name the entity does not have
 * is refused with a 400 naming it, rather than silently answering an empty object.
 */
export function parseSelect(raw: string, selectable?: ReadonlySet<string>): string[] {
  const names = raw.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw invalidParameter("$select", raw, `'${name}' is not a property name`);
    if (selectable !== undefined && !selectable.has(name)) {
      throw invalidParameter("$select", raw, `'${name}' is not a property of the selected entity`);
    }
  }
  return names;
}

const selectableByModel = new Map<string, ReadonlySet<string>>();

/**
 * The top-level wire properties `$select` may name for an operation, read from the protocol model it answers with:
 * the model itself, or for a `{ value: [...] }` result (the subtask list) the model of its items. Undefined when the
 * operation takes no `$select`.
 */
export function selectableProperties(operation: OperationSpec): ReadonlySet<string> | undefined {
  if (!operation.query.includes("$select") || operation.responseBody === undefined) return undefined;
  const modelName = operation.responseBody;
  let selectable = selectableByModel.get(modelName);
  if (selectable === undefined) {
    const schema = wireModels[modelName as keyof typeof wireModels] as TSchema | undefined;
    if (schema === undefined) throw new Error(`${operation.operationId} answers with ${modelName}, which is not a wire model`);
    const entity = operation.paged === true ? schema : (itemsOfValueArray(schema) ?? schema);
    selectable = new Set(Object.keys((entity as { properties?: object }).properties ?? {}));
    selectableByModel.set(modelName, selectable);
  }
  return selectable;
}

function itemsOfValueArray(schema: TSchema): TSchema | undefined {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (properties === undefined || Object.keys(properties).length !== 1) return undefined;
  const value = properties["value"] as (TSchema & { items?: TSchema }) | undefined;
  return value?.type === "array" ? value.items : undefined;
}

/** `$expand` accepts only `stats`; returns true when it asks for it. */
export function parseExpand(raw: string): boolean {
  const values = raw.split(",").map((value) => value.trim());
  for (const value of values) {
    if (value !== "stats") throw invalidParameter("$expand", raw, `'${value}' cannot be expanded; the only expandable property is 'stats'`);
  }
  return true;
}

/** Keeps only the `$select`ed top-level properties of an entity. */
export function project<T extends object>(entity: T, select: readonly string[] | undefined): Partial<T> {
  if (select === undefined) return entity;
  const projected: Record<string, unknown> = {};
  for (const name of select) if (Object.hasOwn(entity, name)) projected[name] = (entity as Record<string, unknown>)[name];
  return projected as Partial<T>;
}

/**
 * The absolute URL of the next page: the request's own URL with every original query option (api-version,
 * `$filter`, `$select`, `$expand`, `maxresults`, …) and a fresh `$skiptoken`, each value percent-encoded.
 */
export function nextLink(baseUrl: string, rawPath: string, query: ReadonlyMap<string, string>, nextKey: string): string {
  const parts: string[] = [];
  for (const [name, value] of query) {
    if (name === skipTokenParameter) continue;
    // `$` is kept literal in names ($filter, $select): both clients decode it either way, and it reads better.
    parts.push(`${encodeURIComponent(name).replace(/^%24/, "$")}=${encodeURIComponent(value)}`);
  }
  parts.push(`${skipTokenParameter}=${encodeSkipToken(nextKey)}`);
  return `${baseUrl}${rawPath}?${parts.join("&")}`;
}
