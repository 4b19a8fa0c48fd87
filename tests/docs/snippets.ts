/**
 * The fenced code blocks of the README and docs/, for the tests that run them. A block with a language in
 * `executableLanguages` is a snippet a reader may run, so some test must run it as written (docSnippets.test.ts
 * checks that each such file has its runner); blocks without a language, or `text`, are diagrams and file contents.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url));

export const executableLanguages: ReadonlySet<string> = new Set(["sh", "bash", "shell", "console", "python", "py", "ts", "typescript", "js", "javascript", "json"]);

export interface Snippet {
  /** Relative to the repository root, e.g. `README.md`. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly language: string;
  readonly code: string;
}

export function snippetsOf(file: string): Snippet[] {
  const lines = readFileSync(`${repositoryRoot}${file}`, "utf8").split("\n");
  const snippets: Snippet[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)```([\w-]*)\s*$/.exec(lines[index] as string);
    if (open === null) continue;
    const indent = (open[1] as string).length;
    const body: string[] = [];
    let end = index + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end] as string)) body.push((lines[end++] as string).slice(indent));
    snippets.push({ file, line: index + 1, language: open[2] as string, code: `${body.join("\n")}\n` });
    index = end;
  }
  return snippets;
}

/** README.md and every Markdown file under docs/. */
export function documentationFiles(): string[] {
  return ["README.md", ...readdirSync(`${repositoryRoot}docs`).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`)];
}

/** A shell snippet's commands, one per entry (with their continuation lines), blank lines and comment lines dropped. */
export function shellCommands(code: string): string[] {
  const commands: string[] = [];
  let current = "";
  for (const line of code.split("\n")) {
    if (current === "" && (line.trim() === "" || line.trim().startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      current += `${line}\n`; // bash joins a backslash-newline itself
      continue;
    }
    commands.push(current + line);
    current = "";
  }
  return commands;
}
