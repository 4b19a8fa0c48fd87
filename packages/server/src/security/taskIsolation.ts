/**
 * How this server's local agents isolate tasks, found once at start-up by asking the agent (`--probe-isolation`,
 * with the environment agents get), so that the log and /healthz say it before the first task runs
 * (docs/security.md). `accounts` is the full isolation; anything else carries a warning.
 */
import type { ResolvedServerConfig } from "../config.js";
import { probeLocalIsolation } from "../providers/local/localProvider.js";

export interface TaskIsolationStatus {
  /** `accounts` (sandbox + an OS account per Batch identity), `sandbox` (sandbox, one OS user) or `none`. */
  readonly mode: string;
  readonly reason?: string;
  /** Present unless mode is `accounts`: what is not isolated. */
  readonly warning?: string;
}

function warningFor(mode: string, reason: string | undefined): string | undefined {
  if (mode === "accounts") return undefined;
  if (mode === "sandbox") return `tasks are sandboxed to their node but all run as the server's OS user (${reason ?? "it is not root"}): Batch user identities are not enforced`;
  return `tasks are not isolated: ${reason ?? "no sandbox is available"}; task code can read the data directory, its secrets and other accounts' files`;
}

export async function taskIsolationStatus(config: Pick<ResolvedServerConfig, "localAgentEntry" | "taskIsolation">): Promise<TaskIsolationStatus> {
  const status = (mode: string, reason: string | undefined): TaskIsolationStatus => {
    const warning = warningFor(mode, reason);
    return { mode, ...(reason === undefined ? {} : { reason }), ...(warning === undefined ? {} : { warning }) };
  };
  if (config.localAgentEntry === undefined) return status("none", "this server starts no local agents; remote agents report their own isolation in their logs");
  if (!config.taskIsolation) return status("none", "task isolation is turned off (taskIsolation: false, --no-task-isolation)");
  const probed = await probeLocalIsolation(config.localAgentEntry, config.taskIsolation);
  return status(probed.mode, probed.reason);
}
