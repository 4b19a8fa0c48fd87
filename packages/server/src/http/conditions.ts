/**
 * Conditional requests (rest-api.md §1.2, semantics.md §12.2): If-Match / If-None-Match (ETags, `*` allowed) and
 * If-Modified-Since / If-Unmodified-Since (RFC 1123). An unmet condition is 412 ConditionNotMet on writes; on reads an
 * unmet If-None-Match / If-Modified-Since is 304 Not Modified with no body, an unmet If-Match /
 * If-Unmodified-Since is 412.
 */
import { parseHttpDate, serviceError, type ServiceError } from "@openbatch/core";
import type { RequestContext, EntityVersion } from "./context.js";
import { header } from "./headers.js";

function httpDate(ctx: RequestContext, name: string): Date | undefined {
  const raw = header(ctx.headers, name);
  if (raw === undefined) return undefined;
  const date = parseHttpDate(raw);
  if (date === undefined) {
    throw serviceError("InvalidHeaderValue", {
      message: `The value for the header '${name}' is not a valid RFC 1123 date.`,
      values: [
        { key: "HeaderName", value: name },
        { key: "HeaderValue", value: raw },
      ],
    });
  }
  return date;
}

function etagList(raw: string): string[] {
  return raw.split(",").map((tag) => tag.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1"));
}

/** Seconds precision: HTTP dates carry no fractions. */
function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function notMet(status: 304 | 412, reason: string): ServiceError {
  return serviceError("ConditionNotMet", { status, values: [{ key: "Reason", value: reason }] });
}

/** True when the request carries any condition header this operation accepts. */
export function hasConditions(ctx: RequestContext): boolean {
  return ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"].some((name) => header(ctx.headers, name) !== undefined);
}

/**
 * The ETag a write must still find for the request's conditions to hold — the version `checkConditions` checked
 * them against — or undefined when the request has none: without conditions the write applies to whatever version
 * it finds (a pool the reconciler is writing can still be deleted or resized).
 */
export function conditionedETag(ctx: RequestContext, checked: EntityVersion): string | undefined {
  return hasConditions(ctx) ? checked.eTag : undefined;
}

/**
 * Throws ConditionNotMet unless the request's conditions hold for `current` (undefined = the entity does not exist).
 * `isRead` decides between 304 and 412 for the "not modified" conditions.
 */
export function checkConditions(ctx: RequestContext, current: EntityVersion | undefined, isRead: boolean): void {
  const accepted = ctx.operation.conditions;
  if (accepted === "none") return;
  if (accepted === "all") {
    const ifMatch = header(ctx.headers, "if-match");
    if (ifMatch !== undefined) {
      const tags = etagList(ifMatch);
      if (current === undefined || !(tags.includes("*") || tags.includes(current.eTag))) {
        throw notMet(412, "If-Match does not match the resource's current ETag");
      }
    }
    const ifNoneMatch = header(ctx.headers, "if-none-match");
    if (ifNoneMatch !== undefined && current !== undefined) {
      const tags = etagList(ifNoneMatch);
      if (tags.includes("*") || tags.includes(current.eTag)) {
        throw notMet(isRead ? 304 : 412, "If-None-Match matches the resource's current ETag");
      }
    }
  }
  const ifUnmodifiedSince = httpDate(ctx, "if-unmodified-since");
  if (ifUnmodifiedSince !== undefined && current !== undefined && seconds(current.lastModified) > seconds(ifUnmodifiedSince)) {
    throw notMet(412, "The resource has been modified since the If-Unmodified-Since time");
  }
  const ifModifiedSince = httpDate(ctx, "if-modified-since");
  if (ifModifiedSince !== undefined && current !== undefined && seconds(current.lastModified) <= seconds(ifModifiedSince)) {
    throw notMet(isRead ? 304 : 412, "The resource has not been modified since the If-Modified-Since time");
  }
}
