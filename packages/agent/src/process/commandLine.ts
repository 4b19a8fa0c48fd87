/**
 * Splits a Batch command line into argv, as Azure Batch does on Linux: the command line is NOT run by a shell
 * (semantics.md §2.7), so there is no variable expansion, globbing, piping, redirection or comment syntax; quoting
 * follows POSIX shell word splitting so that `/bin/sh -c "echo $X"` reaches `sh` as three arguments.
 *
 * Rules:
 * - Unquoted space, tab, newline and carriage return separate words; runs of them count as one separator.
 * - `'…'` keeps everything literally up to the next `'` (no escapes inside).
 * - `"…"` keeps everything literally except that a backslash escapes `"`, `\`, `$` and `` ` `` (the backslash is
 *   dropped) and backslash-newline is removed (line continuation); before any other character the backslash stays.
 * - Outside quotes a backslash makes the next character literal (it is dropped); backslash-newline is removed; a
 *   backslash at the very end stays as a literal backslash (as `bash -c 'echo a\'` prints `a\`).
 * - Quoted and unquoted pieces next to each other form one word (`a"b c"'d'` → `ab cd`); `""` and `''` make an
 *   empty argument.
 * - `$`, `~`, `*`, `?`, `[`, `#`, `|`, `;`, `&`, `<`, `>` and backquotes are ordinary characters.
 * - An unterminated quote throws a CommandLineError.
 */

export class CommandLineError extends Error {
  override readonly name = "CommandLineError";
}

const separators = new Set([" ", "\t", "\n", "\r"]);
const escapableInDoubleQuotes = new Set(['"', "\\", "$", "`"]);

/** The argv of a command line (possibly empty for a blank line). Throws CommandLineError on unterminated quotes. */
export function splitCommandLine(text: string): string[] {
  const words: string[] = [];
  let word = "";
  /** Whether a word has started (so that `""` yields an empty argument). */
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (separators.has(char)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
      continue;
    }
    if (char === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new CommandLineError(`Unterminated single quote at position ${i} of the command line.`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
      continue;
    }
    if (char === '"') {
      const start = i;
      i++;
      let closed = false;
      while (i < text.length) {
        const inner = text[i] as string;
        if (inner === '"') {
          closed = true;
          i++;
          break;
        }
        if (inner === "\\" && i + 1 < text.length) {
          const next = text[i + 1] as string;
          if (escapableInDoubleQuotes.has(next)) {
            word += next;
            i += 2;
            continue;
          }
          if (next === "\n") {
            i += 2;
            continue;
          }
        }
        word += inner;
        i++;
      }
      if (!closed) throw new CommandLineError(`Unterminated double quote at position ${start} of the command line.`);
      inWord = true;
      continue;
    }
    if (char === "\\") {
      if (i + 1 >= text.length) {
        word += "\\";
        inWord = true;
        i++;
        continue;
      }
      const next = text[i + 1] as string;
      if (next !== "\n") {
        word += next;
        inWord = true;
      }
      i += 2;
      continue;
    }
    word += char;
    inWord = true;
    i++;
  }
  if (inWord) words.push(word);
  return words;
}
