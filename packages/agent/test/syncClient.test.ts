/**
 * The agent's side of one sync exchange (src/session/syncClient.ts) through the agent's own server connection
 * (session/serverConnection.ts, as agent.ts makes it), against real sockets: a node:http server for the answers a
 * server can give and a raw TCP server for an answer cut short. Checked: kept-alive connections reused across
 * exchanges (an agent exchanges with its server all the time), each failure mapped to SyncRejected or SyncFailed
 * with a readable reason, an abort rethrown unchanged.
 */
import assert from "node:assert/strict";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { agentProtocolVersion, agentSyncPath, type AgentSyncRequest, type AgentSyncResponse } from "@openbatch/protocol";
import { openServerConnection, type ServerConnection } from "../src/session/serverConnection.js";
import { exchange, SyncFailed, SyncRejected } from "../src/session/syncClient.js";

const token = "sync-client-test-token";
const request: AgentSyncRequest = {
  protocolVersion: agentProtocolVersion,
  agentId: "agent-1",
  bootId: "boot-1",
  fileServerUrl: "http://127.0.0.1:1",
  waitInMs: 0,
  nodes: [],
  host: { hostname: "host-1", ipAddress: "127.0.0.1", agentVersion: "test", cpuPercent: 0 },
};
const answer: AgentSyncResponse = { version: 3, heartbeatIntervalInMs: 30_000, shutdown: false, nodes: [] };

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly authorization: string | undefined;
  readonly body: string;
}

/** A server answering every request with `respond`; records the requests and counts the connections. */
async function httpServer(respond: (response: ServerResponse, received: Received) => void): Promise<{ url: string; received: Received[]; connections: () => number; server: Server }> {
  const received: Received[] = [];
  let connections = 0;
  const server = createHttpServer((incoming: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const entry = { method: incoming.method, url: incoming.url, authorization: incoming.headers.authorization, body: Buffer.concat(chunks).toString("utf8") };
      received.push(entry);
      respond(response, entry);
    });
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, connections: () => connections, server };
}

const servers: { close(): unknown; closeAllConnections?(): void }[] = [];
const json = (status: number, value: unknown) => (response: ServerResponse) => {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(typeof value === "string" ? value : JSON.stringify(value));
};
const connections = new Set<ServerConnection>();
/** One exchange through a connection of the agent's own kind (a new one per call, as an agent has one per server). */
const call = (serverUrl: string, signal = new AbortController().signal, connection = openServerConnection({ serverUrl })) => {
  connections.add(connection);
  return exchange({ serverUrl, fetch: connection.fetch, token, request, signal });
};

describe("agent sync client", () => {
  after(async () => {
    for (const connection of connections) await connection.close();
    for (const server of servers) {
      server.closeAllConnections?.();
      server.close();
    }
  });

  it("posts the request with the bearer token and reads the answer, over kept-alive connections", async () => {
    const { url, received, connections } = await httpServer(json(200, answer));
    const connection = openServerConnection({ serverUrl: url });
    assert.deepEqual(await call(`${url}/`, undefined, connection), answer);
    for (let exchanges = 1; exchanges < 5; exchanges++) assert.deepEqual(await call(url, undefined, connection), answer);
    assert.equal(received.length, 5);
    for (const entry of received) {
      assert.equal(entry.method, "POST");
      assert.equal(entry.url, agentSyncPath, "a trailing slash on the server URL is dropped");
      assert.equal(entry.authorization, `Bearer ${token}`);
      assert.deepEqual(JSON.parse(entry.body), request);
    }
    // undici may open a second socket while the first is being handed back to its pool; it never opens one per exchange.
    assert.ok(connections() <= 2, `${connections()} connections for 5 exchanges: kept-alive connections are reused`);
  });

  it("maps 401 and 403 to SyncRejected, quoting the server's code and message", async () => {
    for (const status of [401, 403]) {
      const { url } = await httpServer(json(status, { code: "AgentAuthenticationFailed", message: "bad token" }));
      const error = await call(url).then(() => assert.fail("resolved"), (thrown: unknown) => thrown);
      assert.ok(error instanceof SyncRejected, String(error));
      assert.equal(error.status, status);
      assert.match(error.message, new RegExp(`HTTP ${status}.*AgentAuthenticationFailed: bad token`));
    }
  });

  it("maps other failures to SyncFailed with the reason", async () => {
    const cases: [string, (response: ServerResponse) => void, RegExp][] = [
      ["a 503 with an Azure error body", json(503, { code: "ServerBusy", message: "try later" }), /answered HTTP 503: ServerBusy: try later/],
      ["a 500 with a text body", json(500, "plain failure"), /answered HTTP 500: plain failure/],
      ["a 200 that is not JSON", json(200, "<html>"), /not JSON/],
      ["a 200 that is not an AgentSyncResponse", json(200, { version: "three" }), /not a valid AgentSyncResponse/],
    ];
    for (const [what, respond, expected] of cases) {
      const { url } = await httpServer(respond);
      const error = await call(url).then(() => assert.fail(`${what}: resolved`), (thrown: unknown) => thrown);
      assert.ok(error instanceof SyncFailed, `${what}: ${String(error)}`);
      assert.match(error.message, expected, what);
    }
  });

  it("fails with the socket's error code when nothing listens", async () => {
    const { url, server } = await httpServer(json(200, answer));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await call(url).then(() => assert.fail("resolved"), (thrown: unknown) => thrown);
    assert.ok(error instanceof SyncFailed, String(error));
    assert.match(error.message, /cannot be reached: ECONNREFUSED/);
  });

  it("fails when the connection closes before the whole answer arrived", async () => {
    const tcp = createTcpServer((socket) => {
      socket.once("data", () => {
        socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"version\":");
        setImmediate(() => socket.destroy());
      });
    });
    await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
    servers.push(tcp);
    const error = await call(`http://127.0.0.1:${(tcp.address() as AddressInfo).port}`).then(() => assert.fail("resolved"), (thrown: unknown) => thrown);
    assert.ok(error instanceof SyncFailed, String(error));
    assert.match(error.message, /not JSON/, "the body ended early");
  });

  it("rethrows the abort reason unchanged when the exchange is aborted while the server holds it", async () => {
    const { url, received } = await httpServer(() => {
      // Held like a long poll: never answered.
    });
    const controller = new AbortController();
    const reason = new Error("woken");
    const pending = call(url, controller.signal);
    // Abort once the server holds the request, so the abort cuts an exchange in flight.
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(reason);
    await assert.rejects(pending, (thrown) => thrown === reason);
  });
});
