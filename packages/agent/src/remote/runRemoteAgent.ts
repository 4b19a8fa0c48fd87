/**
 * `openbatch agent`: a node agent started by hand (or by a Slurm pilot job) on any machine.
 *
 *   openbatch agent --server https://host:8090 --join-token T [--nodes N] [--work-dir D] [--ca-file F]
 *   openbatch agent --server URL --agent-id ID --work-dir D      (token in OPENBATCH_AGENT_TOKEN: pilot jobs)
 *
 * `--server` may list several URLs, comma-separated (the replicas of one deployment, docs/deployment.md): the
 * agent joins through any of them and fails over between them (session/serverUrls.ts).
 *
 * With a join token it joins the token's pool (joinPool.ts) and remembers the identity it gets in its work
 * directory, so that a restart carries on as the same agent with the same nodes and reports what finished while
 * it was down; with an agent id it is an agent the server registered itself (a Slurm pilot). Its nodes live in
 * `<work-dir>/nodes/<pool>/<node>`, its log (JSON lines, also on stderr) in `<work-dir>/logs/agent.log`, which the
 * server uploads as the nodes' service logs.
 *
 * It runs until the server retires it (its pool no longer needs its nodes: exit 0, identity forgotten), a signal
 * (`signal` aborts: processes ended, state saved, exit 0 — a restart picks up from there), or a refusal: a join
 * token that is wrong, expired or revoked, or a pool that takes no more nodes (exit 3, the server's message on
 * stderr). A saved identity the server no longer accepts (the agent was removed while away) is replaced by joining
 * again once, when a join token is at hand.
 */
