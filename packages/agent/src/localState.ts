/**
 * The agent's memory across restarts: per hosted node its pool, generation, phase, the start-task attempt it last
 * ran and that attempt's outcome, the process running it, and the outcome (and process) of every task assignment
 * it still reports. A restarted agent reports its nodes from here, so
 * the server hears what finished while the agent was away instead of re-running it.
 *
 * File: `<dataDir>/agent-state.<agentId>.json` — one file per agent because the local provider gives all its agents
 * the same data directory (pool ids contain no `.`, so the name cannot collide with a pool's directory). An agent
 * the server retires (shutdown, every node removed) deletes it. The file is a journal of whole states, one JSON
 * line each, the newest last: a save appends a line (the agent saves before every task start, so a write must be
 * cheap), and now and then the file is rewritten with the newest state alone, through a temporary file renamed
 * over it (atomic on POSIX). Writes happen one at a time, at the end of the event-loop turn of the first `save`:
 * the saves of one turn coalesce into one write of the newest state. A crash may cut the last line short; the
 * state is then the line before it. An unreadable file is moved aside to `….corrupt`
 * and the agent starts without memory (the server then re-creates what it wants).
 *
 * Recovery rule (applied by the node host): a start task or job task recorded as `running` cannot be re-attached
 * after a restart; it is reported `completed` with failure `AgentRestarted`, and its process group is killed when
 * its leader can be proven to be the same process (processGroup.ts).
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { NodeErrorReport, ProcessOutcome } from "@openbatch/protocol";

export const localStateVersion = 1;

export interface PersistedProcess {
  readonly pid: number;
  /** Start time in clock ticks since boot, when known (Linux). */
  readonly startTicks?: string;
}

/** A task assignment the node still reports: its latest outcome (none once withdrawn) and, while it runs, its process. */
export interface PersistedTask {
  readonly assignmentId: string;
  readonly outcome?: ProcessOutcome;
  /** Withdrawn by the server before it began: never started. */
  readonly withdrawn?: boolean;
  readonly process?: PersistedProcess;
}

export interface PersistedNode {
  readonly nodeId: string;
  readonly poolId: string;
  readonly generation: number;
  readonly phase: "preparing" | "ready" | "removed";
  /** Removal was started (processes being killed, directory being deleted). */
  readonly removing: boolean;
  /** A reimage must still wipe the directory before preparing. */
  readonly wipePending: boolean;
  /** The last start-task attempt launched in this generation (0: none). */
  readonly startTaskAttemptRun: number;
  readonly startTask?: ProcessOutcome;
  /** The start task's process while it runs. */
  readonly startTaskProcess?: PersistedProcess;
  /** Task assignments started in this generation and not yet dropped by the server (absent: none). */
  readonly tasks?: readonly PersistedTask[];
  /** Why the node cannot be made ready in this generation (absent: nothing wrong). */
  readonly errors?: readonly NodeErrorReport[];
}

export interface PersistedState {
  readonly version: number;
  readonly agentId: string;
  readonly nodes: readonly PersistedNode[];
}

export function localStatePath(dataDirectory: string, agentId: string): string {
  return join(dataDirectory, `agent-state.${agentId}.json`);
}

function isPersistedTask(value: unknown): value is PersistedTask {
  if (value === null || typeof value !== "object") return false;
  const task = value as Record<string, unknown>;
  const outcome = task.outcome as Record<string, unknown> | null | undefined;
  if (typeof task.assignmentId !== "string") return false;
  if (outcome === undefined) return task.withdrawn === true;
  return typeof outcome === "object" && outcome !== null && (outcome.state === "running" || outcome.state === "completed");
}

function isPersistedNode(value: unknown): value is PersistedNode {
  if (value === null || typeof value !== "object") return false;
  const node = value as Record<string, unknown>;
  return (
    typeof node.nodeId === "string" &&
    typeof node.poolId === "string" &&
    Number.isInteger(node.generation) &&
    (node.phase === "preparing" || node.phase === "ready" || node.phase === "removed") &&
    typeof node.removing === "boolean" &&
    typeof node.wipePending === "boolean" &&
    Number.isInteger(node.startTaskAttemptRun) &&
    (node.tasks === undefined || (Array.isArray(node.tasks) && node.tasks.every(isPersistedTask))) &&
    (node.errors === undefined || (Array.isArray(node.errors) && node.errors.every((error) => typeof (error as { code?: unknown } | null)?.code === "string")))
  );
}

