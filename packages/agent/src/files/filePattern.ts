/**
 * Output-file patterns (semantics.md §10.2), the pure part: variable expansion, splitting a pattern into the
 * directory it starts from and the wildcard part, and the blob name a matched file gets.
 *
 * - Variables: `$NAME`, `${NAME}` and `%NAME%` are replaced by the task's environment values first (so
 *   `$AZ_BATCH_TASK_DIR/out.log` works); unknown variables stay as written.
 * - Wildcards: `*` (within one path segment), `**` (any number of directories), `?`, `[abc]`, `[a-c]`, `[!abc]`;
 *   `[*]` matches a literal `*`. A segment with none of `*`, `?`, `[` is literal. Names starting with `.` match only
 *   a pattern segment that starts with `.` (the matcher's `dot: false`).
 * - Base: the literal leading segments, relative to the working directory (`../std*.txt` reaches the task
 *   directory) or absolute. A pattern without wildcards names one file.
 * - Blob names (OutputFileBlobContainerDestination.path): for a wildcard-free pattern `path` is the blob name
 *   (absent: the file name at the container root); for a wildcard pattern `path` is a virtual directory and each
 *   file keeps its path below the pattern's base (semantics.md leaves this open; we keep it).
 */
import { isAbsolute, resolve } from "node:path";

export function expandVariables(pattern: string, environment: Readonly<Record<string, string>>): string {
  return pattern
    .replace(/%([A-Za-z_][A-Za-z0-9_]*)%/g, (text, name: string) => environment[name] ?? text)
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (text, braced: string | undefined, bare: string | undefined) => environment[(braced ?? bare) as string] ?? text);
}

export interface SplitPattern {
  /** Absolute directory the pattern starts from (or, without wildcards, the file itself). */
  readonly base: string;
  /** The wildcard part, `/`-separated, relative to `base`; undefined when the pattern has no wildcards. */
  readonly glob: string | undefined;
}

function isDynamic(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/** Splits an expanded pattern; relative patterns resolve against `workingDirectory`. */
export function splitPattern(pattern: string, workingDirectory: string): SplitPattern {
  const segments = pattern.split("/");
  const firstDynamic = segments.findIndex(isDynamic);
  const literal = firstDynamic === -1 ? segments : segments.slice(0, firstDynamic);
  const literalPath = literal.join("/") || (pattern.startsWith("/") ? "/" : ".");
  const base = isAbsolute(literalPath) ? resolve(literalPath) : resolve(workingDirectory, literalPath);
  if (firstDynamic === -1) return { base, glob: undefined };
  return { base, glob: segments.slice(firstDynamic).filter((segment) => segment !== "").join("/") };
}

/**
 * The blob name for a matched file: `relativePath` is its `/`-separated path below the base (a wildcard
 * pattern) or its file name (no wildcards).
 */
export function blobNameFor(destinationPath: string | undefined, relativePath: string, wildcard: boolean): string {
  const path = (destinationPath ?? "").replace(/^\/+|\/+$/g, "");
  if (path === "") return relativePath;
  return wildcard ? `${path}/${relativePath}` : path;
}
