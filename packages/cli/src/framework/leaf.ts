/**
 * The shape every resource command shares, so that each one is only its flags and its call:
 *
 *   leaf(pool, "show", "Gets information about the specified pool.")
 *     .ids("pool-id").select().expand().conditions().table(poolRows)
 *     .action(({ ids, client, listOptions }) => client().pool.get(ids.poolId, …));
 *
 * - ids (`pool-id`, `node-id`, …) are required, given as az's flags (`--pool-id P`) or positionally in order
 *   (`openbatch node show P N`);
 * - every leaf takes the connection flags (connection.ts) and --output / --query (output.ts);
 * - `.jsonFile()` adds --json-file: the REST request body, which replaces the body the flags would build;
 * - `.confirm()` adds --yes/-y; without it a terminal asks, and anything else is refused (as az does);
 * - the action returns what to print (undefined prints nothing).
 */
import { createInterface } from "node:readline/promises";
import { Command, Option } from "commander";
import type { Connection } from "./connection.js";
import { UsageError, WorkFailedError } from "./errors.js";
import { render, type OutputSettings, type TableTransform } from "./output.js";
import { nonEmpty } from "./profiles.js";
import type { Invocation } from "./invocation.js";
import { session } from "./session.js";

export type Action = (invocation: Invocation) => Promise<unknown>;
export type { Invocation };

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

export function addConnectionOptions(command: Command): Command {
  command.optionsGroup("Connection (default: the saved profile, then OPENBATCH_* / AZURE_BATCH_*, then the local server):");
  command
    .option("--endpoint <url>", "the server, e.g. http://127.0.0.1:8090 (az: --account-endpoint; env AZURE_BATCH_ENDPOINT)")
    .option("--account <name>", "the Batch account (az: --account-name; env AZURE_BATCH_ACCOUNT)")
    .option("--key <base64>", "the account's key (az: --account-key; env AZURE_BATCH_ACCESS_KEY)")
    .option("--profile <name>", "a connection saved with `openbatch login --profile NAME`")
    .addOption(new Option("--account-endpoint <url>").hideHelp())
    .addOption(new Option("--account-name <name>").hideHelp())
    .addOption(new Option("--account-key <base64>").hideHelp());
  return command;
}

export function addOutputOptions(command: Command): Command {
  command.optionsGroup("Output:");
  command
    .option("-o, --output <format>", "json, jsonc, table, tsv, yaml or none (default: table on a terminal, else json; env OPENBATCH_OUTPUT)")
    .option("--query <jmespath>", "a JMESPath query applied to the result, e.g. \"[?state=='active'].id\"");
  return command;
}

async function confirmed(question: string): Promise<boolean> {
  if (process.stdin.isTTY !== true) throw new UsageError("unable to prompt for confirmation as no tty is available. Use --yes.");
  const reader = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await reader.question(`${question}\nAre you sure you want to perform this operation? (y/n): `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    reader.close();
  }
}

export class LeafBuilder {
  readonly #command: Command;
  readonly #ids: { flag: string; required: boolean }[] = [];
  #table: TableTransform | undefined;
  #confirm: ((ids: Readonly<Record<string, string>>) => string) | undefined;

  constructor(parent: Command, name: string, description: string) {
    this.#command = parent.command(name).description(description);
  }

  get command(): Command {
    return this.#command;
  }

  alias(name: string): this {
    this.#command.alias(name);
    return this;
  }

  /** Required ids, as `--pool-id` flags or positional arguments in this order. */
  ids(...flags: string[]): this {
    return this.#addIds(flags, true);
  }

  /** Ids that may be left out (after the required ones). */
  optionalIds(...flags: string[]): this {
    return this.#addIds(flags, false);
  }

  #addIds(flags: string[], required: boolean): this {
    for (const flag of flags) {
      this.#ids.push({ flag, required });
      this.#command.argument(`[${flag}]`, `or --${flag}`);
    }
    this.#command.optionsGroup("Arguments:");
    for (const flag of flags) {
      const noun = flag.replace(/-id$/, "").replace(/-/g, " ");
      this.#command.option(`--${flag} <value>`, flag.endsWith("-id") ? `the ${noun}'s id` : `the ${noun}`);
    }
    return this;
  }

  /** Flags of the command's own (commander's option syntax). */
  options(add: (command: Command) => void): this {
    this.#command.optionsGroup("Arguments:");
    add(this.#command);
    return this;
  }

  jsonFile(what: string): this {
    this.#command.optionsGroup("Arguments:");
    this.#command.option("--json-file <path>", `${what} as JSON, formatted like the REST API's request body; the flags that set its fields are then ignored`);
    return this;
  }

  conditions(): this {
    this.#command.optionsGroup("Pre-condition:");
    this.#command
      .option("--if-match <etag>", "only if the resource's ETag matches")
      .option("--if-none-match <etag>", "only if the resource's ETag does not match")
      .option("--if-modified-since <time>", "only if modified since this time (RFC 1123 or ISO-8601)")
      .option("--if-unmodified-since <time>", "only if not modified since this time (RFC 1123 or ISO-8601)");
    return this;
  }

  listQuery(...which: ("filter" | "select" | "expand")[]): this {
    this.#command.optionsGroup("Query:");
    if (which.includes("filter")) this.#command.option("--filter <odata>", "an OData $filter clause, e.g. \"state eq 'active'\"");
    if (which.includes("select")) this.#command.option("--select <properties>", "an OData $select clause: comma-separated properties");
    if (which.includes("expand")) this.#command.option("--expand <clause>", "an OData $expand clause (stats)");
    return this;
  }

  confirm(question: (ids: Readonly<Record<string, string>>) => string): this {
    this.#confirm = question;
    this.#command.optionsGroup("Arguments:");
    this.#command.option("-y, --yes", "do not prompt for confirmation");
    return this;
  }

  table(transform: TableTransform): this {
    this.#table = transform;
    return this;
  }

  action(run: Action): Command {
    addConnectionOptions(this.#command);
    addOutputOptions(this.#command);
    const ids = [...this.#ids];
    const table = this.#table;
    const confirm = this.#confirm;
    this.#command.action(async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const options = command.opts<Record<string, unknown>>();
      const positional = command.args;
      const resolvedIds: Record<string, string> = {};
      const missing: string[] = [];
      ids.forEach(({ flag, required }, index) => {
        const value = nonEmpty(options[camel(flag)] as string | undefined) ?? nonEmpty(positional[index]);
        if (value !== undefined) resolvedIds[camel(flag)] = value;
        else if (required) missing.push(`--${flag}`);
      });
      if (missing.length > 0) throw new UsageError(`the following arguments are required: ${missing.join(", ")}`);
      const invocation = session.invocation(resolvedIds, options, command.processedArgs.slice(ids.length));
      const output = invocation.output; // checks --output before anything is sent
      if (confirm !== undefined && options["yes"] !== true && !(await confirmed(confirm(resolvedIds)))) {
        invocation.terminal.note("Cancelled.");
        return;
      }
      let result: unknown;
      try {
        result = await run(invocation);
      } catch (error) {
        if (error instanceof WorkFailedError && error.result !== undefined) invocation.terminal.out(render(error.result, output, invocation.terminal, table));
        throw error;
      }
      invocation.terminal.out(render(result, output, invocation.terminal, table));
    });
    return this.#command;
  }
}

export function leaf(parent: Command, name: string, description: string): LeafBuilder {
  return new LeafBuilder(parent, name, description);
}
