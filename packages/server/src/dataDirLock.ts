/**
 * One server per data directory. Two servers on the same directory would both run its SQLite store, its agents and
 * its node directories, and quietly undo each other's work; the second one is refused instead, with a message that
 * names the first.
 *
 * The lock is `<dataDir>/server.lock`, created exclusively (O_EXCL), holding the owner's pid, host name, start time
 * and, once it listens, URL. A lock whose process is gone (a crash, kill -9) is stale and taken over at once, so a
 * crashed server never blocks its restart. The check is by pid on this host; a directory shared over the network
 * with another host is refused while the other host's lock is there (remove it by hand if that host is gone).
 *
 * Replicas (a PostgreSQL store) may share a data directory — on one host, that is how their local agents' node
 * directories and logs are found by whichever replica leads (docs/architecture.md, "Replicas"). Each takes a lock
 * of its own, `<dataDir>/replicas/<host>-<pid>-<random>.lock`, naming its deployment (the database's id); a replica of
 * another deployment, or a server on its own SQLite store, is refused while one is held, and the other way round.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly url?: string;
  /** A replica's deployment (replica locks only). */
  readonly deployment?: string;
}

export interface DataDirLock {
  readonly path: string;
  /** Records the URL the server listens on, for the message a second server prints. */
  setUrl(url: string): void;
  release(): void;
}

export class DataDirLockedError extends Error {
  override readonly name = "DataDirLockedError";
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `Another OpenBatch server (pid ${owner.pid}${owner.host === hostname() ? "" : ` on ${owner.host}`}` +
        `${owner.url === undefined ? "" : `, ${owner.url}`}, started ${owner.startedAt}) is using the data directory ${dataDir}. ` +
        "Stop it first, or give this one another --data-dir.",
    );
  }
}

export const lockFileName = "server.lock";

/** Locks held by this process: a second server in the same process is refused too. */
const heldHere = new Set<string>();

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The owner recorded in the directory's lock, if a live process holds it. */
export function readDataDirLock(dataDir: string): LockOwner | undefined {
  const path = join(dataDir, lockFileName);
  let owner: LockOwner;
  try {
    owner = JSON.parse(readFileSync(path, "utf8")) as LockOwner;
  } catch {
    return undefined; // none, or half-written by a server starting right now
  }
  if (owner.host !== hostname()) return owner;
  if (owner.pid === process.pid) return heldHere.has(path) ? owner : undefined;
  return isRunning(owner.pid) ? owner : undefined;
}

/** A replica lock's owner, if its process is alive (a stale one is removed). */
function liveReplicaOwner(path: string): LockOwner | undefined {
  let owner: LockOwner;
  try {
    owner = JSON.parse(readFileSync(path, "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
  // Another host's cannot be checked: it counts as live.
  if (owner.host !== hostname()) return owner;
  if (owner.pid === process.pid) return heldHere.has(path) ? owner : undefined;
  if (isRunning(owner.pid)) return owner;
  rmSync(path, { force: true });
  return undefined;
}

/** The live replicas holding locks in the directory. */
function replicaOwners(dataDir: string): { path: string; owner: LockOwner }[] {
  const directory = join(dataDir, replicaLockDirectory);
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return [];
  }
  const owners: { path: string; owner: LockOwner }[] = [];
  for (const name of names) {
    if (!name.endsWith(".lock")) continue;
    const owner = liveReplicaOwner(join(directory, name));
    if (owner !== undefined) owners.push({ path: join(directory, name), owner });
  }
  return owners;
}

export const replicaLockDirectory = "replicas";

/** The lock file at `path`, written with `owner`, as held by this process until released. */
function heldLock(path: string, owner: LockOwner): DataDirLock {
  heldHere.add(path);
  let current = owner;
  let released = false;
  return {
    path,
    setUrl(url) {
      if (released) return;
      current = { ...current, url };
      writeFileSync(path, JSON.stringify(current));
    },
    release() {
      if (released) return;
      released = true;
      heldHere.delete(path);
      rmSync(path, { force: true });
    },
  };
}

/** Takes this replica's lock on a data directory that the replicas of `deployment` may share. */
export function acquireReplicaLock(dataDir: string, deployment: string): DataDirLock {
  const single = readDataDirLock(dataDir);
  if (single !== undefined) throw new DataDirLockedError(dataDir, single);
  mkdirSync(join(dataDir, replicaLockDirectory), { recursive: true, mode: 0o700 });
  // Several replicas may live in one process (tests): the name is the host, the pid and a random part.
  const path = join(dataDir, replicaLockDirectory, `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}.lock`);
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), deployment };
  writeFileSync(path, JSON.stringify(owner));
  const lock = heldLock(path, owner);
  // Checked after taking ours: of a server and a replica starting together, at least one sees the other.
  const other = replicaOwners(dataDir).find((entry) => entry.path !== path && entry.owner.deployment !== deployment)?.owner ?? readDataDirLock(dataDir);
  if (other !== undefined) {
    lock.release();
    throw new DataDirLockedError(dataDir, other);
  }
  return lock;
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = join(dataDir, lockFileName);
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o644);
      try {
        writeSync(fd, JSON.stringify(owner));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 3) throw error;
      const holder = readDataDirLock(dataDir);
      if (holder !== undefined) throw new DataDirLockedError(dataDir, holder);
      // Stale: move it aside under a name of our own (atomic; of two servers taking it over, one renames it).
      try {
        renameSync(path, `${path}.stale-${process.pid}`);
        rmSync(`${path}.stale-${process.pid}`, { force: true });
      } catch {
        // the other one moved it first; try again
      }
    }
  }
  const lock = heldLock(path, owner);
  const replica = replicaOwners(dataDir)[0];
  if (replica !== undefined) {
    lock.release();
    throw new DataDirLockedError(dataDir, replica.owner);
  }
  return lock;
}
