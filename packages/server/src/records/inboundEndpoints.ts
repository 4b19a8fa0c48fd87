/**
 * A node's `endpointConfiguration.inboundEndpoints`, as the service lists them (its recordings): one endpoint per
 * inbound NAT pool of the pool, named `<natPool>.<slot>`, with frontend port `frontendPortRangeStart + slot`, then
 * the default SSH rule `SSHRule.<slot>` (tcp, frontend `50000 + slot`, backend 22) unless a NAT pool on backend
 * port 22 replaces it. The slot is the node's place in its pool, the lowest one free when it was allocated, so
 * frontend ports stay unique among the pool's nodes; a node past the end of a NAT pool's range gets no endpoint of
 * it. The address is the node's host's: local nodes share its network, so nothing translates the frontend ports —
 * the backend port is reachable on the host itself (docs/compatibility.md). Pure.
 */
import type { CloudPool, ComputeNodeEndpointConfiguration, InboundEndpoint } from "@openbatch/protocol";

/** The default SSH rule of a Linux pool's nodes. */
export const defaultSshRule = { name: "SSHRule", protocol: "tcp", backendPort: 22, frontendPortRangeStart: 50000, frontendPortRangeEnd: 55000 } as const;

export interface EndpointHost {
  readonly ipAddress: string;
  readonly fqdn: string;
}

export function inboundEndpoints(pool: CloudPool, slot: number, host: EndpointHost): ComputeNodeEndpointConfiguration {
  const natPools = pool.networkConfiguration?.endpointConfiguration?.inboundNATPools ?? [];
  const rules = natPools.some((natPool) => natPool.backendPort === defaultSshRule.backendPort) ? natPools : [...natPools, defaultSshRule];
  const endpoints: InboundEndpoint[] = [];
  for (const rule of rules) {
    const frontendPort = rule.frontendPortRangeStart + slot;
    if (frontendPort > rule.frontendPortRangeEnd) continue;
    endpoints.push({
      name: `${rule.name}.${slot}`,
      protocol: rule.protocol,
      publicIPAddress: host.ipAddress,
      publicFQDN: host.fqdn,
      frontendPort,
      backendPort: rule.backendPort,
    });
  }
  return { inboundEndpoints: endpoints };
}

/** The endpoints at a new address (the node's agent reported its host). */
export function endpointsAt(configuration: ComputeNodeEndpointConfiguration | undefined, host: EndpointHost): ComputeNodeEndpointConfiguration | undefined {
  if (configuration?.inboundEndpoints === undefined) return configuration;
  return { inboundEndpoints: configuration.inboundEndpoints.map((endpoint) => ({ ...endpoint, publicIPAddress: host.ipAddress, publicFQDN: host.fqdn })) };
}

/** The lowest slot not in `taken`. */
export function freeSlot(taken: ReadonlySet<number>): number {
  let slot = 0;
  while (taken.has(slot)) slot++;
  return slot;
}
