/** What a hosted node gets from the host that runs it (nodeHost.ts) and from the agent around it. */
import type { Clock } from "@openbatch/core";
import type { RuntimeDetection } from "../containers/runtime.js";
import type { Logger } from "../log.js";
import type { NodeSandboxes } from "../process/nodeSandboxes.js";
import type { Isolation } from "../process/sandbox.js";
import type { ApplicationPackageInstaller } from "./applicationPackages.js";
import type { TaskIdentities } from "./taskIdentities.js";

export interface NodeContext {
  readonly dataDirectory: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly killGracePeriodInMs: number;
  /** The agent's PATH, the base of every process's PATH. */
  readonly systemPath: string;
  readonly userName: string;
  /** Reportable facts or persisted state changed: wake the sync loop, save the state. */
  changed(): void;
  /** Saves the host's state; resolves once written. */
  persist(): Promise<void>;
  /**
   * Whether the dispatch lease of the current desired state holds (agentProtocol.ts `dispatchLeaseInMs`): new runs
   * start only while it does; the next answer from the server renews it and kicks every node.
   */
  mayStartRuns(): boolean;
  /** Installs application packages under a node's `applications/` (pool packages while preparing, task ones per run). */
  readonly applicationPackages: ApplicationPackageInstaller;
  /** How processes are isolated (process/sandbox.ts). */
  readonly isolation: Isolation;
  /** Batch identities as OS accounts, in `accounts` mode. */
  readonly identities?: TaskIdentities;
  /** Long-lived sandboxes per node and account (process/nodeSandboxes.ts), where they work. */
  readonly sandboxes?: NodeSandboxes;
  /** The container runtime this agent found, or why it has none (containers/runtime.ts). */
  readonly containers: RuntimeDetection;
}
