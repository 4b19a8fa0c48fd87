/**
 * What the command writes to: stdout for results (the only thing a script reads), stderr for progress, notes and
 * errors. Colour only where the stream is a terminal and NO_COLOR is not set; widths from the terminal.
 */
import picocolors from "picocolors";

export type Colors = ReturnType<typeof picocolors.createColors>;

export interface Terminal {
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** Colours for what goes to stdout. */
  readonly colors: Colors;
  /** Colours for what goes to stderr. */
  readonly errorColors: Colors;
  /** Width of the terminal stdout writes to; 0 (no limit) when it is not a terminal and COLUMNS is not set. */
  readonly columns: number;
  out(text: string): void;
  /** A note for the person at the terminal (stderr). */
  note(text: string): void;
}

function colorsFor(isTTY: boolean): Colors {
  const noColor = process.env["NO_COLOR"] !== undefined && process.env["NO_COLOR"] !== "";
  const forced = process.env["FORCE_COLOR"] !== undefined && process.env["FORCE_COLOR"] !== "0";
  return picocolors.createColors(forced || (isTTY && !noColor));
}

export function processTerminal(): Terminal {
  const stdoutIsTTY = process.stdout.isTTY === true;
  const stderrIsTTY = process.stderr.isTTY === true;
  return {
    stdoutIsTTY,
    stderrIsTTY,
    colors: colorsFor(stdoutIsTTY),
    errorColors: colorsFor(stderrIsTTY),
    columns: stdoutIsTTY ? (process.stdout.columns ?? 120) : Number(process.env["COLUMNS"] ?? 0) || 0,
    out: (text) => void process.stdout.write(text),
    note: (text) => void process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
  };
}
