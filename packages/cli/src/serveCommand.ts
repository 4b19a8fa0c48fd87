/**
 * `openbatch serve`: starts the whole service with embedded defaults (SQLite in the data directory, the
 * development account on loopback) and runs until SIGTERM or SIGINT, then shuts down cleanly.
 *
 * The banner says where it listens and, for the development account (whose key is public), prints the lines that
 * point az and the SDKs at it. Logs are pretty on a terminal and JSON lines otherwise (--log-format). Node agents
 * are detached and keep running their tasks when the server stops (a restarted server takes them back); the
 * shutdown message counts them and says how to stop them, which --stop-agents-on-exit does by itself.
 */
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError, Option } from "commander";
import pretty from "pino-pretty";
import { BatchServiceClient, BatchSharedKeyCredential } from "@openbatch/client";
import type { OpenBatchServer, ServerOptions } from "@openbatch/server";
import { UsageError } from "./framework/errors.js";
import { session } from "./framework/session.js";
import { describeStoreLocation } from "@openbatch/store";

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new InvalidArgumentError("must be a TCP port (0-65535)");
  return parsed;
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError("must be a whole number of at least 1");
  return parsed;
}

type TuningOption = "nodesPerAgent" | "agentHeartbeatIntervalInSeconds" | "nodeHeartbeatTimeoutInSeconds" | "unknownNodeTimeoutInSeconds";

/**
 * `{ [name]: value }` from the flag, else from the environment variable, else nothing (the server's default).
 * The variable is read here, inside the action, so that a bad value is reported like a bad flag.
 */
function tuningOption<K extends TuningOption>(name: K, flag: unknown, variable: string): Pick<ServerOptions, K> {
  const fromEnvironment = process.env[variable];
  let value: number | undefined = typeof flag === "number" ? flag : undefined;
  if (value === undefined && fromEnvironment !== undefined && fromEnvironment !== "") {
    try {
      value = positiveInteger(fromEnvironment);
    } catch (error) {
      throw new UsageError(`${variable} ${(error as Error).message}`);
    }
  }
  return (value === undefined ? {} : { [name]: value }) as Pick<ServerOptions, K>;
}

function nonNegativeNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError("must be a number of at least 0");
  return parsed;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The Spot eviction options from their flags, the rate else from OPENBATCH_SPOT_EVICTION_RATE. */
function spotOptions(rate: unknown, recovery: unknown): Pick<ServerOptions, "spotEvictionRatePerHour" | "spotRecoveryInSeconds"> {
  const fromEnvironment = process.env["OPENBATCH_SPOT_EVICTION_RATE"];
  let ratePerHour = typeof rate === "number" ? rate : undefined;
  if (ratePerHour === undefined && fromEnvironment !== undefined && fromEnvironment !== "") {
    try {
      ratePerHour = nonNegativeNumber(fromEnvironment);
    } catch (error) {
      throw new UsageError(`OPENBATCH_SPOT_EVICTION_RATE ${(error as Error).message}`);
    }
  }
  return {
    ...(ratePerHour === undefined ? {} : { spotEvictionRatePerHour: ratePerHour }),
    ...(typeof recovery === "number" ? { spotRecoveryInSeconds: recovery } : {}),
  };
}

