/**
 * Where uploaded application package zips live: `<dataDir>/applications/<account>/<sha256>.zip`, content addressed
 * per account (the same zip uploaded twice is stored once; accounts never share a file, so one account cannot
 * learn of another's package by its hash).
 *
 * An upload streams to a temporary file in the same directory while its SHA-256 and size are computed (refused
 * past `maxPackageBytes`), is checked as a zip (packageArchive.ts), then renamed into place, so a half-written or
 * invalid upload is never visible under a hash. Files are never deleted while registered versions may point at
 * them (there is no package delete yet).
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, type ReadStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { checkPackageArchive, InvalidPackageArchive, type ArchiveLimits } from "./packageArchive.js";

/** Where replicas keep package zips for each other (PgSharedData). */
export interface SharedPackageStore {
  hasFile(account: string, name: string): Promise<boolean>;
  putFile(account: string, name: string, path: string): Promise<void>;
  /** Writes the file to `path`; false when there is none. */
  readFile(account: string, name: string, path: string): Promise<boolean>;
}

export interface PackageFilesOptions extends ArchiveLimits {
  readonly dataDir: string;
  readonly maxPackageBytes: number;
  readonly shared?: SharedPackageStore;
}

export class PackageTooLarge extends Error {
  override readonly name = "PackageTooLarge";
}

export { InvalidPackageArchive };

export interface StoredPackage {
  readonly sha256: string;
  readonly sizeInBytes: number;
}

const hashPattern = /^[0-9a-f]{64}$/;

export class PackageFiles {
  constructor(private readonly options: PackageFilesOptions) {}

  private directory(account: string): string {
    // Account names are `[a-z0-9]` (accounts.ts), safe as a directory name.
    return join(this.options.dataDir, "applications", account);
  }

  /**
   * Stores one upload. Rejects with PackageTooLarge past the size limit and InvalidPackageArchive when it is not
   * an installable zip; nothing is kept in either case.
   */
  async receive(account: string, body: Readable): Promise<StoredPackage> {
    const directory = this.directory(account);
    await mkdir(directory, { recursive: true });
    const temporary = join(directory, `.upload-${randomBytes(8).toString("hex")}`);
    const hash = createHash("sha256");
    let size = 0;
    const limit = this.options.maxPackageBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > limit) {
          done(new PackageTooLarge(`The package is larger than the limit of ${limit} bytes.`));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(temporary, { mode: 0o600 }));
      if (size === 0) throw new InvalidPackageArchive("The request body is empty; send the zip file as the body.");
      await checkPackageArchive(temporary, this.options);
      const sha256 = hash.digest("hex");
      await rename(temporary, join(directory, `${sha256}.zip`));
      await this.options.shared?.putFile(account, `${sha256}.zip`, join(directory, `${sha256}.zip`));
      return { sha256, sizeInBytes: size };
    } finally {
      await rm(temporary, { force: true });
    }
  }

  /** The stored zip with this hash, or undefined when the account has none. */
  async open(account: string, sha256: string): Promise<{ stream: ReadStream; sizeInBytes: number } | undefined> {
    if (!hashPattern.test(sha256)) return undefined;
    const path = join(this.directory(account), `${sha256}.zip`);
    let stats = await stat(path).catch(() => undefined);
    if (stats === undefined && this.options.shared !== undefined && (await this.fetchShared(account, sha256))) stats = await stat(path).catch(() => undefined);
    if (stats === undefined || !stats.isFile()) return undefined;
    return { stream: createReadStream(path), sizeInBytes: stats.size };
  }

  /**
   * Gives the replicas' shared store the zips of this data directory it lacks — those uploaded before the
   * deployment had replicas (`store copy` moves entities, not files). Returns how many were added.
   */
  async publishLocal(account: string): Promise<number> {
    const shared = this.options.shared;
    if (shared === undefined) return 0;
    const names = await readdir(this.directory(account)).catch(() => [] as string[]);
    let added = 0;
    for (const name of names) {
      if (!/^[0-9a-f]{64}\.zip$/.test(name) || (await shared.hasFile(account, name))) continue;
      await shared.putFile(account, name, join(this.directory(account), name));
      added++;
    }
    return added;
  }

  /** Copies a zip from the replicas' shared store into this data directory; false when it has none. */
  private async fetchShared(account: string, sha256: string): Promise<boolean> {
    const directory = this.directory(account);
    await mkdir(directory, { recursive: true });
    const temporary = join(directory, `.fetch-${randomBytes(8).toString("hex")}`);
    try {
      if (!(await (this.options.shared as SharedPackageStore).readFile(account, `${sha256}.zip`, temporary))) return false;
      await rename(temporary, join(directory, `${sha256}.zip`));
      return true;
    } finally {
      await rm(temporary, { force: true });
    }
  }
}
