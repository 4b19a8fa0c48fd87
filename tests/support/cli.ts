/**
 * Runs the compiled `openbatch` command as a child process, the way a person or a script runs it: connected to a
 * test server through the environment (or the flags a test passes), with its own empty profile directory so that
 * nothing on the machine leaks in. Resolves with the exit code and both outputs; never throws for a non-zero exit.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const cliMain = new URL("../../../packages/cli/dist/src/main.js", import.meta.url).pathname;

/** Every profile directory of this test process, removed as it exits (a CLI test makes dozens). */
let profiles: string | undefined;
function profileDirectory(): string {
  if (profiles === undefined) {
    const root = mkdtempSync(join(tmpdir(), "openbatch-cli-config-"));
    process.once("exit", () => rmSync(root, { recursive: true, force: true }));
    profiles = root;
  }
  return mkdtempSync(join(profiles, "profile-"));
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON. */
  json(): any;
}

export interface CliConnection {
  readonly url: string;
  readonly account: { readonly name: string; readonly key: string };
}

/** The environment that points the command at `connection`, with a fresh profile directory. */
export function cliEnvironment(connection: CliConnection | undefined, extra: Record<string, string> = {}): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(OPENBATCH_|AZURE_BATCH_)/.test(name)) continue;
    environment[name] = value;
  }
  environment["OPENBATCH_CONFIG_DIR"] = profileDirectory();
  if (connection !== undefined) {
    environment["OPENBATCH_ENDPOINT"] = connection.url;
    environment["OPENBATCH_ACCOUNT"] = connection.account.name;
    environment["OPENBATCH_KEY"] = connection.account.key;
  }
  return { ...environment, ...extra };
}

export function runCli(args: readonly string[], environment: Record<string, string>, options: { input?: string; timeoutInMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [cliMain, ...args],
      { env: environment, timeout: options.timeoutInMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : -1;
        resolve({
          code,
          stdout,
          stderr,
          json() {
            try {
              return JSON.parse(stdout);
            } catch {
              throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
            }
          },
        });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** A runner bound to one connection: `cli("pool", "list")`. */
export function cliFor(connection: CliConnection | undefined, extra: Record<string, string> = {}): (...args: string[]) => Promise<CliResult> {
  const environment = cliEnvironment(connection, extra);
  return (...args) => runCli(args, environment);
}

/** Asserts-friendly summary of a result, for assertion messages. */
export function show(result: CliResult): string {
  return `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}
