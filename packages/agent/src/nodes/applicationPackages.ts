/**
 * Installs application packages on a node (semantics.md §2.9, §2.10) and names them in the environment.
 *
 * A package (ApplicationPackageDeployment, resolved by the server) goes to
 * `<node>/applications/<appid><version>.<hash>`; the directory is named by the zip's content, so one that exists
 * is complete and is used as is (Azure likewise does not download a package the node already has). Installing:
 * 1. download the zip from the server over the agent channel (`agentApplicationPackagePath`, bearer token) to a
 *    temporary file in `applications/`, checking its SHA-256 against the deployment's;
 * 2. extract it with yauzl into a fresh `<dir>.part-<random>`: entry names must be relative paths inside it (core
 *    `zipEntryPathProblem`, plus a resolved-path check), symbolic links are refused, entry sizes are validated
 *    while inflating; files get mode 0755 when the zip gives them any execute bit, 0644 otherwise;
 * 3. rename it to `<dir>` (atomic: a node never sees a half-extracted package). Concurrent installs of one package
 *    on one agent share the same promise; a lost rename race with another process keeps the winner's copy.
 *
 * Every failure (download, hash, damaged zip, disk) is an ApplicationPackageFailure whose `code` is the Batch task
 * failure code `ApplicationPackageError`, naming the package; nothing partial is left behind. A pool package that
 * fails makes the node `unusable` with that error in its `errors` (hostedNode.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import yauzl from "yauzl";
import { applicationPackageDirectoryName, applicationPackageVariableNames, isZipSymlinkEntry, zipEntryPathProblem } from "@openbatch/core";
import { agentApplicationPackagePath, type ApplicationPackageDeployment, type TaskAssignment } from "@openbatch/protocol";

export class ApplicationPackageFailure extends Error {
  override readonly name = "ApplicationPackageFailure";
  readonly code = "ApplicationPackageError";
  constructor(
    message: string,
    /** The package that failed, once known (set by `install`). */
    readonly deployment?: Pick<ApplicationPackageDeployment, "applicationId" | "version">,
  ) {
    super(message);
  }
}

export interface ApplicationPackageSource {
  readonly serverUrl: string;
  readonly token: string;
  /** How to reach the server (its TLS settings). @default the global fetch */
  readonly fetch?: typeof globalThis.fetch;
}

/** The directory a deployment is installed in, under the node's `applications/`. */
export function applicationPackageDirectory(applicationsDirectory: string, deployment: ApplicationPackageDeployment): string {
  return join(applicationsDirectory, applicationPackageDirectoryName(deployment.applicationId, deployment.version, deployment.sha256));
}

/** The `AZ_BATCH_APP_PACKAGE_*` variables of installed deployments (later deployments win on a shared name). */
export function applicationPackageEnvironment(
  applicationsDirectory: string,
  deployments: readonly ApplicationPackageDeployment[] | undefined,
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const deployment of deployments ?? []) {
    const directory = applicationPackageDirectory(applicationsDirectory, deployment);
    for (const name of applicationPackageVariableNames(deployment.applicationId, deployment.version, deployment.referencedWithoutVersion)) {
      environment[name] = directory;
    }
  }
  return environment;
}

function entryMode(entry: yauzl.Entry): number {
  const madeOnUnix = entry.versionMadeBy >> 8 === 3;
  const mode = madeOnUnix ? (entry.externalFileAttributes >>> 16) & 0o777 : 0;
  return (mode & 0o111) !== 0 ? 0o755 : 0o644;
}

/** Extracts `zipPath` into the empty directory `target`, refusing any entry that would land outside it. */
export async function extractZip(zipPath: string, target: string): Promise<void> {
  const root = resolve(target);
  await mkdir(root, { recursive: true, mode: 0o755 });
  // strictFileNames: a backslash stays in the name and is refused, instead of silently becoming a separator.
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true });
  try {
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName;
      const problem = zipEntryPathProblem(name);
      if (problem !== undefined) throw new ApplicationPackageFailure(`The package entry '${name}' cannot be extracted: ${problem}`);
      if (isZipSymlinkEntry(entry)) throw new ApplicationPackageFailure(`The package entry '${name}' is a symbolic link; packages may hold files and directories only.`);
      const destination = resolve(root, name);
      if (destination !== root && !destination.startsWith(root + sep)) {
        throw new ApplicationPackageFailure(`The package entry '${name}' would be extracted outside the package directory.`);
      }
      if (name.endsWith("/")) {
        await mkdir(destination, { recursive: true, mode: 0o755 });
        continue;
      }
      await mkdir(dirname(destination), { recursive: true, mode: 0o755 });
      const content = await zip.openReadStreamPromise(entry);
      // `wx`: a name the zip holds twice is an error, never a silent overwrite.
      await pipeline(content, createWriteStream(destination, { flags: "wx", mode: entryMode(entry) }));
    }
  } finally {
    zip.close();
  }
}

