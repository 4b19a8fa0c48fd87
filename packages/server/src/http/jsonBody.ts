/**
 * Parses a request body as JSON after checking its nesting depth, so that a hostile body (thousands of nested
 * arrays) is refused with 400 InvalidRequestBody before it can exhaust the parser's, the validator's or SQLite's
 * recursion limits. No Batch model nests anywhere near the limit; free-form extension settings get ample room.
 */
import { serviceError } from "@openbatch/core";

export const maxJsonDepth = 64;

/** The deepest nesting of arrays and objects in `text`, stopping early once it exceeds `limit`. */
export function jsonDepth(text: string, limit: number = maxJsonDepth): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c /* \ */) i++;
      else if (char === 0x22 /* " */) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b /* [ */ || char === 0x7b /* { */) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (char === 0x5d /* ] */ || char === 0x7d /* } */) {
      depth--;
    }
  }
  return deepest;
}

/**
 * Refuses a body declared as something other than UTF-8 JSON, rather than reading it as JSON anyway: 400
 * InvalidHeaderValue naming Content-Type. JSON media types (`application/json`, `text/json`, `application/*+json`)
 * with any other parameters (the SDKs' `odata=minimalmetadata`) pass; so does a body without a Content-Type, which
 * is read as JSON (there is nothing else a Batch body can be). A charset other than UTF-8 is refused, since the body
 * would be decoded wrongly.
 */
export function checkJsonContentType(contentType: string | undefined): void {
  if (contentType === undefined || contentType.trim() === "") return;
  const [mediaType = "", ...parameters] = contentType.split(";").map((part) => part.trim());
  const type = mediaType.toLowerCase();
  const isJson = type === "application/json" || type === "text/json" || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(type);
  const charset = parameters
    .map((parameter) => /^charset\s*=\s*"?([^"]*)"?$/i.exec(parameter)?.[1]?.toLowerCase())
    .find((value) => value !== undefined);
  const reason = !isJson
    ? `The request body must be JSON (application/json), not '${mediaType}'.`
    : charset !== undefined && charset !== "utf-8" && charset !== "utf8"
      ? `The request body must be encoded as UTF-8, not '${charset}'.`
      : undefined;
  if (reason === undefined) return;
  throw serviceError("InvalidHeaderValue", {
    message: `The value for the header 'Content-Type' is not supported. ${reason}`,
    values: [
      { key: "HeaderName", value: "Content-Type" },
      { key: "HeaderValue", value: contentType },
      { key: "Reason", value: reason },
    ],
  });
}

export function parseJsonBody(bytes: Buffer): unknown {
  const text = bytes.toString("utf8");
  if (jsonDepth(text) > maxJsonDepth) {
    const reason = `The request body nests objects and arrays deeper than ${maxJsonDepth} levels.`;
    throw serviceError("InvalidRequestBody", { message: reason, values: [{ key: "Reason", value: reason }] });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : "not JSON";
    throw serviceError("InvalidRequestBody", {
      message: `The request body is not valid JSON: ${reason}`,
      values: [{ key: "Reason", value: reason }],
    });
  }
}
