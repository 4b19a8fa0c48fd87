/** Agent rows (`kind = agent`, scope = the pool): a node agent process and what it last said about its host. */
export interface AgentRecord {
  id: string;
  poolId: string;
  /** The agent's file server, reported on every sync. */
  fileServerUrl?: string;
  bootId?: string;
  hostname?: string;
  ipAddress?: string;
  agentVersion?: string;
  lastSeen?: string;
  /** The host's CPU use reported with the last sync (autoscale `$CPUPercent`). */
  cpuPercent?: number;
  /**
   * The host name of the server process that registered the agent, whose compute provider started it: only a
   * server process on that host may start it again (with replicas on several hosts, another cannot tell whether it
   * still runs there).
   */
  launchedOn?: string;
  /** The provider that started the agent (absent: `local`, for agents registered before providers were chosen per pool). */
  provider?: ProviderKind;
  /** An agent that joined (external provider): how many nodes it hosts at most. */
  capacity?: number;
  /** An agent that joined: the join token it used. */
  joinTokenId?: string;
}

/** The compute providers (providers/computeProvider.ts). */
export type ProviderKind = "local" | "external" | "slurm";
