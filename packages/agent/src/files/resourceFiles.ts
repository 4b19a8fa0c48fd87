/**
 * Downloads resource files into a working directory before a process starts (semantics.md §10.1): a task's `wd`,
 * the start task's `startup/wd`, later job preparation and release tasks.
 *
 * Sources, exactly one per file:
 * - `httpUrl` (http or https) to `filePath`, which is required and names the file;
 * - `storageContainerUrl` (a container URL with a read + list SAS): every blob, or those under `blobPrefix`, to
 *   `filePath/<full blob name>` (`filePath` optional, a directory; the blob's folder structure is kept in full);
 * - `autoStorageContainerName` arrives already resolved by the server into a `storageContainerUrl` (the agent never
 *   holds account keys); an unresolved one fails the download.
 * `filePath` is relative to the working directory and may not leave it (nodePaths.ts: no `..`, no absolute path,
 * no link out). `fileMode` (octal, default `0770`) applies to every file written. Each file goes to a `.part` file
 * renamed into place, so a half-written file never looks complete.
 *
 * The first failure stops the downloads and throws a ResourceFileError carrying the Batch failure code and
 * category (semantics.md §2.4): `BlobNotFound` (HTTP 404, a missing container too) and `BlobAccessDenied`
 * (401/403) are user errors; `BlobDownloadMiscError` (other statuses, network errors) and `ResourceFileWriteFailed`
 * (writing the file failed) are server errors; `ResourceFileCreateFailed` for a bad `filePath`/`fileMode` or source
 * is a user error. No task retry follows (a pre-processing error); transient storage errors are retried within
 * the download by the storage client. An abort (signal) rethrows the abort reason.
 */
import { createWriteStream } from "node:fs";
import { chmod, rename, rm } from "node:fs/promises";
import { posix } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { ContainerClient } from "@azure/storage-blob";
import type { ProcessOutcome, ResourceFile } from "@openbatch/protocol";
import { FileApiError } from "./fileApiError.js";
import { resolveForCreation } from "./nodePaths.js";
import { blobStorage, classifyStorageError, displayUrl, storageClientOptions } from "./storageErrors.js";

export type ResourceFileFailureCode =
  | "BlobNotFound"
  | "BlobAccessDenied"
  | "BlobDownloadMiscError"
  | "ResourceFileCreateFailed"
  | "ResourceFileWriteFailed";

const userErrors: ReadonlySet<ResourceFileFailureCode> = new Set(["BlobNotFound", "BlobAccessDenied", "ResourceFileCreateFailed"]);

export class ResourceFileError extends Error {
  override readonly name = "ResourceFileError";
  constructor(
    readonly code: ResourceFileFailureCode,
    message: string,
  ) {
    super(message);
  }

  get category(): "usererror" | "servererror" {
    return userErrors.has(this.code) ? "usererror" : "servererror";
  }
}

export interface DownloadOptions {
  readonly signal?: AbortSignal;
  /** The property path used in messages. @default "resourceFiles" */
  readonly propertyName?: string;
}

type Failure = NonNullable<ProcessOutcome["failure"]>;

/** The outcome failure for an error thrown by downloadResourceFiles (a pre-processing error). */
export function resourceFileFailure(error: unknown): Failure {
  if (error instanceof ResourceFileError) return { code: error.code, message: error.message, category: error.category, stage: "preProcessing" };
  return { code: "ResourceFileWriteFailed", message: (error as Error).message, category: "servererror", stage: "preProcessing" };
}

function parseFileMode(text: string | undefined): number | undefined {
  if (text === undefined) return 0o770;
  return /^0?[0-7]{3}$/.test(text) ? parseInt(text, 8) : undefined;
}

export async function downloadResourceFiles(files: readonly ResourceFile[], workingDirectory: string, options: DownloadOptions = {}): Promise<void> {
  const property = options.propertyName ?? "resourceFiles";
  for (const [index, file] of files.entries()) {
    const name = `${property}[${index}]`;
    const sources = (["httpUrl", "storageContainerUrl", "autoStorageContainerName"] as const).filter((source) => file[source] !== undefined);
    if (sources.length !== 1) {
      throw new ResourceFileError("ResourceFileCreateFailed", `${name} must have exactly one of httpUrl, storageContainerUrl and autoStorageContainerName.`);
    }
    if (file.identityReference !== undefined) {
      throw new ResourceFileError("BlobAccessDenied", `${name}.identityReference is not supported: OpenBatch nodes have no managed identities; use a SAS URL.`);
    }
    const mode = parseFileMode(file.fileMode);
    if (mode === undefined) throw new ResourceFileError("ResourceFileCreateFailed", `${name}.fileMode '${file.fileMode}' is not an octal file mode.`);
    const target = { workingDirectory, mode, name, signal: options.signal };
    if (file.httpUrl !== undefined) {
      if (file.filePath === undefined || file.filePath === "") {
        throw new ResourceFileError("ResourceFileCreateFailed", `${name}.filePath is required with httpUrl.`);
      }
      await downloadHttp(parseUrl(file.httpUrl, `${name}.httpUrl`), file.filePath, target);
    } else if (file.storageContainerUrl !== undefined) {
      await downloadContainer(parseUrl(file.storageContainerUrl, `${name}.storageContainerUrl`), file.blobPrefix, file.filePath ?? "", target);
    } else {
      throw new ResourceFileError(
        "BlobDownloadMiscError",
        `${name}.autoStorageContainerName '${file.autoStorageContainerName}' was not resolved: the server has no auto-storage account configured.`,
      );
    }
  }
}

