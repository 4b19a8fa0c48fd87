/**
 * `openbatch agents list|stop`: the node agents a server started for a data directory. They are detached, so they
 * outlive the server and keep running their tasks (a restarted server takes them back); `stop` ends them and their
 * tasks. It refuses while a server runs on the directory, since that server would start them again.
 */
import { Command } from "commander";
import { UsageError } from "../framework/errors.js";
import { addOutputOptions } from "../framework/leaf.js";
import { render } from "../framework/output.js";
import { positiveSeconds } from "../framework/parse.js";
import { outputSettings, session } from "../framework/session.js";

const defaultDataDir = () => process.env["OPENBATCH_DATA_DIR"] ?? "./.openbatch";

function agentsLeaf(parent: Command, name: string, description: string, run: (options: Record<string, unknown>) => Promise<unknown>): void {
  const command = parent
    .command(name)
    .description(description)
    .option("--data-dir <dir>", "the server's data directory (env OPENBATCH_DATA_DIR)", defaultDataDir());
  if (name === "stop") command.option("--timeout <seconds>", "how long agents may take to end their tasks before they are killed", positiveSeconds, 15);
  addOutputOptions(command);
  command.action(async (options: Record<string, unknown>) => {
    const settings = outputSettings(options, session.terminal, () => undefined);
    const result = await run(options);
    session.terminal.out(render(result, settings, session.terminal));
  });
}

export function agentsCommand(): Command {
  const agents = new Command("agents").description("The node agents a local server started (they outlive it).");
  agentsLeaf(agents, "list", "List the node agents running for a data directory.", async (options) => {
    const { listLocalAgents } = await import("@openbatch/server");
    return listLocalAgents(options["dataDir"] as string);
  });
  agentsLeaf(agents, "stop", "Stop the node agents of a data directory, and the tasks they run.", async (options) => {
    const { readDataDirLock, stopLocalAgents } = await import("@openbatch/server");
    const directory = options["dataDir"] as string;
    const owner = readDataDirLock(directory);
    if (owner !== undefined) {
      throw new UsageError(
        `a server (pid ${owner.pid}${owner.url === undefined ? "" : `, ${owner.url}`}) is running on ${directory} and would start its agents again: ` +
          "stop it first (Ctrl-C), or start it with --stop-agents-on-exit.",
      );
    }
    const stopped = await stopLocalAgents(directory, (options["timeout"] as number) * 1000);
    session.terminal.note(`Stopped ${stopped.length} node agent${stopped.length === 1 ? "" : "s"}.`);
    return stopped;
  });
  return agents;
}
