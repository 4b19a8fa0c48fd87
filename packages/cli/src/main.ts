#!/usr/bin/env node
/**
 * The `openbatch` command: parses the command line, runs the command, and turns whatever ended it into one line on
 * stderr and an exit code (framework/errors.ts). Ctrl-C aborts a wait; a second one ends the process at once.
 */
import { isBatchError } from "@openbatch/client";
import { describeFailure, exitCodes } from "./framework/errors.js";
import { session } from "./framework/session.js";
import { buildProgram } from "./program.js";

let interrupted = false;
process.on("SIGINT", () => {
  if (session.interruptHandledByCommand) return; // `serve` shuts down in its own time
  if (interrupted) process.exit(exitCodes.interrupted);
  interrupted = true;
  session.interrupt();
  // Waits end at once on the abort; a request in flight gets a moment to finish, then the command ends anyway.
  setTimeout(() => process.exit(exitCodes.interrupted), 1500).unref();
});

async function main(): Promise<number> {
  try {
    await buildProgram().parseAsync(process.argv);
    return exitCodes.ok;
  } catch (error) {
    if (interrupted && (error as Error).name === "AbortError") {
      process.stderr.write("Interrupted; what was sent to the server goes on there.\n");
      return exitCodes.interrupted;
    }
    const { message, exitCode } = describeFailure(error, session.hint());
    if (message !== undefined) {
      const colors = session.terminal.errorColors;
      process.stderr.write(`${colors.red("ERROR:")} ${message}\n`);
      if (process.env["OPENBATCH_DEBUG"] === "1" && error instanceof Error && !isBatchError(error)) process.stderr.write(`${error.stack}\n`);
    }
    return exitCode;
  } finally {
    await session.close();
  }
}

process.exitCode = await main();