interface Target {
  readonly workingDirectory: string;
  readonly mode: number;
  /** `resourceFiles[i]`, for messages. */
  readonly name: string;
  readonly signal: AbortSignal | undefined;
}

function parseUrl(text: string, property: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ResourceFileError("ResourceFileCreateFailed", `${property} is not a valid URL.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ResourceFileError("ResourceFileCreateFailed", `${property} must be an http or https URL.`);
  }
  return url;
}

async function targetPath(target: Target, filePath: string, property: string): Promise<string> {
  try {
    return await resolveForCreation(target.workingDirectory, filePath);
  } catch (error) {
    const reason = error instanceof FileApiError ? error.message : (error as Error).message;
    throw new ResourceFileError("ResourceFileCreateFailed", `${target.name}.${property} cannot be created in the working directory: ${reason}`);
  }
}

async function downloadHttp(url: URL, filePath: string, target: Target): Promise<void> {
  const path = await targetPath(target, filePath, "filePath");
  const { signal, name } = target;
  const shown = displayUrl(url);
  let response: Response;
  try {
    response = await fetch(url, { signal: signal ?? null, redirect: "follow" });
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason;
    throw new ResourceFileError("BlobDownloadMiscError", `${name}: downloading ${shown} failed: ${(error as Error).message}`);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel().catch(() => undefined);
    const code = response.status === 404 ? "BlobNotFound" : response.status === 401 || response.status === 403 ? "BlobAccessDenied" : "BlobDownloadMiscError";
    throw new ResourceFileError(code, `${name}: downloading ${shown} answered HTTP ${response.status}.`);
  }
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  await writeFile(path, target, () => body);
}

async function downloadContainer(url: URL, blobPrefix: string | undefined, directory: string, target: Target): Promise<void> {
  const { signal, name } = target;
  const shown = displayUrl(url);
  const { AnonymousCredential, ContainerClient } = await blobStorage();
  let container: ContainerClient;
  try {
    container = new ContainerClient(url.toString(), new AnonymousCredential(), storageClientOptions);
  } catch {
    throw new ResourceFileError("ResourceFileCreateFailed", `${name}.storageContainerUrl ${shown} is not a blob container URL.`);
  }
  const failed = (error: unknown, what: string): never => {
    if (signal?.aborted === true) throw signal.reason;
    const failure = classifyStorageError(error);
    const code = failure.kind === "notFound" ? "BlobNotFound" : failure.kind === "accessDenied" ? "BlobAccessDenied" : "BlobDownloadMiscError";
    throw new ResourceFileError(code, `${name}: ${what} failed: ${failure.reason}.`);
  };
  const blobNames: string[] = [];
  try {
    for await (const blob of container.listBlobsFlat({ ...(blobPrefix === undefined ? {} : { prefix: blobPrefix }), abortSignal: signal })) {
      // Names ending in '/' are directory markers (hierarchical namespaces), not files.
      if (!blob.name.endsWith("/")) blobNames.push(blob.name);
    }
  } catch (error) {
    failed(error, `listing the blobs of ${shown}`);
  }
  for (const blobName of blobNames) {
    const path = await targetPath(target, posix.join(directory, blobName), `blob '${blobName}'`);
    let body: NodeJS.ReadableStream | undefined;
    try {
      const download = await container.getBlobClient(blobName).download(0, undefined, { abortSignal: signal });
      body = download.readableStreamBody;
    } catch (error) {
      failed(error, `downloading blob '${blobName}' of ${shown}`);
    }
    if (body === undefined) throw new ResourceFileError("BlobDownloadMiscError", `${name}: blob '${blobName}' of ${shown} came without a body.`);
    const stream = body;
    await writeFile(path, target, () => stream);
  }
}

async function writeFile(path: string, target: Target, body: () => NodeJS.ReadableStream): Promise<void> {
  const part = `${path}.part`;
  try {
    await pipeline(body(), createWriteStream(part, { mode: 0o600 }), { signal: target.signal ?? new AbortController().signal });
    await chmod(part, target.mode);
    await rename(part, path);
  } catch (error) {
    await rm(part, { force: true }).catch(() => undefined);
    if (target.signal?.aborted === true) throw target.signal.reason;
    throw new ResourceFileError("ResourceFileWriteFailed", `${target.name}: writing ${path} failed: ${(error as Error).message}`);
  }
}
