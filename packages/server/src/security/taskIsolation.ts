/**
 * How this server's local agents isolate tasks and run containers, found once at start-up by asking the agent
 * (`--probe-isolation`, with the environment agents get), so that the log and /healthz say it before the first task
 * runs (docs/security.md, docs/containers.md). `accounts` is the full isolation; anything else carries a warning.
 * Pools with a containerConfiguration are refused unless the agents will have a container runtime.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { containerRuntimeChoice } from "@openbatch/core";
import type { ResolvedServerConfig } from "../config.js";
import { probeLocalIsolation, type ContainerRuntimeProbe } from "../providers/local/localProvider.js";

export interface TaskIsolationStatus {
  /** `accounts` (sandbox + an OS account per Batch identity), `sandbox` (sandbox, one OS user) or `none`. */
  readonly mode: string;
  readonly reason?: string;
  /** Present unless mode is `accounts`: what is not isolated. */
  readonly warning?: string;
  /** The container runtime local agents have (docs/containers.md), or why none: container pools need one. */
  readonly containerRuntime: ContainerRuntimeProbe;
}

function warningFor(mode: string, reason: string | undefined): string | undefined {
  if (mode === "accounts") return undefined;
  if (mode === "sandbox") return `tasks are sandboxed to their node but all run as the server's OS user (${reason ?? "it is not root"}): Batch user identities are not enforced`;
  return `tasks are not isolated: ${reason ?? "no sandbox is available"}; task code can read the data directory, its secrets and other accounts' files`;
}

export async function taskIsolationStatus(config: Pick<ResolvedServerConfig, "localAgentEntry" | "taskIsolation">): Promise<TaskIsolationStatus> {
  const status = (mode: string, reason: string | undefined, containerRuntime: ContainerRuntimeProbe): TaskIsolationStatus => {
    const warning = warningFor(mode, reason);
    return { mode, ...(reason === undefined ? {} : { reason }), ...(warning === undefined ? {} : { warning }), containerRuntime };
  };
  if (config.localAgentEntry === undefined) {
    return status("none", "this server starts no local agents; remote agents report their own isolation in their logs", { reason: "this server starts no local agents" });
  }
  // Without isolation there is no sandbox to try: the agent's own start-up is spared, and the runtime is looked up
  // here by the agents' rule (agents check it again, and for real, when they start).
  if (!config.taskIsolation) return status("none", "task isolation is turned off (taskIsolation: false, --no-task-isolation)", installedContainerRuntime(process.env));
  const probed = await probeLocalIsolation(config.localAgentEntry, config.taskIsolation);
  return status(probed.mode, probed.reason, probed.containerRuntime);
}

/** The runtime binary agents started with `environment` would pick (core containerRuntimeChoice), without running it. */
export function installedContainerRuntime(environment: NodeJS.ProcessEnv): ContainerRuntimeProbe {
  const choice = containerRuntimeChoice(environment["OPENBATCH_AGENT_CONTAINER_RUNTIME"]);
  if ("off" in choice) return { reason: choice.off };
  const directories = [...(environment["PATH"] ?? "").split(delimiter).filter((directory) => isAbsolute(directory)), "/usr/bin", "/usr/local/bin"];
  for (const candidate of choice.candidates) {
    for (const path of isAbsolute(candidate) ? [candidate] : directories.map((directory) => join(directory, candidate))) {
      try {
        accessSync(path, constants.X_OK);
        return { name: path.includes("docker") ? "docker" : "podman", version: "unknown (not run)", rootless: process.getuid?.() !== 0 };
      } catch {
        // Not there; the next candidate.
      }
    }
  }
  return { reason: `${choice.candidates.join(" and ")} ${choice.candidates.length > 1 ? "are" : "is"} not installed` };
}
