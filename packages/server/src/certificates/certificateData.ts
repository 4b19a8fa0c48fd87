/**
 * Reads the certificate of a Certificate_Add request (rest-api.md §4.5): `data` is base64 of a DER `.cer` or a
 * PKCS#12 `.pfx` (opened with `password`, the empty one when absent), at most 10 KB; `thumbprint` is up to 40 hex
 * digits (spaces removed) and must be the SHA-1 fingerprint of the certificate; `thumbprintAlgorithm` is `sha1`.
 *
 * PKCS#12 files are opened with node-forge rather than Node's OpenSSL: OpenSSL 3's default provider refuses the
 * legacy algorithms (RC2-40, 3DES, a SHA-1 MAC) that older tooling — and the service's own test suite — still
 * write, which the service accepts (issue #14 item 3); forge reads those and the current PBES2/AES ones alike.
 * X.509 fingerprints stay Node's.
 */
import { X509Certificate } from "node:crypto";
import forge from "node-forge";
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

/**
 * The X.509 certificates (DER) inside a PKCS#12 file, or undefined when the password does not open it (its MAC
 * does not verify). Certificates whose key type forge cannot read are kept as the ASN.1 it found.
 */
function certificatesOfPfx(pfx: Buffer, password: string): Buffer[] | undefined {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(pfx.toString("binary")), false);
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, password);
  } catch (error) {
    if (/MAC could not be verified|password/i.test((error as Error).message)) return undefined;
    throw invalidData();
  }
  const bags = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag ?? ""] ?? [];
  const certificates: Buffer[] = [];
  for (const bag of bags) {
    const asn1 = bag.cert === undefined || bag.cert === null ? bag.asn1 : forge.pki.certificateToAsn1(bag.cert);
    if (asn1 !== undefined) certificates.push(Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary"));
  }
  return certificates;
}

function x509(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw invalidData();
  }
}

const sha1Of = (certificate: X509Certificate) => certificate.fingerprint.replace(/:/g, "").toLowerCase();

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
  const certificates = format === "pfx" ? certificatesOfPfx(bytes, input.password ?? "") : [bytes];
  if (certificates === undefined) throw invalid("password", "The password does not open the certificate.");
  if (certificates.length === 0) throw invalidData();
  const parsed = certificates.map(x509);
  // A pfx may carry its chain too: the certificate added is the one the thumbprint names.
  const certificate = parsed.find((candidate) => sha1Of(candidate) === thumbprint.toLowerCase());
  if (certificate === undefined) throw invalid("thumbprint", "The thumbprint does not match the certificate data.");
  return { thumbprint, thumbprintAlgorithm: "sha1", format, publicData: certificate.raw.toString("base64") };
}