export class ApplicationPackageInstaller {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly source: ApplicationPackageSource) {}

  /**
   * Installs every deployment not installed yet; rejects with ApplicationPackageFailure. Not abortable: an install
   * may be shared by several runs, and a package is bounded work; callers check their own abort afterwards.
   */
  async install(applicationsDirectory: string, deployments: readonly ApplicationPackageDeployment[] | undefined): Promise<void> {
    for (const deployment of deployments ?? []) {
      const directory = applicationPackageDirectory(applicationsDirectory, deployment);
      let pending = this.inFlight.get(directory);
      if (pending === undefined) {
        pending = this.installOne(applicationsDirectory, directory, deployment).finally(() => this.inFlight.delete(directory));
        this.inFlight.set(directory, pending);
      }
      try {
        await pending;
      } catch (error) {
        if (error instanceof ApplicationPackageFailure && error.deployment === undefined) {
          throw new ApplicationPackageFailure(error.message, { applicationId: deployment.applicationId, version: deployment.version });
        }
        throw error;
      }
    }
  }

  private async installOne(applicationsDirectory: string, directory: string, deployment: ApplicationPackageDeployment): Promise<void> {
    if ((await stat(directory).catch(() => undefined))?.isDirectory() === true) return;
    const label = `${deployment.applicationId} version ${deployment.version}`;
    await mkdir(applicationsDirectory, { recursive: true, mode: 0o755 });
    const suffix = randomBytes(6).toString("hex");
    const download = join(applicationsDirectory, `.download-${suffix}.zip`);
    const partial = `${directory}.part-${suffix}`;
    try {
      await this.download(deployment, download, label);
      try {
        await extractZip(download, partial);
      } catch (error) {
        if (error instanceof ApplicationPackageFailure) throw error;
        throw new ApplicationPackageFailure(`The application package ${label} could not be extracted: ${(error as Error).message}`);
      }
      try {
        await rename(partial, directory);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Another installer got there first with the same content (the name is the content's hash).
        if (code !== "ENOTEMPTY" && code !== "EEXIST") throw new ApplicationPackageFailure(`The application package ${label} could not be installed: ${(error as Error).message}`);
      }
    } finally {
      await rm(download, { force: true });
      await rm(partial, { recursive: true, force: true });
    }
  }

  private async download(deployment: ApplicationPackageDeployment, path: string, label: string): Promise<void> {
    const url = `${this.source.serverUrl.replace(/\/+$/, "")}${agentApplicationPackagePath(deployment.sha256)}`;
    let response: Response;
    try {
      response = await (this.source.fetch ?? fetch)(url, { headers: { authorization: `Bearer ${this.source.token}` } });
    } catch (error) {
      throw new ApplicationPackageFailure(`The application package ${label} could not be downloaded: ${(error as Error).message}`);
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel().catch(() => undefined);
      throw new ApplicationPackageFailure(`The application package ${label} could not be downloaded: the server answered HTTP ${response.status}.`);
    }
    const hash = createHash("sha256");
    const hasher = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), hasher, createWriteStream(path, { mode: 0o600 }));
    } catch (error) {
      throw new ApplicationPackageFailure(`The application package ${label} could not be downloaded: ${(error as Error).message}`);
    }
    if (hash.digest("hex") !== deployment.sha256) {
      throw new ApplicationPackageFailure(`The application package ${label} arrived damaged: its SHA-256 does not match.`);
    }
  }
}

/**
 * Prepares a job task's own packages: the server's resolution problem, or an installation failure, as the run's
 * pre-processing failure (`ApplicationPackageError`, never retried); undefined when the process may start.
 */
export async function taskPackageFailure(
  installer: ApplicationPackageInstaller,
  applicationsDirectory: string,
  assignment: Pick<TaskAssignment, "applicationPackages" | "applicationPackageError">,
): Promise<{ code: string; message: string } | undefined> {
  if (assignment.applicationPackageError !== undefined) return { code: "ApplicationPackageError", message: assignment.applicationPackageError };
  try {
    await installer.install(applicationsDirectory, assignment.applicationPackages);
    return undefined;
  } catch (error) {
    if (error instanceof ApplicationPackageFailure) return { code: error.code, message: error.message };
    throw error;
  }
}
