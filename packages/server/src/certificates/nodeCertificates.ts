/**
 * The certificate files a node gets from its `certificateReferences` (copied from its pool when the node is made):
 * `<algorithm>-<thumbprint>.cer` or `.pfx`, plus `.pfx.pw` holding a pfx's password, each with the reference's
 * visibility (default: every kind of process). A reference to a certificate that is not stored places nothing.
 */
import type { CertificateReference, NodeCertificateFile } from "@openbatch/protocol";
import type { ReadTx } from "@openbatch/store";
import { certificateKey, type CertificateRecord } from "../records/certificates.js";

const everyone: NodeCertificateFile["visibility"] = ["starttask", "task", "remoteuser"];

export async function nodeCertificateFiles(tx: ReadTx, account: string, references: readonly CertificateReference[] | undefined): Promise<NodeCertificateFile[]> {
  const files: NodeCertificateFile[] = [];
  for (const reference of references ?? []) {
    const key = certificateKey(reference.thumbprintAlgorithm, reference.thumbprint);
    const stored = await tx.get<CertificateRecord>({ account, kind: "certificate", scope: "", id: key });
    if (stored === undefined) continue;
    const visibility = reference.visibility === undefined || reference.visibility.length === 0 ? everyone : reference.visibility;
    const { data, format, password } = stored.body._ob;
    files.push({ fileName: `${key}.${format}`, contentBase64: data, visibility });
    if (format === "pfx" && password !== undefined) {
      files.push({ fileName: `${key}.pfx.pw`, contentBase64: Buffer.from(password, "utf8").toString("base64"), visibility });
    }
  }
  return files;
}
