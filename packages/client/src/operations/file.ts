/**
 * File group: files of tasks and of compute nodes. `filePath` is relative to the task or node directory and may
 * contain `/`; it is sent as one percent-encoded segment (`wd/out.txt` → `wd%2Fout.txt`). Downloads stream.
 */
import type { NodeFile } from "../models.js";
import type { OperationContext } from "../operation.js";
import type { DeleteFileOptions, GetFileOptions, GetFilePropertiesOptions, ListFilesOptions } from "../options.js";
import type { PagedAsyncIterableIterator } from "../paging.js";
import { attachResponse, parseFileHeaders, type BatchOperationResult, type FileResponseHeaders, type WithResponse } from "../responses.js";
import { sendOperation } from "../operation.js";
import { headersResult, listResult, opts, streamResult, type FileDownload } from "./common.js";

/** A file's properties, from the headers of a HEAD request. */
export type FilePropertiesResult = WithResponse<FileResponseHeaders>;

export class FileOperations {
  constructor(private readonly context: OperationContext) {}

  deleteFromTask(jobId: string, taskId: string, filePath: string, options?: DeleteFileOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "File_DeleteFromTask", { path: { jobId, taskId, filePath }, options: opts(options) });
  }

  /** Downloads a task file as a stream; `ocpRange: "bytes=0-1023"` for a slice. */
  getFromTask(jobId: string, taskId: string, filePath: string, options?: GetFileOptions): Promise<FileDownload> {
    return streamResult(this.context, "File_GetFromTask", { path: { jobId, taskId, filePath }, options: opts(options) });
  }

  /** A task file's properties (size, type, times, mode) without its content. */
  async getPropertiesFromTask(jobId: string, taskId: string, filePath: string, options?: GetFilePropertiesOptions): Promise<FilePropertiesResult> {
    const response = await sendOperation(this.context, "File_GetPropertiesFromTask", { path: { jobId, taskId, filePath }, options: opts(options) });
    return attachResponse(parseFileHeaders(response.info.headers), response.info);
  }

  deleteFromComputeNode(poolId: string, nodeId: string, filePath: string, options?: DeleteFileOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "File_DeleteFromComputeNode", { path: { poolId, nodeId, filePath }, options: opts(options) });
  }

  /** Downloads a node file as a stream; `ocpRange: "bytes=0-1023"` for a slice. */
  getFromComputeNode(poolId: string, nodeId: string, filePath: string, options?: GetFileOptions): Promise<FileDownload> {
    return streamResult(this.context, "File_GetFromComputeNode", { path: { poolId, nodeId, filePath }, options: opts(options) });
  }

  async getPropertiesFromComputeNode(poolId: string, nodeId: string, filePath: string, options?: GetFilePropertiesOptions): Promise<FilePropertiesResult> {
    const response = await sendOperation(this.context, "File_GetPropertiesFromComputeNode", { path: { poolId, nodeId, filePath }, options: opts(options) });
    return attachResponse(parseFileHeaders(response.info.headers), response.info);
  }

  /** Lists a task's files (`recursive` for subdirectories; `filter: "startswith(name,'wd')"`). */
  listFromTask(jobId: string, taskId: string, options?: ListFilesOptions): PagedAsyncIterableIterator<NodeFile> {
    return listResult(this.context, "File_ListFromTask", { path: { jobId, taskId }, options: opts(options) });
  }

  listFromComputeNode(poolId: string, nodeId: string, options?: ListFilesOptions): PagedAsyncIterableIterator<NodeFile> {
    return listResult(this.context, "File_ListFromComputeNode", { path: { poolId, nodeId }, options: opts(options) });
  }
}
