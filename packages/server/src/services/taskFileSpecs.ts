/**
 * Checks resource-file and output-file specifications when a task is added (semantics.md §10), so that a
 * specification that can never work is a 400 naming the property, not a task failure found later on a node.
 *
 * Resource files: exactly one of `httpUrl`, `storageContainerUrl`, `autoStorageContainerName`; URLs absolute
 * http(s); `filePath` required with `httpUrl`, relative, without `..` segments (it may not leave `wd`); `blobPrefix`
 * only with a container source; `fileMode` octal (`0644`, `755`); `autoStorageContainerName` only when the server
 * has an auto-storage account. Output files: a non-empty `filePattern`; `destination.container` with an absolute
 * http(s) `containerUrl`; `uploadHeaders` among those OpenBatch passes to blob storage. `identityReference`
 * (managed identities) is refused in both: OpenBatch nodes have none (a malformed `resourceId` first as malformed).
 */
import { propertyDetails, serviceError } from "@openbatch/core";
import { isSupportedUploadHeader, type JobAddParameter, type OutputFile, type ResourceFile } from "@openbatch/protocol";
import { checkIdentityReferenceFormat } from "./armIds.js";

export interface TaskFileRules {
  /** Whether `autoStorageContainerName` can be resolved (the server option `autoStorage`). */
  readonly autoStorageConfigured: boolean;
}

function invalid(property: string, reason: string, value?: unknown) {
  return serviceError("InvalidPropertyValue", { message: `${property}: ${reason}`, values: propertyDetails(property, reason, value) });
}

function missing(property: string, reason: string) {
  return serviceError("MissingRequiredProperty", { message: `${property}: ${reason}`, values: propertyDetails(property, reason) });
}

/** A managed identity: a malformed resource id is refused as the service refuses it, any other as unsupported here. */
function unsupportedIdentity(reference: { resourceId?: string | undefined }, property: string) {
  checkIdentityReferenceFormat(reference, property);
  const reason = "Managed identities are not supported by OpenBatch nodes; use a URL with a SAS.";
  return serviceError("UnsupportedProperty", { message: `${property}: ${reason}`, values: propertyDetails(property, reason) });
}

function checkUrl(text: string, property: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(property, "The value is not an absolute URL.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalid(property, "The URL must be http or https.");
}

function checkRelativePath(path: string, property: string): void {
  if (path.includes("\0")) throw invalid(property, "The path contains a NUL character.");
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) throw invalid(property, "The path must be relative to the task's working directory.", path);
  if (path.split(/[/\\]/).includes("..")) throw invalid(property, "The path may not contain '..': it must stay inside the task's working directory.", path);
}

export function checkResourceFiles(files: readonly ResourceFile[] | undefined, property: string, rules: TaskFileRules): void {
  for (const [index, file] of (files ?? []).entries()) {
    const name = `${property}[${index}]`;
    const sources = (["httpUrl", "storageContainerUrl", "autoStorageContainerName"] as const).filter((source) => file[source] !== undefined);
    if (sources.length !== 1) {
      throw invalid(name, "Exactly one of httpUrl, storageContainerUrl and autoStorageContainerName must be specified.");
    }
    if (file.identityReference !== undefined) throw unsupportedIdentity(file.identityReference, `${name}.identityReference`);
    if (file.httpUrl !== undefined) {
      checkUrl(file.httpUrl, `${name}.httpUrl`);
      if (file.filePath === undefined || file.filePath === "") throw missing(`${name}.filePath`, "filePath is required with httpUrl.");
      if (file.blobPrefix !== undefined) throw invalid(`${name}.blobPrefix`, "blobPrefix applies only to storageContainerUrl and autoStorageContainerName.");
    }
    if (file.storageContainerUrl !== undefined) checkUrl(file.storageContainerUrl, `${name}.storageContainerUrl`);
    if (file.autoStorageContainerName !== undefined) {
      if (!rules.autoStorageConfigured) throw invalid(`${name}.autoStorageContainerName`, "No auto-storage account is configured for this account.");
      if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(file.autoStorageContainerName)) {
        throw invalid(`${name}.autoStorageContainerName`, "The value is not a valid blob container name.", file.autoStorageContainerName);
      }
    }
    if (file.filePath !== undefined) checkRelativePath(file.filePath, `${name}.filePath`);
    if (file.fileMode !== undefined && !/^0?[0-7]{3}$/.test(file.fileMode)) {
      throw invalid(`${name}.fileMode`, "The file mode must be octal, like 0644 or 755.", file.fileMode);
    }
  }
}

export function checkOutputFiles(files: readonly OutputFile[] | undefined, property: string): void {
  for (const [index, file] of (files ?? []).entries()) {
    const name = `${property}[${index}]`;
    if (file.filePattern.trim() === "") throw invalid(`${name}.filePattern`, "The file pattern is empty.");
    if (file.filePattern.includes("\0")) throw invalid(`${name}.filePattern`, "The file pattern contains a NUL character.");
    const container = file.destination.container;
    if (container === undefined) throw missing(`${name}.destination.container`, "An output file needs a container destination.");
    if (container.identityReference !== undefined) throw unsupportedIdentity(container.identityReference, `${name}.destination.container.identityReference`);
    checkUrl(container.containerUrl, `${name}.destination.container.containerUrl`);
    for (const [headerIndex, header] of (container.uploadHeaders ?? []).entries()) {
      if (!isSupportedUploadHeader(header.name)) {
        throw invalid(
          `${name}.destination.container.uploadHeaders[${headerIndex}].name`,
          "Supported upload headers: Content-Type, Content-Encoding, Content-Language, Content-Disposition, Cache-Control (or their x-ms-blob- forms) and x-ms-meta-<name>.",
          header.name,
        );
      }
    }
  }
}

/** The file specifications of a job's manager, preparation and release tasks. */
export function checkJobFiles(job: JobAddParameter, rules: TaskFileRules): void {
  checkResourceFiles(job.jobManagerTask?.resourceFiles, "jobManagerTask.resourceFiles", rules);
  checkOutputFiles(job.jobManagerTask?.outputFiles, "jobManagerTask.outputFiles");
  checkResourceFiles(job.jobPreparationTask?.resourceFiles, "jobPreparationTask.resourceFiles", rules);
  checkResourceFiles(job.jobReleaseTask?.resourceFiles, "jobReleaseTask.resourceFiles", rules);
}
