/**
 * A clock that stands still until it is moved, and tells whoever listens when it moves. Tests pass it as the
 * server's `clock` so that days of schedule behaviour run in seconds: parts that wait for a time (the job schedule
 * runner) listen with `onAdvance` instead of relying on real timers alone.
 */
import type { Clock } from "./clock.js";

/** A clock whose time only moves when told to, announcing each move. */
export interface ObservableClock extends Clock {
  /** Calls `listener` after every move; returns a function that stops the calls. */
  onAdvance(listener: () => void): () => void;
}

export function isObservableClock(clock: Clock): clock is ObservableClock {
  return typeof (clock as Partial<ObservableClock>).onAdvance === "function";
}

export class SimulatedClock implements ObservableClock {
  private current: number;
  private readonly listeners = new Set<() => void>();

  constructor(start: Date) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  /** Moves the clock forward by `milliseconds` (≥ 0) and tells the listeners. */
  advance(milliseconds: number): Date {
    if (!(milliseconds >= 0)) throw new RangeError(`A simulated clock only moves forward, not by ${milliseconds} ms`);
    return this.set(new Date(this.current + milliseconds));
  }

  /** Moves the clock to `time` (not backwards) and tells the listeners. */
  set(time: Date): Date {
    if (time.getTime() < this.current) throw new RangeError(`A simulated clock does not move backwards (to ${time.toISOString()})`);
    this.current = time.getTime();
    for (const listener of [...this.listeners]) listener();
    return this.now();
  }

  onAdvance(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
