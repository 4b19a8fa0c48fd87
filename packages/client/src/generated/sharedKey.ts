// GENERATED from @openbatch/protocol by packages/client/scripts/generateWire.mjs — do not edit.
// A verbatim copy of packages/protocol/src/sharedKey.ts, so client and server sign with the same code.

/**
 * The SharedKey string-to-sign (rest-api.md §2.1), once for the client that signs and the server that verifies.
 *
 * METHOD, then eleven standard header values (empty when absent), then every non-empty `ocp-*` header as
 * `name:value` sorted by lower-cased name, then `/{account}{raw percent-encoded path}`, then each query parameter
 * sorted by name as `\nname:value` with the URL-decoded value of its first occurrence. The official clients differ
 * in one place the caller chooses: Python skips empty query values, the JS SDK signs them (`includeEmptyQueryValues`).
 * HMAC-SHA256 over the UTF-8 text with the base64-decoded key, base64-encoded, is the signature (callers do it:
 * this module stays free of Node built-ins).
 */
export const sharedKeySignedHeaders = [
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

export interface StringToSignInput {
  readonly method: string;
  /** Header values by lower-cased name; empty values count as absent. */
  readonly headers: ReadonlyMap<string, string>;
  /** The raw, still percent-encoded path as sent. */
  readonly rawPath: string;
  /** The raw query string without `?`. */
  readonly rawQuery: string;
  /** Sign empty query values too (the JS SDK does; Python skips them). @default false */
  readonly includeEmptyQueryValues?: boolean;
}

export function sharedKeyStringToSign(input: StringToSignInput, accountName: string): string {
  let text = `${input.method.toUpperCase()}\n`;
  text += sharedKeySignedHeaders.map((name) => input.headers.get(name) ?? "").join("\n") + "\n";
  const ocp = [...input.headers.entries()]
    .filter(([name, value]) => name.startsWith("ocp-") && value !== "")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, value] of ocp) text += `${name}:${value}\n`;
  text += `/${accountName}${input.rawPath}`;
  const first = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(input.rawQuery)) {
    if (!first.has(name)) first.set(name, value);
  }
  for (const name of [...first.keys()].sort()) {
    const value = first.get(name) as string;
    if (value !== "" || input.includeEmptyQueryValues === true) text += `\n${name}:${value}`;
  }
  return text;
}
