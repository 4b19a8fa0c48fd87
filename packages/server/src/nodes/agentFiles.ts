/**
 * Reads node files through the agent that hosts the node (the agent's file API, packages/agent/README.md). The
 * server never touches node directories itself, so local and remote agents behave alike. Agent errors come back as
 * `{code, message}` and are turned into Batch errors here.
 */
import { Readable } from "node:stream";
import { serviceError, type ErrorCode } from "@openbatch/core";

export interface AgentFileEntry {
  readonly name: string;
  readonly isDirectory: boolean;
  readonly contentLength: number;
  readonly creationTime?: string;
  readonly lastModified: string;
  readonly fileMode?: string;
}

export interface AgentFileRead {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Readable | undefined;
}

export interface AgentEndpoint {
  readonly fileServerUrl: string;
  readonly token: string;
}

const codeMap: Record<string, ErrorCode> = {
  FileNotFound: "FileNotFound",
  NodeNotFound: "NodeNotFound",
  InvalidFilePath: "InvalidUri",
  InvalidRange: "InvalidRange",
  DirectoryNotEmpty: "OperationInvalidForCurrentState",
};

async function agentError(response: Response, filePath: string): Promise<never> {
  // The code is in a header too: the answer to a HEAD request (file properties) has no body.
  let code = response.headers.get("x-ob-error-code") ?? "";
  let message = "";
  try {
    const body = (await response.json()) as { code?: string; message?: string };
    code = body.code ?? code;
    message = body.message ?? "";
  } catch {
    // an agent that answers without JSON (a HEAD) is judged by the header alone
  }
  const batchCode = codeMap[code];
  if (batchCode === undefined) {
    throw serviceError("OperationNotValidOnNode", { message: `The node's agent could not serve the file: ${message || response.statusText}` });
  }
  throw serviceError(batchCode, {
    message: batchCode === "FileNotFound" ? `The specified file '${filePath}' does not exist on the node.` : message,
    values: [{ key: "FilePath", value: filePath }],
  });
}

function unreachable(cause: unknown): never {
  throw serviceError("OperationNotValidOnNode", { message: "The node's agent cannot be reached; its files are unavailable.", cause });
}

export class AgentFiles {
  async list(agent: AgentEndpoint, nodeId: string, directory: string, recursive: boolean): Promise<AgentFileEntry[]> {
    const url = `${agent.fileServerUrl}/nodes/${encodeURIComponent(nodeId)}/list?path=${encodeURIComponent(directory)}&recursive=${recursive}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${agent.token}` } }).catch(unreachable);
    if (!response.ok) return agentError(response, directory);
    return ((await response.json()) as { files: AgentFileEntry[] }).files;
  }

  async read(agent: AgentEndpoint, nodeId: string, filePath: string, method: "GET" | "HEAD", range: string | undefined): Promise<AgentFileRead> {
    const url = `${agent.fileServerUrl}/nodes/${encodeURIComponent(nodeId)}/file?path=${encodeURIComponent(filePath)}`;
    const headers: Record<string, string> = { authorization: `Bearer ${agent.token}` };
    if (range !== undefined) headers["range"] = range;
    const response = await fetch(url, { method, headers }).catch(unreachable);
    if (!response.ok) return agentError(response, filePath);
    return {
      status: response.status,
      headers: response.headers,
      body: response.body === null || method === "HEAD" ? undefined : Readable.fromWeb(response.body as never),
    };
  }

  async delete(agent: AgentEndpoint, nodeId: string, filePath: string, recursive: boolean): Promise<void> {
    const url = `${agent.fileServerUrl}/nodes/${encodeURIComponent(nodeId)}/file?path=${encodeURIComponent(filePath)}&recursive=${recursive}`;
    const response = await fetch(url, { method: "DELETE", headers: { authorization: `Bearer ${agent.token}` } }).catch(unreachable);
    if (!response.ok) await agentError(response, filePath);
  }
}
