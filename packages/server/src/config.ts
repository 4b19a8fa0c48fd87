/**
 * Server options as users give them (every field optional, with its default) and the resolved configuration the
 * rest of the server reads, with no `undefined` left.
 *
 * Environment equivalents (read by the CLI): OPENBATCH_HOST, OPENBATCH_PORT, OPENBATCH_DATA_DIR,
 * OPENBATCH_ACCOUNTS (comma-separated NAME:BASE64KEY), OPENBATCH_ACCOUNTS_FILE, OPENBATCH_STORE_URL.
 */
import { isAbsolute, join, resolve } from "node:path";
import { systemClock, type Clock } from "@openbatch/core";
import { parseStoreLocation, type StoreLocation } from "@openbatch/store";
import { developmentAccount, parseAccountSpec, readAccountsFile } from "./accounts.js";
import type { BearerTokenOptions } from "./auth/bearerToken.js";
import type { AutoStorageOptions } from "./storage/autoStorage.js";
import { checkQuotaSettings, hostDefaultQuotas, Quotas, type QuotaSettings } from "./quotas.js";
import { providerKinds, type ProviderKind } from "./providers/computeProvider.js";
import { checkServerSlurmSettings, type SlurmSettings } from "./providers/slurm/slurmOptions.js";

/** HTTPS for the Batch API and the agent protocol. */
export interface TlsOptions {
  /** PEM certificate chain (the server's certificate first). */
  readonly certFile: string;
  /** PEM private key of the certificate. */
  readonly keyFile: string;
}

/** The Slurm provider's settings (docs/deployment.md, "On a Slurm cluster"); pools override them in metadata. */
export interface SlurmOptions extends SlurmSettings {
  /**
   * How a pilot job starts the agent on a Slurm node, e.g. `["/usr/bin/node", "/opt/openbatch/packages/cli/dist/src/main.js", "agent"]`
   * (`serve` passes its own node and CLI). Without it `slurm` pools are refused.
   */
  readonly agentCommand?: readonly string[];
  /** Where pilots keep their nodes' directories, on the Slurm nodes. @default `<dataDir>/slurm` */
  readonly workDir?: string;
  /** The server's URL as pilots reach it. @default `publicUrl`, else the server's own URL */
  readonly serverUrl?: string;
  /** A CA certificate file on the Slurm nodes with which pilots verify a TLS server. */
  readonly caFile?: string;
  /** Environment for Slurm's commands on top of the server's (`SLURM_CONF`…). */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Variables for the pilot jobs' environment (a proxy, `OPENBATCH_AGENT_ISOLATION`…). Nothing else of the server's
   * environment reaches a pilot but `PATH` and the agent's token.
   */
  readonly pilotEnvironment?: Readonly<Record<string, string>>;
  /** How often pilots are looked at with `squeue`. @default 5000 */
  readonly pollIntervalInMs?: number;
}

