/**
 * The agent process's command line and environment:
 *
 *   --server <url>[,<url>…]   OPENBATCH_AGENT_SERVER       the server's base URL, or several replicas' (required)
 *   --agent-id <id>           OPENBATCH_AGENT_ID           the agent's id (required)
 *   --token <token>           OPENBATCH_AGENT_TOKEN        the agent's bearer token (required, one of the three)
 *   --token-file <path>       OPENBATCH_AGENT_TOKEN_FILE   …or a file holding it (whitespace trimmed)
 *   --data-dir <dir>          OPENBATCH_AGENT_DATA_DIR     node directories and state (required)
 *   --host-ip <ip>            OPENBATCH_AGENT_HOST_IP      reported address (default: the one that reaches the server)
 *   --file-server-port <n>    OPENBATCH_AGENT_FILE_PORT    loopback file-server port (0 = any free port)
 *   --ca-file <pem>           OPENBATCH_AGENT_CA_FILE      CAs to verify an https server with
 *                             OPENBATCH_AGENT_PIN_CERTIFICATE=1  trust exactly the certificate in the CA file
 *   --verbose                                              debug logs
 *
 *                           OPENBATCH_AGENT_OS_USERS     `off`: node users stay records even as root (nodes/osUsers.ts)
 *                           OPENBATCH_AGENT_ISOLATION    `off`: tasks run unconfined as the agent's user (process/sandbox.ts)
 *                           OPENBATCH_AGENT_CONTAINER_RUNTIME  `off`, `podman`, `docker` or a binary's path (containers/runtime.ts)
 *                           OPENBATCH_AGENT_SAMPLE_SECONDS  seconds between samples of the nodes' memory and disk (30)
 *                           OPENBATCH_AGENT_REPORT_BATCHING_MS  how long reports of busy nodes' task runs may wait to go out together (10; 0: never)
 *
 * Flags win over the environment; `--flag=value` works too. Prefer the environment or a file for the token:
 * other users of the machine can read argv. Errors never quote the token (nor any other value given).
 */
import { readFileSync } from "node:fs";
import type { AgentOptions } from "./agent.js";
import { parseServerUrls } from "./session/serverUrls.js";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const usage = `usage: openbatch-agent --server <url>[,<url>...] --agent-id <id> --data-dir <dir> [--token <token> | --token-file <path>]
                       [--host-ip <ip>] [--file-server-port <port>] [--ca-file <pem>] [--verbose]
environment: OPENBATCH_AGENT_SERVER, OPENBATCH_AGENT_ID, OPENBATCH_AGENT_TOKEN, OPENBATCH_AGENT_TOKEN_FILE,
             OPENBATCH_AGENT_DATA_DIR, OPENBATCH_AGENT_HOST_IP, OPENBATCH_AGENT_FILE_PORT, OPENBATCH_AGENT_CA_FILE,
             OPENBATCH_AGENT_PIN_CERTIFICATE=1 (trust exactly the certificate in the CA file),
             OPENBATCH_AGENT_OS_USERS=off (as root on Linux, node users are OS accounts unless this is set),
             OPENBATCH_AGENT_ISOLATION=off (tasks are sandboxed, and as root run as their identities' accounts, unless this is set),
             OPENBATCH_AGENT_CONTAINER_RUNTIME=off|podman|docker|<path> (default: podman, else docker, if it works),
             OPENBATCH_AGENT_SAMPLE_SECONDS (seconds between samples of the nodes' memory and disk; 30),
             OPENBATCH_AGENT_REPORT_BATCHING_MS (how long reports of busy nodes' task runs may wait to go out together; 10, 0: never)
       openbatch-agent --probe-isolation   prints how this host would isolate tasks and run containers, as JSON`;

const flags = {
  "--server": "OPENBATCH_AGENT_SERVER",
  "--agent-id": "OPENBATCH_AGENT_ID",
  "--token": "OPENBATCH_AGENT_TOKEN",
  "--token-file": "OPENBATCH_AGENT_TOKEN_FILE",
  "--data-dir": "OPENBATCH_AGENT_DATA_DIR",
  "--host-ip": "OPENBATCH_AGENT_HOST_IP",
  "--file-server-port": "OPENBATCH_AGENT_FILE_PORT",
  "--ca-file": "OPENBATCH_AGENT_CA_FILE",
} as const;
type Flag = keyof typeof flags;

