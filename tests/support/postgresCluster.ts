/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` into a temporary directory, `pg_ctl start`
 * listening on 127.0.0.1 only (no Unix socket) on a free port, password authentication, one fresh database per
 * store. When the tests run as root the server runs as the `postgres` OS user (PostgreSQL refuses root).
 *
 * PostgreSQL missing is a failure, never a skip: CI installs it (.ci/run). The binaries are looked for in
 * OPENBATCH_PG_BIN, else /usr/lib/postgresql/<newest>/bin, else on PATH.
 *
 * A cluster is stopped by its postmaster's PID (SIGINT: fast shutdown) and its directory removed — by `stop()`, or
 * when the process that started it exits. A cluster whose owner died without that (killed by a test runner) is
 * removed by the next harness to start on this machine.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface PostgresCluster {
  /** 127.0.0.1 */
  readonly host: string;
  readonly port: number;
  /** The superuser's connection string to the `postgres` database. */
  readonly adminUrl: string;
  /** The postmaster's process id. */
  readonly pid: number;
  /** A new, empty database (ICU en-US default collation, so results must not depend on it); its connection string. */
  createDatabase(): Promise<string>;
  /** Drops a database made by `createDatabase`, disconnecting whoever still uses it. */
  dropDatabase(url: string): Promise<void>;
  /** `pg_ctl restart -m fast`: every connection is cut, and the server comes back on the same port. */
  restart(): Promise<void>;
  /** `pg_ctl stop -m fast`: the database is down until `start()`. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  /** Stops the postmaster (by PID) and removes the cluster's directory. */
  stop(): Promise<void>;
}

const prefix = "openbatch-pg-";

function binDirectory(): string {
  const configured = process.env["OPENBATCH_PG_BIN"];
  if (configured !== undefined && configured !== "") return configured;
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) if (existsSync(join(root, version, "bin", "initdb"))) return join(root, version, "bin");
  }
  const which = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  if (which.status === 0) return join(which.stdout.trim(), "..");
  throw new Error("PostgreSQL is not installed (no initdb in OPENBATCH_PG_BIN, /usr/lib/postgresql/*/bin or PATH): install the Debian package `postgresql` (.ci/run does)");
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL program, as `postgres` when we are root; throws with its output when it fails. */
function run(program: string, args: readonly string[]): string {
  const command = asRoot ? ["runuser", "-u", "postgres", "--", program, ...args] : [program, ...args];
  const result = spawnSync(command[0] as string, command.slice(1), { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command.join(" ")} failed (${result.status ?? result.signal}): ${result.stderr}${result.stdout}`);
  return result.stdout;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function postmasterPid(dataDirectory: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDirectory, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Waits (blocking: also used from an `exit` handler) until `pid` is gone, at most `timeoutInMs`. */
function waitForExit(pid: number, timeoutInMs: number): boolean {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutInMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    Atomics.wait(pause, 0, 0, 20);
  }
  return true;
}

/** Stops a postmaster by PID, if that PID is still a postgres process, and removes the cluster directory. */
function destroy(directory: string): void {
  const pid = postmasterPid(join(directory, "data"));
  if (pid !== undefined && isAlive(pid) && readFileSync(`/proc/${pid}/comm`, "utf8").trim().startsWith("postgres")) {
    process.kill(pid, "SIGINT");
    if (!waitForExit(pid, 10_000)) {
      process.kill(pid, "SIGQUIT");
      waitForExit(pid, 5_000);
    }
  }
  rmSync(directory, { recursive: true, force: true });
}

/** Removes clusters whose owning process died without stopping them. */
function removeAbandoned(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const directory = join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(directory, "owner.pid"), "utf8"));
    } catch {
      continue;
    }
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) destroy(directory);
  }
}

export interface PostgresClusterOptions {
  /**
   * Keep PostgreSQL's own durability (fsync, synchronous_commit, full-page writes), as a benchmark must; tests turn
   * it off, as nothing outlives them. @default false
   */
  readonly durable?: boolean;
}

export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const bin = binDirectory();
  removeAbandoned();
  const directory = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(directory, "owner.pid"), String(process.pid));
  const onExit = () => destroy(directory);
  process.once("exit", onExit);
  try {
    const dataDirectory = join(directory, "data");
    const password = randomBytes(18).toString("base64url");
    const passwordFile = join(directory, "password");
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    if (asRoot) {
      const postgres = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
      const group = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
      if (postgres.status !== 0) throw new Error("Tests run as root, and there is no `postgres` OS user to run PostgreSQL as: install the Debian package `postgresql`");
      chownSync(directory, Number(postgres.stdout), Number(group.stdout));
      chownSync(passwordFile, Number(postgres.stdout), Number(group.stdout));
    }
    const user = asRoot ? "postgres" : userInfo().username;
    run(join(bin, "initdb"), ["-D", dataDirectory, "-U", user, "--auth=scram-sha-256", `--pwfile=${passwordFile}`, "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]);
    rmSync(passwordFile);
    const logFile = join(directory, "server.log");
    let port = 0;
    const start = () =>
      run(join(bin, "pg_ctl"), [
        "start", "-w", "-t", "60", "-D", dataDirectory, "-l", logFile,
        // Loopback only, no Unix socket.
        "-o", `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories='' -c max_connections=300${options.durable === true ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"}`,
      ]);
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        start();
        break;
      } catch (error) {
        // Another process may have taken the port between our probe and the server's bind.
        if (attempt >= 5 || !readFileSync(logFile, "utf8").includes("could not bind")) throw error;
      }
    }
    const adminUrl = `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        return await work(client);
      } finally {
        await client.end();
      }
    };
    const cluster: PostgresCluster = {
      host: "127.0.0.1",
      port,
      adminUrl,
      get pid() {
        const pid = postmasterPid(dataDirectory);
        if (pid === undefined) throw new Error("the test PostgreSQL server is not running");
        return pid;
      },
      async createDatabase() {
        const name = `openbatch_${randomBytes(6).toString("hex")}`;
        await admin((client) => client.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`));
        return adminUrl.replace(/\/postgres$/, `/${name}`);
      },
      async dropDatabase(url) {
        const name = new URL(url).pathname.slice(1);
        if (!/^openbatch_[0-9a-f]{12}$/.test(name)) throw new Error(`not a test database: ${name}`);
        await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      },
      async restart() {
        run(join(bin, "pg_ctl"), ["restart", "-w", "-m", "fast", "-D", dataDirectory, "-l", logFile]);
      },
      async stopServer() {
        run(join(bin, "pg_ctl"), ["stop", "-w", "-m", "fast", "-D", dataDirectory]);
      },
      async startServer() {
        start();
      },
      async stop() {
        process.off("exit", onExit);
        destroy(directory);
      },
    };
    return cluster;
  } catch (error) {
    process.off("exit", onExit);
    destroy(directory);
    throw error;
  }
}

let shared: Promise<PostgresCluster> | undefined;

/** One cluster per test process, started on first use and removed when the process exits. */
export function sharedPostgresCluster(): Promise<PostgresCluster> {
  shared ??= startPostgresCluster();
  return shared;
}
