/**
 * Where nodes come from. Every pool is provisioned by one compute provider, chosen per pool (providerSet.ts): the
 * pool's `openbatch.provider` metadata, else the server's default (`serve --provider`).
 *
 * - `local`: agent processes on this machine, started by the server (local/localProvider.ts);
 * - `external`: agents started by hand on other machines join with a join token (nodes/agentJoin.ts); the provider
 *   starts nothing and the pool takes as many nodes as its targets ask for;
 * - `slurm`: each node is a pilot job on a Slurm cluster running `openbatch agent` (slurm/slurmProvider.ts).
 *
 * A provider either starts agents for the nodes the reconciler allocates (`placement: spawn`) or waits for agents
 * that join by themselves (`placement: joined`). Either way the server assigns nodes to agents and talks to them
 * over the agent protocol only, so a later provider (Kubernetes: a pod per node, docs/deployment.md) needs nothing
 * but this interface.
 */
import type { ContainerRuntimeAvailability } from "./poolCapabilities.js";
import type { CloudPool, PoolAddParameter } from "@openbatch/protocol";
import type { ProviderKind } from "../records/agents.js";

export type { ProviderKind } from "../records/agents.js";

export const providerKinds: readonly ProviderKind[] = ["local", "external", "slurm"];

export interface AgentRef {
  readonly account: string;
  readonly poolId: string;
  readonly agentId: string;
}

export interface AgentLaunch extends AgentRef {
  /** The agent's credential; never put it on a command line. */
  readonly token: string;
  /** The pool as the agent was registered for it (its VM size and metadata size and place the agent). */
  readonly pool: CloudPool;
}

/**
 * How the reconciler gives new nodes agents: `spawn` registers agents (at most `nodesPerAgent` nodes each) and
 * has the provider start them; `joined` only uses agents that joined, up to the nodes each offered.
 */
export type NodePlacement = { readonly kind: "spawn"; readonly nodesPerAgent: number } | { readonly kind: "joined" };

export interface ComputeProvider {
  readonly kind: ProviderKind;
  readonly placement: NodePlacement;
  /**
   * Refuses (a 400 ServiceError naming the field) what this provider cannot honour of a pool; `localContainers` is
   * what the start-up probe found for agents on this machine.
   */
  checkPool(pool: PoolAddParameter, localContainers: ContainerRuntimeAvailability): void;
  /** Starts an agent process; it connects back to the server by itself. */
  startAgent(launch: AgentLaunch): Promise<void>;
  /**
   * Whether the provider knows the agent's process to be gone, so that starting it again cannot duplicate it
   * (the server then starts it again with the same id), or undefined when it cannot tell or does not restart.
   */
  isAgentGone(agent: AgentRef): Promise<boolean | undefined>;
  /**
   * The server retired the agent (it has no node left and was told to shut down): the provider may clean up what
   * it kept for it once its process has ended.
   */
  agentRetired?(agent: AgentRef): void;
  /** Stops watching agents; agents keep running. */
  close(): Promise<void>;
}
