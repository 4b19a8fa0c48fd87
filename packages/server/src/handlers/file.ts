/** Handlers of the File group (compute node files; task files arrive with tasks). */
import { formatHttpDate, serviceError } from "@openbatch/core";
import { checkConditions } from "../http/conditions.js";
import type { HandlerTable, OperationResult, RequestContext } from "../http/context.js";
import { header } from "../http/headers.js";
import { listResult } from "../http/results.js";
import { parseListOptions } from "../odata/listQuery.js";
import type { NodeFileService, NodeFileTarget } from "../services/nodeFileService.js";
import type { TaskService } from "../services/taskService.js";

function target(ctx: RequestContext, params: { readonly poolId: string; readonly nodeId: string }): NodeFileTarget {
  return { account: ctx.account, poolId: params.poolId, nodeId: params.nodeId };
}

function ocpRange(ctx: RequestContext): string | undefined {
  const range = header(ctx.headers, "ocp-range");
  if (range === undefined) return undefined;
  if (!/^bytes=\d*-\d*$/.test(range.trim()) || range.trim() === "bytes=-") {
    throw serviceError("InvalidHeaderValue", {
      message: "The ocp-range header must have the form bytes=start-end.",
      values: [{ key: "HeaderName", value: "ocp-range" }, { key: "HeaderValue", value: range }],
    });
  }
  return range.trim();
}

/**
 * The `{filePath}` of a file operation: a path to a file, relative to the node's (or the task's) directory. Refused
 * with 400 InvalidUri: absolute paths, NUL, and `.` or `..` segments (`files/.` or `files/%2e` names the directory
 * itself, not a file; `..` would leave it). Checked before the task or node is looked up: a path that names no file
 * is wrong whatever their state.
 */
function filePathOf(filePath: string): string {
  if (filePath.startsWith("/") || filePath.includes("\0") || filePath.split("/").some((segment) => segment === ".." || segment === ".")) {
    throw serviceError("InvalidUri", {
      message: `The file path '${filePath}' does not name a file: it must be relative, without '.' or '..' segments.`,
      values: [{ key: "FilePath", value: filePath }],
    });
  }
  return filePath;
}

/** Where a task's files are: its node and its directory there; 409 TaskFilesUnavailable before it ran. */
async function taskLocation(tasks: TaskService, ctx: RequestContext, params: { readonly jobId: string; readonly taskId: string }) {
  const task = await tasks.get(ctx.account, params.jobId, params.taskId);
  const nodeInfo = task.body.nodeInfo;
  if (nodeInfo?.poolId === undefined || nodeInfo.nodeId === undefined || nodeInfo.taskRootDirectory === undefined) {
    throw serviceError("TaskFilesUnavailable", { message: `The task '${task.id}' has not run on a node yet; it has no files.` });
  }
  if (task.body._ob.filesCleanedUp === true) {
    throw serviceError("TaskFilesCleanedup", { message: `The files of task '${task.id}' were removed when its retention time ended.` });
  }
  return {
    target: { account: ctx.account, poolId: nodeInfo.poolId, nodeId: nodeInfo.nodeId },
    directory: nodeInfo.taskRootDirectory,
    url: (name: string) => `${task.body.url ?? ""}/files/${encodeURIComponent(name)}`,
  };
}

/** Where a file is read from: a node's file by its path there, or a task's file by its path in the task's directory. */
type FileSource =
  | { readonly node: NodeFileTarget }
  | { readonly task: Awaited<ReturnType<typeof taskLocation>> };

async function readFile(
  files: NodeFileService,
  ctx: RequestContext,
  source: FileSource,
  filePath: string,
  method: "GET" | "HEAD",
): Promise<OperationResult> {
  const range = method === "GET" ? ocpRange(ctx) : undefined;
  const read =
    "node" in source
      ? await files.read(source.node, filePath, method, range)
      : await files.read(source.task.target, `${source.task.directory}/${filePath}`, method, range, source.task.url(filePath));
  const lastModified = new Date(read.headers.get("last-modified") ?? Date.now());
  try {
    checkConditions(ctx, { eTag: "", lastModified }, true);
  } catch (error) {
    read.body?.destroy();
    throw error;
  }
  const creation = read.headers.get("x-ob-creation-time");
  const headers: Record<string, string> = {
    "content-type": "application/octet-stream",
    "ocp-batch-file-isdirectory": read.headers.get("x-ob-is-directory") ?? "false",
    "ocp-batch-file-url": read.url,
    "last-modified": formatHttpDate(lastModified),
  };
  const length = read.headers.get("content-length");
  if (length !== null) headers["content-length"] = length;
  const mode = read.headers.get("x-ob-file-mode");
  if (mode !== null) headers["ocp-batch-file-mode"] = mode;
  if (creation !== null) headers["ocp-creation-time"] = formatHttpDate(new Date(creation));
  return { raw: { data: read.body ?? Buffer.alloc(0), headers } };
}

export function fileHandlers(files: NodeFileService, tasks: TaskService) {
  return {
    File_ListFromTask: async ({ ctx, params, query }) => {
      const location = await taskLocation(tasks, ctx, params);
      const options = parseListOptions(query, { filterTarget: "files" });
      const page = await files.list(location.target, options, query.recursive ?? false, location.directory, location.url);
      return listResult(ctx, "files", page.items, page.nextKey);
    },
    File_GetFromTask: async ({ ctx, params }) => {
      const filePath = filePathOf(params.filePath);
      return readFile(files, ctx, { task: await taskLocation(tasks, ctx, params) }, filePath, "GET");
    },
    File_GetPropertiesFromTask: async ({ ctx, params }) => {
      const filePath = filePathOf(params.filePath);
      return readFile(files, ctx, { task: await taskLocation(tasks, ctx, params) }, filePath, "HEAD");
    },
    File_DeleteFromTask: async ({ ctx, params, query }) => {
      const filePath = filePathOf(params.filePath);
      const location = await taskLocation(tasks, ctx, params);
      await files.delete(location.target, `${location.directory}/${filePath}`, query.recursive ?? false);
      return {};
    },
    File_ListFromComputeNode: async ({ ctx, params, query }) => {
      const options = parseListOptions(query, { filterTarget: "files" });
      const page = await files.list(target(ctx, params), options, query.recursive ?? false);
      return listResult(ctx, "files", page.items, page.nextKey);
    },
    File_GetFromComputeNode: ({ ctx, params }) => readFile(files, ctx, { node: target(ctx, params) }, filePathOf(params.filePath), "GET"),
    File_GetPropertiesFromComputeNode: ({ ctx, params }) => readFile(files, ctx, { node: target(ctx, params) }, filePathOf(params.filePath), "HEAD"),
    File_DeleteFromComputeNode: async ({ ctx, params, query }) => {
      await files.delete(target(ctx, params), filePathOf(params.filePath), query.recursive ?? false);
      return {};
    },
  } satisfies Partial<HandlerTable>;
}
