/**
 * Builders for handler results, so every entity and list answers in the same OData shape:
 * entities carry `odata.metadata` `{base}/$metadata#{set}/@Element` first, lists `{base}/$metadata#{set}` with
 * `value` and, when more remain, an absolute `odata.nextLink`.
 */
import type { EntityVersion, OperationResult, RequestContext } from "./context.js";
import { nextLink } from "../odata/listQuery.js";

export function entityResult(ctx: RequestContext, set: string, entity: object, version?: EntityVersion): OperationResult {
  return {
    body: { "odata.metadata": `${ctx.baseUrl}/$metadata#${set}/@Element`, ...entity },
    ...(version === undefined ? {} : { version }),
  };
}

export function listResult(ctx: RequestContext, set: string, items: readonly object[], nextKey?: string): OperationResult {
  return {
    body: {
      "odata.metadata": `${ctx.baseUrl}/$metadata#${set}`,
      value: items,
      ...(nextKey === undefined ? {} : { "odata.nextLink": nextLink(ctx.baseUrl, ctx.rawPath, ctx.sentQuery, nextKey) }),
    },
  };
}

/** As listResult, from items that are JSON already: the inside of the `value` array (ReadTx.listJson). */
export function listResultFromJson(ctx: RequestContext, set: string, items: Buffer, nextKey?: string): OperationResult {
  const next = nextKey === undefined ? "" : `,"odata.nextLink":${JSON.stringify(nextLink(ctx.baseUrl, ctx.rawPath, ctx.sentQuery, nextKey))}`;
  const head = Buffer.from(`{"odata.metadata":${JSON.stringify(`${ctx.baseUrl}/$metadata#${set}`)},"value":[`);
  return { json: Buffer.concat([head, items, Buffer.from(`]${next}}`)]) };
}

/** The absolute URL of a resource, for `url` properties and DataServiceId. */
export function resourceUrl(ctx: RequestContext, ...segments: string[]): string {
  return `${ctx.baseUrl}/${segments.map(encodeURIComponent).join("/")}`;
}
