/**
 * The rules of a pool's `networkConfiguration.endpointConfiguration` (InboundNATPool and NetworkSecurityGroupRule in
 * the API reference), checked when the pool is added so that a rule the service refuses is refused here too:
 *
 * - at most 5 NAT pools; names of letters, digits, `_`, `.` and `-`, starting with a letter or digit, ending with a
 *   letter, digit or `_`, at most 77 characters, unique in the pool;
 * - `backendPort` 1–65535, not 29876 or 29877 (the node agent's), unique in the pool. 22 and 3389 are allowed: a
 *   NAT pool on 22 replaces the default SSH rule, which is how the service's own documentation denies SSH
 *   (docs/compatibility.md);
 * - frontend ranges within 1–65534, start ≤ end, at least 40 ports, outside 50000–55000 (the default rules'), and
 *   not overlapping one another;
 * - at most 25 network security group rules over all NAT pools, priorities 150–4096 and unique in the pool,
 *   `sourceAddressPrefix` an IPv4 address, an IPv4 prefix, a service tag or `*`, `sourcePortRanges` entries `*`, a
 *   port or a range `a-b` within 0–65535 that do not overlap one another.
 *
 * Errors are 400 `InvalidPropertyValue` naming the property (as the service names `subnetId`), the path in the
 * message. Pure.
 */
import type { InboundNATPool, NetworkSecurityGroupRule, PoolEndpointConfiguration } from "@openbatch/protocol";
import { invalidArmProperty } from "./armIds.js";

export const endpointLimits = {
  natPools: 5,
  nameMaxLength: 77,
  minimumFrontendPorts: 40,
  securityRules: 25,
  reservedBackendPorts: [29876, 29877],
  reservedFrontendRange: { start: 50000, end: 55000 },
} as const;

const namePattern = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** Service tags (`Internet`, `VirtualNetwork`, `AzureLoadBalancer`, `Storage.WestUS`, …). */
const serviceTag = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)?$/;

function fail(name: string, path: string, value: unknown, reason: string): never {
  throw invalidArmProperty(name, path, typeof value === "string" ? value : JSON.stringify(value), reason);
}

function isAddressPrefix(value: string): boolean {
  if (value === "*" || serviceTag.test(value)) return true;
  const [address, bits, ...rest] = value.split("/");
  if (rest.length > 0 || address === undefined || !ipv4.test(address)) return false;
  return bits === undefined || (/^\d{1,2}$/.test(bits) && Number(bits) <= 32);
}

/** A `sourcePortRanges` entry as an inclusive range, or undefined when it is not one. */
function portRange(value: string): [number, number] | undefined {
  if (value === "*") return [0, 65535];
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value);
  if (match === null) return undefined;
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  return start <= end && end <= 65535 ? [start, end] : undefined;
}

const overlaps = (a: readonly [number, number], b: readonly [number, number]) => a[0] <= b[1] && b[0] <= a[1];

function checkSecurityRule(rule: NetworkSecurityGroupRule, path: string): void {
  if (!isAddressPrefix(rule.sourceAddressPrefix)) {
    fail("sourceAddressPrefix", `${path}.sourceAddressPrefix`, rule.sourceAddressPrefix, "Valid values are a single IP address (10.10.10.10), an IP subnet (192.168.1.0/24), a default tag, or * for all addresses.");
  }
  const ranges: [number, number][] = [];
  for (const [index, entry] of (rule.sourcePortRanges ?? []).entries()) {
    const range = portRange(entry);
    const entryPath = `${path}.sourcePortRanges[${index}]`;
    if (range === undefined) fail("sourcePortRanges", entryPath, entry, "Valid values are '*' (all ports 0-65535), a port (22) or a port range (100-200) within 0-65535.");
    if (ranges.some((other) => overlaps(other, range))) fail("sourcePortRanges", entryPath, entry, "The entries of sourcePortRanges must not overlap one another.");
    ranges.push(range);
  }
}

