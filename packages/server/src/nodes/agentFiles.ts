/**
 * Reads node files through the agent that hosts the node (the agent's file API, packages/agent/README.md), over
 * the reverse channel the agent keeps open to the server (fileChannel.ts). The server never touches node
 * directories itself nor connects to an agent, so local agents, agents on other machines and agents behind NAT
 * behave alike. Agent errors come back as `{code, message}` and are turned into Batch errors here.
 */
import { Readable } from "node:stream";
import { serviceError, type ErrorCode } from "@openbatch/core";
import type { AgentRef } from "../providers/computeProvider.js";
import type { FileChannel } from "./fileChannel.js";

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

export interface ServiceLogFile {
  /** The file's name on the agent's host (below its work directory). */
  readonly name: string;
  readonly sizeInBytes: number;
  /** When it was created (birth time, else its first line's), ms since the epoch. */
  readonly createdMs: number;
  readonly modifiedMs: number;
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
  constructor(private readonly channel: FileChannel) {}

  /** Whether the agent is connected, so that its files can be read now. */
  reachable(agent: AgentRef): boolean {
    return this.channel.connected(agent);
  }

  async list(agent: AgentRef, nodeId: string, directory: string, recursive: boolean): Promise<AgentFileEntry[]> {
    const path = `/nodes/${encodeURIComponent(nodeId)}/list?path=${encodeURIComponent(directory)}&recursive=${recursive}`;
    const response = await this.channel.fetch(agent, "GET", path).catch(unreachable);
    if (!response.ok) return agentError(response, directory);
    return ((await response.json()) as { files: AgentFileEntry[] }).files;
  }

  async read(agent: AgentRef, nodeId: string, filePath: string, method: "GET" | "HEAD", range: string | undefined): Promise<AgentFileRead> {
    const path = `/nodes/${encodeURIComponent(nodeId)}/file?path=${encodeURIComponent(filePath)}`;
    const response = await this.channel.fetch(agent, method, path, range).catch(unreachable);
    if (!response.ok) return agentError(response, filePath);
    if (method === "HEAD") await response.body?.cancel();
    return {
      status: response.status,
      headers: response.headers,
      body: response.body === null || method === "HEAD" ? undefined : Readable.fromWeb(response.body as never),
    };
  }

  async delete(agent: AgentRef, nodeId: string, filePath: string, recursive: boolean): Promise<void> {
    const path = `/nodes/${encodeURIComponent(nodeId)}/file?path=${encodeURIComponent(filePath)}&recursive=${recursive}`;
    const response = await this.channel.fetch(agent, "DELETE", path).catch(unreachable);
    if (!response.ok) await agentError(response, filePath);
    await response.body?.cancel();
  }

  /** The agent's own log files (its service logs), for agents whose logs stay on their host. */
  async serviceLogs(agent: AgentRef): Promise<ServiceLogFile[]> {
    const response = await this.channel.fetch(agent, "GET", "/service-logs").catch(unreachable);
    if (!response.ok) return agentError(response, "service logs");
    return ((await response.json()) as { files: ServiceLogFile[] }).files;
  }

  /** One of the agent's log files, streamed. */
  async serviceLog(agent: AgentRef, name: string): Promise<Readable> {
    const response = await this.channel.fetch(agent, "GET", `/service-logs/file?name=${encodeURIComponent(name)}`).catch(unreachable);
    if (!response.ok || response.body === null) return agentError(response, name);
    return Readable.fromWeb(response.body as never);
  }
}
