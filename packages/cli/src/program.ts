/** The `openbatch` command tree. */
import { Command } from "commander";
import { applicationCommand } from "./applicationCommand.js";
import { autoscaleCommand } from "./autoscaleCommand.js";
import { accountCommand, loginCommands } from "./commands/account.js";
import { agentsCommand } from "./commands/agents.js";
import { certificateCommand } from "./commands/certificate.js";
import { jobCommand } from "./commands/job.js";
import { jobScheduleCommand } from "./commands/jobSchedule.js";
import { nodeCommand } from "./commands/node.js";
import { poolCommand } from "./commands/pool.js";
import { runCommand } from "./commands/run.js";
import { statusCommand } from "./commands/status.js";
import { taskCommand } from "./commands/task.js";
import { addJobWait, addPoolWait, addTaskWatch } from "./commands/watch.js";
import { serveCommand } from "./serveCommand.js";
import { agentCommand } from "./agentCommand.js";
import { addPoolJoinToken } from "./joinTokenCommand.js";
import { storeCommand } from "./storeCommand.js";

export const cliVersion = "0.1.0";

/** Settings every command needs: errors are thrown to main.ts, which picks the exit code. */
function finish(command: Command): void {
  command.exitOverride();
  command.showHelpAfterError("(add --help for usage)");
  for (const sub of command.commands) finish(sub);
}

export function buildProgram(): Command {
  const pool = poolCommand();
  addPoolWait(pool);
  addPoolJoinToken(pool);
  const job = jobCommand();
  addJobWait(job);
  const task = taskCommand();
  addTaskWatch(task);
  const program = new Command("openbatch")
    .description(
      "OpenBatch: a self-hosted, wire-compatible Azure Batch service, and the command for the work on it.\n" +
        "Resource commands are named as `az batch`'s are; with no connection given they use the local server.",
    )
    .version(cliVersion, "-v, --version")
    .helpCommand(true);
  program.commandsGroup("Run the work:");
  program.addCommand(runCommand()).addCommand(statusCommand());
  program.commandsGroup("Resources (as in az batch):");
  program.addCommand(pool).addCommand(nodeCommand()).addCommand(job).addCommand(task).addCommand(jobScheduleCommand()).addCommand(certificateCommand()).addCommand(applicationCommand()).addCommand(accountCommand());
  program.commandsGroup("Connection:");
  for (const command of loginCommands()) program.addCommand(command);
  program.commandsGroup("The server:");
  program.addCommand(serveCommand()).addCommand(agentsCommand()).addCommand(storeCommand()).addCommand(autoscaleCommand());
  program.addCommand(agentCommand());
  finish(program);
  return program;
}
