/**
 * The one run of the command: its terminal, its Ctrl-C signal, and the connection and client it made (lazily, so
 * that commands which send nothing never read a profile). main.ts closes the client and reads the connection for
 * the hint after a refused key.
 */
import type { ConditionOptions } from "@openbatch/client";
import { resolveConnection, type Connection } from "./connection.js";
import type { ConnectionHint } from "./errors.js";
import { BatchServiceClient, BatchSharedKeyCredential } from "@openbatch/client";
import type { Invocation } from "./invocation.js";
import { parseOutputFormat, type OutputSettings } from "./output.js";
import { nonEmpty } from "./profiles.js";
import { processTerminal, type Terminal } from "./terminal.js";
import { readFileSync } from "node:fs";
import { UsageError } from "./errors.js";

export function connectionFlags(options: Readonly<Record<string, unknown>>): { endpoint?: string; account?: string; key?: string; profile?: string } {
  const text = (name: string) => nonEmpty(options[name] as string | undefined);
  const flags: { endpoint?: string; account?: string; key?: string; profile?: string } = {};
  const endpoint = text("endpoint") ?? text("accountEndpoint");
  const account = text("account") ?? text("accountName");
  const key = text("key") ?? text("accountKey");
  const profile = text("profile");
  if (endpoint !== undefined) flags.endpoint = endpoint;
  if (account !== undefined) flags.account = account;
  if (key !== undefined) flags.key = key;
  if (profile !== undefined) flags.profile = profile;
  return flags;
}

export function outputSettings(options: Readonly<Record<string, unknown>>, terminal: Terminal, connection: () => Connection | undefined): OutputSettings {
  const flag = nonEmpty(options["output"] as string | undefined);
  const query = nonEmpty(options["query"] as string | undefined);
  if (flag !== undefined) return { format: parseOutputFormat(flag, "--output"), query };
  const variable = nonEmpty(process.env["OPENBATCH_OUTPUT"]);
  if (variable !== undefined) return { format: parseOutputFormat(variable, "OPENBATCH_OUTPUT"), query };
  let fromProfile: string | undefined;
  try {
    fromProfile = nonEmpty(connection()?.profile?.settings.output);
  } catch {
    // The connection cannot be resolved (yet): `login --profile NEW` names a profile it is about to write.
  }
  if (fromProfile !== undefined) return { format: parseOutputFormat(fromProfile, "the profile's output"), query };
  return { format: terminal.stdoutIsTTY ? "table" : "json", query };
}

/** A client for `connection`, with retries kept short: a person is waiting. */
export function clientFor(connection: Connection): BatchServiceClient {
  return new BatchServiceClient(connection.endpoint, new BatchSharedKeyCredential(connection.account, connection.key), {
    retryOptions: { maxRetries: 2, retryDelayInMs: 300, maxRetryDelayInMs: 2000 },
    userAgentPrefix: "openbatch-cli",
  });
}

class Session {
  readonly terminal: Terminal = processTerminal();
  /** Set by a command (serve) that handles Ctrl-C itself. */
  interruptHandledByCommand = false;
  readonly #abort = new AbortController();
  #connection: Connection | undefined;
  #client: BatchServiceClient | undefined;

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  interrupt(): void {
    this.#abort.abort();
  }

  connect(options: Readonly<Record<string, unknown>>): Connection {
    this.#connection ??= resolveConnection(connectionFlags(options));
    return this.#connection;
  }

  clientOf(options: Readonly<Record<string, unknown>>): BatchServiceClient {
    this.#client ??= clientFor(this.connect(options));
    return this.#client;
  }

  hint(): ConnectionHint | undefined {
    const connection = this.#connection;
    return connection === undefined ? undefined : { endpoint: connection.endpoint, keySource: connection.sources.key, accountSource: connection.sources.account };
  }

  async close(): Promise<void> {
    await this.#client?.close();
  }

  invocation(ids: Readonly<Record<string, string>>, options: Readonly<Record<string, unknown>>, args: readonly unknown[] = []): Invocation {
    let output: OutputSettings | undefined;
    const text = (name: string) => nonEmpty(options[name] as string | undefined);
    return {
      ids,
      args,
      options,
      terminal: this.terminal,
      signal: this.signal,
      get output() {
        output ??= outputSettings(options, session.terminal, () => session.connect(options));
        return output;
      },
      connection: () => this.connect(options),
      client: () => this.clientOf(options),
      jsonFile: () => {
        const path = text("jsonFile");
        return path === undefined ? undefined : readJson(path);
      },
      conditions: () => {
        const conditions: ConditionOptions = {};
        const ifMatch = text("ifMatch");
        const ifNoneMatch = text("ifNoneMatch");
        const ifModifiedSince = text("ifModifiedSince");
        const ifUnmodifiedSince = text("ifUnmodifiedSince");
        if (ifMatch !== undefined) conditions.ifMatch = ifMatch;
        if (ifNoneMatch !== undefined) conditions.ifNoneMatch = ifNoneMatch;
        if (ifModifiedSince !== undefined) conditions.ifModifiedSince = httpDate(ifModifiedSince, "--if-modified-since");
        if (ifUnmodifiedSince !== undefined) conditions.ifUnmodifiedSince = httpDate(ifUnmodifiedSince, "--if-unmodified-since");
        return conditions;
      },
      listOptions: () => {
        const list: { filter?: string; select?: string; expand?: string } = {};
        const filter = text("filter");
        const select = text("select");
        const expand = text("expand");
        if (filter !== undefined) list.filter = filter;
        if (select !== undefined) list.select = select;
        if (expand !== undefined) list.expand = expand;
        return list;
      },
    };
  }
}

function httpDate(value: string, flag: string): Date {
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw new UsageError(`${flag} '${value}' is not a date-time.`);
  return parsed;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read --json-file '${path}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new UsageError(`--json-file '${path}' is not valid JSON: ${(error as Error).message}.`);
  }
}

export const session = new Session();
