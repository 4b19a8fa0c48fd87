/**
 * Parses a single HTTP byte range (`bytes=a-b`, `bytes=a-`, `bytes=-n`) against a file size, as Batch's
 * `ocp-range` header uses it. Multiple ranges, malformed values and ranges starting at or past the end of the
 * file are InvalidRange (416); an end past the end of the file is clamped to the last byte.
 */
import { FileApiError } from "./fileApiError.js";

export interface ByteRange {
  /** First byte, inclusive. */
  readonly start: number;
  /** Last byte, inclusive. */
  readonly end: number;
}

export function parseByteRange(header: string, size: number): ByteRange {
  const invalid = (): FileApiError => new FileApiError("InvalidRange", `The range '${header}' cannot be satisfied for a file of ${size} bytes.`);
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (match === null) throw invalid();
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") throw invalid();
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) throw invalid();
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || end < start) throw invalid();
  return { start, end };
}
