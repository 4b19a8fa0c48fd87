/**
 * `openbatch autoscale simulate`: evaluates an autoscale formula over a metric history file (synthetic, or exported
 * from a server with `GET /pools/{id}/autoscalehistory`) and prints the targets it produces over time — no server,
 * no nodes. With `--replay` it evaluates at the instants the server did, which reproduces the server's decisions.
 */
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import { FormulaError, parseHistoryDocument, simulate, type SimulationStep } from "@openbatch/autoscale";
import { parseDuration } from "@openbatch/core";

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError("must be an ISO-8601 duration such as PT15M");
  return ms;
}

function instant(value: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) throw new InvalidArgumentError("must be an ISO-8601 date-time");
  return ms;
}

function count(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError("must be a whole number ≥ 0");
  return parsed;
}

function describeStep(step: SimulationStep): string {
  const time = new Date(step.timeMs).toISOString();
  const targets = `dedicated=${step.targetDedicatedNodes} lowPriority=${step.targetLowPriorityNodes}`;
  return step.ok ? `${time}  ${targets}  ${step.results}` : `${time}  ${targets}  error ${step.error.code}: ${step.error.message}`;
}

export function autoscaleCommand(): Command {
  const simulateCommand = new Command("simulate")
    .description("Evaluate an autoscale formula over a metric history file and print the targets over time")
    .option("--formula <file>", "file holding the formula")
    .option("--formula-text <formula>", "the formula itself")
    .requiredOption("--history <file>", "metric history JSON (see docs/autoscale.md), e.g. exported from /pools/{id}/autoscalehistory")
    .option("--interval <duration>", "time between evaluations", duration, 15 * 60_000)
    .option("--start <time>", "first evaluation (default: the first sample)", instant)
    .option("--end <time>", "last possible evaluation (default: the last sample)", instant)
    .option("--initial-dedicated <n>", "the pool's dedicated target before the first evaluation", count, 0)
    .option("--initial-low-priority <n>", "the pool's Spot/low-priority target before the first evaluation", count, 0)
    .option("--replay", "evaluate at the instants recorded in the history's `evaluations` instead of every interval")
    .option("--json", "print the steps as JSON")
    .action((options: Record<string, unknown>) => {
      const formulaFile = options["formula"] as string | undefined;
      const formulaText = options["formulaText"] as string | undefined;
      if ((formulaFile === undefined) === (formulaText === undefined)) throw new Error("give exactly one of --formula and --formula-text");
      const formula = formulaText ?? readFileSync(formulaFile as string, "utf8");
      let document: unknown;
      try {
        document = JSON.parse(readFileSync(options["history"] as string, "utf8"));
      } catch (error) {
        throw new Error(`cannot read the history: ${error instanceof Error ? error.message : String(error)}`);
      }
      const { history, evaluations } = parseHistoryDocument(document);
      if (options["replay"] === true && evaluations.length === 0) throw new Error("--replay needs a history with recorded `evaluations`");
      let steps: SimulationStep[];
      try {
        steps = simulate(formula, history, {
          intervalInMs: options["interval"] as number,
          ...(options["start"] === undefined ? {} : { startMs: options["start"] as number }),
          ...(options["end"] === undefined ? {} : { endMs: options["end"] as number }),
          ...(options["replay"] === true ? { evaluationTimesMs: evaluations.map((evaluation) => Date.parse(evaluation.time)) } : {}),
          initialTargets: { dedicated: options["initialDedicated"] as number, lowPriority: options["initialLowPriority"] as number },
        });
      } catch (error) {
        if (error instanceof FormulaError) throw new Error(`${error.code}: ${error.message}`);
        throw error;
      }
      const output = options["json"] === true
        ? `${JSON.stringify(steps.map((step) => ({ ...step, time: new Date(step.timeMs).toISOString() })), null, 2)}\n`
        : `${steps.map(describeStep).join("\n")}\n`;
      process.stdout.write(output);
    });
  return new Command("autoscale").description("Autoscale formulas: try them against a metric history").addCommand(simulateCommand);
}
