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
  /**
   * An agent that joined: when a resize timed out with a node of it never reached. It gets no new node until it
   * syncs after that (`lastSeen`), or a pool waiting on a silent host would make it a node forever.
   */
  givenUpAt?: string;
  /** The container runtime the agent reported (absent: none), for its nodes' containers (docs/containers.md). */
  containerRuntime?: { name: string; version: string; rootless: boolean };
}

/** The compute providers (providers/computeProvider.ts). */
export type ProviderKind = "local" | "external" | "slurm";
