/**
 * Path safety for everything that takes a path from outside and touches a node's files (architecture.md
 * invariant 8: nothing escapes a node's directory).
 *
 * A client path is relative to a base directory (the node root, or a task's `wd` for resource files), with `/` as
 * separator. Refused with InvalidFilePath: absolute paths (`/…`), NUL bytes, and any `..` segment (whether or not
 * it would stay inside — `a/../b` is refused too; decoding `%2e%2e` is the HTTP layer's job and yields `..`).
 * Empty and `.` segments are dropped, so `''` and `.` name the base itself. A backslash is an ordinary file-name
 * character on Linux and is kept as such.
 *
 * Symlinks: the real path (all links resolved) of what is read must lie inside the real path of the base; a link
 * pointing outside is refused, a dangling one is FileNotFound. Deletion resolves only the parent directory, so a
 * link inside the base is removed itself and its target is never touched. Creation walks the parents one segment
 * at a time and never creates a directory through a link that leaves the base.
 *
 * Checks and use are not atomic: a process on the node racing to swap a directory for a link between the two could
 * still win. Node processes run as the agent's user anyway; this guards against requests, not against them.
 */
import { lstat, mkdir, realpath } from "node:fs/promises";
import { join, sep } from "node:path";
import { FileApiError } from "./fileApiError.js";

/** The segments of a client path relative to a base directory. Throws FileApiError(InvalidFilePath). */
export function parseRelativePath(path: string): string[] {
  if (path.includes("\0")) throw new FileApiError("InvalidFilePath", "The file path contains a NUL character.");
  if (path.startsWith("/")) throw new FileApiError("InvalidFilePath", `The file path '${path}' must be relative.`);
  const segments = path.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.includes("..")) throw new FileApiError("InvalidFilePath", `The file path '${path}' must not contain '..' segments.`);
  return segments;
}

/** Whether `candidate` is `base` or lies beneath it (both absolute and normalised). */
export function isInside(base: string, candidate: string): boolean {
  return candidate === base || candidate.startsWith(base.endsWith(sep) ? base : base + sep);
}

function notFound(name: string): FileApiError {
  return new FileApiError("FileNotFound", `The file '${name}' does not exist on the node.`);
}

function escapes(name: string): FileApiError {
  return new FileApiError("InvalidFilePath", `The file path '${name}' leads outside the node's directory.`);
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP";
}

/** The real path of `path`; FileNotFound (for the client path `name`) when it, or a link on the way, is missing. */
async function realOrNotFound(path: string, name: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if (isMissing(error)) throw notFound(name);
    throw error;
  }
}

export interface ResolvedPath {
  /** The path relative to the base, `/`-separated, without `.` or empty segments (`''` for the base itself). */
  readonly name: string;
  /** The base's real path. */
  readonly realBase: string;
  /** The real path of the file or directory (links resolved). */
  readonly real: string;
}

/** Resolves an existing path for reading. Throws FileNotFound or InvalidFilePath as FileApiErrors. */
export async function resolveExisting(base: string, path: string): Promise<ResolvedPath> {
  const segments = parseRelativePath(path);
  const name = segments.join("/");
  // A base that does not exist (yet) has no files.
  const realBase = await realOrNotFound(base, name);
  const real = await realOrNotFound(join(realBase, ...segments), name);
  if (!isInside(realBase, real)) throw escapes(name);
  return { name, realBase, real };
}

export interface DeletionTarget {
  readonly name: string;
  readonly realBase: string;
  /** The real parent directory joined with the last segment: the entry itself, not what a link points to. */
  readonly entry: string;
}

/** Resolves a path for deletion: the parent must resolve inside the base; the base itself cannot be deleted. */
export async function resolveForDeletion(base: string, path: string): Promise<DeletionTarget> {
  const segments = parseRelativePath(path);
  const name = segments.join("/");
  const last = segments.pop();
  if (last === undefined) throw new FileApiError("InvalidFilePath", "The node's root directory cannot be deleted.");
  const realBase = await realOrNotFound(base, name);
  const parent = await realOrNotFound(join(realBase, ...segments), name);
  if (!isInside(realBase, parent)) throw escapes(name);
  const entry = join(parent, last);
  try {
    await lstat(entry);
  } catch (error) {
    if (isMissing(error)) throw notFound(name);
    throw error;
  }
  return { name, realBase, entry };
}

/**
 * Resolves a path for writing a new file, creating missing parent directories (mode 0o755) segment by segment
 * inside the base. Returns the absolute path to write; refuses a path whose parent or existing target leaves the
 * base, and a path naming an existing directory or the base itself.
 */
export async function resolveForCreation(base: string, path: string): Promise<string> {
  const segments = parseRelativePath(path);
  const name = segments.join("/");
  const last = segments.pop();
  if (last === undefined) throw new FileApiError("InvalidFilePath", `The file path '${path}' names a directory.`);
  const realBase = await realpath(base);
  let directory = realBase;
  for (const segment of segments) {
    const next = join(directory, segment);
    try {
      await lstat(next);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      await mkdir(next, { mode: 0o755 });
    }
    directory = await realpath(next);
    if (!isInside(realBase, directory)) throw escapes(name);
  }
  const target = join(directory, last);
  try {
    const existing = await realpath(target);
    if (!isInside(realBase, existing)) throw escapes(name);
    if ((await lstat(existing)).isDirectory()) throw new FileApiError("InvalidFilePath", `The file path '${name}' names a directory.`);
  } catch (error) {
    if (error instanceof FileApiError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw error;
    // A dangling link would be followed by the write: refuse it rather than guess where it leads.
    const link = await lstat(target).catch(() => undefined);
    if (link?.isSymbolicLink() === true) throw escapes(name);
  }
  return target;
}