export interface ParsedArguments {
  readonly options: Pick<AgentOptions, "serverUrl" | "agentId" | "token" | "dataDirectory" | "hostIp" | "fileServerPort" | "caFile" | "pinCertificate" | "resourceSampleIntervalInMs" | "reportBatchingInMs">;
  readonly verbose: boolean;
}

export function parseAgentArguments(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedArguments {
  const given = new Map<Flag, string>();
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i] as string;
    if (argument === "--verbose") {
      verbose = true;
      continue;
    }
    const equals = argument.indexOf("=");
    const name = equals === -1 ? argument : argument.slice(0, equals);
    if (!Object.hasOwn(flags, name)) throw new UsageError(`Unknown argument${name.startsWith("--") ? ` '${name}'` : ""}.`);
    let value: string | undefined;
    if (equals !== -1) {
      value = argument.slice(equals + 1);
    } else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined || value === "") throw new UsageError(`${name} needs a value.`);
    given.set(name as Flag, value);
  }
  const read = (flag: Flag): string | undefined => {
    const value = given.get(flag) ?? env[flags[flag]];
    return value === undefined || value === "" ? undefined : value;
  };
  const required = (flag: Flag): string => {
    const value = read(flag);
    if (value === undefined) throw new UsageError(`${flag} (or ${flags[flag]}) is required.`);
    return value;
  };

  const serverUrl = required("--server");
  try {
    parseServerUrls(serverUrl);
  } catch {
    throw new UsageError("--server is not a valid URL (or comma-separated list of URLs).");
  }
  let token = read("--token");
  const tokenFile = read("--token-file");
  if (token === undefined && tokenFile !== undefined) {
    try {
      token = readFileSync(tokenFile, "utf8").trim();
    } catch (error) {
      throw new UsageError(`The token file cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}).`);
    }
  }
  if (token === undefined || token === "") throw new UsageError("--token, --token-file, OPENBATCH_AGENT_TOKEN or OPENBATCH_AGENT_TOKEN_FILE is required.");
  const port = read("--file-server-port");
  const fileServerPort = port === undefined ? 0 : Number(port);
  if (!Number.isInteger(fileServerPort) || fileServerPort < 0 || fileServerPort > 65535) throw new UsageError("--file-server-port must be a port number.");
  const hostIp = read("--host-ip");
  const sampleSeconds = env["OPENBATCH_AGENT_SAMPLE_SECONDS"];
  const sampleInterval = sampleSeconds === undefined || sampleSeconds === "" ? undefined : Number(sampleSeconds) * 1000;
  if (sampleInterval !== undefined && !(sampleInterval >= 100 && Number.isFinite(sampleInterval))) throw new UsageError("OPENBATCH_AGENT_SAMPLE_SECONDS must be a number of seconds, at least 0.1.");
  const batching = env["OPENBATCH_AGENT_REPORT_BATCHING_MS"];
  const reportBatchingInMs = batching === undefined || batching === "" ? undefined : Number(batching);
  if (reportBatchingInMs !== undefined && !(Number.isInteger(reportBatchingInMs) && reportBatchingInMs >= 0 && reportBatchingInMs <= 1000)) {
    throw new UsageError("OPENBATCH_AGENT_REPORT_BATCHING_MS must be a whole number of milliseconds from 0 to 1000.");
  }
  const caFile = read("--ca-file");
  return {
    options: {
      ...(caFile === undefined ? {} : { caFile }),
      ...(caFile !== undefined && env["OPENBATCH_AGENT_PIN_CERTIFICATE"] === "1" ? { pinCertificate: true } : {}),
      serverUrl,
      agentId: required("--agent-id"),
      token,
      dataDirectory: required("--data-dir"),
      ...(hostIp === undefined ? {} : { hostIp }),
      fileServerPort,
      ...(sampleInterval === undefined ? {} : { resourceSampleIntervalInMs: sampleInterval }),
      ...(reportBatchingInMs === undefined ? {} : { reportBatchingInMs }),
    },
    verbose,
  };
}
