/**
 * Process-group helpers. Every process the agent starts leads its own process group (spawned `detached`, which is
 * `setsid` on POSIX), so signalling `-pid` reaches the whole tree it forked — unless a descendant moved itself into
 * another group or session, which the agent does not chase.
 *
 * Identity across agent restarts: a pid alone may have been reused by an unrelated process, so the agent also
 * records the process's start time in clock ticks since boot (`/proc/<pid>/stat`, field 22) and only signals a
 * group recorded before a restart when the leader's start time still matches. Where `/proc` is missing (macOS),
 * no identity can be proven and such groups are left alone.
 */
import { readFileSync } from "node:fs";
import { constants } from "node:os";

/** Sends `signal` to the process group `pgid`. Returns false when no such group exists (ESRCH). */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return false;
    if (code === "EPERM") return false;
    throw error;
  }
}

/** Whether any process of the group `pgid` still exists. */
export function groupExists(pgid: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The process's start time in clock ticks since boot (Linux), or undefined when unknown or the process is gone. */
export async function readProcessStartTicks(pid: number): Promise<string | undefined> {
  try {
    // Read at once (a procfs read never blocks on a disk): a task start pays no thread-pool round trip for it.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may contain spaces or parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields after the name start at field 3 (state); field 22 is at index 22 - 3.
    const ticks = fields[19];
    return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** The conventional shell exit code of a process killed by `signal`: 128 + its number (SIGKILL → 137). */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  const number = (constants.signals as Record<string, number | undefined>)[signal];
  return 128 + (number ?? 0);
}

/**
 * Ends process groups: SIGTERM to each that exists, then SIGKILL to those still there after `graceInMs`. The
 * groups are not the agent's children once their leaders exited, so their end is observed by polling
 * (every 50 ms) rather than by an event.
 */
export async function terminateGroups(pgids: Iterable<number>, graceInMs: number): Promise<void> {
  let alive = [...pgids].filter((pgid) => signalGroup(pgid, "SIGTERM"));
  const deadline = performance.now() + graceInMs;
  while (alive.length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    alive = alive.filter(groupExists);
  }
  for (const pgid of alive) signalGroup(pgid, "SIGKILL");
}
