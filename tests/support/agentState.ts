/** What an agent saved in its state file (`<nodes dir>/agent-state.<agentId>.json`), read as the agent reads it. */
import { readFileSync } from "node:fs";
import { latestSavedState, type PersistedState } from "@openbatch/agent";

export function savedState(path: string): PersistedState | undefined {
  const latest = latestSavedState(readFileSync(path, "utf8"));
  return "state" in latest ? latest.state : undefined;
}
