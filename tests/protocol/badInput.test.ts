/**
 * Randomized bad-input test: thousands of malformed requests (odd methods and paths, garbage query options and
 * filters, broken authentication, mutated / invalid / oversized bodies, garbage conditional headers) against one
 * real server. Acceptance:
 *
 * - no 5xx, except 501 NotImplemented for an operation the server does not implement yet;
 * - every reply with status >= 400 carries a Batch error body (HEAD replies and 304s have no body);
 * - every reply carries a `request-id` header (GET /healthz, outside the pipeline, excepted);
 * - afterwards the server still answers /healthz and a valid signed request.
 *
 * Everything random comes from one seeded PRNG; the seed is in the test name. Reproduce a run with
 * `BAD_INPUT_SEED=<seed> node --test tests/dist/protocol/badInput.test.js`; `BAD_INPUT_COUNT` changes the count,
 * `BAD_INPUT_EXAMPLES` how many failing requests are shown per kind of failure (default 3).
 * Requests fetch itself refuses to send (forbidden methods, invalid header bytes) are skipped, not judged.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { operations, type OperationSpec } from "@openbatch/protocol";
import { batchErrorCode, readResponse, signPythonStyle, type BatchResponse } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import {
  Rng,
  authCase,
  bodyCase,
  headerCase,
  jsonContentType,
  methodAndPathCase,
  queryCase,
  setupRequests,
  validProbe,
  type FuzzRequest,
} from "./badInputGenerators.js";

const seed = Number(process.env["BAD_INPUT_SEED"] ?? 0x0ba7c4);
const requestCount = Number(process.env["BAD_INPUT_COUNT"] ?? 3600);
const concurrency = 16;
const perRequestTimeoutMs = 35_000;

/** Category generators and their share of the requests. */
const categories: readonly (readonly [number, (rng: Rng) => FuzzRequest])[] = [
  [17, methodAndPathCase],
  [25, queryCase],
  [11, authCase],
  [39, bodyCase],
  [8, headerCase],
];

// ── Sending ──────────────────────────────────────────────────────────────────────────────────────────────────────

type Outcome =
  | { readonly kind: "response"; readonly url: URL; readonly sentMethod: string; readonly response: BatchResponse }
  | { readonly kind: "refused"; readonly reason: string }
  | { readonly kind: "failed"; readonly reason: string };

/** Methods fetch normalises to upper case (the Fetch standard's list); others go out verbatim. */
const normalisedMethods = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

/** undici error codes meaning the client refused to send, not that the server misbehaved. */
const clientSideCodes = new Set(["UND_ERR_INVALID_ARG", "UND_ERR_NOT_SUPPORTED", "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH"]);

/** undici error codes of a connection the server closed under a request (see `sendWithRetry`). */
const socketCodes = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

/**
 * Sends once more after a socket error: fetch reuses keep-alive connections, and a connection the server closed
 * after answering an earlier request (without `Connection: close`) fails the next request sent on it. A request
 * that itself kills its connection fails again and is judged so.
 */
async function sendWithRetry(baseUrl: string, request: FuzzRequest, onRetry: () => void): Promise<Outcome> {
  const first = await send(baseUrl, request);
  if (first.kind !== "failed" || ![...socketCodes].some((code) => first.reason.includes(`(${code})`))) return first;
  onRetry();
  return send(baseUrl, request);
}

