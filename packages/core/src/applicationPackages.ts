/**
 * Application package rules shared by the server (which resolves references and validates uploads) and the agent
 * (which installs packages on nodes). Pure: names and checks only.
 *
 * - Versions: letters, digits, `.`, `-`, `_`, 1–64 characters (what the management plane accepts).
 * - A node's copy of a package lives in `applications/<appid><version>.<hash>` (semantics.md §2.10: the application
 *   id lower-cased, then the version, then a content hash), so two versions, or two uploads of one version with
 *   different content, never share a directory.
 * - Environment variables (semantics.md §2.9, Linux): `AZ_BATCH_APP_PACKAGE_<id>_<version>` with every character
 *   that is not a letter or digit replaced by `_`; without the version suffix when the reference named no version
 *   (the default version was deployed). The service lower-cases the name on Linux (observed) while its environment
 *   variable page writes it upper-cased (`AZ_BATCH_APP_PACKAGE_FOO_1`); both spellings are set so that scripts
 *   written against either work.
 */

const versionPattern = /^[A-Za-z0-9_.-]{1,64}$/;

/** Why `version` is not a valid application version, or undefined when it is. */
export function applicationVersionProblem(version: unknown): string | undefined {
  if (typeof version !== "string" || !versionPattern.test(version)) {
    return "The application version may contain only letters, digits, '.', '-' and '_' (1 to 64 characters).";
  }
  return undefined;
}

/** The directory, under the node's `applications/`, that holds one deployed package. */
export function applicationPackageDirectoryName(applicationId: string, version: string, sha256: string): string {
  return `${applicationId.toLowerCase()}${version}.${sha256.slice(0, 16).toLowerCase()}`;
}

const packagePrefix = "AZ_BATCH_APP_PACKAGE_";

function flatten(text: string): string {
  return text.replace(/[^A-Za-z0-9]/g, "_");
}

/**
 * The environment variable names that point at a deployed package: the versioned names always, the unversioned
 * ones when the reference named no version. Each in the lower-cased and the upper-cased spelling.
 */
export function applicationPackageVariableNames(applicationId: string, version: string, referencedWithoutVersion: boolean): string[] {
  const suffixes = [flatten(`${applicationId}_${version}`)];
  if (referencedWithoutVersion) suffixes.push(flatten(applicationId));
  const names = new Set<string>();
  for (const suffix of suffixes) {
    names.add(packagePrefix + suffix.toLowerCase());
    names.add(packagePrefix + suffix.toUpperCase());
  }
  return [...names];
}

/**
 * Why a zip entry name may not be extracted, or undefined when it may: it must be a relative path inside the
 * target directory — no absolute or drive-letter paths, no backslashes, no `..` segments, no NUL, not empty.
 */
export function zipEntryPathProblem(name: string): string | undefined {
  if (name === "" || name === "/") return "The entry has an empty name.";
  if (name.includes("\0")) return "The entry name contains a NUL character.";
  if (name.includes("\\")) return "The entry name contains a backslash.";
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return "The entry name is an absolute path.";
  if (name.split("/").includes("..")) return "The entry name contains a '..' segment.";
  return undefined;
}

/**
 * Whether a zip entry is a symbolic link: made on Unix (`versionMadeBy` high byte 3) with the link file type in
 * the upper half of its external attributes. Packages may hold files and directories only.
 */
export function isZipSymlinkEntry(entry: { readonly versionMadeBy: number; readonly externalFileAttributes: number }): boolean {
  return entry.versionMadeBy >> 8 === 3 && ((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000;
}
