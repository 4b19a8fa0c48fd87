/**
 * Progress on stderr, drawn by cli-progress, only when stderr is a terminal: a script reading stdout (or a log
 * capturing stderr) sees nothing of it. `rateAndEta` derives tasks/s and the time left from the completions seen
 * since the wait began, which stays right when tasks are still being added (cli-progress's own ETA would not).
 */
import cliProgress from "cli-progress";
import type { Terminal } from "./terminal.js";

export interface Progress {
  update(value: number, total: number, payload?: Record<string, unknown>): void;
  /** Draws the last state and leaves it on screen. */
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

/** A bar with `format` (cli-progress placeholders plus the payload's), or nothing when stderr is not a terminal. */
export function progressBar(terminal: Terminal, format: string): Progress {
  if (!terminal.stderrIsTTY) return silent;
  const bar = new cliProgress.SingleBar({
    format,
    stream: process.stderr,
    barsize: 24,
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    fps: 8,
    barCompleteChar: "█",
    barIncompleteChar: "░",
    formatValue: (value, _options, type) => (type === "percentage" ? String(value).padStart(3) : String(value)),
  });
  let started = false;
  return {
    update(value, total, payload = {}) {
      if (!started) {
        bar.start(Math.max(total, 1), value, payload);
        started = true;
      } else {
        bar.setTotal(Math.max(total, 1));
        bar.update(value, payload);
      }
    },
    stop() {
      if (!started) return;
      bar.render();
      bar.stop();
    },
  };
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")}m`;
}

/** Completions per second since the first sample, and the time the rest would take at that rate. */
export class RateMeter {
  readonly #startedAt: number;
  readonly #startValue: number;

  constructor(startValue: number, now = Date.now()) {
    this.#startedAt = now;
    this.#startValue = startValue;
  }

  sample(value: number, total: number, now = Date.now()): { rate: string; eta: string } {
    const seconds = (now - this.#startedAt) / 1000;
    const done = value - this.#startValue;
    if (seconds <= 0 || done <= 0) return { rate: "-", eta: value >= total ? "0s" : "?" };
    const perSecond = done / seconds;
    return { rate: perSecond >= 10 ? perSecond.toFixed(0) : perSecond.toFixed(1), eta: formatSeconds((total - value) / perSecond) };
  }
}
