/**
 * Starts a real OpenBatch server for a test: its own temp data directory, an ephemeral port, silent logs, state
 * changes checked strictly against the transition tables, and the scheduling loop's safety net every second.
 * `dispose()` fails the test when the server saw an illegal transition or placed work no wake-up announced
 * (docs/architecture.md, "Server core"), so the whole suite proves the wake-ups right.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, type OpenBatchServer, type ServerOptions } from "@openbatch/server";

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
      const { missedWakeUps, illegalTransitions } = server.health();
      if (missedWakeUps > 0) throw new Error(`${missedWakeUps} task placement(s) came from the scheduling safety net: a change made work placeable without waking the scheduler`);
      if (illegalTransitions > 0) throw new Error(`${illegalTransitions} state change(s) the transition tables do not allow were attempted`);
    },
  }) as TestServer;
}
