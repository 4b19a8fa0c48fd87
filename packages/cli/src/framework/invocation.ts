/** What a command's action is given (leaf.ts): its ids, arguments, flags, terminal and a client on its connection. */
import type { BatchServiceClient, ConditionOptions } from "@openbatch/client";
import type { Connection } from "./connection.js";
import type { OutputSettings } from "./output.js";
import type { Terminal } from "./terminal.js";

export interface Invocation {
  /** The ids, camel-cased: `poolId`, `nodeId`, … */
  readonly ids: Readonly<Record<string, string>>;
  /** Positional arguments after the ids, as the command declared them. */
  readonly args: readonly unknown[];
  /** The parsed flags, camel-cased as commander names them. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly terminal: Terminal;
  readonly output: OutputSettings;
  /** Ctrl-C. */
  readonly signal: AbortSignal;
  connection(): Connection;
  client(): BatchServiceClient;
  /** The parsed --json-file, or undefined without one. */
  jsonFile(): unknown;
  /** --if-match, --if-none-match, --if-modified-since, --if-unmodified-since, as client options. */
  conditions(): ConditionOptions;
  /** --filter, --select, --expand, as client options. */
  listOptions(): { filter?: string; select?: string; expand?: string };
}
