/**
 * Structured logs: one JSON object per line (`{"time","level","msg",...fields}`), scoped with fields such as
 * `{ agentId, poolId, nodeId }`. Secrets never reach a logger: the agent's token is not a field anywhere, and
 * `redact` scrubs it from texts that come from outside (error messages) before they are logged.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  /** A logger adding `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** Writes JSON lines through `write` (default: stderr); `debug` lines only when `verbose`. */
export function createLogger(options: { write?: (line: string) => void; verbose?: boolean; redact?: readonly string[] } = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const secrets = (options.redact ?? []).filter((secret) => secret.length > 0);
  const scrub = (text: string): string => secrets.reduce((result, secret) => result.split(secret).join("***"), text);
  const make = (scope: LogFields): Logger => ({
    log(level, msg, fields) {
      if (level === "debug" && options.verbose !== true) return;
      const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...scope, ...fields }, (_key, value: unknown) =>
        value instanceof Error ? { name: value.name, message: value.message } : value,
      );
      write(`${scrub(line)}\n`);
    },
    child(fields) {
      return make({ ...scope, ...fields });
    },
  });
  return make({});
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = {
  log() {},
  child() {
    return silentLogger;
  },
};