async function send(baseUrl: string, request: FuzzRequest): Promise<Outcome> {
  let url: URL;
  try {
    url = new URL(baseUrl + request.path);
  } catch (error) {
    return { kind: "refused", reason: `URL: ${(error as Error).message}` };
  }
  const sentMethod = normalisedMethods.has(request.method.toUpperCase()) ? request.method.toUpperCase() : request.method;
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) {
    if (request.contentType === undefined) headers["content-type"] = jsonContentType;
    else if (request.contentType !== null) headers["content-type"] = request.contentType;
  }
  if (sentMethod !== "GET" && sentMethod !== "HEAD") headers["content-length"] = String(request.body?.length ?? 0);
  const { auth } = request;
  const date = auth.date === undefined ? new Date().toUTCString() : auth.date;
  if (date !== null) headers[auth.kind === "sign" && auth.dateHeader === true ? "date" : "ocp-date"] = date;
  if (auth.kind === "sign") {
    const signature = signPythonStyle(auth.signMethod ?? request.method, url, headers, auth.account);
    headers["authorization"] = `SharedKey ${auth.account.name}:${signature}`;
  } else if (auth.authorization !== undefined) {
    headers["authorization"] = auth.authorization;
  }
  try {
    const response = await fetch(url, {
      method: request.method,
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(perRequestTimeoutMs),
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    return { kind: "response", url, sentMethod, response: await readResponse(response) };
  } catch (error) {
    const err = error as Error & { cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError" || err.name === "AbortError") return { kind: "failed", reason: `no response within ${perRequestTimeoutMs / 1000} s` };
    if (err.message === "fetch failed") {
      const code = err.cause?.code;
      if (code !== undefined && clientSideCodes.has(code)) return { kind: "refused", reason: `undici: ${code}` };
      return { kind: "failed", reason: `connection failed without a response (${code ?? err.cause?.message ?? "unknown"})` };
    }
    return { kind: "refused", reason: `fetch: ${err.message}` };
  }
}

// ── Judging ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** The operation a method + raw path addresses, matched like the server's router (for body-less 501s). */
const routeTable = operations.map((operation: OperationSpec) => {
  const source = operation.path
    .split(/(\{\w+\})/)
    .map((part) => (/^\{\w+\}$/.test(part) ? (operation.path.includes("(") ? "([^/,)]+)" : "([^/]+)") : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return { operation, pattern: new RegExp(`^${source}$`, "i") };
});

function operationFor(method: string, rawPath: string): string | undefined {
  const path = /^\/certificates%28/i.test(rawPath) ? rawPath.replace(/%28|%29|%3D|%2C/gi, (match) => decodeURIComponent(match)) : rawPath;
  return routeTable.find((route) => route.operation.method === method && route.pattern.test(path))?.operation.operationId;
}

interface Failure {
  readonly index: number;
  readonly signature: string;
  readonly detail: string;
}

function bodyShape(response: BatchResponse): string {
  if (response.text === "") return "empty body";
  if (response.json === undefined) return "non-JSON body";
  if (response.json === null || typeof response.json !== "object" || Array.isArray(response.json)) return "JSON non-object body";
  return `JSON body with keys {${Object.keys(response.json as object).sort().join(",")}}`;
}

/** The reasons this reply breaks the acceptance rules; empty when it is fine. */
function judge(outcome: Extract<Outcome, { kind: "response" }>, implemented: ReadonlySet<string>): string[] {
  const { response, url, sentMethod } = outcome;
  const reasons: string[] = [];
  const isHealthz = url.pathname === "/healthz" && sentMethod === "GET" && response.status === 200;
  const hasBody = sentMethod !== "HEAD" && response.status !== 304;
  const code = batchErrorCode(response);
  if (response.headers.get("request-id") === null && !isHealthz) reasons.push("no request-id header");
  if (response.status >= 500) {
    const values = (response.json as { values?: { key?: unknown; value?: unknown }[] } | undefined)?.values;
    const named = Array.isArray(values) ? values.find((detail) => detail?.key === "OperationId")?.value : undefined;
    const operationId = typeof named === "string" ? named : operationFor(sentMethod, url.pathname);
    const notImplemented =
      response.status === 501 && (!hasBody || code === "NotImplemented") && operationId !== undefined && !implemented.has(operationId);
    if (!notImplemented) {
      reasons.push(
        response.status === 501
          ? `501 for ${operationId ?? "no known operation"}${operationId !== undefined && implemented.has(operationId) ? " (implemented)" : ""}`
          : "5xx",
      );
    }
  }
  if (hasBody && response.status >= 400 && code === undefined) reasons.push("not a Batch error body");
  return reasons;
}

/** How deeply a JSON text nests (string-aware); bodies nesting > 900 levels are their own failure group. */
function nestingDepth(body: Buffer | undefined): number {
  if (body === undefined) return 0;
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i] as number;
    if (inString) {
      if (byte === 0x5c) i++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      max = Math.max(max, ++depth);
    } else if (byte === 0x5d || byte === 0x7d) {
      depth--;
    }
  }
  return max;
}

function excerpt(text: string, length = 240): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > length ? `${flat.slice(0, length)}…(${text.length} chars)` : flat;
}

function describeRequest(index: number, request: FuzzRequest): string {
  const body = request.body === undefined ? "" : ` body[${request.body.length} B, ${request.contentType === null ? "no content-type" : (request.contentType ?? "json")}]=${excerpt(request.body.toString("utf8"), 120)}`;
  const headers = Object.keys(request.headers).length === 0 ? "" : ` headers=${excerpt(JSON.stringify(request.headers), 160)}`;
  const auth = request.auth.kind === "sign" && request.auth.date === undefined && request.auth.signMethod === undefined && request.auth.dateHeader !== true && request.auth.account.key.length > 20 ? "" : ` auth=${excerpt(JSON.stringify(request.auth), 120)}`;
  return `#${index} [${request.category}] ${request.method} ${excerpt(request.path, 200)}${headers}${auth}${body}`;
}

// ── The test ─────────────────────────────────────────────────────────────────────────────────────────────────────

test(`bad input: ${requestCount} randomized malformed requests never get a 5xx or a non-Batch error (seed ${seed})`, { timeout: 180_000 }, async (t) => {
  // No local agents: this test is about the HTTP surface, and thousands of pool adds must not spawn processes.
  const server: TestServer = await startTestServer({ localAgentEntry: undefined });
  t.after(() => server.dispose());
  // Best effort: whatever the server implements of these creates the entities the generators' ids name.
  for (const request of setupRequests()) await send(server.url, request);
  const rng = new Rng(seed);
  const started = Date.now();

  let generated = 0;
  // Generation is synchronous and in index order, so request i is the same whatever the timing of replies.
  const nextRequest = (): { index: number; request: FuzzRequest } | undefined => {
    if (generated >= requestCount) return undefined;
    const generate = rng.weighted(categories);
    return { index: generated++, request: generate(rng) };
  };

  const failures: Failure[] = [];
  const refused = new Map<string, number>();
  const statuses = new Map<number, number>();
  const perCategory = new Map<string, number>();
  let judged = 0;
  let retried = 0;

  async function worker(): Promise<void> {
    for (let next = nextRequest(); next !== undefined; next = nextRequest()) {
      const { index, request } = next;
      const outcome = await sendWithRetry(server.url, request, () => retried++);
      if (outcome.kind === "refused") {
        const key = outcome.reason.replace(/'[^']*'/g, "'…'").slice(0, 80);
        refused.set(key, (refused.get(key) ?? 0) + 1);
        continue;
      }
      judged++;
      perCategory.set(request.category, (perCategory.get(request.category) ?? 0) + 1);
      if (outcome.kind === "failed") {
        failures.push({ index, signature: outcome.reason, detail: `${describeRequest(index, request)}\n      → ${outcome.reason}` });
        continue;
      }
      const { response } = outcome;
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const reasons = judge(outcome, server.implementedOperations);
      if (reasons.length > 0) {
        const code = batchErrorCode(response);
        const deep = response.status >= 500 && nestingDepth(request.body) > 900 ? " (request body nests > 900 levels)" : "";
        const signature = `${reasons.join(" + ")}: ${response.status} ${code ?? bodyShape(response)}${deep}`;
        failures.push({
          index,
          signature,
          detail: `${describeRequest(index, request)}\n      → ${response.status} request-id=${response.headers.get("request-id") ?? "(none)"} ${excerpt(response.text)}`,
        });
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  const elapsed = ((Date.now() - started) / 1000).toFixed(1);

  t.diagnostic(`seed ${seed}: ${judged} requests judged, ${requestCount - judged} refused by fetch, in ${elapsed} s`);
  t.diagnostic(`per category: ${[...perCategory].map(([name, count]) => `${name}=${count}`).join(", ")}`);
  t.diagnostic(`statuses: ${[...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(", ")}`);
  if (retried > 0) t.diagnostic(`resent after a socket error on a reused connection: ${retried}`);
  if (refused.size > 0) t.diagnostic(`refused by fetch: ${[...refused].map(([reason, count]) => `${reason} ×${count}`).join("; ")}`);

  // The server survived: still healthy and still serving a valid signed request.
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200, "GET /healthz after the bad-input run");
  const probe = await send(server.url, { category: "probe", ...validProbe, headers: {}, auth: { kind: "sign", account: testAccounts.alpha } });
  assert.equal(probe.kind, "response", `the valid probe got no response: ${probe.kind === "response" ? "" : probe.reason}`);
  assert.equal(probe.kind === "response" ? probe.response.status : 0, 200, `valid signed GET ${validProbe.path} after the bad-input run`);

  assert.ok(judged >= 3000, `only ${judged} requests were sent and judged; the test needs at least 3000`);

  if (failures.length > 0) {
    const groups = new Map<string, Failure[]>();
    for (const failure of failures.sort((a, b) => a.index - b.index)) {
      const group = groups.get(failure.signature) ?? [];
      group.push(failure);
      groups.set(failure.signature, group);
    }
    const report = [...groups]
      .sort(([, a], [, b]) => b.length - a.length)
      .map(([signature, group]) => `  ✗ ${signature} — ${group.length} request(s), e.g.\n${group.slice(0, Number(process.env["BAD_INPUT_EXAMPLES"] ?? 3)).map((failure) => `    ${failure.detail}`).join("\n")}`)
      .join("\n");
    assert.fail(`${failures.length} of ${judged} bad-input requests broke the rules (seed ${seed}; ${groups.size} distinct kinds):\n${report}`);
  }
});
