/**
 * Where nodes come from. A provider starts agent processes for a pool; the server assigns nodes to them and talks
 * to them over the agent protocol. The local provider starts them on this machine; cluster providers (Slurm,
 * Kubernetes) will submit them as jobs or pods.
 */
export interface AgentLaunch {
  readonly account: string;
  readonly poolId: string;
  readonly agentId: string;
  /** The agent's credential; never put it on a command line. */
  readonly token: string;
}

export interface ComputeProvider {
  /** Starts an agent process; it connects back to the server by itself. */
  startAgent(launch: AgentLaunch): Promise<void>;
  /**
   * Whether the provider knows the agent's process to be gone (so starting it again cannot duplicate it), or
   * undefined when it cannot tell (remote agents).
   */
  isAgentGone(agentId: string): Promise<boolean | undefined>;
  /**
   * The server retired the agent (it has no node left and was told to shut down): the provider may clean up what
   * it kept for it once its process has ended.
   */
  agentRetired?(agentId: string): void;
  /** Stops watching agents; detached agents keep running. */
  close(): Promise<void>;
}

/** A provider that starts nothing: nodes stay `creating` until an agent joins from elsewhere. */
export const noProvider: ComputeProvider = {
  async startAgent() {},
  async isAgentGone() {
    return undefined;
  },
  async close() {},
};