/** The state to save, or how to make it: made only when it is written, so a burst of changes builds it once. */
export type StateSource = PersistedState | (() => PersistedState);

/** The newest whole state in a state file's text (its last line that is one), or why there is none. Pure. */
function latestSavedState(text: string): { state: PersistedState } | { problem: string } {
  let problem = "the file is empty";
  for (const line of text.split("\n").reverse()) {
    if (line.trim() === "") continue;
    try {
      const parsed = JSON.parse(line) as Partial<PersistedState>;
      if (parsed.version !== localStateVersion || typeof parsed.agentId !== "string" || !Array.isArray(parsed.nodes) || !parsed.nodes.every(isPersistedNode)) {
        throw new Error("unexpected content");
      }
      return { state: parsed as PersistedState };
    } catch (error) {
      problem = (error as Error).message;
    }
  }
  return { problem };
}

/** The newest whole state in the file at `path`, read without touching it (tests, diagnostics); undefined when none. */
export function readSavedState(path: string): PersistedState | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const latest = latestSavedState(text);
  return "state" in latest ? latest.state : undefined;
}

/** Appended states a file may hold before it is rewritten with the newest alone (and at least this many bytes). */
const appendsPerRewrite = 32;
const minimumRewriteBytes = 1 << 20;

export class LocalStateFile {
  private writing: Promise<void> | undefined;
  private pending: { state: StateSource; waiters: { resolve: () => void; reject: (error: unknown) => void }[] } | undefined;
  /** The file open for appending, once this process rewrote it; bytes appended since. */
  private appending: { fd: number; bytes: number } | undefined;

  constructor(readonly path: string) {}

  /** The saved state (`latestSavedState`), or undefined when there is none (or it was unreadable and moved aside). */
  async load(): Promise<{ state: PersistedState | undefined; problem?: string }> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { state: undefined };
      throw error;
    }
    const latest = latestSavedState(text);
    if ("state" in latest) return latest;
    await rename(this.path, `${this.path}.corrupt`).catch(() => undefined);
    return { state: undefined, problem: `The state file was unreadable (${latest.problem}) and was moved to ${this.path}.corrupt.` };
  }

  /**
   * Writes the state; resolves once it (or a newer state) is in the file. A function is called when the write
   * begins (an agent of a thousand nodes changes state thousands of times while one write is in flight).
   */
  save(state: StateSource): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.pending === undefined) this.pending = { state, waiters: [] };
      this.pending.state = state;
      this.pending.waiters.push({ resolve, reject });
      // The write waits for the end of this turn of the event loop: every save of the turn is one write.
      this.writing ??= new Promise<void>((turnEnded) => setImmediate(turnEnded)).then(() => this.drain());
    });
  }

  private drain(): void {
    try {
      while (this.pending !== undefined) {
        const { state, waiters } = this.pending;
        this.pending = undefined;
        try {
          this.write(typeof state === "function" ? state() : state);
          for (const waiter of waiters) waiter.resolve();
        } catch (error) {
          for (const waiter of waiters) waiter.reject(error);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  /**
   * One line appended to the open file (one write call; the agent saves before every task start), or — the first
   * time, and once the appended lines outgrow the newest state many times over — the file rewritten with the
   * newest state alone: to a temporary file renamed over it (atomic on POSIX), then opened for appending.
   * Synchronous: a few kilobytes to a local file block less than thread-pool round trips cost.
   */
  private write(state: PersistedState): void {
    const line = `${JSON.stringify(state)}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.appending !== undefined && this.appending.bytes + bytes <= Math.max(minimumRewriteBytes, bytes * appendsPerRewrite)) {
      writeSync(this.appending.fd, line);
      this.appending.bytes += bytes;
      return;
    }
    this.closeFile();
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, line, { mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      mkdirSync(dirname(this.path), { recursive: true });
      writeFileSync(temporary, line, { mode: 0o600 });
    }
    renameSync(temporary, this.path);
    this.appending = { fd: openSync(this.path, "a"), bytes };
  }

  private closeFile(): void {
    if (this.appending === undefined) return;
    closeSync(this.appending.fd);
    this.appending = undefined;
  }

  /** Resolves when no write is in flight. */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  /** Deletes the file once no write is in flight (an agent with nothing left to remember). */
  async remove(): Promise<void> {
    await this.flush();
    this.closeFile();
    await rm(this.path, { force: true });
  }
}
