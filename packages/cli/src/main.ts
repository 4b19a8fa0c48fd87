#!/usr/bin/env node
/** The `openbatch` command. */
import { Command } from "commander";
import { applicationCommand } from "./applicationCommand.js";
import { autoscaleCommand } from "./autoscaleCommand.js";
import { serveCommand } from "./serveCommand.js";
import { storeCommand } from "./storeCommand.js";

const program = new Command("openbatch")
  .description("OpenBatch: a self-hosted, wire-compatible Azure Batch service")
  .addCommand(serveCommand())
  .addCommand(applicationCommand())
  .addCommand(autoscaleCommand())
  .addCommand(storeCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`openbatch: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
