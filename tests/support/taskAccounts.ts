/**
 * The OS accounts agents of a test server made for task identities (packages/agent/src/nodes/taskIdentities.ts),
 * read from their registry (`<dataDir>/nodes/.task-users`), and their removal: tests that run with task isolation
 * as root call `removeTaskAccounts` in `after()`, whatever happened, so no account outlives them.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

export function taskAccountNames(dataDir: string): string[] {
  const registry = join(dataDir, "nodes", ".task-users");
  if (!existsSync(registry)) return [];
  return readdirSync(registry).filter((file) => file.endsWith(".json")).map((file) => file.slice(0, -".json".length));
}

/** Whether an OS account of that name exists. */
export function osAccountExists(name: string): boolean {
  return spawnSync("getent", ["passwd", name]).status === 0;
}

/**
 * Deletes an OS account and its processes. userdel refuses (exit 8) while a process of the user still exists, and a
 * killed process lingers until reaped: retried for up to 10 s.
 */
export function removeOsAccount(name: string): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < 100 && osAccountExists(name); attempt++) {
    spawnSync("pkill", ["--signal", "KILL", "--uid", name]);
    if (spawnSync("userdel", ["--", name]).status === 0) return;
    Atomics.wait(pause, 0, 0, 100);
  }
}

/** Deletes the accounts named (and their processes); names that are not accounts are skipped. */
export function removeOsAccounts(names: Iterable<string>): void {
  for (const name of names) removeOsAccount(name);
}

export function removeTaskAccounts(dataDir: string): void {
  removeOsAccounts(taskAccountNames(dataDir));
}
