/**
 * The parser: tokens → syntax tree, by recursive descent over the C-like precedence the documentation implies
 * (lowest first): `?:` (right-associative), `||`, `&&`, `== !=`, `< <= >= >`, `+ -`, `* /`, unary `- !`, then
 * postfix `.property` / `.Method(…)`. It also applies the static rules: the size limits, known functions and
 * methods, and no assignment to read-only service variables. Everything it refuses is an
 * `AutoScalingFormulaSyntaxError` (or a limit's own code) with the position of the offending token.
 */
import type { BinaryOperator, Expression, Formula, Statement } from "./ast.js";
import { FormulaError, syntaxError } from "./formulaError.js";
import { tokenize, type Token } from "./lexer.js";
import { functionNames, methodNames, propertyNames } from "./names.js";
import { isMetric } from "./variables.js";

/** semantics.md §7.1. */
export const formulaLimits = { maxLengthInChars: 8192, maxStatements: 100 } as const;

const binaryLevels: readonly (readonly BinaryOperator[])[] = [["||"], ["&&"], ["==", "!="], ["<", "<=", ">=", ">"], ["+", "-"], ["*", "/"]];

export function parseFormula(text: string): Formula {
  if (text.length > formulaLimits.maxLengthInChars) {
    throw new FormulaError("AutoScalingFormulaTooLong", `The formula is ${text.length} characters long; at most ${formulaLimits.maxLengthInChars} are allowed`, undefined);
  }
  return new Parser(tokenize(text)).formula();
}

class Parser {
  private index = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private get current(): Token {
    return this.tokens[this.index] as Token;
  }

  private next(): Token {
    const token = this.current;
    if (token.kind !== "eof") this.index++;
    return token;
  }

  private atEnd(): boolean {
    return this.current.kind === "eof";
  }

  private isOperator(text: string): boolean {
    return this.current.kind === "operator" && this.current.text === text;
  }

  private expect(text: string): Token {
    if (!this.isOperator(text)) throw syntaxError(`Expected '${text}' but found ${describe(this.current)}`, this.current.position);
    return this.next();
  }

  formula(): Formula {
    const statements: Statement[] = [];
    while (this.current.kind !== "eof") {
      if (this.isOperator(";")) {
        this.next();
        continue;
      }
      statements.push(this.statement());
      if (statements.length > formulaLimits.maxStatements) {
        throw new FormulaError("InvalidAutoScalingSettings", `The formula has more than ${formulaLimits.maxStatements} statements`, statements.at(-1)?.position);
      }
      if (!this.atEnd()) this.expect(";");
    }
    return { statements };
  }

  private statement(): Statement {
    const start = this.current;
    const following = this.tokens[this.index + 1];
    if (start.kind === "identifier" && following?.kind === "operator" && following.text === "=") {
      if (isMetric(start.text)) throw syntaxError(`The variable ${start.text} is read-only`, start.position);
      this.index += 2;
      return { type: "assign", name: start.text, value: this.expression(), position: start.position };
    }
    return { type: "expression", value: this.expression(), position: start.position };
  }

  private expression(): Expression {
    const condition = this.binary(0);
    if (!this.isOperator("?")) return condition;
    this.next();
    const whenTrue = this.expression();
    this.expect(":");
    const whenFalse = this.expression();
    return { type: "ternary", condition, whenTrue, whenFalse, position: condition.position };
  }

  private binary(level: number): Expression {
    const operators = binaryLevels[level];
    if (operators === undefined) return this.unary();
    let left = this.binary(level + 1);
    while (this.current.kind === "operator" && (operators as readonly string[]).includes(this.current.text)) {
      const operator = this.next();
      const right = this.binary(level + 1);
      left = { type: "binary", operator: operator.text as BinaryOperator, left, right, position: operator.position };
    }
    return left;
  }

  private unary(): Expression {
    if (this.isOperator("-") || this.isOperator("!")) {
      const operator = this.next();
      return { type: "unary", operator: operator.text as "-" | "!", operand: this.unary(), position: operator.position };
    }
    return this.postfix();
  }

  private postfix(): Expression {
    let expression = this.primary();
    while (this.isOperator(".")) {
      this.next();
      const name = this.next();
      if (name.kind !== "identifier") throw syntaxError(`Expected a property or method name but found ${describe(name)}`, name.position);
      if (this.isOperator("(")) {
        if (!methodNames.has(name.text)) throw syntaxError(`Unknown method '${name.text}'`, name.position);
        expression = { type: "method", object: expression, name: name.text, args: this.arguments(), position: name.position };
      } else {
        if (!propertyNames.has(name.text)) throw syntaxError(`Unknown property '${name.text}'`, name.position);
        expression = { type: "property", object: expression, name: name.text, position: name.position };
      }
    }
    return expression;
  }

  private arguments(): Expression[] {
    this.expect("(");
    const args: Expression[] = [];
    if (this.isOperator(")")) {
      this.next();
      return args;
    }
    for (;;) {
      args.push(this.expression());
      if (this.isOperator(")")) break;
      this.expect(",");
    }
    this.next();
    return args;
  }

  private primary(): Expression {
    const token = this.next();
    switch (token.kind) {
      case "number":
        return { type: "number", value: Number(token.text), position: token.position };
      case "string":
        return { type: "string", value: token.text, position: token.position };
      case "identifier":
        if (this.isOperator("(")) {
          if (!functionNames.has(token.text)) throw syntaxError(`Unknown function '${token.text}'`, token.position);
          return { type: "call", name: token.text, args: this.arguments(), position: token.position };
        }
        return { type: "name", name: token.text, position: token.position };
      case "operator":
        if (token.text === "(") {
          const inner = this.expression();
          this.expect(")");
          return inner;
        }
        throw syntaxError(`Unexpected ${describe(token)}`, token.position);
      case "eof":
        throw syntaxError("Unexpected end of formula", token.position);
    }
  }
}

function describe(token: Token): string {
  if (token.kind === "eof") return "end of formula";
  if (token.kind === "string") return `string "${token.text}"`;
  return `'${token.text}'`;
}
