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
  /** The container runtime the agent reported (absent: none), for its nodes' containers (docs/containers.md). */
  containerRuntime?: { name: string; version: string; rootless: boolean };
}
