/**
 * Reboot and reimage of one node (semantics.md §6.2), inside the caller's transaction.
 *
 * With `requeue` (the default) or `terminate` the node's running tasks are released at once and its generation
 * moves on: the agent kills what is left and restarts the node. With `taskcompletion` or `retaineddata` the node
 * turns `rebooting`/`reimaging` at once — so nothing new is scheduled on it — but keeps its generation, with the
 * restart pending (`_ob.pendingRestart`), until its last task run has ended; the agent sync then calls
 * `restartIfDrained` and the restart happens as it would have at once. `retaineddata` does not wait for the
 * tasks' retention periods (docs/agent-protocol.md).
 */
import { formatTimestamp } from "@openbatch/core";
import type { WriteTx } from "@openbatch/store";
import { poolPackageDeployments } from "../applications/applicationRecords.js";
import { forgetPreparations } from "../scheduling/jobPreparation.js";
import { releaseNodeTasks, type DeallocationOption } from "../scheduling/requeue.js";
import type { NodeRecord } from "../services/nodeService.js";

export type RestartKind = "reboot" | "reimage";

function restartingState(kind: RestartKind): "rebooting" | "reimaging" {
  return kind === "reboot" ? "rebooting" : "reimaging";
}

/** Starts a reboot or reimage of an idle or running node, handling its running tasks per `option`. */
export async function restartNode(tx: WriteTx, account: string, poolId: string, node: NodeRecord, kind: RestartKind, option: DeallocationOption, now: Date): Promise<NodeRecord> {
  const drains = (option === "taskcompletion" || option === "retaineddata") && (node._ob.assignments?.length ?? 0) > 0;
  if (drains) {
    return { ...node, state: restartingState(kind), stateTransitionTime: formatTimestamp(now), _ob: { ...node._ob, pendingRestart: kind } };
  }
  return restartNow(tx, account, poolId, await releaseNodeTasks(tx, account, node, option, now), kind, now);
}

/** The node restarted if a restart waits for its tasks and none is left; otherwise the node as it is. */
export async function restartIfDrained(tx: WriteTx, account: string, poolId: string, node: NodeRecord, now: Date): Promise<NodeRecord> {
  const kind = node._ob.pendingRestart;
  if (kind === undefined || (node._ob.assignments?.length ?? 0) > 0 || node._ob.action === "remove") return node;
  return restartNow(tx, account, poolId, node, kind, now);
}

/** Moves the node to its next generation: the agent reboots or reimages it and the start task runs again. */
async function restartNow(tx: WriteTx, account: string, poolId: string, node: NodeRecord, kind: RestartKind, now: Date): Promise<NodeRecord> {
  await forgetPreparations(tx, account, poolId, node.id, kind, now);
  // Pool package changes reach a node when it restarts (semantics.md §6.1).
  const { applicationPackages: _previous, pendingRestart: _done, ...runtime } = node._ob;
  const packages = await poolPackageDeployments(tx, account, poolId);
  const state = restartingState(kind);
  return {
    ...node,
    state,
    ...(node.state === state ? {} : { stateTransitionTime: formatTimestamp(now) }),
    _ob: { ...runtime, ...(packages.length === 0 ? {} : { applicationPackages: packages }), generation: node._ob.generation + 1, generationChange: kind, startTaskAttempt: 0 },
  };
}
