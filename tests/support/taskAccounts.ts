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

/** Deletes the accounts named (and their processes); names that are not accounts are skipped. */
export function removeOsAccounts(names: Iterable<string>): void {
  for (const name of names) {
    if (!osAccountExists(name)) continue;
    spawnSync("pkill", ["--signal", "KILL", "--uid", name]);
    spawnSync("userdel", ["--", name]);
  }
}

export function removeTaskAccounts(dataDir: string): void {
  removeOsAccounts(taskAccountNames(dataDir));
}
