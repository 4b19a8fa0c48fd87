/**
 * Every operation of the Batch API with hostile strings (issue #15 item 3): lone UTF-16 surrogates, NUL and other
 * control characters, `.`/`..` and path separators, invalid UTF-8, format and injection strings, very long values —
 * put into one string of an otherwise valid body (a value or a property name), into a path parameter, or into a
 * query option. Paths go out byte for byte (a raw HTTP request, signed over the raw path), so `.` and `%2e`
 * segments reach the server as sent. Acceptance, for every reply:
 *
 * - no 5xx, except 501 NotImplemented for an operation the server does not implement;
 * - every error (status ≥ 400, HEAD excepted) is a Batch error body (`code`, `message`);
 * - afterwards the server still answers /healthz and a valid request.
 *
 * Bounded and deterministic: `cases` requests per operation from one seeded PRNG (the seed is in the test name;
 * `HOSTILE_SEED=<n>` reproduces another run).
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { test } from "node:test";
import { operations, type OperationSpec } from "@openbatch/protocol";
import { apiVersion, batchRequest, signPythonStyle, type BatchResponse } from "../support/batchRequest.js";
import { startTestServer, testAccounts } from "../support/testServer.js";
import { Rng, setupRequests, validBody } from "./badInputGenerators.js";

const seed = Number(process.env["HOSTILE_SEED"] ?? 0x15);
const cases = 12;
const concurrency = 8;

/** Strings a careless server chokes on. Lone surrogates and NUL survive JSON.stringify as escapes. */
const hostile = [
  "\ud800", "\udfff", "a\udbffb", "\u0000", "x\u0000X=injected", "\u0001", "\u001f\u007f", "\t\n\r", "\u202e\ufeff",
  ".", "..", "../../etc/passwd", "/etc/passwd", "a/b", "a\\b", "%2e%2e", "%00", "%", "${HOME}", "$(id)", "%s%n%x",
  "'; DROP TABLE entities; --", "\"", "池🙂", "", " ", "x".repeat(5000),
];

/** The same ideas as path segments, percent-encoded (or not) as a client might send them. */
const hostileSegments = [
  "%ED%A0%80", "%00", "%2e", ".", "%2e%2e", "..", "%2F", "a%2Fb", "%01", "%7F", "%FF", "%C0%AE", "%E2%80%AE", "%25",
  "%F0%9F%99%82", "a".repeat(2000), "%20", "~", "(", ")", "'", "%27%3B",
];

interface Case {
  readonly operation: OperationSpec;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly body?: string;
  readonly what: string;
}

/** Every string leaf and property name of `value`, as setters. */
function stringSlots(value: unknown, out: ((text: string) => void)[] = []): ((text: string) => void)[] {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      if (typeof item === "string") out.push((text) => (value[index] = text));
      else stringSlots(item, out);
    });
  } else if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    for (const [key, item] of Object.entries(record)) {
      if (typeof item === "string") out.push((text) => (record[key] = text));
      else stringSlots(item, out);
      out.push((text) => {
        const moved = record[key];
        delete record[key];
        record[text] = moved;
      });
    }
  }
  return out;
}

