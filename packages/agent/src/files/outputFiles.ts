/**
 * Uploads a task's output files to blob containers after its process exited (semantics.md §10.2).
 *
 * For each OutputFile whose `uploadCondition` holds for the exit code (`tasksuccess`: 0, `taskfailure`: not 0,
 * `taskcompletion`: any), the pattern (filePattern.ts) is expanded, matched from its base with tinyglobby, and
 * every matching regular file is uploaded as a block blob to `destination.container` (a container URL with a
 * write SAS) under the name filePattern.ts gives it, with the `uploadHeaders` as blob properties and metadata.
 * Zero matches is not an error. Nothing outside the node root is searched or uploaded (architecture.md invariant
 * 8): a pattern whose base (links resolved) leaves it — `/etc/*`, or a link out named literally — is skipped and
 * named in `fileuploaderr.txt`, and wildcards never follow or match symbolic links.
 *
 * Every file is attempted; the first failure is returned as the task's failure (semantics.md §2.4, a
 * `fileUploadError` for the exit conditions): `FileUploadContainerNotFound` (HTTP 404) and
 * `FileUploadAccessDenied` (401/403) are user errors, `FileUploadMiscError` (anything else) a server error — a user
 * error when the destination itself is unusable (not a URL, identityReference). Each run writes
 * `fileuploadout.txt` (one line per uploaded file) and `fileuploaderr.txt` (one line per problem) in the task
 * directory, as Azure does; URLs in them and in messages never include the SAS.
 */
import { realpath, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BlobHTTPHeaders, ContainerClient } from "@azure/storage-blob";
import type { OutputFile, ProcessOutcome } from "@openbatch/protocol";
import { blobPropertyUploadHeaders, uploadMetadataHeaderPrefix } from "@openbatch/protocol";
import { blobNameFor, expandVariables, splitPattern } from "./filePattern.js";
import { isInside } from "./nodePaths.js";
import { blobStorage, classifyStorageError, displayUrl, storageClientOptions } from "./storageErrors.js";

type Failure = NonNullable<ProcessOutcome["failure"]>;

