/**
 * `openbatch agent`: hosts compute nodes of a pool on this machine (packages/agent/src/remote/runRemoteAgent.ts).
 *
 *   openbatch agent --server https://host:8090 --join-token T [--nodes N] [--work-dir D] [--ca-file F]
 *
 * `--server` may list several URLs, comma-separated: the replicas of one deployment (docs/deployment.md), which
 * the agent joins through and fails over between. The join token may come from OPENBATCH_JOIN_TOKEN or a file instead (other users of a machine can read command
 * lines). SIGTERM or SIGINT stops it cleanly; started again on the same work directory it carries on as the same
 * agent. Exit codes: 0 stopped or retired by the server, 1 could not start, 2 usage error, 3 refused by the server.
 */
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import { parseServerUrls, runRemoteAgent } from "@openbatch/agent";
import { session } from "./framework/session.js";

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 256) throw new InvalidArgumentError("must be a whole number from 1 to 256");
  return parsed;
}

function serverUrl(value: string): string {
  try {
    parseServerUrls(value);
  } catch {
    throw new InvalidArgumentError("must be the server's http:// or https:// URL, or several replicas' separated by commas");
  }
  return value;
}

interface AgentCommandOptions {
  readonly server?: string;
  readonly joinToken?: string;
  readonly joinTokenFile?: string;
  readonly nodes: number;
  readonly workDir: string;
  readonly caFile?: string;
  readonly hostIp?: string;
  readonly agentId?: string;
  readonly verbose?: boolean;
}

export function agentCommand(): Command {
  return new Command("agent")
    .description("Host compute nodes of a pool on this machine: join it with a join token (openbatch pool join-token) and run its tasks")
    .option("--server <url>", "the OpenBatch server's URL, or several replicas' separated by commas (env OPENBATCH_SERVER)", serverUrl, process.env["OPENBATCH_SERVER"])
    .option("--join-token <token>", "the pool's join token (env OPENBATCH_JOIN_TOKEN; prefer it or --join-token-file: command lines are visible to other users)")
    .option("--join-token-file <path>", "a file holding the join token")
    .option("--nodes <n>", "how many compute nodes this machine offers to host", positiveInteger, 1)
    .option("--work-dir <dir>", "where the nodes' directories, the agent's identity and its log live (env OPENBATCH_AGENT_WORK_DIR)", process.env["OPENBATCH_AGENT_WORK_DIR"] ?? "./openbatch-agent")
    .option("--ca-file <pem>", "CA certificates to verify an https:// server with (default: the system's)")
    .option("--host-ip <ip>", "this host's address for the nodes' records and remote login (default: the address that reaches the server)")
    .option("--agent-id <id>", "run as an agent the server registered itself (Slurm pilot jobs), its token in OPENBATCH_AGENT_TOKEN")
    .option("--verbose", "debug logs")
    .action(async (options: AgentCommandOptions) => {
      if (options.server === undefined) throw new Error("--server (or OPENBATCH_SERVER) is required.");
      let joinToken = options.joinToken ?? process.env["OPENBATCH_JOIN_TOKEN"];
      if (joinToken === undefined && options.joinTokenFile !== undefined) {
        try {
          joinToken = readFileSync(options.joinTokenFile, "utf8").trim();
        } catch (error) {
          throw new Error(`The join token file cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}).`);
        }
      }
      const token = process.env["OPENBATCH_AGENT_TOKEN"];
      if (options.agentId !== undefined && (token === undefined || token === "")) throw new Error("--agent-id needs the agent's token in OPENBATCH_AGENT_TOKEN.");
      // The agent stops in its own time on Ctrl-C (its processes end, its state is saved).
      session.interruptHandledByCommand = true;
      const stop = new AbortController();
      for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => stop.abort());
      const code = await runRemoteAgent({
        serverUrl: options.server,
        ...(joinToken === undefined || joinToken === "" ? {} : { joinToken }),
        ...(options.agentId === undefined ? {} : { agentId: options.agentId, token: token as string }),
        nodes: options.nodes,
        workDirectory: options.workDir,
        ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
        ...(options.hostIp === undefined ? {} : { hostIp: options.hostIp }),
        verbose: options.verbose === true,
        signal: stop.signal,
      });
      process.exit(code);
    });
}