export interface ServerOptions {
  /** Interface to bind. @default "127.0.0.1" */
  host?: string;
  /** TCP port; 0 picks a free one. @default 8090 */
  port?: number;
  /** Where the database and node directories live. @default "./.openbatch" */
  dataDir?: string;
  /**
   * The store: `postgres://user:password@host:port/database` for a PostgreSQL database, or `sqlite:<file>`.
   * @default the SQLite file `openbatch.db` in `dataDir`
   */
  store?: string;
  /** `NAME:BASE64KEY` specs. @default the development account (loopback only) */
  accounts?: readonly string[];
  /** A file of `NAME:BASE64KEY` lines (mode 0600), read at start-up; its accounts add to `accounts`. */
  accountsFile?: string;
  /** Accepts Entra ID bearer tokens when set. */
  bearerToken?: BearerTokenOptions;
  /** How far `ocp-date` may be from the server's time. @default 900 */
  clockSkewInSeconds?: number;
  /** The absolute URL clients use to reach this server, when behind a proxy; by default from each request's Host. */
  publicUrl?: string;
  /** @default the system clock */
  clock?: Clock;
  /** "silent" for tests. @default "info" */
  logLevel?: "silent" | "error" | "warn" | "info" | "debug";
  /** Where log lines go instead of stdout (the CLI passes a pretty-printer on a terminal). @default stdout, JSON */
  logStream?: { write(line: string): unknown };
  /**
   * The node agent's entry script (`@openbatch/agent/main`); the local provider runs it to host nodes. Without it
   * nodes are allocated but stay `creating` until an agent joins from elsewhere.
   */
  localAgentEntry?: string;
  /** How often an idle agent reports; also the longest a long poll is held. @default 10 */
  agentHeartbeatIntervalInSeconds?: number;
  /** Nodes per local agent process. @default 16 */
  nodesPerAgent?: number;
  /** An agent silent this long has its nodes marked `unknown`. @default 30 */
  nodeHeartbeatTimeoutInSeconds?: number;
  /**
   * Node user accounts become OS accounts on hosts whose agent runs as root on Linux (docs/agent-protocol.md).
   * Off, they are only recorded. @default true
   */
  nodeOsUsers?: boolean;
  /**
   * Local agents isolate tasks (docs/security.md): each process in a bubblewrap sandbox that shows only its node,
   * and as root as the OS account of its Batch identity. Off, tasks run unconfined as the agents' OS user, which
   * can read the server's data directory: only for trusted task code. @default true
   */
  taskIsolation?: boolean;
  /**
   * A node `unknown` this long (its agent silent) gives up its runs as lost to a host failure: its tasks are retried
   * elsewhere (recovery retries), so a node that never comes back does not hold them forever. @default 300
   */
  unknownNodeTimeoutInSeconds?: number;
  /**
   * The auto-storage account behind `ResourceFile.autoStorageContainerName`, shared by every account this server
   * serves. Without it such resource files are refused when a task is added.
   */
  autoStorage?: AutoStorageOptions;
  /** The largest application package zip the admin endpoint accepts. @default 512 MiB */
  maxApplicationPackageBytes?: number;
  /** The most a package may expand to (sum of its entries' declared sizes). @default 4 GiB */
  maxApplicationPackageExpandedBytes?: number;
  /**
   * fsync every store commit, so that an acknowledged change survives a power loss too. Off, a change survives the
   * process crashing and the store is never corrupted, at a fraction of the latency (docs/architecture.md).
   * @default false
   */
  durableWrites?: boolean;
  /** Longest real wait between sweeps for task directories whose retention ended. @default 60000 */
  retentionSweepInMs?: number;
  /**
   * The compute provider of pools whose metadata names none (`openbatch.provider`): `local` (agents on this
   * machine), `external` (agents join with a join token) or `slurm` (pilot jobs). @default "local"
   */
  provider?: ProviderKind;
  /** Serve HTTPS (Batch API and agent protocol) with this certificate and key. */
  tls?: TlsOptions;
  /** The Slurm provider's settings. */
  slurm?: SlurmOptions;
  /** Real time between autoscale passes, which evaluate pools whose interval has passed on `clock`. @default 1000 */
  autoscaleTickInMs?: number;
  /**
   * Time on `clock` between the scheduling loop's safety-net passes, which place work no wake-up announced and count
   * it as missed (docs/architecture.md). @default 5
   */
  schedulingSafetyNetInSeconds?: number;
  /**
   * A state change the transition tables do not allow throws (tests), instead of being written and logged as an
   * error. @default false
   */
  strictTransitions?: boolean;
  /** `GET /metrics` then needs `Authorization: Bearer <token>`. @default open (like /healthz) */
  metricsToken?: string;
  /** Entity changes kept per account for event-stream resumption (`Last-Event-ID`). @default 20000 */
  eventBufferSize?: number;
  /** The built dashboard served at /ui/. @default packages/dashboard/dist of the installation, when built */
  dashboardDir?: string;
  /**
   * Quotas of every account (docs/quotas.md): dedicated and Spot cores, pools, active jobs and job schedules.
   * @default cores from this host's CPUs and memory (quotas.ts), 100 pools, 300 active jobs and schedules
   */
  quotas?: QuotaSettings;
  /** Quotas of single accounts, by account name, over `quotas`. */
  accountQuotas?: Readonly<Record<string, QuotaSettings>>;
  /**
   * Accounts whose container tasks may use every `containerRunOptions`: privileged containers, added capabilities,
   * host namespaces, devices and host paths (docs/containers.md). Others get a 400 naming the option. @default none
   */
  unrestrictedContainerAccounts?: readonly string[];
  /**
   * The Azure subscription this server's accounts belong to: ARM ids in requests (a pool's `subnetId`, custom image,
   * public IPs) must name it, as the service refuses another subscription's. @default `developmentSubscriptionId`
   */
  subscriptionId?: string;
  /**
   * How often, on average, each Spot/low-priority node is evicted (preempted), per hour of the injected clock; 0
   * turns evictions off. For testing code against preemption without calling the preempt extension. @default 0
   */
  spotEvictionRatePerHour?: number;
  /** How long an evicted Spot node stays `preempted` before it comes back. @default 30 */
  spotRecoveryInSeconds?: number;
}