/** Every UTF-8 byte percent-encoded (a lone surrogate goes out as U+FFFD: URLs carry bytes, not UTF-16). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, "utf8")].map((byte) => `%${byte.toString(16).padStart(2, "0").toUpperCase()}`).join("");
}

function plainSegment(name: string): string {
  return { poolId: "p1", jobId: "job1", taskId: "task1", jobScheduleId: "js1", nodeId: "tvm-1", filePath: "stdout.txt", userName: "user1", applicationId: "app1", extensionName: "ext", thumbprintAlgorithm: "sha1", thumbprint: "0123456789abcdef0123456789abcdef01234567" }[name] ?? "x";
}

function makeCase(rng: Rng, operation: OperationSpec): Case {
  const parameters = [...operation.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
  const kinds: ("body" | "path" | "query")[] = ["query", ...(operation.requestBody === undefined ? [] : ["body", "body", "body"] as const), ...(parameters.length === 0 ? [] : ["path", "path"] as const)];
  const kind = rng.pick(kinds);
  const hostileParameter = kind === "path" ? rng.pick(parameters) : undefined;
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === hostileParameter ? rng.pick(hostileSegments) : encodeURIComponent(plainSegment(name))));
  let query = `api-version=${apiVersion}`;
  let what = kind === "path" ? `path parameter ${hostileParameter}` : kind;
  if (kind === "query") {
    const option = rng.pick(["$filter", "$select", "$expand", "maxresults", "timeout", "recursive", "$skiptoken"]);
    const text = rng.pick(hostile);
    query += `&${option}=${percentEncoded(option === "$filter" ? `id eq '${text}'` : text)}`;
    what = `query ${option}`;
  }
  let body: string | undefined;
  if (operation.requestBody !== undefined) {
    const value = validBody(rng, operation.requestBody);
    if (kind === "body") {
      const slots = stringSlots(value);
      const text = rng.pick(hostile);
      const record = value as Record<string, unknown>;
      // Ids name resource URLs: the string a server most often uses before it validates it.
      if (typeof record["id"] === "string" && rng.chance(0.35)) record["id"] = text;
      else if (slots.length > 0) rng.pick(slots)(text);
      else (value as Record<string, unknown>)[text] = text;
      what = `body string ${JSON.stringify(text).slice(0, 40)}`;
    }
    body = JSON.stringify(value);
  }
  return { operation, method: operation.method, path, query, ...(body === undefined ? {} : { body }), what };
}

/** Sends the request with its path exactly as given, SharedKey-signed over that raw path. */
function send(baseUrl: string, request: Case): Promise<BatchResponse> {
  const account = testAccounts.alpha;
  const body = request.body === undefined ? undefined : Buffer.from(request.body, "utf8");
  const headers: Record<string, string> = { "ocp-date": new Date().toUTCString() };
  if (body !== undefined) headers["content-type"] = "application/json; odata=minimalmetadata; charset=utf-8";
  if (request.method !== "GET" && request.method !== "HEAD") headers["content-length"] = String(body?.length ?? 0);
  const signingUrl = { pathname: request.path, searchParams: new URLSearchParams(request.query) } as unknown as URL;
  headers["authorization"] = `SharedKey ${account.name}:${signPythonStyle(request.method, signingUrl, headers, account)}`;
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const sent = httpRequest({ hostname, port, method: request.method, path: `${request.path}?${request.query}`, headers, timeout: 35_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers: new Headers(), text, json });
      });
    });
    sent.on("timeout", () => sent.destroy(new Error("no response within 35 s")));
    sent.on("error", reject);
    sent.end(body);
  });
}

test(`hostile strings in every operation never get a 5xx or a non-Batch error (seed ${seed})`, { timeout: 300_000 }, async (t) => {
  // No local agents: thousands of adds must not spawn processes; this is about what the API does with the strings.
  const server = await startTestServer({ localAgentEntry: undefined });
  t.after(() => server.dispose());
  for (const setup of setupRequests()) {
    if (setup.auth.kind !== "sign" || setup.body === undefined) continue;
    const [path = "", query = ""] = setup.path.split("?");
    await batchRequest(server.url, { method: setup.method, path: `${path}?${query}`, body: setup.body.toString("utf8"), account: setup.auth.account });
  }
  const rng = new Rng(seed);
  const requests: Case[] = [];
  for (const operation of operations) for (let i = 0; i < cases; i++) requests.push(makeCase(rng, operation));

  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  async function worker(): Promise<void> {
    for (let index = next++; index < requests.length; index = next++) {
      const request = requests[index] as Case;
      const label = `#${index} ${request.operation.operationId} ${request.method} ${request.path.slice(0, 120)}?${request.query.slice(0, 120)} (${request.what})`;
      let response: BatchResponse;
      try {
        response = await send(server.url, request);
      } catch (error) {
        failures.push(`${label} → no response: ${(error as Error).message}`);
        continue;
      }
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const code = (response.json as { code?: unknown } | undefined)?.code;
      const message = (response.json as { message?: unknown } | undefined)?.message;
      if (response.status >= 500) {
        const unimplemented = response.status === 501 && code === "NotImplemented" && !server.implementedOperations.has(request.operation.operationId);
        if (!unimplemented) failures.push(`${label} → ${response.status} ${response.text.slice(0, 200)}`);
      }
      const batchBody = typeof code === "string" && code !== "" && message !== undefined;
      if (request.method !== "HEAD" && response.status >= 400 && !batchBody) failures.push(`${label} → ${response.status} without a Batch error body: ${response.text.slice(0, 200)}`);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  t.diagnostic(`seed ${seed}: ${requests.length} requests over ${operations.length} operations; statuses ${[...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(", ")}`);

  assert.equal((await fetch(`${server.url}/healthz`)).status, 200, "the server is still healthy");
  assert.equal((await batchRequest(server.url, { path: `/pools?api-version=${apiVersion}`, account: testAccounts.alpha })).status, 200, "and still serves");
  assert.deepEqual(failures, [], `${failures.length} replies broke the rules (seed ${seed})`);
});
