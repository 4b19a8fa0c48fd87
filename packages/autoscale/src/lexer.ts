/**
 * The lexer: formula text → tokens with their positions. Whitespace and line breaks are free; `//` comments run to
 * the end of the line and `/* … *\/` block comments are accepted too (the documentation is silent on them; refusing
 * them would reject formulas a user copied from C-like examples).
 */
import { syntaxError, type Position } from "./formulaError.js";

export type TokenKind = "number" | "string" | "identifier" | "operator" | "eof";

export interface Token {
  readonly kind: TokenKind;
  /** The number's text, the string's unescaped content, the identifier (with its `$`) or the operator. */
  readonly text: string;
  readonly position: Position;
}

/** Longest first, so that `<=` wins over `<`. */
const operators = ["&&", "||", "<=", ">=", "==", "!=", "+", "-", "*", "/", "<", ">", "!", "?", ":", "(", ")", ",", ";", "=", "."];

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  let line = 1;
  let lineStart = 0;
  const here = (): Position => ({ line, column: index - lineStart + 1 });
  const advance = (count: number) => {
    for (let i = 0; i < count; i++) {
      if (text[index] === "\n") {
        line++;
        lineStart = index + 1;
      }
      index++;
    }
  };
  while (index < text.length) {
    const char = text[index] as string;
    if (/\s/.test(char)) {
      advance(1);
      continue;
    }
    if (text.startsWith("//", index)) {
      while (index < text.length && text[index] !== "\n") advance(1);
      continue;
    }
    if (text.startsWith("/*", index)) {
      const start = here();
      const end = text.indexOf("*/", index + 2);
      if (end < 0) throw syntaxError("Unterminated block comment", start);
      advance(end + 2 - index);
      continue;
    }
    const position = here();
    const number = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(index, index + 400));
    if (number !== null) {
      tokens.push({ kind: "number", text: number[0], position });
      advance(number[0].length);
      continue;
    }
    const identifier = /^\$?[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(index, index + 400));
    if (identifier !== null) {
      tokens.push({ kind: "identifier", text: identifier[0], position });
      advance(identifier[0].length);
      continue;
    }
    if (char === '"') {
      const end = text.indexOf('"', index + 1);
      if (end < 0) throw syntaxError("Unterminated string literal", position);
      tokens.push({ kind: "string", text: text.slice(index + 1, end), position });
      advance(end + 1 - index);
      continue;
    }
    const operator = operators.find((candidate) => text.startsWith(candidate, index));
    if (operator === undefined) throw syntaxError(`Unexpected character '${char}'`, position);
    tokens.push({ kind: "operator", text: operator, position });
    advance(operator.length);
  }
  tokens.push({ kind: "eof", text: "", position: here() });
  return tokens;
}