export interface ResolvedServerConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly store: StoreLocation;
  readonly accounts: readonly { name: string; key: string }[];
  readonly usingDevelopmentAccount: boolean;
  readonly bearerToken: BearerTokenOptions | undefined;
  readonly clockSkewInSeconds: number;
  readonly publicUrl: string | undefined;
  readonly clock: Clock;
  readonly logLevel: NonNullable<ServerOptions["logLevel"]>;
  readonly logStream: ServerOptions["logStream"];
  readonly localAgentEntry: string | undefined;
  readonly agentHeartbeatIntervalInSeconds: number;
  readonly nodesPerAgent: number;
  readonly nodeHeartbeatTimeoutInSeconds: number;
  readonly nodeOsUsers: boolean;
  readonly taskIsolation: boolean;
  readonly unknownNodeTimeoutInSeconds: number;
  readonly autoStorage: AutoStorageOptions | undefined;
  readonly maxApplicationPackageBytes: number;
  readonly maxApplicationPackageExpandedBytes: number;
  readonly autoscaleTickInMs: number;
  readonly retentionSweepInMs: number;
  readonly durableWrites: boolean;
  readonly provider: ProviderKind;
  readonly tls: TlsOptions | undefined;
  readonly slurm: SlurmOptions;
  readonly schedulingSafetyNetInSeconds: number;
  readonly strictTransitions: boolean;
  readonly metricsToken: string | undefined;
  readonly eventBufferSize: number;
  readonly dashboardDir: string | undefined;
  readonly quotas: Quotas;
  readonly unrestrictedContainerAccounts: ReadonlySet<string>;
  readonly subscriptionId: string;
  readonly spotEvictionRatePerHour: number;
  readonly spotRecoveryInSeconds: number;
}

/**
 * The subscription of a server that names none: a fixed, made-up id (docs/compatibility.md), so that ARM ids of any
 * real subscription — or the all-zero placeholder of Azure's own tests — are refused as another subscription's.
 */
