/**
 * Checks that an uploaded file is a zip the agents can install, before it is registered: a readable central
 * directory (yauzl), at most `maxEntries` entries, every name a relative path inside the package (core
 * `zipEntryPathProblem`), no encrypted entries, no symbolic links, and a declared uncompressed total of at most
 * `maxUncompressedBytes` (agents extract with yauzl's entry-size validation, so a zip lying about its sizes fails
 * there). Entry data is not decompressed here: a damaged entry fails the deployment on the node, as a bad blob does.
 */
import yauzl from "yauzl";
import { isZipSymlinkEntry, zipEntryPathProblem } from "@openbatch/core";

export interface ArchiveLimits {
  readonly maxEntries: number;
  readonly maxUncompressedBytes: number;
}

export class InvalidPackageArchive extends Error {
  override readonly name = "InvalidPackageArchive";
}

/** Resolves with the entry count; rejects with InvalidPackageArchive saying what is wrong. */
export async function checkPackageArchive(path: string, limits: ArchiveLimits): Promise<{ entries: number; uncompressedBytes: number }> {
  let zip: yauzl.ZipFile;
  try {
    // strictFileNames: a backslash stays in the name (and is refused) instead of becoming a separator. yauzl
    // refuses absolute and `..` names itself; the core rule below is the same one the agent applies.
    zip = await yauzl.openPromise(path, { lazyEntries: true, strictFileNames: true });
  } catch (error) {
    throw new InvalidPackageArchive(`The file is not a valid zip archive: ${(error as Error).message}`);
  }
  try {
    if (zip.entryCount > limits.maxEntries) throw new InvalidPackageArchive(`The zip has ${zip.entryCount} entries; at most ${limits.maxEntries} are allowed.`);
    let uncompressedBytes = 0;
    let entries = 0;
    for await (const entry of zip.eachEntry()) {
      entries++;
      const name = entry.fileName;
      const problem = zipEntryPathProblem(name);
      if (problem !== undefined) throw new InvalidPackageArchive(`The zip entry '${name}' cannot be installed: ${problem}`);
      if (entry.isEncrypted()) throw new InvalidPackageArchive(`The zip entry '${name}' is encrypted.`);
      if (isZipSymlinkEntry(entry)) throw new InvalidPackageArchive(`The zip entry '${name}' is a symbolic link; packages may hold files and directories only.`);
      uncompressedBytes += entry.uncompressedSize;
      if (uncompressedBytes > limits.maxUncompressedBytes) {
        throw new InvalidPackageArchive(`The zip expands to more than ${limits.maxUncompressedBytes} bytes.`);
      }
    }
    return { entries, uncompressedBytes };
  } catch (error) {
    if (error instanceof InvalidPackageArchive) throw error;
    throw new InvalidPackageArchive(`The zip archive cannot be installed: ${(error as Error).message}`);
  } finally {
    zip.close();
  }
}