export interface OutputUpload {
  readonly outputFiles: readonly OutputFile[];
  /** The process's exit code, for the upload conditions. */
  readonly exitCode: number;
  readonly nodeRoot: string;
  /** Where `fileuploadout.txt` and `fileuploaderr.txt` go. */
  readonly taskDirectory: string;
  /** Relative patterns start here. */
  readonly workingDirectory: string;
  /** The task's environment, for `$VAR` / `%VAR%` in patterns. */
  readonly environment: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

export function uploadConditionHolds(file: OutputFile, exitCode: number): boolean {
  switch (file.uploadOptions.uploadCondition) {
    case "tasksuccess":
      return exitCode === 0;
    case "taskfailure":
      return exitCode !== 0;
    default:
      return true;
  }
}

/** Blob properties and metadata from `uploadHeaders` (names checked when the task was added). */
export function blobHeadersOf(file: OutputFile): { headers: BlobHTTPHeaders; metadata: Record<string, string> } {
  const headers: BlobHTTPHeaders = {};
  const metadata: Record<string, string> = {};
  for (const header of file.destination.container?.uploadHeaders ?? []) {
    const name = header.name.toLowerCase();
    const value = header.value ?? "";
    if (Object.hasOwn(blobPropertyUploadHeaders, name)) headers[blobPropertyUploadHeaders[name as keyof typeof blobPropertyUploadHeaders]] = value;
    else if (name.startsWith(uploadMetadataHeaderPrefix)) metadata[name.slice(uploadMetadataHeaderPrefix.length)] = value;
  }
  return { headers, metadata };
}

interface Match {
  readonly path: string;
  /** Below the pattern's base (wildcards), or the file name. */
  readonly relativePath: string;
}

async function matchesOf(pattern: string, upload: OutputUpload, realRoot: string, problems: string[]): Promise<{ matches: Match[]; wildcard: boolean }> {
  const { base, glob: wildcards } = splitPattern(expandVariables(pattern, upload.environment), upload.workingDirectory);
  // Never crawl outside the node: a pattern such as `/**` would otherwise walk the whole file system.
  const realBase = await realpath(base).catch(() => undefined);
  if (realBase === undefined) return { matches: [], wildcard: wildcards !== undefined };
  if (!isInside(realRoot, realBase)) {
    problems.push(`${base}: skipped, it leads outside the node's directory (filePattern '${pattern}').`);
    return { matches: [], wildcard: wildcards !== undefined };
  }
  const candidates: Match[] = [];
  if (wildcards === undefined) {
    candidates.push({ path: base, relativePath: base.slice(base.lastIndexOf("/") + 1) });
  } else {
    // Loaded on first use, like the storage SDK (storageErrors.ts): most tasks upload nothing.
    const { glob } = await import("tinyglobby");
    const found = await glob(wildcards, {
      cwd: base,
      dot: false,
      onlyFiles: true,
      followSymbolicLinks: false,
      braceExpansion: false,
      extglob: false,
      expandDirectories: false,
      ...(upload.signal === undefined ? {} : { signal: upload.signal }),
    }).catch(() => [] as string[]);
    for (const relativePath of found.sort()) candidates.push({ path: join(base, relativePath), relativePath });
  }
  const matches: Match[] = [];
  for (const candidate of candidates) {
    const real = await realpath(candidate.path).catch(() => undefined);
    // Only regular files are uploaded: a literal pattern naming a directory, or nothing, matches nothing.
    if (real === undefined || !(await stat(real).then((info) => info.isFile(), () => false))) continue;
    if (!isInside(realRoot, real)) {
      problems.push(`${candidate.path}: skipped, it leads outside the node's directory (filePattern '${pattern}').`);
      continue;
    }
    matches.push(candidate);
  }
  return { matches, wildcard: wildcards !== undefined };
}

function uploadFailure(error: unknown, shown: string, blobName: string): Failure {
  const failure = classifyStorageError(error);
  const details = [
    { name: "ContainerUrl", value: shown },
    { name: "BlobName", value: blobName },
  ];
  if (failure.kind === "notFound") {
    return { code: "FileUploadContainerNotFound", category: "usererror", stage: "fileUpload", details, message: `The container ${shown} for uploading output files was not found (${failure.reason}).` };
  }
  if (failure.kind === "accessDenied") {
    return { code: "FileUploadAccessDenied", category: "usererror", stage: "fileUpload", details, message: `Access to the container ${shown} for uploading output files was denied (${failure.reason}).` };
  }
  return { code: "FileUploadMiscError", category: "servererror", stage: "fileUpload", details, message: `Uploading output file blob '${blobName}' to ${shown} failed: ${failure.reason}.` };
}

/** Uploads the output files; resolves with the first failure, or undefined when everything went up. */
export async function uploadOutputFiles(upload: OutputUpload): Promise<Failure | undefined> {
  const uploaded: string[] = [];
  const problems: string[] = [];
  let first: Failure | undefined;
  const fail = (failure: Failure) => {
    problems.push(failure.message);
    first ??= failure;
  };
  const realRoot = await realpath(upload.nodeRoot);
  for (const [index, file] of upload.outputFiles.entries()) {
    if (!uploadConditionHolds(file, upload.exitCode)) continue;
    const destination = file.destination.container;
    const name = `outputFiles[${index}]`;
    if (destination === undefined || destination.identityReference !== undefined) {
      fail({ code: "FileUploadMiscError", category: "usererror", stage: "fileUpload", message: `${name}.destination needs a container with a SAS containerUrl; managed identities are not supported.` });
      continue;
    }
    const shown = displayUrl(destination.containerUrl);
    const { AnonymousCredential, ContainerClient } = await blobStorage();
    let container: ContainerClient;
    try {
      if (!/^https?:\/\//i.test(destination.containerUrl)) throw new Error("not an http(s) URL");
      container = new ContainerClient(destination.containerUrl, new AnonymousCredential(), storageClientOptions);
    } catch {
      fail({ code: "FileUploadMiscError", category: "usererror", stage: "fileUpload", message: `${name}.destination.container.containerUrl is not a blob container URL.` });
      continue;
    }
    const { matches, wildcard } = await matchesOf(file.filePattern, upload, realRoot, problems);
    const { headers, metadata } = blobHeadersOf(file);
    for (const match of matches) {
      const blobName = blobNameFor(destination.path, match.relativePath, wildcard);
      try {
        await container.getBlockBlobClient(blobName).uploadFile(match.path, {
          blobHTTPHeaders: headers,
          metadata,
          ...(upload.signal === undefined ? {} : { abortSignal: upload.signal }),
        });
        uploaded.push(`${match.path} -> ${shown}/${blobName}`);
      } catch (error) {
        if (upload.signal?.aborted === true) throw upload.signal.reason;
        fail(uploadFailure(error, shown, blobName));
      }
    }
  }
  const lines = (entries: string[]) => (entries.length === 0 ? "" : `${entries.join("\n")}\n`);
  await writeFile(join(upload.taskDirectory, "fileuploadout.txt"), lines(uploaded));
  await writeFile(join(upload.taskDirectory, "fileuploaderr.txt"), lines(problems));
  return first;
}
