/**
 * Certificate files on a node (semantics.md §2.9, §2.10): a process whose kind (`starttask`, `task`) is in a
 * certificate's visibility finds the certificate in `certs/` beside its working directory, named by
 * `AZ_BATCH_CERTIFICATES_DIR`. Files are private to the node's user (0600, directory 0700). A process with no
 * visible certificate gets neither the directory nor the variable. File names come validated from the protocol
 * (`<algorithm>-<thumbprint>.<cer|pfx|pfx.pw>`), so they cannot leave the directory.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { NodeCertificateFile } from "@openbatch/protocol";
import { resolveTaskDirectory } from "./jobTask.js";

export type CertificateConsumer = "starttask" | "task";

/** Writes the certificates visible to `consumer` under `<processDirectory>/certs`; returns the variables to add. */
export async function placeCertificates(processDirectory: string, files: readonly NodeCertificateFile[] | undefined, consumer: CertificateConsumer): Promise<Record<string, string>> {
  const visible = (files ?? []).filter((file) => file.visibility.includes(consumer));
  if (visible.length === 0) return {};
  const directory = join(processDirectory, "certs");
  // The task directory may not exist yet: made here, it must be as open as if the run had made it (0755).
  await mkdir(processDirectory, { recursive: true, mode: 0o755 });
  await mkdir(directory, { recursive: true, mode: 0o700 });
  for (const file of visible) {
    await writeFile(join(directory, file.fileName), Buffer.from(file.contentBase64, "base64"), { mode: 0o600 });
  }
  return { AZ_BATCH_CERTIFICATES_DIR: directory };
}

/** `placeCertificates` for a job task, by its directory relative to the node root; a bad directory places nothing (the run reports it). */
export async function placeTaskCertificates(nodeRoot: string, taskDirectory: string, files: readonly NodeCertificateFile[] | undefined): Promise<Record<string, string>> {
  let absolute: string;
  try {
    absolute = resolveTaskDirectory(nodeRoot, taskDirectory);
  } catch {
    return {};
  }
  return placeCertificates(absolute, files, "task");
}
