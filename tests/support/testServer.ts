/**
 * Starts a real OpenBatch server for a test: its own temp data directory, an ephemeral port, silent logs.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, type OpenBatchServer, type ServerOptions } from "@openbatch/server";

export interface TestServer extends OpenBatchServer {
  readonly dataDir: string;
  /** Closes the server, stops the agents it started (they are detached) and removes its data directory. */
  dispose(): Promise<void>;
  /** Kills this server's detached agent processes. */
  killAgents(signal?: NodeJS.Signals): void;
}

export const testAccounts = {
  alpha: { name: "alphaacct", key: Buffer.from("alpha-account-key-for-tests-0123456789").toString("base64") },
  beta: { name: "betaacct", key: Buffer.from("beta-account-key-for-tests-9876543210").toString("base64") },
} as const;

/**
 * Options override the test defaults; pass `localAgentEntry: undefined` for a server that starts no agents
 * (nodes then stay `creating`).
 */
export async function startTestServer(options: ServerOptions & { keepDataDir?: string } = {}): Promise<TestServer> {
  const dataDir = options.keepDataDir ?? mkdtempSync(join(tmpdir(), "openbatch-test-"));
  const server = await startServer({
    port: 0,
    logLevel: "silent",
    accounts: [`${testAccounts.alpha.name}:${testAccounts.alpha.key}`, `${testAccounts.beta.name}:${testAccounts.beta.key}`],
    localAgentEntry: fileURLToPath(import.meta.resolve("@openbatch/agent/main")),
    // Tests run as root: only those that clean up after themselves (tests/nodes/osUsers.test.ts) make OS accounts.
    nodeOsUsers: false,
    // Tests whose tasks use gate files outside their node run unconfined; tests/security/ turns isolation on.
    taskIsolation: false,
    ...options,
    dataDir,
  });
  return Object.assign(Object.create(null) as object, server, {
    url: server.url,
    config: server.config,
    services: server.services,
    implementedOperations: server.implementedOperations,
    close: () => server.close(),
    dataDir,
    killAgents(signal: NodeJS.Signals = "SIGKILL") {
      spawnSync("pkill", [`-${signal.replace(/^SIG/, "")}`, "-f", "--", `--data-dir ${join(dataDir, "nodes")}`]);
    },
    async dispose() {
      await server.close();
      this.killAgents();
      rmSync(dataDir, { recursive: true, force: true });
    },
  }) as TestServer;
}
