/**
 * Compute node records: the wire ComputeNode plus the server's runtime bookkeeping under `_ob` (which agent hosts
 * the node, the generation it should run, the start-task attempt asked for, whether it should be removed). `_ob`
 * never leaves the server: `nodeView` strips it.
 */
import { serviceError } from "@openbatch/core";
import type { ComputeNode } from "@openbatch/protocol";
import type { Store, StoredEntity } from "@openbatch/store";
import type { ListOptions } from "../odata/listQuery.js";
import type { PoolService } from "./poolService.js";

export interface NodeRuntime {
  /** The agent hosting the node. */
  agentId: string;
  /** The incarnation the server wants; reboot and reimage bump it. */
  generation: number;
  generationChange: "reboot" | "reimage";
  /** The incarnation the agent last reported running. */
  reportedGeneration: number;
  /** The start-task attempt asked for in this generation (0 = none yet). */
  startTaskAttempt: number;
  /** "remove" once the node is leaving the pool; the agent then deletes it. */
  action: "run" | "remove";
  /** The node's root directory on the agent's machine, once reported. */
  rootDirectory?: string;
}

export type NodeRecord = ComputeNode & { id: string; _ob: NodeRuntime };
export type StoredNode = StoredEntity<NodeRecord>;

export function nodeView(node: NodeRecord): ComputeNode {
  const { _ob: _runtime, ...view } = node;
  return view;
}

export function nodeNotFound(nodeId: string) {
  return serviceError("NodeNotFound", { message: `The specified node '${nodeId}' does not exist.`, values: [{ key: "NodeId", value: nodeId }] });
}

export class NodeService {
  constructor(
    private readonly store: Store,
    private readonly pools: PoolService,
  ) {}

  async list(account: string, poolId: string, options: ListOptions): Promise<{ items: StoredNode[]; nextKey?: string }> {
    await this.pools.get(account, poolId);
    return this.store.read((tx) =>
      tx.list<NodeRecord>({ account, kind: "node", scope: poolId }, { limit: options.maxResults, afterKey: options.afterKey, filter: options.filter }),
    );
  }

  async get(account: string, poolId: string, nodeId: string): Promise<StoredNode> {
    await this.pools.get(account, poolId);
    const node = await this.store.read((tx) => tx.get<NodeRecord>({ account, kind: "node", scope: poolId, id: nodeId }));
    if (node === undefined) throw nodeNotFound(nodeId);
    return node;
  }
}
