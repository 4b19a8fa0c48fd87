/** Handlers of the File group (compute node files; task files arrive with tasks). */
import { formatHttpDate, serviceError } from "@openbatch/core";
import type { HandlerTable } from "../http/app.js";
import { checkConditions } from "../http/conditions.js";
import type { OperationResult, RequestContext } from "../http/context.js";
import { listResult } from "../http/results.js";
import { parseListOptions } from "../odata/listQuery.js";
import type { NodeFileService, NodeFileTarget } from "../services/nodeFileService.js";
import type { TaskService } from "../services/taskService.js";

function flag(ctx: RequestContext, name: string): boolean {
  const value = ctx.query.get(name);
  if (value === undefined) return false;
  if (!/^(true|false)$/i.test(value)) {
    throw serviceError("InvalidQueryParameterValue", {
      message: `The value for the query parameter '${name}' must be true or false.`,
      values: [{ key: "QueryParameterName", value: name }, { key: "QueryParameterValue", value }],
    });
  }
  return value.toLowerCase() === "true";
}

function target(ctx: RequestContext, params: Readonly<Record<string, string>>): NodeFileTarget {
  return { account: ctx.account, poolId: params["poolId"] as string, nodeId: params["nodeId"] as string };
}

function ocpRange(ctx: RequestContext): string | undefined {
  const value = ctx.headers["ocp-range"];
  const range = Array.isArray(value) ? value[0] : value;
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
 * itself, not a file; `..` would leave it).
 */
function filePathOf(params: Readonly<Record<string, string>>): string {
  const filePath = params["filePath"] as string;
  if (filePath.startsWith("/") || filePath.includes("\0") || filePath.split("/").some((segment) => segment === ".." || segment === ".")) {
    throw serviceError("InvalidUri", {
      message: `The file path '${filePath}' does not name a file: it must be relative, without '.' or '..' segments.`,
      values: [{ key: "FilePath", value: filePath }],
    });
  }
  return filePath;
}

/** Where a task's files are: its node and its directory there; 409 TaskFilesUnavailable before it ran. */
async function taskLocation(tasks: TaskService, ctx: RequestContext, params: Readonly<Record<string, string>>) {
  const task = await tasks.get(ctx.account, params["jobId"] as string, params["taskId"] as string);
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

async function readFile(
  files: NodeFileService,
  ctx: RequestContext,
  params: Readonly<Record<string, string>>,
  method: "GET" | "HEAD",
  task?: Awaited<ReturnType<typeof taskLocation>>,
): Promise<OperationResult> {
  const filePath = filePathOf(params);
  const range = method === "GET" ? ocpRange(ctx) : undefined;
  const read =
    task === undefined
      ? await files.read(target(ctx, params), filePath, method, range)
      : await files.read(task.target, `${task.directory}/${filePath}`, method, range, task.url(filePath));
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

export function fileHandlers(files: NodeFileService, tasks: TaskService): HandlerTable {
  return {
    File_ListFromTask: async ({ ctx, params }) => {
      const location = await taskLocation(tasks, ctx, params);
      const options = parseListOptions(ctx.query, { filterTarget: "files" });
      const page = await files.list(location.target, options, flag(ctx, "recursive"), location.directory, location.url);
      return listResult(ctx, "files", page.items, page.nextKey);
    },
    // The path is checked before the task is looked up: a path that names no file is wrong whatever the task's state.
    File_GetFromTask: async ({ ctx, params }) => {
      filePathOf(params);
      return readFile(files, ctx, params, "GET", await taskLocation(tasks, ctx, params));
    },
    File_GetPropertiesFromTask: async ({ ctx, params }) => {
      filePathOf(params);
      return readFile(files, ctx, params, "HEAD", await taskLocation(tasks, ctx, params));
    },
    File_DeleteFromTask: async ({ ctx, params }) => {
      const filePath = filePathOf(params);
      const location = await taskLocation(tasks, ctx, params);
      await files.delete(location.target, `${location.directory}/${filePath}`, flag(ctx, "recursive"));
      return {};
    },
    File_ListFromComputeNode: async ({ ctx, params }) => {
      const options = parseListOptions(ctx.query, { filterTarget: "files" });
      const page = await files.list(target(ctx, params), options, flag(ctx, "recursive"));
      return listResult(ctx, "files", page.items, page.nextKey);
    },
    File_GetFromComputeNode: ({ ctx, params }) => readFile(files, ctx, params, "GET"),
    File_GetPropertiesFromComputeNode: ({ ctx, params }) => readFile(files, ctx, params, "HEAD"),
    File_DeleteFromComputeNode: async ({ ctx, params }) => {
      await files.delete(target(ctx, params), filePathOf(params), flag(ctx, "recursive"));
      return {};
    },
  };
}
