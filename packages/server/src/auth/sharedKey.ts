/**
 * SharedKey verification, rebuilding the string-to-sign exactly as the official clients build it
 * (rest-api.md §2.1; azure-batch's batch_auth.py and @azure/batch's batchSharedKeyCredentials.js).
 *
 * Client quirks accepted: Python signs `Content-Length: 0` on body-less POST/PUT/PATCH/DELETE while JS signs an
 * empty value on body-less DELETE, so for an empty body both "" and "0" are tried; Python skips query parameters
 * with empty values while JS signs them, so both forms are tried when one is empty. Signatures are compared in
 * constant time against every key of the account.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Account } from "../accounts.js";

const signedHeaderNames = [
  "content-encoding",
  "content-language",
  "content-length",
  "content-md5",
  "content-type",
  "date",
  "if-modified-since",
  "if-match",
  "if-none-match",
  "if-unmodified-since",
  "range",
] as const;

export interface SignableRequest {
  readonly method: string;
  /** The raw, still percent-encoded path as received. */
  readonly rawPath: string;
  /** The raw query string without `?`. */
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly bodyIsEmpty: boolean;
}

function header(headers: SignableRequest["headers"], name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}

function canonicalQueries(rawQuery: string): string[] {
  const params = new URLSearchParams(rawQuery);
  const first = new Map<string, string>();
  for (const [name, value] of params) if (!first.has(name)) first.set(name, value);
  const names = [...first.keys()].sort();
  const withEmpty = names.map((name) => `\n${name}:${first.get(name)}`).join("");
  const withoutEmpty = names.filter((name) => first.get(name) !== "").map((name) => `\n${name}:${first.get(name)}`).join("");
  return withEmpty === withoutEmpty ? [withEmpty] : [withoutEmpty, withEmpty];
}

/** Every string-to-sign an official client could have produced for this request. */
export function stringsToSign(request: SignableRequest, accountName: string): string[] {
  const headerLines = (contentLength: string) =>
    signedHeaderNames.map((name) => (name === "content-length" ? contentLength : header(request.headers, name))).join("\n") + "\n";
  const receivedLength = header(request.headers, "content-length");
  const lengths = request.bodyIsEmpty ? [...new Set([receivedLength, receivedLength === "0" ? "" : "0"])] : [receivedLength];
  const ocpHeaders = Object.keys(request.headers)
    .map((name) => name.toLowerCase())
    .filter((name) => name.startsWith("ocp-") && header(request.headers, name) !== "")
    .sort()
    .map((name) => `${name}:${header(request.headers, name)}\n`)
    .join("");
  const resource = `/${accountName}${request.rawPath}`;
  const candidates: string[] = [];
  for (const length of lengths) {
    for (const query of canonicalQueries(request.rawQuery)) {
      candidates.push(`${request.method.toUpperCase()}\n${headerLines(length)}${ocpHeaders}${resource}${query}`);
    }
  }
  return candidates;
}

export function sign(stringToSign: string, key: Buffer): Buffer {
  return createHmac("sha256", key).update(stringToSign, "utf8").digest();
}

/** True when `signature` (base64) matches the request under any key of the account. */
export function verifySharedKey(request: SignableRequest, account: Account, signature: string): boolean {
  const presented = Buffer.from(signature, "base64");
  let valid = false;
  for (const candidate of stringsToSign(request, account.name)) {
    for (const key of account.keys) {
      const expected = sign(candidate, key);
      // Evaluate every candidate so timing does not reveal which one matched.
      if (presented.length === expected.length && timingSafeEqual(presented, expected)) valid = true;
    }
  }
  return valid;
}