import { createWriteStream, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { agentVersion, startAgent } from "../agent.js";
import { createLogger, type Logger } from "../log.js";
import { openServerConnection } from "../session/serverConnection.js";
import { parseServerUrls } from "../session/serverUrls.js";
import { readIdentity, removeIdentity, writeIdentity, type AgentIdentityFile } from "./identityFile.js";
import { JoinRefused, joinPool } from "./joinPool.js";

export interface RemoteAgentOptions {
  /** The server's URL, or several replicas' separated by commas. */
  readonly serverUrl: string;
  /** Join the token's pool (unless an identity is saved in the work directory). */
  readonly joinToken?: string;
  /** Or run as an agent the server registered (pilot jobs): its id and token. */
  readonly agentId?: string;
  readonly token?: string;
  /** Nodes to offer when joining. @default 1 */
  readonly nodes?: number;
  readonly workDirectory: string;
  readonly caFile?: string;
  readonly hostIp?: string;
  readonly verbose?: boolean;
  /** Aborting stops the agent cleanly. */
  readonly signal: AbortSignal;
  /** Where log lines go besides the log file. @default stderr */
  readonly write?: (line: string) => void;
}

/** How `openbatch agent` ended: 0 retired or stopped, 1 could not start, 3 refused by the server. */
export type RemoteAgentExit = 0 | 1 | 3;

export async function runRemoteAgent(options: RemoteAgentOptions): Promise<RemoteAgentExit> {
  const work = resolve(options.workDirectory);
  const logDirectory = join(work, "logs");
  mkdirSync(logDirectory, { recursive: true, mode: 0o700 });
  const logFile = createWriteStream(join(logDirectory, "agent.log"), { flags: "a", mode: 0o600 });
  const secrets = [options.joinToken, options.token].filter((secret): secret is string => secret !== undefined);
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const logger = createLogger({
    verbose: options.verbose === true,
    redact: secrets,
    write: (line) => {
      write(line);
      logFile.write(line);
    },
  });
  try {
    return await run(options, work, logDirectory, logger);
  } finally {
    await new Promise<void>((done) => logFile.end(done));
  }
}

async function run(options: RemoteAgentOptions, work: string, logDirectory: string, logger: Logger): Promise<RemoteAgentExit> {
  let servers: string[];
  try {
    servers = parseServerUrls(options.serverUrl);
  } catch (error) {
    logger.log("error", `--server: ${(error as Error).message}`);
    return 1;
  }
  let identity: AgentIdentityFile | undefined;
  let joinedNow = false;
  if (options.agentId !== undefined) {
    if (options.token === undefined) {
      logger.log("error", "an agent id needs its token (OPENBATCH_AGENT_TOKEN)");
      return 1;
    }
    identity = { serverUrl: options.serverUrl, account: "", poolId: "", agentId: options.agentId, token: options.token };
  } else {
    const saved = await readIdentity(work);
    // The same deployment: the saved servers and these share one (replicas may come and go from the list).
    if (saved !== undefined && parseServerUrls(saved.serverUrl).some((url) => servers.includes(url))) {
      identity = saved;
      logger.log("info", "carrying on as the agent this work directory joined as", { poolId: saved.poolId, agentId: saved.agentId });
    }
  }
  for (;;) {
    if (identity === undefined) {
      if (options.joinToken === undefined) {
        logger.log("error", "no join token (--join-token or OPENBATCH_JOIN_TOKEN) and no saved identity in the work directory");
        return 1;
      }
      const joined = await joinWithToken(options, servers, logger);
      if (typeof joined === "number") return joined;
      identity = joined;
      joinedNow = true;
      await writeIdentity(work, identity);
    }
    let agent;
    try {
      agent = await startAgent({
        serverUrl: options.serverUrl,
        agentId: identity.agentId,
        token: identity.token,
        dataDirectory: join(work, "nodes"),
        serviceLogDirectory: logDirectory,
        ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
        ...(options.hostIp === undefined ? {} : { hostIp: options.hostIp }),
        logger,
        signal: options.signal,
      });
    } catch (error) {
      logger.log("error", "the agent could not start", { error });
      return 1;
    }
    const reason = await agent.stopped;
    if (reason === "shutdown") {
      if (options.agentId === undefined) await removeIdentity(work);
      logger.log("info", "the pool no longer needs this agent's nodes; exiting");
      return 0;
    }
    if (reason === "closed") return 0;
    // unauthorized: the server does not know this identity (any more).
    if (options.agentId !== undefined || joinedNow || options.joinToken === undefined || options.signal.aborted) return 3;
    logger.log("warn", "the server no longer knows this agent (it was removed while away); joining the pool again");
    await removeIdentity(work);
    identity = undefined;
  }
}

async function joinWithToken(options: RemoteAgentOptions, servers: readonly string[], logger: Logger): Promise<AgentIdentityFile | RemoteAgentExit> {
  let connection;
  try {
    connection = openServerConnection({ serverUrl: servers[0] as string, ...(options.caFile === undefined ? {} : { caFile: options.caFile }) });
  } catch (error) {
    logger.log("error", (error as Error).message);
    return 1;
  }
  try {
    const joined = await joinPool({
      serverUrls: servers,
      fetch: connection.fetch,
      joinToken: options.joinToken as string,
      nodes: options.nodes ?? 1,
      agentVersion,
      logger,
      signal: options.signal,
    });
    logger.log("info", "joined the pool", { account: joined.account, poolId: joined.poolId, agentId: joined.agentId, nodes: joined.nodes });
    return { serverUrl: options.serverUrl, account: joined.account, poolId: joined.poolId, agentId: joined.agentId, token: joined.token };
  } catch (error) {
    if (error instanceof JoinRefused && error.status === 0) {
      logger.log("error", `joining the pool failed: ${error.message}`, { code: error.code });
      return 1;
    }
    if (error instanceof JoinRefused) {
      logger.log("error", `the server refused to let this agent join: ${error.message}`, { status: error.status, code: error.code });
      return 3;
    }
    if (options.signal.aborted) return 0;
    logger.log("error", "joining the pool failed", { error });
    return 1;
  } finally {
    await connection.close();
  }
}
