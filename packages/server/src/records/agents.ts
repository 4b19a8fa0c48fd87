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
}
