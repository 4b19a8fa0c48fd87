/**
 * A pool's nodes as a grid of cells coloured by state, each showing its running-task count. Every cell is a link
 * to the node (so the grid is walked with Tab and opened with Enter) and says its state in words, not colour alone.
 */
import type { ComputeNode } from "@openbatch/client";
import { href } from "../router.js";

export const nodeStates = ["idle", "running", "starting", "waitingforstarttask", "creating", "rebooting", "reimaging", "leavingpool", "offline", "preempted", "starttaskfailed", "unusable", "unknown"] as const;

export function HeatMap({ poolId, nodes }: { poolId: string; nodes: readonly ComputeNode[] }) {
  if (nodes.length === 0) return <p class="muted">No nodes.</p>;
  return (
    <div>
      <ul class="heatmap" aria-label={`Nodes of ${poolId}`}>
        {nodes.map((node) => {
          const state = node.state ?? "unknown";
          const running = node.runningTasksCount ?? 0;
          return (
            <li key={node.id}>
              <a
                class={`cell state-${state}`}
                href={href.node(poolId, node.id ?? "")}
                title={`${node.id}: ${state}, ${running} running`}
                aria-label={`Node ${node.id}: ${state}, ${running} running tasks`}
                data-state={state}
              >
                {running > 0 ? running : ""}
              </a>
            </li>
          );
        })}
      </ul>
      <ul class="legend" aria-label="States">
        {nodeStates
          .filter((state) => nodes.some((node) => (node.state ?? "unknown") === state))
          .map((state) => (
            <li key={state}>
              <span class={`swatch state-${state}`} aria-hidden="true" /> {state} ({nodes.filter((node) => (node.state ?? "unknown") === state).length})
            </li>
          ))}
      </ul>
    </div>
  );
}