function checkNatPool(natPool: InboundNATPool, path: string): void {
  if (natPool.name.length > endpointLimits.nameMaxLength || !namePattern.test(natPool.name)) {
    fail("name", `${path}.name`, natPool.name, `The name can contain letters, numbers, underscores, periods and hyphens, must start with a letter or number, end with a letter, number or underscore, and have at most ${endpointLimits.nameMaxLength} characters.`);
  }
  const backend = natPool.backendPort;
  if (backend < 1 || backend > 65535 || (endpointLimits.reservedBackendPorts as readonly number[]).includes(backend)) {
    fail("backendPort", `${path}.backendPort`, String(backend), `Acceptable values are between 1 and 65535 except ${endpointLimits.reservedBackendPorts.join(" and ")}, which are reserved.`);
  }
  const { frontendPortRangeStart: start, frontendPortRangeEnd: end } = natPool;
  for (const [name, port] of [["frontendPortRangeStart", start], ["frontendPortRangeEnd", end]] as const) {
    if (port < 1 || port > 65534) fail(name, `${path}.${name}`, String(port), "Acceptable values range between 1 and 65534.");
  }
  if (end < start) fail("frontendPortRangeEnd", `${path}.frontendPortRangeEnd`, String(end), "The end of the frontend port range must not be below its start.");
  if (end - start + 1 < endpointLimits.minimumFrontendPorts) {
    fail("frontendPortRangeEnd", `${path}.frontendPortRangeEnd`, String(end), `Each frontend port range must contain at least ${endpointLimits.minimumFrontendPorts} ports.`);
  }
  const reserved = endpointLimits.reservedFrontendRange;
  if (overlaps([start, end], [reserved.start, reserved.end])) {
    fail("frontendPortRangeStart", `${path}.frontendPortRangeStart`, String(start), `Ports ${reserved.start} to ${reserved.end} are reserved by the Batch service.`);
  }
}

export function checkEndpointConfiguration(configuration: PoolEndpointConfiguration | undefined, path = "networkConfiguration.endpointConfiguration"): void {
  if (configuration === undefined) return;
  const natPools = configuration.inboundNATPools;
  if (natPools.length > endpointLimits.natPools) {
    fail("inboundNATPools", `${path}.inboundNATPools`, String(natPools.length), `A pool has at most ${endpointLimits.natPools} inbound NAT pools.`);
  }
  const names = new Set<string>();
  const backends = new Set<number>();
  const ranges: [number, number][] = [];
  const priorities = new Set<number>();
  let rules = 0;
  for (const [index, natPool] of natPools.entries()) {
    const natPath = `${path}.inboundNATPools[${index}]`;
    checkNatPool(natPool, natPath);
    if (names.has(natPool.name.toLowerCase())) fail("name", `${natPath}.name`, natPool.name, "The names of a pool's inbound NAT pools must be unique.");
    names.add(natPool.name.toLowerCase());
    if (backends.has(natPool.backendPort)) fail("backendPort", `${natPath}.backendPort`, String(natPool.backendPort), "The backendPort must be unique within the pool.");
    backends.add(natPool.backendPort);
    const range: [number, number] = [natPool.frontendPortRangeStart, natPool.frontendPortRangeEnd];
    if (ranges.some((other) => overlaps(other, range))) {
      fail("frontendPortRangeStart", `${natPath}.frontendPortRangeStart`, String(range[0]), "The frontend port ranges of a pool must not overlap.");
    }
    ranges.push(range);
    for (const [ruleIndex, rule] of (natPool.networkSecurityGroupRules ?? []).entries()) {
      const rulePath = `${natPath}.networkSecurityGroupRules[${ruleIndex}]`;
      rules++;
      if (rules > endpointLimits.securityRules) {
        fail("networkSecurityGroupRules", rulePath, String(rules), `A pool has at most ${endpointLimits.securityRules} network security group rules over all its inbound NAT pools.`);
      }
      if (priorities.has(rule.priority)) fail("priority", `${rulePath}.priority`, String(rule.priority), "The priorities of a pool's network security group rules must be unique.");
      priorities.add(rule.priority);
      checkSecurityRule(rule, rulePath);
    }
  }
}
