/**
 * Uploads a node's Batch service logs to a blob container (ComputeNode_UploadBatchServiceLogs, semantics.md §6.5).
 *
 * A node's service logs are the files of the software that hosts it, here the log of its agent process: for a
 * local agent `<dataDir>/agents/<agentId>.log` (written by the local provider; one agent hosts several nodes of a
 * pool, so it carries their lines too), read here; for an agent on another machine (joined, or a Slurm pilot) the
 * log files it keeps in its work directory, read from it over the reverse file channel (nodes/agentFiles.ts). A
 * file is uploaded whole when its lifetime — created (birth time, else change time) to last written — overlaps
 * [startTime, endTime or now]. Blobs go under `{poolId}/{nodeId}/{uuid}/`, keeping the file's path below the data
 * directory (`…/agents/<agentId>.log`) or the agent's work directory (`…/agent-logs/agent.log`).
 *
 * The upload happens before the answer (Azure's node agent uploads after answering): failures are reported, as
 * Batch errors from ServiceLogUploadError (mapped in handlers/serviceLogs.ts). When no file overlaps the window,
 * storage is not contacted at all (a write-only SAS cannot even check that the container exists). The container
 * URL's SAS never reaches a message or a log: only the URL's origin and path are named.
 */
import { randomUUID } from "node:crypto";
import { open, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { AnonymousCredential, ContainerClient } from "@azure/storage-blob";
import { firstLogLineTime } from "@openbatch/core";
import type { UploadBatchServiceLogsResult } from "@openbatch/protocol";
import type { Readable } from "node:stream";
import type { AgentFiles } from "../nodes/agentFiles.js";
import type { NodeService } from "./nodeService.js";
import type { PoolService } from "./poolService.js";

export interface ServiceLogServiceOptions {
  /** Where the local provider writes agent logs: `<dataDir>/agents`. */
  readonly agentLogDirectory: string;
  /** Retries of one blob request on transient storage errors. @default 3 tries */
  readonly maxTries?: number;
  /** Reads the logs of agents on other machines; without it only local agents' logs are found. */
  readonly agentFiles?: AgentFiles;
}

export interface ServiceLogUploadRequest {
  /** A parsed container URL carrying a SAS. */
  readonly container: URL;
  readonly startTime: Date;
  /** Defaults to now. */
  readonly endTime?: Date;
}

/** Why an upload failed, for the handler to turn into a Batch error. */
export class ServiceLogUploadError extends Error {
  override readonly name = "ServiceLogUploadError";
  constructor(
    readonly kind: "containerNotFound" | "accessDenied" | "unreachable" | "rejected" | "storageFailed" | "aborted",
    message: string,
    /** The storage service's status and error code, when it answered. */
    readonly storageStatus?: number,
    readonly storageCode?: string,
  ) {
    super(message);
  }
}

interface LogFile {
  /** The blob name below the virtual directory. */
  readonly name: string;
  /** A file of this machine, or a stream from the agent's. */
  readonly source: { readonly path: string } | { readonly open: () => Promise<Readable> };
}

/** The container URL without its query (the SAS), for messages. */
export function containerDisplayUrl(container: URL): string {
  return `${container.origin}${container.pathname}`;
}

export class ServiceLogService {
  constructor(
    private readonly pools: PoolService,
    private readonly nodes: NodeService,
    private readonly options: ServiceLogServiceOptions,
  ) {}

  async upload(account: string, poolId: string, nodeId: string, request: ServiceLogUploadRequest, now: Date, signal: AbortSignal): Promise<UploadBatchServiceLogsResult> {
    const pool = await this.pools.get(account, poolId);
    const node = await this.nodes.get(account, poolId, nodeId);
    const from = request.startTime.getTime();
    const to = (request.endTime ?? now).getTime();
    const files: LogFile[] = [];
    const agentId = node.body._ob.agentId;
    for (const file of this.logFiles(agentId)) {
      const info = await stat(file.path).catch(() => undefined);
      if (info === undefined || !info.isFile()) continue;
      const created = info.birthtimeMs > 0 ? info.birthtimeMs : ((await firstLogTime(file.path)) ?? info.ctimeMs);
      if (Math.min(created, info.mtimeMs) <= to && info.mtimeMs >= from) files.push({ name: file.name, source: { path: file.path } });
    }
    const agentFiles = this.options.agentFiles;
    const agent = { account, poolId, agentId };
    // No log of it here: an agent on another machine, which keeps its own.
    if (files.length === 0 && agentId !== "" && agentFiles !== undefined && agentFiles.reachable(agent)) {
      for (const file of await agentFiles.serviceLogs(agent)) {
        if (Math.min(file.createdMs, file.modifiedMs) <= to && file.modifiedMs >= from) {
          files.push({ name: `agent-logs/${file.name}`, source: { open: () => agentFiles.serviceLog(agent, file.name) } });
        }
      }
    }
    const virtualDirectoryName = `${pool.body.id ?? poolId}/${node.body.id ?? node.id}/${randomUUID()}`;
    if (files.length > 0) {
      let container: ContainerClient;
      try {
        container = new ContainerClient(request.container.toString(), new AnonymousCredential(), {
          retryOptions: { maxTries: this.options.maxTries ?? 3, retryDelayInMs: 250, maxRetryDelayInMs: 2000 },
        });
      } catch {
        throw new ServiceLogUploadError("rejected", `${containerDisplayUrl(request.container)} is not a blob container URL.`);
      }
      for (const file of files) {
        try {
          const blob = container.getBlockBlobClient(`${virtualDirectoryName}/${file.name}`);
          const blobHTTPHeaders = { blobContentType: "text/plain; charset=utf-8" };
          if ("path" in file.source) await blob.uploadFile(file.source.path, { abortSignal: signal, blobHTTPHeaders });
          else await blob.uploadStream(await file.source.open(), undefined, undefined, { abortSignal: signal, blobHTTPHeaders });
        } catch (error) {
          throw uploadError(error, request.container, signal);
        }
      }
    }
    return { virtualDirectoryName, numberOfFilesUploaded: files.length };
  }

  /** The service log files of a node hosted by `agentId` on this machine. */
  private logFiles(agentId: string): { name: string; path: string }[] {
    if (agentId === "" || !/^[\w.-]+$/.test(agentId)) return [];
    return [{ name: `agents/${agentId}.log`, path: join(this.options.agentLogDirectory, `${agentId}.log`) }];
  }
}

/** The `time` of a log's first line (the agent writes JSON lines), for file systems without birth times. */
async function firstLogTime(path: string): Promise<number | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, "r");
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    return firstLogLineTime(buffer.subarray(0, bytesRead).toString("utf8"));
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** Classifies a storage SDK failure without keeping it (its request carries the SAS). */
function uploadError(error: unknown, container: URL, signal: AbortSignal): ServiceLogUploadError {
  const where = containerDisplayUrl(container);
  const failure = error as { name?: unknown; statusCode?: unknown; code?: unknown };
  if (signal.aborted || failure.name === "AbortError") return new ServiceLogUploadError("aborted", "The upload was cancelled.");
  const status = typeof failure.statusCode === "number" ? failure.statusCode : undefined;
  const code = typeof failure.code === "string" ? failure.code : undefined;
  if (status === undefined) {
    return new ServiceLogUploadError("unreachable", `The blob storage endpoint of ${where} could not be reached${code === undefined ? "" : ` (${code})`}.`);
  }
  const answered = `(${status}${code === undefined ? "" : ` ${code}`})`;
  if (status === 404) return new ServiceLogUploadError("containerNotFound", `The container ${where} does not exist ${answered}.`, status, code);
  if (status === 401 || status === 403) {
    return new ServiceLogUploadError("accessDenied", `Blob storage refused to let the SAS write to ${where} ${answered}; the SAS must grant write permission on the container and be valid now.`, status, code);
  }
  if (status >= 500) return new ServiceLogUploadError("storageFailed", `Blob storage failed to store the logs in ${where} ${answered}.`, status, code);
  return new ServiceLogUploadError("rejected", `Blob storage rejected the upload to ${where} ${answered}.`, status, code);
}
