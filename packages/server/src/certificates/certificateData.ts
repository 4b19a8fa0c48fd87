/**
 * Reads the certificate of a Certificate_Add request (rest-api.md §4.5): `data` is base64 of a DER `.cer` or a
 * PKCS#12 `.pfx` (opened with `password`, the empty one when absent), at most 10 KB; `thumbprint` is up to 40 hex
 * digits (spaces removed) and must be the SHA-1 fingerprint of the certificate; `thumbprintAlgorithm` is `sha1`.
 * Parsing uses Node's own X.509 and PKCS#12 support (OpenSSL), so no format is hand-written here.
 */
import { X509Certificate } from "node:crypto";
import { createSecureContext, TLSSocket } from "node:tls";
import { propertyDetails, serviceError } from "@openbatch/core";

/** The largest `data`, decoded. */
export const maxCertificateBytes = 10 * 1024;

export interface ParsedCertificate {
  /** The thumbprint as given, spaces removed. */
  readonly thumbprint: string;
  readonly thumbprintAlgorithm: "sha1";
  readonly format: "pfx" | "cer";
  /** Base64 of the certificate's public part (DER), the wire's `publicData`. */
  readonly publicData: string;
}

function invalid(property: string, reason: string) {
  return serviceError("InvalidPropertyValue", {
    message: `The value provided for the property '${property}' is invalid. ${reason}`,
    values: propertyDetails(property, reason),
  });
}

const invalidData = () => invalid("data", "The specified data is an invalid format for a certificate.");

/** The public certificate inside a PKCS#12 file, or undefined when the password does not open it. */
function certificateOfPfx(pfx: Buffer, password: string): Buffer | undefined {
  let context;
  try {
    context = createSecureContext({ pfx, passphrase: password });
  } catch (error) {
    if (/mac verify|password/i.test((error as Error).message)) return undefined;
    throw invalidData();
  }
  const socket = new TLSSocket(null as never, { secureContext: context });
  try {
    const raw = (socket.getCertificate() as { raw?: Buffer } | null)?.raw;
    if (raw === undefined) throw invalidData();
    return raw;
  } finally {
    socket.destroy();
  }
}

export interface CertificateInput {
  readonly thumbprint: string;
  readonly thumbprintAlgorithm: string;
  readonly data: string;
  readonly certificateFormat?: string | undefined;
  readonly password?: string | undefined;
}

export function parseCertificate(input: CertificateInput): ParsedCertificate {
  if (input.thumbprintAlgorithm.toLowerCase() !== "sha1") throw invalid("thumbprintAlgorithm", "The thumbprint algorithm must be sha1.");
  const thumbprint = input.thumbprint.replace(/ /g, "");
  if (!/^[0-9a-fA-F]{1,40}$/.test(thumbprint)) throw invalid("thumbprint", "The thumbprint must be a sequence of up to 40 hexadecimal digits.");
  const format = input.certificateFormat === "cer" ? "cer" : "pfx";
  if (format === "cer" && input.password !== undefined) throw invalid("password", "A password must not be given for a certificate in cer format.");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(input.data) || input.data.length === 0) throw invalidData();
  const bytes = Buffer.from(input.data, "base64");
  if (bytes.length > maxCertificateBytes) throw invalid("data", `The certificate may be at most ${maxCertificateBytes} bytes.`);
  let der: Buffer;
  if (format === "pfx") {
    const opened = certificateOfPfx(bytes, input.password ?? "");
    if (opened === undefined) throw invalid("password", "The password does not open the certificate.");
    der = opened;
  } else {
    der = bytes;
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch {
    throw invalidData();
  }
  const fingerprint = certificate.fingerprint.replace(/:/g, "").toLowerCase();
  if (fingerprint !== thumbprint.toLowerCase()) throw invalid("thumbprint", "The thumbprint does not match the certificate data.");
  return { thumbprint, thumbprintAlgorithm: "sha1", format, publicData: certificate.raw.toString("base64") };
}
