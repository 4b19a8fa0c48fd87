/**
 * The address of this host as the server sees it coming: the local address of a route to the server, found by
 * "connecting" a UDP socket (which sends nothing) to the server's address. On a machine with several interfaces
 * this is the one that reaches the server — what remote login settings should point at.
 */
import { createSocket } from "node:dgram";
import { lookup } from "node:dns/promises";

export async function detectHostAddress(server: URL): Promise<string> {
  const host = server.hostname.replace(/^\[|\]$/g, "");
  try {
    const { address, family } = await lookup(host);
    const socket = createSocket(family === 6 ? "udp6" : "udp4");
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.connect(Number(server.port) || (server.protocol === "https:" ? 443 : 80), address, () => resolve());
      });
      return socket.address().address;
    } finally {
      socket.close();
    }
  } catch {
    return "127.0.0.1";
  }
}