export function serveCommand(): Command {
  return new Command("serve")
    .description(
      "Start the OpenBatch service (embedded SQLite store, local compute nodes). The auto-storage account for " +
        "resource files' autoStorageContainerName is the connection string in OPENBATCH_AUTO_STORAGE_CONNECTION_STRING.",
    )
    .option("--host <host>", "interface to bind (env OPENBATCH_HOST)", process.env["OPENBATCH_HOST"] ?? "127.0.0.1")
    .option("--port <port>", "TCP port, 0 for any free one (env OPENBATCH_PORT)", port, Number(process.env["OPENBATCH_PORT"] ?? 8090))
    .option("--data-dir <dir>", "directory for the database and node files (env OPENBATCH_DATA_DIR)", process.env["OPENBATCH_DATA_DIR"] ?? "./.openbatch")
    .option(
      "--store <url>",
      "the store: postgres://user@host:port/database (password in PGPASSWORD, not in ps) or sqlite:<file> (env OPENBATCH_STORE_URL). Default: SQLite in the data directory",
      process.env["OPENBATCH_STORE_URL"],
    )
    .option(
      "--account <name:base64key>",
      "a Batch account to serve; repeatable (env OPENBATCH_ACCOUNTS, comma-separated). Default: the development account. " +
        "Other users of the machine can read command lines: prefer --accounts-file or the environment",
      collect,
      (process.env["OPENBATCH_ACCOUNTS"] ?? "").split(",").filter((spec) => spec !== ""),
    )
    .option(
      "--accounts-file <path>",
      "a file of NAME:BASE64KEY lines (# comments), readable by this user only (env OPENBATCH_ACCOUNTS_FILE)",
      process.env["OPENBATCH_ACCOUNTS_FILE"],
    )
    .option("--jwt-jwks-file <path>", "accept Entra ID bearer tokens signed by the keys in this JWKS file")
    .option("--jwt-public-key-file <path>", "accept bearer tokens signed by this PEM public key")
    .option("--jwt-issuer <issuer>", "required bearer token issuer")
    .option("--jwt-audience <audience>", "required bearer token audience", "https://batch.core.windows.net/")
    .option("--log-level <level>", "silent, error, warn, info or debug", "info")
    .option("--nodes-per-agent <n>", "compute nodes one local agent process hosts at most (env OPENBATCH_NODES_PER_AGENT; default 16)", positiveInteger)
    .option(
      "--agent-heartbeat-interval <seconds>",
      "how often an idle agent reports, and the longest a report is held (env OPENBATCH_AGENT_HEARTBEAT_INTERVAL; default 10)",
      positiveInteger,
    )
    .option(
      "--node-heartbeat-timeout <seconds>",
      "an agent silent this long has its nodes marked unknown (env OPENBATCH_NODE_HEARTBEAT_TIMEOUT; default 30)",
      positiveInteger,
    )
    .option(
      "--no-node-os-users",
      "keep node user accounts as records only; by default an agent running as root on Linux makes them OS accounts (env OPENBATCH_NODE_OS_USERS=off)",
    )
    .option(
      "--no-task-isolation",
      "run tasks unconfined as the server's OS user; by default each runs in a bubblewrap sandbox showing only its node, as root as its identity's OS account (env OPENBATCH_TASK_ISOLATION=off)",
    )
    .option(
      "--unknown-node-timeout <seconds>",
      "a node unknown this long gives up its running tasks, which are retried elsewhere (env OPENBATCH_UNKNOWN_NODE_TIMEOUT; default 300)",
      positiveInteger,
    )
    .option(
      "--quota <[account:]name=value>",
      "an account quota, for every account or the one named: dedicatedCores, lowPriorityCores, pools or activeJobsAndSchedules; repeatable " +
        "(env OPENBATCH_QUOTAS, comma-separated). Default: cores from this host's CPUs and memory (for local pools only), 100 pools, 300 active jobs and schedules",
      collect,
      (process.env["OPENBATCH_QUOTAS"] ?? "").split(",").filter((spec) => spec !== ""),
    )
    .option(
      "--unrestricted-container-account <name>",
      "an account whose container tasks may use every containerRunOptions (privileged, added capabilities, host namespaces, devices, host paths); repeatable (env OPENBATCH_UNRESTRICTED_CONTAINER_ACCOUNTS, comma-separated)",
      collect,
      (process.env["OPENBATCH_UNRESTRICTED_CONTAINER_ACCOUNTS"] ?? "").split(",").filter((name) => name !== ""),
    )
    .option(
      "--subscription-id <guid>",
      "the Azure subscription the accounts belong to: ARM ids in requests (a pool's subnetId, custom image) must name it (env OPENBATCH_SUBSCRIPTION_ID)",
      process.env["OPENBATCH_SUBSCRIPTION_ID"],
    )
    .option(
      "--spot-eviction-rate <per-hour>",
      "evict each Spot/low-priority node at random this many times an hour on average, to test code against preemption (env OPENBATCH_SPOT_EVICTION_RATE; default 0: never)",
      nonNegativeNumber,
    )
    .option("--spot-recovery <seconds>", "how long an evicted Spot node stays preempted before it comes back (default 30)", nonNegativeNumber)
    .option("--durable-writes", "fsync every store commit (survives power loss; slower)", process.env["OPENBATCH_DURABLE_WRITES"] === "1")
    .addOption(new Option("--log-format <format>", "pretty (readable, for a terminal) or json (one object per line); default: pretty on a terminal").choices(["auto", "pretty", "json"]).default("auto"))
    .option("--stop-agents-on-exit", "stop the node agents (and their tasks) when the server stops, instead of leaving them running")
    .option("--provider <kind>", "compute provider of pools whose metadata names none: local, external or slurm (env OPENBATCH_PROVIDER)", process.env["OPENBATCH_PROVIDER"] ?? "local")
    .option("--tls-cert <pem>", "serve HTTPS with this certificate chain (env OPENBATCH_TLS_CERT)", process.env["OPENBATCH_TLS_CERT"])
    .option("--tls-key <pem>", "the certificate's private key (env OPENBATCH_TLS_KEY)", process.env["OPENBATCH_TLS_KEY"])
    .option("--public-url <url>", "the URL clients and agents reach this server at, when it differs from the listening address")
    .option("--slurm-partition <name>", "Slurm partition of pilot jobs")
    .option("--slurm-account <name>", "Slurm account of pilot jobs")
    .option("--slurm-qos <name>", "Slurm QoS of pilot jobs")
    .option("--slurm-time-limit <time>", "pilot jobs' time limit, in Slurm's format (60, 1:30:00, 1-0)")
    .option("--slurm-drain-before <seconds>", "how long before a pilot's time limit its node is drained and replaced (default 300, or a tenth of the limit)", positiveInteger)
    .option("--slurm-sbatch-option <option>", "an extra sbatch option for every pilot job (repeatable)", collect, [])
    .option("--slurm-work-dir <dir>", "where pilots keep node directories on the Slurm nodes (default <data-dir>/slurm)")
    .option("--slurm-server-url <url>", "the server's URL as Slurm nodes reach it (default --public-url, else the listening address)")
    .option("--slurm-ca-file <pem>", "CA file on the Slurm nodes with which pilots verify an https server")
    .option("--slurm-pilot-env <name=value>", "a variable for pilot jobs' environment, e.g. OPENBATCH_AGENT_ISOLATION=off (repeatable)", collect, [])
    .action(async (options: Record<string, string | string[] | number | boolean | undefined>) => {
      const jwks = options["jwtJwksFile"] as string | undefined;
      const publicKey = options["jwtPublicKeyFile"] as string | undefined;
      // From the environment only: a connection string carries an account key, which must not show in `ps`.
      const autoStorage = process.env["OPENBATCH_AUTO_STORAGE_CONNECTION_STRING"];
      const { parseQuotaSpecs } = await import("@openbatch/server");
      let quotaSettings;
      try {
        quotaSettings = parseQuotaSpecs(options["quota"] as string[]);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const provider = options["provider"] as string;
      if (provider !== "local" && provider !== "external" && provider !== "slurm") throw new Error(`--provider must be local, external or slurm, not '${provider}'`);
      const tlsCert = options["tlsCert"] as string | undefined;
      const tlsKey = options["tlsKey"] as string | undefined;
      if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new Error("--tls-cert and --tls-key go together");
      const text = (name: string) => (options[name] === undefined ? {} : { [name.replace(/^slurm(.)/, (_m, first: string) => first.toLowerCase())]: options[name] as string });
      const slurmSbatchOptions = options["slurmSbatchOption"] as string[];
      const pilotEnvironment = (options["slurmPilotEnv"] as string[]).map((entry) => {
        const equals = entry.indexOf("=");
        if (equals < 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.slice(0, equals))) throw new Error(`--slurm-pilot-env takes NAME=VALUE, not '${entry}'`);
        return [entry.slice(0, equals), entry.slice(equals + 1)] as const;
      });
      const serverOptions: ServerOptions = {
        provider,
        ...(tlsCert === undefined || tlsKey === undefined ? {} : { tls: { certFile: tlsCert, keyFile: tlsKey } }),
        ...(options["publicUrl"] === undefined ? {} : { publicUrl: options["publicUrl"] as string }),
        slurm: {
          // Pilot jobs run this same command, `openbatch agent`, with this same Node.js.
          agentCommand: [process.execPath, fileURLToPath(new URL("./main.js", import.meta.url)), "agent"],
          ...text("slurmPartition"),
          ...text("slurmAccount"),
          ...text("slurmQos"),
          ...text("slurmTimeLimit"),
          ...text("slurmServerUrl"),
          ...text("slurmCaFile"),
          ...(options["slurmWorkDir"] === undefined ? {} : { workDir: options["slurmWorkDir"] as string }),
          ...(options["slurmDrainBefore"] === undefined ? {} : { drainBeforeInSeconds: options["slurmDrainBefore"] as number }),
          ...(slurmSbatchOptions.length === 0 ? {} : { sbatchOptions: slurmSbatchOptions }),
          ...(pilotEnvironment.length === 0 ? {} : { pilotEnvironment: Object.fromEntries(pilotEnvironment) }),
        },
        host: options["host"] as string,
        port: options["port"] as number,
        dataDir: options["dataDir"] as string,
        ...(options["store"] === undefined ? {} : { store: options["store"] as string }),
        accounts: options["account"] as string[],
        ...(typeof options["accountsFile"] === "string" && options["accountsFile"] !== "" ? { accountsFile: options["accountsFile"] } : {}),
        taskIsolation: options["taskIsolation"] !== false && process.env["OPENBATCH_TASK_ISOLATION"] !== "off",
        logLevel: options["logLevel"] as ServerOptions["logLevel"],
        durableWrites: options["durableWrites"] === true,
        quotas: quotaSettings.quotas,
        accountQuotas: quotaSettings.accountQuotas,
        nodeOsUsers: options["nodeOsUsers"] !== false && process.env["OPENBATCH_NODE_OS_USERS"] !== "off",
        unrestrictedContainerAccounts: options["unrestrictedContainerAccount"] as string[],
        ...tuningOption("nodesPerAgent", options["nodesPerAgent"], "OPENBATCH_NODES_PER_AGENT"),
        ...tuningOption("agentHeartbeatIntervalInSeconds", options["agentHeartbeatInterval"], "OPENBATCH_AGENT_HEARTBEAT_INTERVAL"),
        ...tuningOption("nodeHeartbeatTimeoutInSeconds", options["nodeHeartbeatTimeout"], "OPENBATCH_NODE_HEARTBEAT_TIMEOUT"),
        ...tuningOption("unknownNodeTimeoutInSeconds", options["unknownNodeTimeout"], "OPENBATCH_UNKNOWN_NODE_TIMEOUT"),
        ...(typeof options["subscriptionId"] === "string" && options["subscriptionId"] !== "" ? { subscriptionId: options["subscriptionId"] } : {}),
        ...spotOptions(options["spotEvictionRate"], options["spotRecovery"]),
        localAgentEntry: fileURLToPath(import.meta.resolve("@openbatch/agent/main")),
        ...(autoStorage === undefined || autoStorage === "" ? {} : { autoStorage: { connectionString: autoStorage } }),
        // From the environment only, like the connection string: a secret must not show in `ps`.
        ...(process.env["OPENBATCH_METRICS_TOKEN"] ? { metricsToken: process.env["OPENBATCH_METRICS_TOKEN"] } : {}),
        ...(jwks === undefined && publicKey === undefined
          ? {}
          : {
              bearerToken: {
                ...(jwks === undefined ? {} : { jwksFile: jwks }),
                ...(publicKey === undefined ? {} : { publicKeyFile: publicKey }),
                ...(options["jwtIssuer"] === undefined ? {} : { issuer: options["jwtIssuer"] as string }),
                audience: options["jwtAudience"] as string,
              },
            }),
      };
      const format = options["logFormat"] === "auto" ? (process.stdout.isTTY === true ? "pretty" : "json") : options["logFormat"];
      if (format === "pretty") serverOptions.logStream = prettyLogs();
      const { startServer, listLocalAgents, stopLocalAgents } = await import("@openbatch/server");
      const server = await startServer(serverOptions);
      // One write, so whoever waits for the banner sees all of it at once.
      process.stdout.write(banner(server, server.config.store.backend === "postgres" ? describeStoreLocation(server.config.store.connectionString) : undefined));
      // Said where an operator looks, not only in the log: running other people's task code unconfined is a choice.
      if (server.taskIsolation.warning !== undefined) process.stderr.write(`WARNING: ${server.taskIsolation.warning}\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`${signal} received, shutting down\n`);
        const shutdown = async () => {
          const running = await runningTaskCount(server);
          await server.close();
          if (options["stopAgentsOnExit"] === true) {
            const stopped = await stopLocalAgents(server.config.dataDir);
            process.stdout.write(`Stopped ${plural(stopped.length, "node agent")} and their tasks.\n`);
          } else {
            const agents = listLocalAgents(server.config.dataDir);
            process.stdout.write(agentsLeftMessage(agents.length, running, server.config.dataDir));
          }
        };
        shutdown().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`Shutdown failed: ${String(error)}\n`);
            process.exit(1);
          },
        );
      };
      session.interruptHandledByCommand = true;
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
    });
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;

/** Readable log lines: the time, the level, and for the access log `GET /pools 200 (3 ms)`. */
function prettyLogs(): NonNullable<ServerOptions["logStream"]> {
  return pretty({
    colorize: process.stdout.isTTY === true && (process.env["NO_COLOR"] ?? "") === "",
    translateTime: "SYS:HH:MM:ss",
    ignore: "pid,hostname,reqId,requestId,method,path,status,ms",
    singleLine: true,
    sync: true,
    messageFormat: (log, messageKey) =>
      log[messageKey] === "request"
        ? `${String(log["method"])} ${String(log["path"])} ${String(log["status"])} (${String(log["ms"])} ms)${log["account"] === undefined ? "" : ` ${String(log["account"])}`}`
        : String(log[messageKey]),
  });
}

/** The runtime the local agents found, or why there is none (container pools are refused then: docs/containers.md). */
function containerRuntimeLine(runtime: OpenBatchServer["taskIsolation"]["containerRuntime"]): string {
  return "reason" in runtime ? `none (${runtime.reason})` : runtime.name;
}

function banner(server: OpenBatchServer, store: string | undefined): string {
  const { config } = server;
  const names = config.accounts.map((account) => account.name).join(", ");
  const lines = [`OpenBatch listening on ${server.url}`, `Accounts: ${names}${config.usingDevelopmentAccount ? " (the development account)" : ""}`, `Data directory: ${config.dataDir}`, `Task isolation: ${server.taskIsolation.mode}`, `Container runtime: ${containerRuntimeLine(server.taskIsolation.containerRuntime)}`];
  if (store !== undefined) lines.push(`Store: ${store}`);
  lines.push("");
  const account = config.accounts[0];
  if (config.usingDevelopmentAccount && account !== undefined) {
    lines.push(
      "The development account's key is public. Point az and the Azure SDKs at this server with:",
      `  export AZURE_BATCH_ENDPOINT=${server.url}`,
      `  export AZURE_BATCH_ACCOUNT=${account.name}`,
      `  export AZURE_BATCH_ACCESS_KEY=${account.key}`,
      "`npx openbatch` finds it without them, e.g. `npx openbatch status`.",
    );
  } else {
    lines.push(
      "Point az and the Azure SDKs at this server with:",
      `  export AZURE_BATCH_ENDPOINT=${server.url}`,
      `  export AZURE_BATCH_ACCOUNT=${account?.name ?? "<account>"}`,
      "  export AZURE_BATCH_ACCESS_KEY=<the account's key>",
    );
  }
  lines.push(`Status page: ${server.url}/    Stop: Ctrl-C (node agents keep running their tasks; --stop-agents-on-exit stops them)`);
  return `${lines.join("\n")}\n`;
}

/** Tasks running on this server's nodes, read through the API before it closes (undefined if that fails). */
async function runningTaskCount(server: OpenBatchServer): Promise<number | undefined> {
  const signal = AbortSignal.timeout(3000);
  let total = 0;
  try {
    for (const account of server.config.accounts) {
      const client = new BatchServiceClient(server.url, new BatchSharedKeyCredential(account.name, account.key), { retryOptions: { maxRetries: 0 } });
      try {
        for await (const pool of client.pool.list({ select: ["id"], abortSignal: signal })) {
          for await (const node of client.computeNode.list(pool.id as string, { select: ["id", "runningTasksCount"], abortSignal: signal })) {
            total += node.runningTasksCount ?? 0;
          }
        }
      } finally {
        await client.close();
      }
    }
    return total;
  } catch {
    return undefined;
  }
}

function agentsLeftMessage(agents: number, runningTasks: number | undefined, dataDir: string): string {
  if (agents === 0) return "Stopped.\n";
  const tasks = runningTasks === undefined ? "their tasks" : plural(runningTasks, "running task");
  return (
    `Stopped. ${plural(agents, "node agent")} keep${agents === 1 ? "s" : ""} running with ${tasks}; a server started on this data directory takes them back.\n` +
    `To stop them: npx openbatch agents stop --data-dir ${dataDir}   (or start the server with --stop-agents-on-exit)\n`
  );
}