export const developmentSubscriptionId = "6f70656e-6261-7463-6800-000000000000";

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Fills defaults and checks the combination; throws an Error whose message a person can act on. */
export function resolveServerConfig(options: ServerOptions = {}): ResolvedServerConfig {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8090;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Port ${port} is not a TCP port`);
  const accounts = [...(options.accounts ?? []).map(parseAccountSpec), ...(options.accountsFile === undefined ? [] : readAccountsFile(options.accountsFile))];
  const usingDevelopmentAccount = accounts.length === 0;
  if (usingDevelopmentAccount && !isLoopback(host)) {
    throw new Error(
      `Refusing to serve the public development account '${developmentAccount.name}' on ${host}: ` +
        "its key is published. Configure an account with --account NAME:BASE64KEY, or bind to 127.0.0.1.",
    );
  }
  const unknownNodeTimeout = options.unknownNodeTimeoutInSeconds ?? 300;
  if (!(unknownNodeTimeout > 0)) throw new Error("unknownNodeTimeoutInSeconds must be a positive number of seconds");
  const served = usingDevelopmentAccount ? [developmentAccount.name] : accounts.map((account) => account.name);
  for (const name of options.unrestrictedContainerAccounts ?? []) {
    if (!served.includes(name)) throw new Error(`unrestrictedContainerAccounts names '${name}', which is not an account of this server`);
  }
  const dataDirOption = options.dataDir ?? "./.openbatch";
  const dataDir = isAbsolute(dataDirOption) ? dataDirOption : resolve(dataDirOption);
  const provider = options.provider ?? "local";
  if (!providerKinds.includes(provider)) throw new Error(`The compute provider '${String(provider)}' is not one of ${providerKinds.join(", ")}`);
  if (provider === "slurm" && options.slurm?.agentCommand === undefined) throw new Error("The slurm provider needs the agent command pilot jobs run (slurm.agentCommand)");
  if (options.slurm !== undefined) checkServerSlurmSettings(options.slurm);
  const badVariable = Object.keys(options.slurm?.pilotEnvironment ?? {}).find((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
  if (badVariable !== undefined) throw new Error(`'${badVariable}' is not an environment variable name (slurm.pilotEnvironment)`);
  const safetyNet = options.schedulingSafetyNetInSeconds ?? 5;
  if (!(safetyNet > 0 && Number.isFinite(safetyNet))) throw new Error(`schedulingSafetyNetInSeconds must be a positive number of seconds, not ${safetyNet}`);
  const subscriptionId = options.subscriptionId ?? developmentSubscriptionId;
  if (!guidPattern.test(subscriptionId)) throw new Error(`subscriptionId must be a GUID, like ${developmentSubscriptionId}, not '${subscriptionId}'`);
  const evictionRate = options.spotEvictionRatePerHour ?? 0;
  if (!(evictionRate >= 0 && Number.isFinite(evictionRate))) throw new Error(`spotEvictionRatePerHour must be a number of evictions per hour, 0 or more, not ${evictionRate}`);
  const spotRecovery = options.spotRecoveryInSeconds ?? 30;
  if (!(spotRecovery >= 0 && spotRecovery <= 86_400)) throw new Error(`spotRecoveryInSeconds must be between 0 and 86400 seconds, not ${spotRecovery}`);
  return {
    host,
    port,
    dataDir,
    store: options.store === undefined || options.store === "" ? { backend: "sqlite", filename: join(dataDir, "openbatch.db") } : parseStoreLocation(options.store),
    accounts: usingDevelopmentAccount ? [{ ...developmentAccount }] : accounts,
    usingDevelopmentAccount,
    bearerToken: options.bearerToken,
    clockSkewInSeconds: options.clockSkewInSeconds ?? 900,
    publicUrl: options.publicUrl?.replace(/\/+$/, ""),
    clock: options.clock ?? systemClock,
    logLevel: options.logLevel ?? "info",
    logStream: options.logStream,
    localAgentEntry: options.localAgentEntry,
    agentHeartbeatIntervalInSeconds: options.agentHeartbeatIntervalInSeconds ?? 10,
    nodesPerAgent: options.nodesPerAgent ?? 16,
    nodeHeartbeatTimeoutInSeconds: options.nodeHeartbeatTimeoutInSeconds ?? 30,
    nodeOsUsers: options.nodeOsUsers ?? true,
    taskIsolation: options.taskIsolation ?? true,
    unknownNodeTimeoutInSeconds: unknownNodeTimeout,
    autoStorage: options.autoStorage,
    maxApplicationPackageBytes: options.maxApplicationPackageBytes ?? 512 * 1024 * 1024,
    maxApplicationPackageExpandedBytes: options.maxApplicationPackageExpandedBytes ?? 4 * 1024 * 1024 * 1024,
    autoscaleTickInMs: options.autoscaleTickInMs ?? 1000,
    retentionSweepInMs: options.retentionSweepInMs ?? 60_000,
    durableWrites: options.durableWrites ?? false,
    provider,
    tls: options.tls,
    slurm: options.slurm ?? {},
    schedulingSafetyNetInSeconds: safetyNet,
    strictTransitions: options.strictTransitions ?? false,
    metricsToken: options.metricsToken === "" ? undefined : options.metricsToken,
    eventBufferSize: options.eventBufferSize ?? 20_000,
    dashboardDir: options.dashboardDir,
    quotas: new Quotas(
      hostDefaultQuotas(),
      checkQuotaSettings(options.quotas ?? {}, "quotas"),
      Object.fromEntries(Object.entries(options.accountQuotas ?? {}).map(([name, settings]) => [name, checkQuotaSettings(settings, `the quotas of account '${name}'`)])),
    ),
    unrestrictedContainerAccounts: new Set(options.unrestrictedContainerAccounts ?? []),
    subscriptionId,
    spotEvictionRatePerHour: evictionRate,
    spotRecoveryInSeconds: spotRecovery,
  };
}
