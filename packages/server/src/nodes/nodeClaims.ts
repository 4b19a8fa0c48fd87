/**
 * An agent may act only on the nodes assigned to it (architecture.md invariant 4). A sync that reports a node of
 * another agent, or of another pool, is refused as a whole (403 `NodeNotAssigned`, nothing applied): such a report
 * comes from a confused or hostile agent, never from a slow one. A reported node of its own pool that no longer
 * exists is tolerated: it was removed while the agent was away, and the agent drops it when it sees the answer.
 */
import type { AgentNodeReport } from "@openbatch/protocol";
import type { ReadTx } from "@openbatch/store";
import type { NodeRecord, StoredNode } from "../records/nodes.js";
import { poolNumber } from "../records/nodeIds.js";
import { AgentRefused } from "./agentRefusal.js";
import type { AgentIdentity } from "./agentTokens.js";

export async function checkNodeClaims(tx: ReadTx, identity: AgentIdentity, reports: readonly AgentNodeReport[], assigned: readonly StoredNode[]): Promise<void> {
  const own = new Set(assigned.map((node) => node.id.toLowerCase()));
  const ownPrefix = `tvm-${poolNumber(identity.account, identity.poolId)}_`;
  for (const report of reports) {
    const nodeId = report.nodeId.toLowerCase();
    if (own.has(nodeId)) continue;
    const other = nodeId.startsWith(ownPrefix) ? await tx.get<NodeRecord>({ account: identity.account, kind: "node", scope: identity.poolId, id: report.nodeId }) : undefined;
    if (nodeId.startsWith(ownPrefix) && other === undefined) continue;
    throw new AgentRefused(
      403,
      "NodeNotAssigned",
      other === undefined
        ? `The node '${report.nodeId}' is not a node of pool '${identity.poolId}'; this agent may only report the nodes assigned to it.`
        : `The node '${report.nodeId}' is assigned to another agent; this agent may only report the nodes assigned to it.`,
    );
  }
}
