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
import { sharedKeyStringToSign } from "@openbatch/protocol";
import type { Account } from "../accounts.js";

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

/** Every string-to-sign an official client could have produced for this request. */
export function stringsToSign(request: SignableRequest, accountName: string): string[] {
  const base = new Map<string, string>();
  for (const name of Object.keys(request.headers)) {
    const value = header(request.headers, name);
    if (value !== "") base.set(name.toLowerCase(), value);
  }
  const receivedLength = base.get("content-length") ?? "";
  const lengths = request.bodyIsEmpty ? [...new Set([receivedLength, receivedLength === "0" ? "" : "0"])] : [receivedLength];
  const candidates = new Set<string>();
  for (const length of lengths) {
    const headers = new Map(base);
    if (length === "") headers.delete("content-length");
    else headers.set("content-length", length);
    for (const includeEmptyQueryValues of [false, true]) {
      candidates.add(sharedKeyStringToSign({ method: request.method, headers, rawPath: request.rawPath, rawQuery: request.rawQuery, includeEmptyQueryValues }, accountName));
    }
  }
  return [...candidates];
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
