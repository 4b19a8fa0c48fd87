/**
 * The file operations behind the file server, on one node's directory tree: list, properties, delete. Paths go
 * through nodePaths.ts first; errors are FileApiErrors.
 *
 * Listing: entries are named by their path relative to the node root (`startup/stdout.txt`), `/`-separated,
 * sorted by name, directories included; `recursive` descends depth-first. Symbolic links are listed with their
 * target's properties when the target lies inside the node root, and left out otherwise (dangling links or links
 * leaving the node); the listing never descends through a link, so link cycles cannot loop it.
 */
import { lstat, readdir, realpath, rm, rmdir, stat, unlink } from "node:fs/promises";
import type { Stats } from "node:fs";
import { join, relative, sep } from "node:path";
import { FileApiError } from "./fileApiError.js";
import { isInside, resolveExisting, resolveForDeletion } from "./nodePaths.js";

export interface NodeFileProperties {
  /** Path relative to the node root, `/`-separated (`''` for the root). */
  readonly name: string;
  readonly isDirectory: boolean;
  /** Bytes; 0 for directories. */
  readonly contentLength: number;
  /** ISO-8601; absent where the file system does not record a birth time. */
  readonly creationTime?: string;
  /** ISO-8601. */
  readonly lastModified: string;
  /** Octal `st_mode`, seven digits with the file type: `0100644` (file), `0040755` (directory). */
  readonly fileMode: string;
}

/** Octal mode string as Batch reports it for Linux nodes. */
export function formatFileMode(mode: number): string {
  return `0${mode.toString(8).padStart(6, "0")}`;
}

export function propertiesOf(name: string, stats: Stats): NodeFileProperties {
  const isDirectory = stats.isDirectory();
  return {
    name,
    isDirectory,
    contentLength: isDirectory ? 0 : stats.size,
    ...(stats.birthtimeMs > 0 ? { creationTime: stats.birthtime.toISOString() } : {}),
    lastModified: stats.mtime.toISOString(),
    fileMode: formatFileMode(stats.mode),
  };
}

function toName(realRoot: string, path: string): string {
  return relative(realRoot, path).split(sep).join("/");
}

/** Properties of a path under the node root, links followed; plus its real path for reading. */
export async function fileProperties(root: string, path: string): Promise<{ properties: NodeFileProperties; real: string }> {
  const resolved = await resolveExisting(root, path);
  const stats = await stat(resolved.real);
  return { properties: propertiesOf(resolved.name, stats), real: resolved.real };
}

/** Lists a directory under the node root. Throws FileNotFound, InvalidFilePath, NotADirectory. */
export async function listNodeFiles(root: string, path: string, recursive: boolean): Promise<NodeFileProperties[]> {
  const resolved = await resolveExisting(root, path);
  if (!(await stat(resolved.real)).isDirectory()) {
    throw new FileApiError("NotADirectory", `The path '${resolved.name}' is not a directory.`);
  }
  const files: NodeFileProperties[] = [];
  await walk(resolved.realBase, resolved.real, recursive, files);
  return files;
}

async function walk(realRoot: string, directory: string, recursive: boolean, files: NodeFileProperties[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    // Removed while listing, or unreadable: list what can be listed.
    if (["ENOENT", "ENOTDIR", "EACCES", "EPERM"].includes((error as NodeJS.ErrnoException).code ?? "")) return;
    throw error;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(directory, entry.name);
    const name = toName(realRoot, path);
    try {
      if (entry.isSymbolicLink()) {
        const target = await realpath(path);
        if (!isInside(realRoot, target)) continue;
        files.push(propertiesOf(name, await stat(target)));
        continue;
      }
      const stats = await lstat(path);
      files.push(propertiesOf(name, stats));
      if (recursive && stats.isDirectory()) await walk(realRoot, path, recursive, files);
    } catch (error) {
      if (["ENOENT", "ENOTDIR", "ELOOP", "EACCES", "EPERM"].includes((error as NodeJS.ErrnoException).code ?? "")) continue;
      throw error;
    }
  }
}

/**
 * Deletes a file, a link (not its target), an empty directory, or with `recursive` a directory tree. Throws
 * FileNotFound, InvalidFilePath (the root itself), DirectoryNotEmpty.
 */
export async function deleteNodeFile(root: string, path: string, recursive: boolean): Promise<void> {
  const target = await resolveForDeletion(root, path);
  const stats = await lstat(target.entry);
  if (!stats.isDirectory()) {
    await unlink(target.entry);
    return;
  }
  if (recursive) {
    await rm(target.entry, { recursive: true, force: true });
    return;
  }
  try {
    await rmdir(target.entry);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTEMPTY" || code === "EEXIST") {
      throw new FileApiError("DirectoryNotEmpty", `The directory '${target.name}' is not empty; delete it recursively.`);
    }
    throw error;
  }
}
