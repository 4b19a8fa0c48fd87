/**
 * Downloads a task's resource files into its working directory before the process starts (semantics.md §10.1).
 *
 * Supported: `httpUrl` (http or https) with `filePath` (relative to the working directory, created with missing
 * parents, never leaving it — see nodePaths.ts) and `fileMode` (octal, default `0770`). The download goes to a
 * `.part` file renamed into place, so a half-written file never looks complete.
 *
 * Not supported yet: `storageContainerUrl` and `autoStorageContainerName` (blob storage) — refused with a failure
 * naming the field, never skipped silently.
 *
 * The first failure stops the downloads and throws a ResourceFileError whose `code` is the Batch failure code:
 * `BlobNotFound` (HTTP 404), `BlobAccessDenied` (401/403), `BlobDownloadMiscError` (other statuses, network
 * errors, unsupported kinds or URLs), `ResourceFileCreateFailed` (bad `filePath` or `fileMode`),
 * `ResourceFileWriteFailed` (writing the file failed). An abort (signal) rethrows the abort reason.
 */
import { createWriteStream } from "node:fs";
import { chmod, rename, rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { ResourceFile } from "@openbatch/protocol";
import { FileApiError } from "../files/fileApiError.js";
import { resolveForCreation } from "../files/nodePaths.js";

export type ResourceFileFailureCode =
  | "BlobNotFound"
  | "BlobAccessDenied"
  | "BlobDownloadMiscError"
  | "ResourceFileCreateFailed"
  | "ResourceFileWriteFailed";

export class ResourceFileError extends Error {
  override readonly name = "ResourceFileError";
  constructor(
    readonly code: ResourceFileFailureCode,
    message: string,
  ) {
    super(message);
  }
}

export interface DownloadOptions {
  readonly signal?: AbortSignal;
  /** The property path used in messages. @default "resourceFiles" */
  readonly propertyName?: string;
}

function parseFileMode(text: string | undefined): number | undefined {
  if (text === undefined) return 0o770;
  return /^0?[0-7]{3}$/.test(text) ? parseInt(text, 8) : undefined;
}

export async function downloadResourceFiles(files: readonly ResourceFile[], workingDirectory: string, options: DownloadOptions = {}): Promise<void> {
  const property = options.propertyName ?? "resourceFiles";
  for (const [index, file] of files.entries()) {
    const name = `${property}[${index}]`;
    for (const unsupported of ["storageContainerUrl", "autoStorageContainerName"] as const) {
      if (file[unsupported] !== undefined) {
        throw new ResourceFileError(
          "BlobDownloadMiscError",
          `${name}.${unsupported} is not supported by the OpenBatch agent yet; use httpUrl (a SAS URL to the blob) instead.`,
        );
      }
    }
    if (file.httpUrl === undefined) throw new ResourceFileError("BlobDownloadMiscError", `${name} has no httpUrl to download.`);
    let url: URL;
    try {
      url = new URL(file.httpUrl);
    } catch {
      throw new ResourceFileError("BlobDownloadMiscError", `${name}.httpUrl is not a valid URL.`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new ResourceFileError("BlobDownloadMiscError", `${name}.httpUrl must be an http or https URL.`);
    }
    if (file.filePath === undefined || file.filePath === "") {
      throw new ResourceFileError("ResourceFileCreateFailed", `${name}.filePath is required with httpUrl.`);
    }
    const mode = parseFileMode(file.fileMode);
    if (mode === undefined) throw new ResourceFileError("ResourceFileCreateFailed", `${name}.fileMode '${file.fileMode}' is not an octal file mode.`);
    let target: string;
    try {
      target = await resolveForCreation(workingDirectory, file.filePath);
    } catch (error) {
      const reason = error instanceof FileApiError ? error.message : (error as Error).message;
      throw new ResourceFileError("ResourceFileCreateFailed", `${name}.filePath cannot be created in the working directory: ${reason}`);
    }
    await download(url, target, mode, name, options.signal);
  }
}

async function download(url: URL, target: string, mode: number, name: string, signal: AbortSignal | undefined): Promise<void> {
  // The URL may carry a SAS token: messages name the host and path only.
  const shown = `${url.origin}${url.pathname}`;
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
  const part = `${target}.part`;
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(part, { mode: 0o600 }), { signal: signal ?? new AbortController().signal });
    await chmod(part, mode);
    await rename(part, target);
  } catch (error) {
    await rm(part, { force: true }).catch(() => undefined);
    if (signal?.aborted === true) throw signal.reason;
    throw new ResourceFileError("ResourceFileWriteFailed", `${name}: writing the downloaded file failed: ${(error as Error).message}`);
  }
}
