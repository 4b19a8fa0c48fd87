/**
 * Which nodes want which OS account, shared by every agent whose data directory this is (the local provider's
 * agents all use `<dataDir>/nodes`): an OS account is host-wide while node users are per node, so an account is
 * deleted only when no node still wants it. One file per account, `<directory>/<name>.json`; its existence is also
 * the proof that OpenBatch created the account (a name with no file and an existing account is someone else's).
 *
 * Changes to one account's file happen under a lock (`<name>.lock`, a directory: mkdir is atomic) so that agents
 * of one host do not lose each other's updates; a lock older than `staleLockInMs` is taken over (its agent died).
 */
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface OsUserHolder {
  readonly agentId: string;
  /** Of the DesiredNodeUser this node last applied; "" until applied. */
  readonly fingerprint: string;
}

export interface OsUserRegistryEntry {
  readonly name: string;
  /** By `<poolId>/<nodeId>`. */
  readonly holders: Readonly<Record<string, OsUserHolder>>;
}

/** Beside the pool directories; a pool id (`[A-Za-z0-9_-]`) cannot start with a dot, so none can clash. */
export function osUserRegistryDirectory(dataDirectory: string): string {
  return join(dataDirectory, ".os-users");
}

const staleLockInMs = 60_000;
const lockRetryInMs = 25;

export class OsUserRegistry {
  constructor(readonly directory: string) {}

  /** Every account name with a file. */
  async names(): Promise<string[]> {
    const entries = await readdir(this.directory).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw error;
    });
    return entries.filter((entry) => entry.endsWith(".json")).map((entry) => entry.slice(0, -".json".length));
  }

  async read(name: string): Promise<OsUserRegistryEntry | undefined> {
    try {
      const parsed = JSON.parse(await readFile(this.file(name), "utf8")) as Partial<OsUserRegistryEntry>;
      return { name, holders: typeof parsed.holders === "object" && parsed.holders !== null ? parsed.holders : {} };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async write(entry: OsUserRegistryEntry): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const temporary = `${this.file(entry.name)}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    await rename(temporary, this.file(entry.name));
  }

  async remove(name: string): Promise<void> {
    await rm(this.file(name), { force: true });
  }

  /** Runs `work` holding the account's lock. */
  async locked<T>(name: string, work: () => Promise<T>): Promise<T> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const lock = join(this.directory, `${name}.lock`);
    for (;;) {
      try {
        await mkdir(lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const since = await stat(lock).then((info) => Date.now() - info.mtimeMs, () => 0);
        if (since > staleLockInMs) await rmdir(lock).catch(() => undefined);
        else await new Promise((resolve) => setTimeout(resolve, lockRetryInMs));
      }
    }
    try {
      return await work();
    } finally {
      await rmdir(lock).catch(() => undefined);
    }
  }

  private file(name: string): string {
    return join(this.directory, `${name}.json`);
  }
}
