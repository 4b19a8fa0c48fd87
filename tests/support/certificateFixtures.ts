/** The self-signed test certificates in tests/fixtures/certificates/ (see the README there). */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The fixture's path: compiled to tests/dist/support/, the fixtures stay in tests/fixtures/certificates/. */
export function certificateFixturePath(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/certificates/${name}`, import.meta.url));
}

export function certificateFixture(name: string): Buffer {
  return readFileSync(certificateFixturePath(name));
}

/** The SHA-1 thumbprint (40 upper-case hex digits) of a DER certificate. */
export function sha1Thumbprint(cer: Buffer): string {
  return new X509Certificate(cer).fingerprint.replace(/:/g, "");
}
