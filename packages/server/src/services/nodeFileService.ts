/**
 * Files on compute nodes: list, read (whole or an `ocp-range`), properties and delete, for any path under the
 * node's root directory. The hosting agent serves them (nodes/agentFiles.ts) and enforces that no path leaves the
 * node root; listings are filtered (`startswith(name, …)`) and paged here, by name.
 */
import { matchesPredicate, serviceError } from "@openbatch/core";
import type { NodeFile } from "@openbatch/protocol";
import type { Store } from "@openbatch/store";
import type { AgentFileEntry, AgentFileRead, AgentFiles } from "../nodes/agentFiles.js";
import type { AgentRecord } from "../records/agents.js";
import type { ListOptions } from "../odata/listQuery.js";
import type { NodeService } from "./nodeService.js";

export interface NodeFileTarget {
  readonly account: string;
  readonly poolId: string;
  readonly nodeId: string;
}

export class NodeFileService {
  constructor(
    private readonly store: Store,
    private readonly nodes: NodeService,
    private readonly files: AgentFiles,
  ) {}

  private async agentFor(target: NodeFileTarget) {
    const node = await this.nodes.get(target.account, target.poolId, target.nodeId);
    const agentId = node.body._ob.agentId;
    const agent = await this.store.read((tx) => tx.get<AgentRecord>({ account: target.account, kind: "agent", scope: target.poolId, id: agentId }));
    if (agent?.body.lastSeen === undefined) {
      throw serviceError("OperationNotValidOnNode", {
        message: `The node '${target.nodeId}' has not started yet; its files are not available.`,
        values: [{ key: "NodeId", value: target.nodeId }],
      });
    }
    return { node, endpoint: { account: target.account, poolId: target.poolId, agentId } };
  }

  /**
   * Lists `directory` (relative to the node root; "" for the root). Names are relative to that directory, and
   * `urlOf` gives each file's URL (node files and task files have different ones).
   */
  async list(
    target: NodeFileTarget,
    options: ListOptions,
    recursive: boolean,
    directory = "",
    urlOf?: (name: string) => string,
  ): Promise<{ items: NodeFile[]; nextKey?: string }> {
    const { node, endpoint } = await this.agentFor(target);
    const prefix = directory === "" ? "" : `${directory}/`;
    const entries = (await this.files.list(endpoint, node.id, directory, recursive))
      .map((entry) => ({ ...entry, name: entry.name.startsWith(prefix) ? entry.name.slice(prefix.length) : entry.name }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const url = urlOf ?? ((name: string) => `${node.body.url ?? ""}/files/${encodeURIComponent(name)}`);
    const items: NodeFile[] = [];
    for (const entry of entries) {
      if (options.afterKey !== undefined && entry.name <= options.afterKey) continue;
      const file = toNodeFile(entry, url(entry.name));
      if (options.filter !== undefined && !matchesPredicate(file, options.filter)) continue;
      if (items.length === options.maxResults) return { items, nextKey: items.at(-1)?.name as string };
      items.push(file);
    }
    return { items };
  }

  async read(target: NodeFileTarget, filePath: string, method: "GET" | "HEAD", range: string | undefined, url?: string): Promise<AgentFileRead & { url: string }> {
    const { node, endpoint } = await this.agentFor(target);
    const read = await this.files.read(endpoint, node.id, filePath, method, range);
    return { ...read, url: url ?? `${node.body.url ?? ""}/files/${encodeURIComponent(filePath)}` };
  }

  async delete(target: NodeFileTarget, filePath: string, recursive: boolean): Promise<void> {
    const { node, endpoint } = await this.agentFor(target);
    await this.files.delete(endpoint, node.id, filePath, recursive);
  }
}

function toNodeFile(entry: AgentFileEntry, url: string): NodeFile {
  return {
    name: entry.name,
    url,
    isDirectory: entry.isDirectory,
    properties: {
      ...(entry.creationTime === undefined ? {} : { creationTime: entry.creationTime }),
      lastModified: entry.lastModified,
      contentLength: entry.contentLength,
      contentType: "application/octet-stream",
      ...(entry.fileMode === undefined ? {} : { fileMode: entry.fileMode }),
    },
  };
}
