/**
 * Several "hosts" on this machine for multi-host tests: one Linux network namespace per host, each with a veth pair
 * whose outer end is a port of a bridge in this namespace. The bridge holds the address the server binds to
 * (`10.213.<n>.1`), the hosts `10.213.<n>.<10 + i>`; every byte between server and agents crosses their veth
 * interfaces, and taking a host's outer end down cuts it off as a pulled cable would. Names carry a random id, so
 * runs never meet; the subnet is one no interface of this machine uses. Needs root (`ip netns`, iproute2).
 *
 * `remove()` deletes the namespaces (with their veth ends) and the bridge; it also runs when the process exits, so
 * a failed test leaves nothing behind.
 */
import { execFileSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";

export interface VirtualHost {
  /** The network namespace (`ip netns exec <netns> …`). */
  readonly netns: string;
  readonly address: string;
  /** The host's cable end on this machine's side. */
  readonly outerInterface: string;
}

export interface VirtualHosts {
  /** This machine's address on the hosts' network (bind the server here). */
  readonly serverAddress: string;
  readonly hosts: readonly VirtualHost[];
  /** Pulls the host's cable: nothing reaches it or leaves it until `linkUp`. */
  linkDown(host: VirtualHost): void;
  linkUp(host: VirtualHost): void;
  remove(): void;
}

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function freeSubnet(): number {
  const used = ip("-4", "-o", "addr", "show");
  for (let attempt = 0; attempt < 100; attempt++) {
    const candidate = randomInt(1, 255);
    if (!used.includes(`10.213.${candidate}.`)) return candidate;
  }
  throw new Error("no free 10.213.x.0/24 subnet");
}

export function createVirtualHosts(count: number): VirtualHosts {
  if (process.getuid?.() !== 0) throw new Error("virtual hosts need root (ip netns)");
  const id = randomBytes(2).toString("hex");
  const subnet = freeSubnet();
  const bridge = `obbr${id}`;
  const serverAddress = `10.213.${subnet}.1`;
  const hosts: VirtualHost[] = [];
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    for (const host of hosts) {
      try {
        ip("netns", "del", host.netns);
      } catch {
        // already gone
      }
    }
    try {
      ip("link", "del", bridge);
    } catch {
      // already gone
    }
    process.off("exit", remove);
  };
  process.on("exit", remove);
  try {
    ip("link", "add", bridge, "type", "bridge");
    ip("addr", "add", `${serverAddress}/24`, "dev", bridge);
    ip("link", "set", bridge, "up");
    for (let i = 0; i < count; i++) {
      const host: VirtualHost = { netns: `ob-${id}-h${i + 1}`, address: `10.213.${subnet}.${10 + i + 1}`, outerInterface: `obh${id}${i + 1}` };
      const inner = `obn${id}${i + 1}`;
      ip("netns", "add", host.netns);
      hosts.push(host);
      ip("link", "add", host.outerInterface, "type", "veth", "peer", "name", inner);
      ip("link", "set", inner, "netns", host.netns);
      ip("link", "set", host.outerInterface, "master", bridge);
      ip("link", "set", host.outerInterface, "up");
      ip("-n", host.netns, "link", "set", "lo", "up");
      ip("-n", host.netns, "addr", "add", `${host.address}/24`, "dev", inner);
      ip("-n", host.netns, "link", "set", inner, "up");
    }
  } catch (error) {
    remove();
    throw error;
  }
  return {
    serverAddress,
    hosts,
    linkDown: (host) => void ip("link", "set", host.outerInterface, "down"),
    linkUp: (host) => void ip("link", "set", host.outerInterface, "up"),
    remove,
  };
}
