/**
 * Certificate rows (`kind = certificate`, id `<algorithm>-<thumbprint>`): the wire Certificate plus its data,
 * format and password under `_ob` (never on the wire). Types and pure helpers only; every change of a
 * certificate's state is made by lifecycle/certificates.ts.
 */
import type { Certificate } from "@openbatch/protocol";
import type { StoredEntity } from "@openbatch/store";

/** What nodes need to place the certificate's files. */
export interface CertificateContent {
  readonly data: string;
  readonly format: "pfx" | "cer";
  readonly password?: string;
}

export type CertificateRecord = Certificate & { _ob: CertificateContent };
export type StoredCertificate = StoredEntity<CertificateRecord>;

/** `deleteCertificateError.code` when pools still reference the certificate. */
export const certificateInUseCode = "CertificateInUse";

export function certificateKey(thumbprintAlgorithm: string, thumbprint: string): string {
  return `${thumbprintAlgorithm.toLowerCase()}-${thumbprint.replace(/ /g, "").toLowerCase()}`;
}

export function certificateView(record: CertificateRecord): Certificate {
  const { _ob: _content, ...view } = record;
  return view;
}
