/**
 * The agent process: `node packages/agent/dist/src/main.js --server <url> --agent-id <id> --data-dir <dir>` with
 * the token in OPENBATCH_AGENT_TOKEN (or --token / --token-file; see options.ts). Logs are JSON lines on stderr.
 *
 * Exit codes: 0 after `shutdown: true` from the server or SIGTERM/SIGINT (processes ended, state saved);
 * 1 when the agent cannot start; 2 for a usage error; 3 when the server refuses the agent's credentials.
 *
 * `--probe-isolation` alone prints how this host would isolate tasks (`{"mode":…,"reason":…}`, process/sandbox.ts)
 * and which container runtime it has (`"containerRuntime":{"name":…,"version":…}` or `{"reason":…}`) and exits 0: the local provider asks it at server start-up, with the environment it gives agents.
 */
import { startAgent } from "./agent.js";
import { createLogger } from "./log.js";
import { UsageError, parseAgentArguments, usage } from "./options.js";
import { detectIsolation } from "./process/sandbox.js";
import { detectContainerRuntime } from "./containers/runtime.js";

async function main(): Promise<number> {
  if (process.argv.length === 3 && process.argv[2] === "--probe-isolation") {
    const { mode, reason } = await detectIsolation(process.env, process.platform, process.getuid?.());
    const { runtime, reason: noRuntime } = await detectContainerRuntime(process.env, process.platform, true).then((found) => ({ runtime: found.runtime, reason: found.runtime === undefined ? found.reason : undefined }));
    const containerRuntime = runtime === undefined ? { reason: noRuntime } : { name: runtime.name, version: runtime.version, rootless: runtime.rootless };
    process.stdout.write(`${JSON.stringify({ mode, ...(reason === undefined ? {} : { reason }), containerRuntime })}\n`);
    return 0;
  }
  let parsed;
  try {
    parsed = parseAgentArguments(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${usage}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger({ verbose: parsed.verbose, redact: [parsed.options.token] });
  let agent;
  try {
    agent = await startAgent({ ...parsed.options, logger });
  } catch (error) {
    logger.log("error", "the agent could not start", { error });
    return 1;
  }
  const started = agent;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.log("info", "stopping on signal", { signal });
      void started.close();
    });
  }
  const reason = await started.stopped;
  return reason === "unauthorized" ? 3 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "agent crashed", error: String(error) })}\n`);
    process.exit(1);
  },
);
