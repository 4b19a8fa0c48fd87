/**
 * The data directory holds everything a task must never read: the database (every account's entities, task tokens
 * in assignments), the agent and task-token secrets, agent logs, application packages and every node's files. It is
 * made private to the server's OS user (0700), and the secret files and the database 0600, also when they already
 * existed with laxer modes (an older version, a restore, a hand-made directory). docs/security.md.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { join } from "node:path";

/** Creates `directory` if missing and makes it private (0700). Throws when it cannot be made private. */
export function securePrivateDirectory(directory: string): void {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  if ((statSync(directory).mode & 0o077) !== 0) chmodSync(directory, 0o700);
}

/** Makes `file` private (0600), creating it empty when `create` and it is missing. */
export function securePrivateFile(file: string, create = false): void {
  if (!existsSync(file)) {
    if (!create) return;
    closeSync(openSync(file, "a", 0o600));
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
}

/** The server's own files in the data directory that hold secrets or every account's data. */
export const privateFiles = ["openbatch.db", "openbatch.db-wal", "openbatch.db-shm", "agent-secret", "task-token-secret"] as const;

/** Makes the data directory private and creates the database file private before SQLite opens it. */
export function secureDataDirectory(dataDir: string): void {
  try {
    securePrivateDirectory(dataDir);
    // SQLite gives its -wal and -shm files the database file's mode, so creating that 0600 covers all three.
    securePrivateFile(join(dataDir, "openbatch.db"), true);
    for (const file of privateFiles) securePrivateFile(join(dataDir, file));
  } catch (error) {
    throw new Error(`The data directory '${dataDir}' cannot be made private to this user (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); use a directory this user owns.`);
  }
}

/** Makes the secret files private once they exist (they are created 0600; older ones may not be). */
export function secureSecretFiles(dataDir: string): void {
  for (const file of privateFiles) securePrivateFile(join(dataDir, file));
}
