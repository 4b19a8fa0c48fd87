/**
 * Starts a real OpenBatch server for a test: its own temp data directory, an ephemeral port, silent logs, state
 * changes checked strictly against the transition tables, and the scheduling loop's safety net every second.
 * `dispose()` fails the test when the server saw an illegal transition or placed work no wake-up announced
 * (docs/architecture.md, "Server core"), so the whole suite proves the wake-ups right.
 *
 * With OPENBATCH_TEST_STORE=postgres the server stores in PostgreSQL instead of SQLite: a fresh database per data
 * directory (a server restarted on the same directory finds its database again) on one throwaway cluster per test
 * process (support/postgresCluster.ts). scripts/runTests.mjs runs the conformance suite a second time that way.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, type OpenBatchServer, type ServerOptions } from "@openbatch/server";
import { sharedPostgresCluster } from "./postgresCluster.js";

export interface TestServer extends OpenBatchServer {
  readonly dataDir: string;
  /**
   * Closes the server, stops the agents it started (they are detached) and removes its data directory; throws
   * when the server met an illegal state transition or a missed wake-up.
   */
  dispose(): Promise<void>;
  /** Kills this server's detached agent processes. */
  killAgents(signal?: NodeJS.Signals): void;
}

export const testAccounts = {
  alpha: { name: "alphaacct", key: Buffer.from("alpha-account-key-for-tests-0123456789").toString("base64") },
  beta: { name: "betaacct", key: Buffer.from("beta-account-key-for-tests-9876543210").toString("base64") },
} as const;

/** The PostgreSQL database of each data directory, when OPENBATCH_TEST_STORE=postgres. */
const databases = new Map<string, string>();

async function testStore(dataDir: string): Promise<Pick<ServerOptions, "store">> {
  const backend = process.env["OPENBATCH_TEST_STORE"];
  if (backend === undefined || backend === "" || backend === "sqlite") return {};
  if (backend !== "postgres") throw new Error(`OPENBATCH_TEST_STORE must be sqlite or postgres, not '${backend}'`);
  let url = databases.get(dataDir);
  if (url === undefined) {
    url = await (await sharedPostgresCluster()).createDatabase();
    databases.set(dataDir, url);
  }
  return { store: url };
}

async function dropTestStore(dataDir: string): Promise<void> {
  const url = databases.get(dataDir);
  if (url === undefined) return;
  databases.delete(dataDir);
  await (await sharedPostgresCluster()).dropDatabase(url);
}

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
    strictTransitions: true,
    schedulingSafetyNetInSeconds: 1,
    // Tests whose tasks use gate files outside their node run unconfined; tests/security/ turns isolation on.
    taskIsolation: false,
    ...(await testStore(dataDir)),
    ...options,
    dataDir,
  });
  return Object.assign(Object.create(null) as object, server, {
    url: server.url,
    config: server.config,
    services: server.services,
    implementedOperations: server.implementedOperations,
    health: () => server.health(),
    close: () => server.close(),
    dataDir,
    killAgents(signal: NodeJS.Signals = "SIGKILL") {
      spawnSync("pkill", [`-${signal.replace(/^SIG/, "")}`, "-f", "--", `--data-dir ${join(dataDir, "nodes")}`]);
    },
    async dispose() {
      await server.close();
      this.killAgents();
      rmSync(dataDir, { recursive: true, force: true });
      await dropTestStore(dataDir);
      const { missedWakeUps, illegalTransitions } = server.health();
      if (missedWakeUps > 0) throw new Error(`${missedWakeUps} task placement(s) came from the scheduling safety net: a change made work placeable without waking the scheduler`);
      if (illegalTransitions > 0) throw new Error(`${illegalTransitions} state change(s) the transition tables do not allow were attempted`);
    },
  }) as TestServer;
}
