/**
 * Builds zip files for application package tests with yazl, in memory. `renameEntry` rewrites an entry's name in
 * place (local header and central directory) to produce archives yazl itself refuses to write, such as `../x`.
 */
import yazl from "yazl";

export interface ZipEntry {
  readonly name: string;
  readonly content?: string;
  /** Unix permission bits, e.g. 0o755. @default 0o644 */
  readonly mode?: number;
  readonly directory?: boolean;
}

export async function makeZip(entries: readonly ZipEntry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    if (entry.directory === true) zip.addEmptyDirectory(entry.name);
    // A mode with a file type (e.g. 0o120777, a symbolic link) is used as given; plain permissions make a regular file.
    else zip.addBuffer(Buffer.from(entry.content ?? ""), entry.name, { mode: (entry.mode ?? 0o644) > 0o7777 ? (entry.mode as number) : 0o100000 | (entry.mode ?? 0o644) });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Replaces every occurrence of the entry name `from` with `to` (same byte length) in the archive's headers. */
export function renameEntry(zip: Buffer, from: string, to: string): Buffer {
  if (Buffer.byteLength(from) !== Buffer.byteLength(to)) throw new Error("renameEntry needs names of equal length");
  const copy = Buffer.from(zip);
  const needle = Buffer.from(from);
  for (let at = copy.indexOf(needle); at >= 0; at = copy.indexOf(needle, at + 1)) Buffer.from(to).copy(copy, at);
  return copy;
}
