/**
 * A raw HTTP client for protocol tests, signing requests with SharedKey the way azure-batch's batch_auth.py does
 * (written from that file, independently of the server's verifier). Lets tests send exactly the bytes, headers
 * and query they need, including the malformed ones no SDK would send.
 */
import { createHmac } from "node:crypto";

export interface BatchRequestOptions {
  readonly method?: string;
  /** Path with query, e.g. `/pools?api-version=...`. Sent verbatim. */
  readonly path: string;
  readonly body?: string | Buffer | object;
  readonly headers?: Record<string, string>;
  /** Signs with this account; omit for an unsigned request. */
  readonly account?: { readonly name: string; readonly key: string };
  /** Overrides ocp-date. */
  readonly date?: Date;
}

export interface BatchResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
}

export const apiVersion = "2024-02-01.19.0";

const signedHeaders = [
  "content-encoding", "content-language", "content-length", "content-md5", "content-type", "date",
  "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range",
];

export function signPythonStyle(method: string, url: URL, headers: Record<string, string>, account: { name: string; key: string }): string {
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value) lower[name.toLowerCase()] = value;
  let stringToSign = `${method}\n` + signedHeaders.map((name) => lower[name] ?? "").join("\n") + "\n";
  const ocp = Object.entries(lower).filter(([name]) => name.includes("ocp-")).sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [name, value] of ocp) stringToSign += `${name}:${value}\n`;
  stringToSign += `/${account.name}${url.pathname}`;
  const query = new Map<string, string>();
  for (const [name, value] of url.searchParams) if (!query.has(name)) query.set(name, value);
  for (const name of [...query.keys()].sort()) {
    const value = query.get(name) as string;
    if (value) stringToSign += `\n${name}:${value}`;
  }
  return createHmac("sha256", Buffer.from(account.key, "base64")).update(stringToSign, "utf8").digest("base64");
}

export async function batchRequest(baseUrl: string, options: BatchRequestOptions): Promise<BatchResponse> {
  const method = options.method ?? "GET";
  const url = new URL(baseUrl + options.path);
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Buffer | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" || Buffer.isBuffer(options.body) ? options.body : JSON.stringify(options.body);
    headers["content-type"] ??= "application/json; odata=minimalmetadata; charset=utf-8";
  }
  if (method !== "GET" && method !== "HEAD") headers["content-length"] ??= String(body === undefined ? 0 : Buffer.byteLength(body));
  headers["ocp-date"] ??= (options.date ?? new Date()).toUTCString();
  if (options.account !== undefined) {
    headers["authorization"] = `SharedKey ${options.account.name}:${signPythonStyle(method, url, headers, options.account)}`;
  }
  return readResponse(await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) }));
}

/** Reads a fetch response whole, parsing JSON when the body is JSON. */
export async function readResponse(response: Response): Promise<BatchResponse> {
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Asserts nothing itself; returns the error code of a Batch error body, or undefined when it is not one. */
export function batchErrorCode(response: BatchResponse): string | undefined {
  const body = response.json as { code?: unknown; message?: { lang?: unknown; value?: unknown } } | undefined;
  if (body === undefined || typeof body.code !== "string") return undefined;
  if (body.message?.lang !== "en-US" || typeof body.message.value !== "string") return undefined;
  return body.code;
}
