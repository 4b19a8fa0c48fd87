/**
 * Follows the README as a newcomer would, snippet by snippet and in order, and writes what happened to a JSON
 * report (argv[2]) for readmeTour.test.ts. It is started inside a private network namespace, so the README's
 * http://127.0.0.1:8090 is its own whatever else runs on the machine.
 *
 * - ```sh snippets run with bash in the repository's root, their commands as written, except two the runner
 *   cannot repeat: `npm ci` (this checkout was installed with it before the tests ran; CI does so in a fresh
 *   clone) and `npm test` (this test is part of it). `npm start` runs in the background until its banner is out;
 *   a later `npm start` first stops the running server with Ctrl-C (SIGINT), as the README says to.
 * - ```python snippets run with the official SDK under /usr/bin/python3; ```ts snippets are transpiled (types
 *   dropped, nothing else) and run by node from the repository's root, where `@openbatch/client` resolves.
 * HOME and OPENBATCH_DATA_DIR are fresh directories, so that nothing outside them is written.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { makeZip } from "../support/zipFixture.js";
import { executableLanguages, repositoryRoot, shellCommands, snippetsOf } from "./snippets.js";

export interface TourStep {
  readonly line: number;
  readonly language: string;
  readonly command: string;
  readonly status: "ran" | "skipped" | "failed" | "server";
  readonly exitCode?: number | null;
  readonly output: string;
  readonly reason?: string;
}

export interface TourReport {
  readonly home: string;
  readonly dataDir: string;
  readonly steps: TourStep[];
}

const notRepeated: ReadonlyMap<string, string> = new Map([
  ["npm ci", "this checkout was installed with `npm ci` before the tests ran (CI does so in a fresh clone)"],
  ["npm test", "this test is part of the suite it runs"],
]);

const home = mkdtempSync(join(tmpdir(), "openbatch-readme-home-"));
const dataDir = join(home, "openbatch-default-data");
mkdirSync(dataDir);
const environment: Record<string, string> = {};
for (const [name, value] of Object.entries(process.env)) {
  if (value !== undefined && !/^(OPENBATCH_|AZURE_BATCH_|npm_|INIT_CWD$)/.test(name)) environment[name] = value;
}
Object.assign(environment, { HOME: home, OPENBATCH_DATA_DIR: dataDir, NO_COLOR: "1", npm_config_update_notifier: "false" });

const steps: TourStep[] = [];
let server: { child: ChildProcess; output: () => string } | undefined;

function collect(child: ChildProcess): () => string {
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return () => output;
}

async function stopServer(line: number): Promise<void> {
  if (server === undefined) return;
  const { child, output } = server;
  server = undefined;
  const closed = once(child, "close");
  process.kill(-(child.pid as number), "SIGINT"); // Ctrl-C reaches the terminal's whole process group
  const [code, signal] = (await closed) as [number | null, NodeJS.Signals | null];
  // npm ends itself with the signal it passed on (the shell's way to say "interrupted"); the server must have
  // shut down cleanly inside it.
  const clean = (code === 0 || code === 130 || signal === "SIGINT") && /SIGINT received, shutting down\n[\s\S]*^Stopped/m.test(output());
  steps.push({ line, language: "sh", command: "(Ctrl-C to the running server)", status: clean ? "ran" : "failed", exitCode: code, output: output() });
}

async function startServer(line: number, command: string): Promise<boolean> {
  await stopServer(line);
  const child = spawn("bash", ["-c", command], { cwd: repositoryRoot, env: environment, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const output = collect(child);
  const started = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 300_000);
    child.stdout?.on("data", () => {
      if (/Status page: /.test(output())) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (started) server = { child, output };
  steps.push({ line, language: "sh", command, status: started ? "server" : "failed", output: output() });
  return started;
}

function run(line: number, language: string, command: string, program: string, args: string[], options: { cwd: string; input?: string }): boolean {
  const result = spawnSync(program, args, { cwd: options.cwd, env: environment, encoding: "utf8", timeout: 600_000, input: options.input ?? "" });
  const ok = result.status === 0;
  steps.push({ line, language, command, status: ok ? "ran" : "failed", exitCode: result.status, output: `${result.stdout}${result.stderr}${result.error === undefined ? "" : String(result.error)}` });
  return ok;
}

async function runShell(line: number, code: string): Promise<boolean> {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return true;
    const script = pending.join("\n");
    pending = [];
    return run(line, "sh", script, "bash", ["-euo", "pipefail", "-c", script], { cwd: repositoryRoot });
  };
  for (const command of shellCommands(code)) {
    const reason = notRepeated.get(command.replace(/\s+#.*$/, "").trim());
    if (reason !== undefined) {
      if (!flush()) return false;
      steps.push({ line, language: "sh", command, status: "skipped", output: "", reason });
    } else if (/^npm start\b/.test(command)) {
      if (!flush() || !(await startServer(line, command))) return false;
    } else {
      pending.push(command);
    }
  }
  return flush();
}

async function main(): Promise<void> {
  // The one file the README's commands expect a reader to have: the package the application example uploads.
  writeFileSync(join(home, "blender.zip"), await makeZip([{ name: "blender.sh", mode: 0o755, content: "#!/bin/sh\necho blender\n" }]));
  for (const snippet of snippetsOf("README.md")) {
    if (!executableLanguages.has(snippet.language)) continue;
    let ok: boolean;
    if (snippet.language === "sh") {
      ok = await runShell(snippet.line, snippet.code);
    } else if (snippet.language === "python") {
      ok = run(snippet.line, "python", snippet.code, "/usr/bin/python3", ["-"], { cwd: home, input: snippet.code });
    } else if (snippet.language === "ts") {
      const javascript = ts.transpileModule(snippet.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      ok = run(snippet.line, "ts", snippet.code, process.execPath, ["--input-type=module", "-e", javascript], { cwd: repositoryRoot });
    } else {
      steps.push({ line: snippet.line, language: snippet.language, command: snippet.code, status: "failed", output: "", reason: `no runner for ${snippet.language} snippets` });
      ok = false;
    }
    if (!ok) break;
  }
  await stopServer(0);
  for (const directory of [dataDir, join(home, "openbatch-data")]) spawnSync("pkill", ["-KILL", "-f", "--", `--data-dir ${join(directory, "nodes")}`]);
  const report: TourReport = { home, dataDir, steps };
  writeFileSync(process.argv[2] as string, JSON.stringify(report, null, 2));
}

await main();
