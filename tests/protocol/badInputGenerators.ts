/**
 * Generators for the randomized bad-input test (badInput.test.ts): a seeded PRNG and one generator per category of
 * malformed request. Everything random flows from one `Rng`, so a seed reproduces the exact request sequence.
 *
 * The generators describe requests (`FuzzRequest`); sending, signing and judging the replies is the test's job.
 */
import { apiVersions, filterableProperties, operations, wireModels, type OperationSpec } from "@openbatch/protocol";
import { apiVersion } from "../support/batchRequest.js";
import { testAccounts } from "../support/testServer.js";

// ── PRNG ─────────────────────────────────────────────────────────────────────────────────────────────────────────

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** An integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.next() * items.length)] as T;
  }
  /** Picks by weight: `[[3, "a"], [1, "b"]]` returns "a" three times as often as "b". */
  weighted<T>(entries: readonly (readonly [number, T])[]): T {
    const total = entries.reduce((sum, [weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [weight, value] of entries) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return (entries[entries.length - 1] as readonly [number, T])[1];
  }
  string(length: number, alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"): string {
    let text = "";
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(this.next() * alphabet.length)];
    return text;
  }
}

// ── Request description ──────────────────────────────────────────────────────────────────────────────────────────

export type Account = { readonly name: string; readonly key: string };

/**
 * How the request authenticates.
 * - `sign`: SharedKey-signed (python-style) with `account`, over `signMethod` (default: the request's method);
 *   `date` overrides ocp-date (`null` omits it), `dateHeader` sends the date as `Date` instead of `ocp-date`.
 * - `raw`: sends `authorization` verbatim (omitted when undefined), with the same date options.
 */
export type AuthPlan =
  | { readonly kind: "sign"; readonly account: Account; readonly signMethod?: string; readonly date?: string | null; readonly dateHeader?: boolean }
  | { readonly kind: "raw"; readonly authorization?: string; readonly date?: string | null };

export interface FuzzRequest {
  /** The generator that made it, for the report. */
  readonly category: string;
  readonly method: string;
  /** Path with query, appended verbatim to the server URL. */
  readonly path: string;
  /** Extra headers, lower-case names. */
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
  /** undefined: the SDK's JSON content type when there is a body; null: no content-type header; else verbatim. */
  readonly contentType?: string | null;
  readonly auth: AuthPlan;
}

const jsonContentType = "application/json; odata=minimalmetadata; charset=utf-8";
const goodAuth = (rng: Rng): AuthPlan => ({ kind: "sign", account: rng.chance(0.8) ? testAccounts.alpha : testAccounts.beta });

// ── Building blocks ──────────────────────────────────────────────────────────────────────────────────────────────

const allOperations: readonly OperationSpec[] = operations;
const operationsWithBody = allOperations.filter((operation) => operation.requestBody !== undefined);

/** Path segments that parse badly, decode oddly or stress length limits. */
function oddSegment(rng: Rng): string {
  return rng.pick<() => string>([
    () => "%",
    () => "%zz",
    () => "%2",
    () => "a%g0b",
    () => "%2F",
    () => "a%2Fb%2F..%2Fc",
    () => "%2e%2e",
    () => "..",
    () => ".",
    () => "",
    () => "%00",
    () => "a%00b",
    () => "%0d%0aSet-Cookie:%20x",
    () => "%C3%28",
    () => "%FF%FE",
    () => "%ED%A0%80",
    () => "%F0%9F%98%80",
    () => "池",
    () => "🙂",
    () => "ﬀ",
    () => "\u202e",
    () => "%E6%B1%A0",
    () => "a b",
    () => "%20",
    () => "'",
    () => "''",
    () => "(",
    () => ")",
    () => "(x=1,y=2)",
    () => ",",
    () => "=",
    () => ";",
    () => "~",
    () => "@",
    () => ":",
    () => "+",
    () => "*",
    () => "$",
    () => "$metadata",
    () => "%23frag",
    () => "%3F",
    () => "<script>",
    () => "%3Cscript%3E",
    () => "\\",
    () => "x".repeat(64),
    () => "x".repeat(65),
    () => rng.string(rng.int(100, 2000)),
    () => rng.string(rng.int(2000, 8000)),
    () => "%41".repeat(rng.int(50, 2000)),
    () => "-",
    () => "_",
    () => "0",
    () => "-1",
    () => "null",
    () => "undefined",
    () => "__proto__",
    () => "constructor",
    () => "toString",
    () => "hasOwnProperty",
  ])();
}

function plainId(rng: Rng): string {
  return rng.pick(["p1", "pool-1", "job1", "task1", "node1", "tvm-1", "app1", "wd", "stdout.txt", "sha1", "abc123", rng.string(rng.int(1, 12))]);
}

function segmentValue(rng: Rng): string {
  return rng.chance(0.55) ? oddSegment(rng) : plainId(rng);
}

/** An operation's path with its parameters filled in (odd ones sometimes). */
function fillPath(rng: Rng, operation: OperationSpec, odd = true): string {
  return operation.path.replace(/\{(\w+)\}/g, () => (odd ? segmentValue(rng) : plainId(rng)));
}

const pathWords = [
  "pools", "jobs", "tasks", "nodes", "files", "users", "jobschedules", "certificates", "applications", "supportedimages",
  "nodecounts", "poolusagemetrics", "lifetimepoolstats", "lifetimejobstats", "addtaskcollection", "subtasksinfo",
  "terminate", "reactivate", "enable", "disable", "resize", "stopresize", "removenodes", "updateproperties",
  "enableautoscale", "disableautoscale", "evaluateautoscale", "reboot", "reimage", "rdp", "remoteloginsettings",
  "uploadbatchservicelogs", "extensions", "taskcounts", "jobpreparationandreleasetaskstatus", "canceldelete",
  "healthz", "$metadata", "POOLS", "Jobs", "api", "v1", "index.html", "favicon.ico", ".well-known", "",
];

function randomPath(rng: Rng): string {
  const count = rng.int(0, 6);
  const segments: string[] = [];
  for (let i = 0; i < count; i++) segments.push(rng.chance(0.6) ? rng.pick(pathWords) : segmentValue(rng));
  let path = "/" + segments.join("/");
  if (rng.chance(0.1)) path = rng.pick(["//", "///", "/./", "/%2F"]) + path.slice(1);
  if (rng.chance(0.1)) path += "/";
  return path;
}

function certificatePath(rng: Rng): string {
  const algorithm = rng.pick(["sha1", "SHA1", "sha256", "", "md5", "%27sha1%27", "'sha1'"]);
  const thumbprint = rng.pick(["abc123", "", "%zz", "0".repeat(40), rng.string(300, "0123456789abcdef"), "a,b", "a)b"]);
  return rng.pick([
    () => `/certificates(thumbprintAlgorithm=${algorithm},thumbprint=${thumbprint})`,
    () => `/certificates%28thumbprintAlgorithm%3D${algorithm}%2Cthumbprint%3D${thumbprint}%29`,
    () => `/certificates(thumbprintAlgorithm=${algorithm},thumbprint=${thumbprint}`,
    () => `/certificates(thumbprintAlgorithm=${algorithm})`,
    () => `/certificates(thumbprint=${thumbprint},thumbprintAlgorithm=${algorithm})`,
    () => `/certificates()`,
    () => `/certificates(((((`,
    () => `/certificates%28%29%29%29`,
    () => `/certificates(thumbprintAlgorithm=${algorithm},thumbprint=${thumbprint})/canceldelete`,
    () => `/certificates(thumbprintAlgorithm=${algorithm},thumbprint=${thumbprint})/${oddSegment(rng)}`,
  ])();
}

function anyPath(rng: Rng): { path: string; operation?: OperationSpec } {
  const roll = rng.float();
  if (roll < 0.55) {
    const operation = rng.pick(allOperations);
    return { path: fillPath(rng, operation), operation };
  }
  if (roll < 0.65) return { path: certificatePath(rng) };
  return { path: randomPath(rng) };
}

/** A query string: a valid api-version plus the given parts, in a random order. */
function query(rng: Rng, parts: readonly string[], version: string | undefined = `api-version=${apiVersion}`): string {
  const all = version === undefined ? [...parts] : [...parts, version];
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [all[i], all[j]] = [all[j] as string, all[i] as string];
  }
  return all.length === 0 ? "" : `?${all.join("&")}`;
}

const enc = encodeURIComponent;

// ── Category: methods and paths ──────────────────────────────────────────────────────────────────────────────────

const oddMethods = [
  "OPTIONS", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "PURGE", "REPORT", "MERGE",
  "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "LINK", "UNLINK", "BIND", "REBIND", "UNBIND", "ACL", "QUERY", "CHECKOUT",
  "MKACTIVITY", "M-SEARCH", "SOURCE", "FOO", "patch", "Get", "post", "delete", "TRACE", "CONNECT", "TRACK",
];
const standardMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

export function methodAndPathCase(rng: Rng): FuzzRequest {
  const method = rng.chance(0.35) ? rng.pick(oddMethods) : rng.pick(standardMethods);
  const { path } = anyPath(rng);
  const version = rng.chance(0.85) ? `api-version=${apiVersion}` : undefined;
  const hasBody = method !== "GET" && method !== "HEAD" && rng.chance(0.3);
  return {
    category: "method/path",
    method,
    path: path + query(rng, rng.chance(0.2) ? [`${enc(oddSegment(rng))}=${enc(oddSegment(rng))}`] : [], version),
    headers: {},
    ...(hasBody ? { body: Buffer.from(rng.pick(["{}", "[]", "x", '{"id":"p1"}'])) } : {}),
    auth: rng.chance(0.9) ? goodAuth(rng) : { kind: "raw" },
  };
}

// ── Category: query options ──────────────────────────────────────────────────────────────────────────────────────

const garbageApiVersions = [
  "", "2024-02-01", "2024-02-01.19", "2024-02-01.19.0 ", " 2024-02-01.19.0", "2024-02-01.19.0%00", "2024-02-01.19.1",
  "2099-01-01.99.0", "1.0", "latest", "2024-02-01.19.0,2023-11-01.18.0", "2024-02-01.19.0;", "null", "%zz", "%",
  "2015-12-01.2.2", "2016-07-01.3.1", "2024-02-01.19.0" + "0".repeat(5000), "２０２４-02-01.19.0", "2024-02-01.19.0\u200b",
];
const garbageTimeouts = [
  "", "0", "-1", "1", "30", "31", "1e3", "1.5", " 5", "5 ", "+5", "0x10", "99999999999", "1000000000", "999999999",
  "abc", "%zz", "١", "５", "NaN", "Infinity", "-0", "00000000001", "9".repeat(400),
];
const garbageMaxResults = [
  "", "0", "-1", "1", "1000", "1001", "10", "11", "1e3", "1.5", " 1", "0x10", "99999999999999999999", "abc", "１", "NaN",
  "2147483648", "9".repeat(1000), "%zz", "null", "-0",
];
const garbageSelect = [
  "", ",", ",,", "id,", ",id", "id,,state", "1abc", "a b", "*", "id/name", "id;state", "stats", "ID", "odata.metadata",
  "__proto__", "constructor", "池", "id,".repeat(3000) + "id", "a".repeat(10000), "%zz", "'id'", "id eq 'x'",
];
const garbageExpand = ["", "stats", "STATS", "foo", "stats,stats", "*", "stats,foo", ",", "stats/x", "a".repeat(5000), "%zz"];
const garbageSkipTokens = [
  "", "garbage", "%zz", "e30", Buffer.from('{"after":123}').toString("base64url"), Buffer.from('{"after":"zzz"}').toString("base64url"),
  Buffer.from('{"after":"\\u0000"}').toString("base64url"), Buffer.from("null").toString("base64url"), Buffer.from("[1]").toString("base64url"),
  Buffer.from(JSON.stringify({ after: "x".repeat(20000) })).toString("base64url"), "====", "!!!!", "a".repeat(30000),
  Buffer.from('{"after":"p1","__proto__":{"x":1}}').toString("base64url"),
];

function filterLiteral(rng: Rng): string {
  return rng.pick([
    "'x'", "''", "'it''s'", "'", "'unterminated", "1", "-1", "1.5", "1e999", "-1e999", "1e-999", "2147483648", "99999999999999999999999",
    "1L", "1.5d", "1m", ".5", "-.5", "true", "false", "TRUE", "null", "NULL", "datetime'2024-01-01T00:00:00Z'",
    "DateTime'9999-12-31T23:59:59.9999999Z'", "datetime'0000-01-01T00:00:00Z'", "datetime'2024-13-45T99:99:99Z'",
    "datetime'garbage'", "'2024-01-01T00:00:00+99:99'", "'Tue, 05 Mar 2024 10:00:00 GMT'", "'active'", "'ACTIVE'",
    "'nosuchstate'", "guid'00000000-0000-0000-0000-000000000000'", "X'00'", "binary'00'", "'池'", `'${"x".repeat(rng.int(100, 8000))}'`,
    "(1)", "id", "-", "--1", "1..2", "1e", "0x10", "$", "@p",
  ]);
}

function filterProperty(rng: Rng): string {
  const target = rng.pick(Object.values(filterableProperties) as Record<string, unknown>[]);
  const known = Object.keys(target);
  return rng.chance(0.75) && known.length > 0
    ? rng.pick(known)
    : rng.pick(["nosuch", "Id", "ID", "id/name", "a/b/c/d", "executionInfo/", "/id", "__proto__", "constructor", "toString", "$filter", "x".repeat(3000), "startswith", "eq", "and", "not"]);
}

function filterClause(rng: Rng): string {
  return rng.pick<() => string>([
    () => `${filterProperty(rng)} ${rng.pick(["eq", "ne", "gt", "ge", "lt", "le", "EQ", "Eq", "has", "in", "like", "=", "==", "!="])} ${filterLiteral(rng)}`,
    () => `startswith(${filterProperty(rng)}, ${filterLiteral(rng)})`,
    () => `startswith(${filterProperty(rng)})`,
    () => `startswith ${filterProperty(rng)}`,
    () => `substringof(${filterLiteral(rng)}, ${filterProperty(rng)})`,
    () => `not ${filterProperty(rng)} eq ${filterLiteral(rng)}`,
    () => `${filterLiteral(rng)} eq ${filterProperty(rng)}`,
    () => filterProperty(rng),
    () => filterLiteral(rng),
  ])();
}

function filterExpression(rng: Rng): string {
  return rng.pick<() => string>([
    () => filterClause(rng),
    () => `${filterClause(rng)} ${rng.pick(["and", "or", "AND", "Or", "&&", "||", "xor"])} ${filterClause(rng)}`,
    () => `(${filterClause(rng)}`,
    () => `${filterClause(rng)})`,
    () => `((${filterClause(rng)}) and (${filterClause(rng)})))`,
    () => "(".repeat(1000),
    () => ")".repeat(1000),
    () => "(".repeat(1000) + "id eq 'x'" + ")".repeat(1000),
    () => "(".repeat(33) + "id eq 'x'" + ")".repeat(33),
    () => "(".repeat(31) + "id eq 'x'" + ")".repeat(31),
    () => "not ".repeat(rng.int(30, 1500)) + "id eq 'x'",
    () => Array.from({ length: rng.int(100, 650) }, () => "id eq 'x'").join(" or "),
    () => Array.from({ length: rng.int(100, 650) }, () => "state eq 'active'").join(" and "),
    () => Array.from({ length: rng.int(50, 300) }, () => filterClause(rng)).join(rng.pick([" and ", " or "])),
    () => `id eq '${"x".repeat(rng.int(8000, 9000))}'`,
    () => "x".repeat(rng.int(8100, 20000)),
    () => "",
    () => " ",
    () => "()",
    () => "and",
    () => "id eq",
    () => "eq 'x'",
    () => "id eq 'x' and",
    () => "id eq 'x' or or id eq 'y'",
    () => "'",
    () => "''''",
    () => "\u0000",
    () => "id eq '\u0000'",
    () => "id eq '池🙂'",
    () => "id\teq\n'x'",
    () => "id eq 'x'; DROP TABLE pools; --",
    () => "id eq 'x' or 1 eq 1",
    () => "json_extract(body, '$.id') eq 'x'",
  ])();
}

export function queryCase(rng: Rng): FuzzRequest {
  const operation = rng.chance(0.8) ? rng.pick(allOperations.filter((op) => op.method === "GET" || op.method === "HEAD")) : rng.pick(allOperations);
  const path = fillPath(rng, operation, rng.chance(0.15));
  const parts: string[] = [];
  let version: string | undefined = `api-version=${apiVersion}`;
  const kinds = rng.int(1, 3);
  for (let i = 0; i < kinds; i++) {
    rng.pick<() => void>([
      () => {
        version = rng.pick([
          undefined,
          `api-version=${enc(rng.pick(garbageApiVersions))}`,
          `api-version=${rng.pick(apiVersions)}`,
          `api-version=${enc(rng.pick(garbageApiVersions))}&api-version=${apiVersion}`,
          `api-version=${apiVersion}&api-version=${enc(rng.pick(garbageApiVersions))}`,
          `API-VERSION=${apiVersion}`,
          `api-version[]=${apiVersion}`,
          `api%2Dversion=${apiVersion}`,
          `api-version`,
          `api-version=`,
          `api-version=${apiVersion}${"&".repeat(rng.int(1, 50))}`,
        ]);
      },
      () => parts.push(`timeout=${enc(rng.pick(garbageTimeouts))}`),
      () => parts.push(`timeout=${enc(rng.pick(garbageTimeouts))}&timeout=${enc(rng.pick(garbageTimeouts))}`),
      () => parts.push(`maxresults=${enc(rng.pick(garbageMaxResults))}`),
      () => parts.push(`maxResults=${enc(rng.pick(garbageMaxResults))}`),
      () => parts.push(`$filter=${enc(filterExpression(rng))}`),
      () => parts.push(`$filter=${enc(filterExpression(rng))}`),
      () => parts.push(`$filter=${enc(filterExpression(rng))}`),
      () => parts.push(`$select=${enc(rng.pick(garbageSelect))}`),
      () => parts.push(`$expand=${enc(rng.pick(garbageExpand))}`),
      () => parts.push(`$skiptoken=${enc(rng.pick(garbageSkipTokens))}`),
      () => parts.push(`recursive=${enc(rng.pick(["true", "false", "TRUE", "1", "yes", "", "%zz"]))}`),
      () => parts.push(`starttime=${enc(rng.pick(["2024-01-01T00:00:00Z", "garbage", "", "9999-99-99"]))}&endtime=${enc(rng.pick(["2023-01-01T00:00:00Z", "x"]))}`),
      () => parts.push(rng.pick(["foo=bar", "$top=5", "$orderby=id", "$count=true", "$format=json", "$search=x", "%zz=1", "=1", "&", "&&&", "a", "%00=%00", "__proto__=1", "constructor=1", `${"k".repeat(3000)}=v`, "ocp-date=x"])),
      () => parts.push(`$filter=${enc(filterExpression(rng))}&$filter=${enc(filterExpression(rng))}`),
      () => parts.push(`$filter=${rng.pick(["%zz", "%", "%28%28%28", "a+eq+'b'", "id eq 'x'"])}`),
    ])();
  }
  return {
    category: "query",
    method: operation.method,
    path: path + query(rng, parts, version),
    headers: {},
    ...(operation.requestBody !== undefined && rng.chance(0.5) ? { body: Buffer.from(JSON.stringify(plausible(rng, operation.requestBody))) } : {}),
    auth: goodAuth(rng),
  };
}

// ── Category: authentication ─────────────────────────────────────────────────────────────────────────────────────

const garbageDates = [
  "", "yesterday", "now", "0", "-1", "1700000000", "Tue, 05 Mar 2024 10:00:00", "Tue, 05 Mar 2024 10:00:00 PST",
  "2024-03-05T10:00:00Z", "Tue, 99 Foo 2024 99:99:99 GMT", "Mon, 01 Jan 1900 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
  "Thu, 01 Jan 1970 00:00:00 GMT", "Sat, 13 Sep 275760 00:00:00 GMT", "Thu, 31 Feb 2024 10:00:00 GMT", "x".repeat(5000),
  "Tue,  5 Mar 2024 10:00:00 GMT", "tue, 05 mar 2024 10:00:00 gmt",
];

function farDate(rng: Rng): string {
  const offsetMinutes = rng.pick([-60 * 24 * 365 * 50, -60 * 24, -20, 20, 60 * 24, 60 * 24 * 365 * 50]);
  return new Date(Date.now() + offsetMinutes * 60_000).toUTCString();
}

export function authCase(rng: Rng): FuzzRequest {
  const operation = rng.pick(allOperations);
  const path = fillPath(rng, operation, rng.chance(0.1)) + query(rng, []);
  const account = rng.pick([testAccounts.alpha, testAccounts.beta]);
  const auth = rng.pick<() => AuthPlan>([
    () => ({ kind: "raw" }),
    () => ({ kind: "raw", date: null }),
    () => ({ kind: "raw", authorization: "" }),
    () => ({ kind: "raw", authorization: " " }),
    () => ({ kind: "raw", authorization: rng.pick(["Basic dXNlcjpwYXNz", "Bearer", "Bearer x.y.z", "Bearer eyJhbGciOiJub25lIn0.e30.", "Digest x", "Negotiate", "NTLM", "SharedKeyLite x:y", "sharedkey alphaacct:abc=", "SHAREDKEY alphaacct:abc=", "SharedKey", "SharedKey ", "SharedKey alphaacct", "SharedKey :", "SharedKey alphaacct:", "SharedKey :abc=", "SharedKey ::::", `SharedKey ${"a".repeat(5000)}:x`, "Bearer " + "a".repeat(8000)]) }),
    () => ({ kind: "raw", authorization: `SharedKey ${account.name}:${rng.pick(["!!!notbase64$$", "====", "a", "AAAA", "%zz", Buffer.alloc(32).toString("base64"), Buffer.alloc(1000).toString("base64"), "池"])}` }),
    () => ({ kind: "raw", authorization: `SharedKey ${rng.pick(["nosuch", "ALPHAACCT", "alphaacct ", " alphaacct", "alpha:acct", "", "__proto__", "constructor", "toString", "池"])}:${Buffer.alloc(32).toString("base64")}` }),
    () => ({ kind: "sign", account: { name: "nosuchacct", key: account.key } }),
    () => ({ kind: "sign", account: { name: account.name, key: Buffer.from("wrong-key").toString("base64") } }),
    () => ({ kind: "sign", account: { name: testAccounts.alpha.name, key: testAccounts.beta.key } }),
    () => ({ kind: "sign", account: { name: account.name, key: "" } }),
    () => ({ kind: "sign", account, date: null }),
    () => ({ kind: "sign", account, date: rng.pick(garbageDates) }),
    () => ({ kind: "sign", account, date: farDate(rng) }),
    () => ({ kind: "sign", account, date: farDate(rng), dateHeader: true }),
    () => ({ kind: "sign", account, dateHeader: true }),
    () => ({ kind: "sign", account, signMethod: rng.pick(["GET", "POST", "get", ""]) }),
  ])();
  const body = operation.requestBody !== undefined && rng.chance(0.5) ? Buffer.from(JSON.stringify(plausible(rng, operation.requestBody))) : undefined;
  return { category: "auth", method: operation.method, path, headers: {}, ...(body === undefined ? {} : { body }), auth };
}

// ── Category: request bodies ─────────────────────────────────────────────────────────────────────────────────────

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: readonly string[];
  const?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  patternProperties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
};

function plausibleString(rng: Rng, name: string, schema: JsonSchema): string {
  if (schema.format === "date-time") return rng.pick(["2024-03-05T10:00:00Z", "2030-01-01T00:00:00.1234567Z", "2024-03-05T10:00:00+02:00"]);
  if (schema.format === "duration") return rng.pick(["PT15M", "P1D", "PT1H30M", "PT5S"]);
  const lower = name.toLowerCase();
  if (lower === "id" || lower.endsWith("id")) return rng.pick(["fuzz-1", "fuzz-2", "p1", "job1", "task1", `fuzz-${rng.string(6)}`]);
  if (lower === "vmsize") return rng.pick(["standard_d2s_v3", "STANDARD_A1_V2", "basic_a0"]);
  if (lower.includes("commandline")) return rng.pick(["cmd /c echo hi", "/bin/sh -c 'echo hi'"]);
  if (lower.includes("formula")) return rng.pick(["$TargetDedicatedNodes = 1;", "$x = 1", "$TargetDedicatedNodes = max(0, $PendingTasks.GetSample(1));"]);
  if (lower.includes("url")) return "https://example.invalid/x";
  return rng.pick(["x", "value", "fuzz", "1", rng.string(rng.int(1, 16))]);
}

/** A value that should pass `schema` (most of the time): required properties plus a few optional ones. */
function plausibleValue(rng: Rng, schema: JsonSchema, name: string, depth: number): unknown {
  if (schema.anyOf !== undefined && schema.anyOf.length > 0) return plausibleValue(rng, rng.pick(schema.anyOf), name, depth);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum !== undefined && schema.enum.length > 0) return rng.chance(0.1) ? rng.pick(schema.enum).toUpperCase() : rng.pick(schema.enum);
  switch (schema.type) {
    case "string":
      return plausibleString(rng, name, schema);
    case "integer": {
      const lo = Math.max(schema.minimum ?? 0, 0);
      const hi = Math.min(schema.maximum ?? 3, lo + 3);
      return rng.int(lo, Math.max(lo, hi));
    }
    case "number":
      return rng.pick([0, 1, 0.5, 2.25]);
    case "boolean":
      return rng.chance(0.5);
    case "array": {
      if (schema.items === undefined || depth > 6) return [];
      const count = rng.int(0, 2);
      return Array.from({ length: count }, () => plausibleValue(rng, schema.items as JsonSchema, name, depth + 1));
    }
    case "object": {
      if (schema.properties === undefined) {
        // A record (StringMap / AnyObject).
        const valueSchema = Object.values(schema.patternProperties ?? {})[0];
        const result: Record<string, unknown> = {};
        for (let i = rng.int(0, 2); i > 0; i--) result[rng.pick(["a", "b", "key", "setting"])] = valueSchema?.type === "string" ? "v" : rng.pick<unknown>(["v", 1, true, { nested: [1, 2] }]);
        return result;
      }
      const result: Record<string, unknown> = {};
      const required = new Set(schema.required ?? []);
      for (const [key, property] of Object.entries(schema.properties)) {
        if (required.has(key) || (depth < 5 && rng.chance(0.25))) result[key] = plausibleValue(rng, property, key, depth + 1);
      }
      return result;
    }
    default:
      return rng.pick<unknown>(["x", 1, true, null, {}]);
  }
}

export function plausible(rng: Rng, modelName: string): unknown {
  const schema = (wireModels as unknown as Record<string, JsonSchema>)[modelName];
  if (schema === undefined) return {};
  return plausibleValue(rng, schema, modelName, 0);
}

/** Deeply nested JSON text: `[[[…]]]` or `{"a":{"a":…}}`. */
function deepText(rng: Rng, depth: number): string {
  return rng.chance(0.5) ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

/** A marker replaced by raw text after JSON.stringify, so huge nestings need not exist as JS values. */
const rawMarker = "\u0001RAW\u0001";

function weirdValue(rng: Rng, raws: string[]): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => "",
    () => 0,
    () => -1,
    () => 1.5,
    () => 2147483648,
    () => 2147483647,
    () => 65535,
    () => -2147483649,
    () => 9007199254740993,
    () => 1e308,
    () => -1e308,
    () => Number.MIN_VALUE,
    () => true,
    () => "true",
    () => "1",
    () => [],
    () => {
      raws.push(rng.pick(["1e999", "-1e999", "-0", "1E+400", "123456789012345678901234567890", "0.0000000000000000000000000000001"]));
      return rawMarker + (raws.length - 1);
    },
    () => ({}),
    () => [null],
    () => ({ __proto__: null, x: 1 }),
    () => "x".repeat(rng.int(1000, 300_000)),
    () => "\u0000\u0001\u001f",
    () => "\ud800",
    () => "池🙂\u202e",
    () => "NOSUCHENUMVALUE",
    () => "2024-13-45T99:99:99Z",
    () => "+275760-09-13T00:00:00Z",
    () => "9999-12-31T23:59:59.9999999Z",
    () => "0000-01-01T00:00:00Z",
    () => "P" + "9".repeat(rng.int(15, 400)) + "D",
    () => "PT" + "9".repeat(rng.int(10, 30)) + "S",
    () => "P99999999999999D",
    () => "-PT1S",
    () => "PT",
    () => "00:15:00",
    () => Array.from({ length: rng.int(1000, 60_000) }, (_, i) => `item${i}`),
    () => Array.from({ length: rng.int(1000, 20_000) }, () => ({})),
    () => Array.from({ length: rng.int(100, 5000) }, () => 2147483648),
    () => {
      raws.push(deepText(rng, rng.int(100, 200_000)));
      return rawMarker + (raws.length - 1);
    },
    () => ({ __proto__x: 1, constructor: { prototype: { polluted: true } } }),
    () => JSON.parse('{"__proto__":{"polluted":true}}') as unknown,
    () => ({ toString: "x", valueOf: 1, hasOwnProperty: null }),
  ])();
}

/** The JSON paths (`["a", 0, "b"]`) of every value inside `value`, root excluded. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (out.length > 500) return out;
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push([...prefix, i]);
      paths(item, [...prefix, i], out);
    });
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      out.push([...prefix, key]);
      paths(item, [...prefix, key], out);
    }
  }
  return out;
}

function parentOf(root: unknown, path: (string | number)[]): { parent: Record<string | number, unknown>; key: string | number } | undefined {
  let current = root as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) {
    const next = current[step];
    if (next === null || typeof next !== "object") return undefined;
    current = next as Record<string | number, unknown>;
  }
  return { parent: current, key: path[path.length - 1] as string | number };
}

/** Applies one random mutation to `body` in place; returns a short description. */
function mutate(rng: Rng, body: Record<string, unknown>, raws: string[]): string {
  const all = paths(body);
  const target = all.length > 0 && rng.chance(0.8) ? rng.pick(all) : undefined;
  const slot = target === undefined ? undefined : parentOf(body, target);
  const kind = rng.pick(["drop", "weird", "weird", "weird", "unknown", "proto", "wrap", "duplicateKey"] as const);
  if (slot === undefined || kind === "unknown") {
    const container = slot !== undefined && slot.parent[slot.key] !== null && typeof slot.parent[slot.key] === "object" && !Array.isArray(slot.parent[slot.key])
      ? (slot.parent[slot.key] as Record<string, unknown>)
      : body;
    container[rng.pick(["unknownProperty", "odata.type", "odata.metadata", "Id", "ID", "", " ", "池", "$ref", "x".repeat(2000)])] = weirdValue(rng, raws);
    return "unknown property";
  }
  const { parent, key } = slot;
  switch (kind) {
    case "drop":
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      return `drop ${target?.join(".")}`;
    case "weird":
      parent[key] = weirdValue(rng, raws);
      return `weird value at ${target?.join(".")}`;
    case "proto":
      raws.push('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
      parent[key] = rawMarker + (raws.length - 1);
      return `__proto__ at ${target?.join(".")}`;
    case "wrap":
      parent[key] = rng.chance(0.5) ? [parent[key]] : { value: parent[key] };
      return `wrap ${target?.join(".")}`;
    case "duplicateKey":
      if (Array.isArray(parent)) {
        parent[key] = weirdValue(rng, raws);
        return `weird value at ${target?.join(".")}`;
      }
      raws.push(`${JSON.stringify(parent[key]) ?? "null"}, ${JSON.stringify(String(key))}: ${JSON.stringify(weirdValue(rng, [])) ?? "null"}`);
      parent[key] = rawMarker + (raws.length - 1);
      return `duplicate key ${target?.join(".")}`;
  }
}

function render(body: unknown, raws: readonly string[]): string {
  const text = JSON.stringify(body) ?? "null";
  return text.replace(/"\\u0001RAW\\u0001(\d+)"/g, (_, index: string) => raws[Number(index)] as string);
}

const invalidJsonBodies = [
  "", " ", "\n", "{", "}", "{'a':1}", "{a:1}", "NaN", "undefined", "[1,]", '{"a":1,}', '{"a":1}garbage', '{"a":1}{"b":2}',
  "\uFEFF{}", "{\"a\":\"\\x00\"}", '{"a":"\\ud800"}', '{"a":"unterminated', "/* comment */ {}", "{} // comment", "\u0000",
  "<xml/>", "a=1&b=2", "0x10", "01", "-", "tru", '{"a":01}', '{"a":1e}', '{"":}', "[".repeat(5000), "{".repeat(5000),
];

// Known-valid bodies: mutating them reaches the handlers' own checks, not just the schema.
const image = { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts", version: "latest" };
const poolTemplate = (rng: Rng) => ({
  id: rng.pick(["p1", "pool-1", "fuzz-pool", `fuzz-${rng.string(5)}`]),
  vmSize: "standard_d2s_v3",
  virtualMachineConfiguration: {
    imageReference: image,
    nodeAgentSKUId: "batch.node.ubuntu 22.04",
    extensions: [{ name: "ext", publisher: "pub", type: "type", settings: { a: 1 } }],
  },
  targetDedicatedNodes: rng.int(0, 2),
  metadata: [{ name: "m", value: "v" }],
});
const templates: Record<string, (rng: Rng) => unknown> = {
  PoolAddParameter: poolTemplate,
  JobAddParameter: (rng) => ({ id: rng.pick(["job1", "fuzz-job"]), poolInfo: rng.chance(0.7) ? { poolId: "p1" } : { autoPoolSpecification: { poolLifetimeOption: "job", pool: { ...poolTemplate(rng), id: undefined } } } }),
  JobScheduleAddParameter: () => ({ id: "js1", schedule: { recurrenceInterval: "PT1H" }, jobSpecification: { poolInfo: { poolId: "p1" } } }),
  TaskAddParameter: (rng) => ({ id: rng.pick(["task1", "t2"]), commandLine: "cmd /c echo hi" }),
  TaskAddCollectionParameter: () => ({ value: [{ id: "t1", commandLine: "x" }, { id: "t2", commandLine: "y" }] }),
  CertificateAddParameter: () => ({ thumbprint: "0123456789abcdef0123456789abcdef01234567", thumbprintAlgorithm: "sha1", data: "MIIBAA==", certificateFormat: "cer" }),
  ComputeNodeUser: () => ({ name: "user1", password: "P@ssw0rd!" }),
  PoolResizeParameter: (rng) => ({ targetDedicatedNodes: rng.int(0, 3), targetLowPriorityNodes: 0 }),
  PoolEnableAutoScaleParameter: () => ({ autoScaleFormula: "$TargetDedicatedNodes = 1;", autoScaleEvaluationInterval: "PT5M" }),
  PoolEvaluateAutoScaleParameter: () => ({ autoScaleFormula: "$TargetDedicatedNodes = 1;" }),
  PoolPatchParameter: () => ({ metadata: [{ name: "a", value: "b" }] }),
  PoolUpdatePropertiesParameter: () => ({ certificateReferences: [], applicationPackageReferences: [], metadata: [] }),
  NodeRemoveParameter: () => ({ nodeList: ["tvm-1"] }),
  JobPatchParameter: () => ({ priority: 1 }),
  JobUpdateParameter: () => ({ poolInfo: { poolId: "p1" } }),
  JobDisableParameter: () => ({ disableTasks: "requeue" }),
  JobTerminateParameter: () => ({ terminateReason: "x" }),
};

/** The valid body the server should accept for `model` (a template when there is one), as a fresh object. */
export function validBody(rng: Rng, modelName: string): unknown {
  const template = templates[modelName];
  return template === undefined ? plausible(rng, modelName) : (JSON.parse(JSON.stringify(template(rng))) as unknown);
}

/** Puts a deeply nested value into every free-form object (`AnyObject`, e.g. extension settings) it can find. */
function deepenFreeForm(rng: Rng, value: unknown, raws: string[]): boolean {
  if (value === null || typeof value !== "object") return false;
  let found = false;
  for (const [key, item] of Object.entries(value)) {
    if (key === "settings" || key === "protectedSettings") {
      raws.push(deepText(rng, rng.pick([100, 2000, 20_000, 200_000])));
      (value as Record<string, unknown>)[key] = { deep: rawMarker + (raws.length - 1) };
      found = true;
    } else if (deepenFreeForm(rng, item, raws)) {
      found = true;
    }
  }
  return found;
}

export function bodyCase(rng: Rng): FuzzRequest {
  if (rng.chance(0.03)) return deepFreeFormCase(rng);
  const operation = rng.chance(0.9) ? rng.pick(operationsWithBody) : rng.pick(allOperations.filter((op) => op.method !== "GET" && op.method !== "HEAD"));
  const path = fillPath(rng, operation, rng.chance(0.08)) + query(rng, []);
  let text: string | Buffer;
  const roll = rng.float();
  if (roll < 0.12) {
    text = rng.pick(invalidJsonBodies);
  } else if (roll < 0.16) {
    text = Buffer.from(Array.from({ length: rng.int(1, 2000) }, () => rng.int(0, 255)));
  } else if (roll < 0.22) {
    text = rng.pick(["[]", "[{}]", "1", "-1", '"str"', "true", "false", "null", "0", '""', "[null]", "1e999"]);
  } else if (roll < 0.245) {
    // Oversized: just over the 1 MiB limit, or well over it; sometimes valid JSON, sometimes not.
    const size = rng.pick([1024 * 1024 + 1, 1024 * 1024 + 100, 2 * 1024 * 1024, 5 * 1024 * 1024]);
    text = rng.chance(0.5) ? JSON.stringify({ id: "big", displayName: "x".repeat(size) }) : "x".repeat(size);
  } else if (roll < 0.26) {
    // Exactly at the limit.
    const padding = 1024 * 1024 - '{"id":"big","displayName":""}'.length;
    text = JSON.stringify({ id: "big", displayName: "y".repeat(padding) });
  } else if (roll < 0.28) {
    text = deepText(rng, rng.int(1000, 500_000));
  } else {
    const raws: string[] = [];
    const model = operation.requestBody;
    const body = (model === undefined ? {} : rng.chance(0.5) ? validBody(rng, model) : plausible(rng, model)) as Record<string, unknown>;
    if (rng.chance(0.1) && deepenFreeForm(rng, body, raws)) {
      // The deep value sits where the schema accepts anything: it reaches the handler.
    } else {
      const count = rng.chance(0.08) ? 0 : rng.int(1, 3);
      for (let i = 0; i < count; i++) mutate(rng, body, raws);
    }
    text = render(body, raws);
  }
  const contentType = rng.weighted<string | null | undefined>([
    [14, undefined],
    [2, "application/json"],
    [1, null],
    [1, ""],
    [1, "text/plain"],
    [1, "application/xml"],
    [1, "multipart/form-data; boundary=x"],
    [1, "application/x-www-form-urlencoded"],
    [1, "application/json; charset=utf-16"],
    [1, "application/json;odata=verbose"],
    [1, ";;;"],
    [1, "application/json; charset="],
    [1, "*/*"],
    [1, "application/octet-stream"],
    [1, "APPLICATION/JSON"],
    [1, "x".repeat(3000)],
  ]);
  const headers: Record<string, string> = {};
  if (rng.chance(0.04)) headers["content-encoding"] = rng.pick(["gzip", "deflate", "br", "identity", "garbage"]);
  return {
    category: "body",
    method: operation.method,
    path,
    headers,
    body: Buffer.isBuffer(text) ? text : Buffer.from(text, "utf8"),
    ...(contentType === undefined ? {} : { contentType }),
    auth: goodAuth(rng),
  };
}

/** A valid create body whose free-form objects (extension settings) hold deeply nested JSON the schema allows. */
function deepFreeFormCase(rng: Rng): FuzzRequest {
  const operationId = rng.pick(["Pool_Add", "Pool_Add", "Job_Add"]);
  const operation = allOperations.find((op) => op.operationId === operationId) as OperationSpec;
  const raws: string[] = [];
  let body = validBody(rng, operation.requestBody as string) as Record<string, unknown>;
  if (operation.operationId === "Job_Add") body = { id: `deep-job-${rng.string(5)}`, poolInfo: { autoPoolSpecification: { poolLifetimeOption: "job", pool: { ...poolTemplate(rng), id: undefined } } } };
  else body["id"] = `deep-pool-${rng.string(5)}`;
  deepenFreeForm(rng, body, raws);
  return { category: "body", method: operation.method, path: `${operation.path}?api-version=${apiVersion}`, headers: {}, body: Buffer.from(render(body, raws)), auth: goodAuth(rng) };
}

// ── Category: headers (conditions and others) ────────────────────────────────────────────────────────────────────

const garbageETags = ["*", '"x"', "W/\"x\"", "x", ",,,", '"', '""', '"a", "b"', "*, *", '"\u00e9"', "0x8D", "W/", " ", "\"" + "a".repeat(5000) + "\""];

export function headerCase(rng: Rng): FuzzRequest {
  const operation = rng.pick(allOperations);
  const path = fillPath(rng, operation, rng.chance(0.1)) + query(rng, []);
  const headers: Record<string, string> = {};
  const count = rng.int(1, 3);
  for (let i = 0; i < count; i++) {
    rng.pick<() => void>([
      () => { headers["if-match"] = rng.pick(garbageETags); },
      () => { headers["if-none-match"] = rng.pick(garbageETags); },
      () => { headers["if-modified-since"] = rng.pick([...garbageDates, farDate(rng)]); },
      () => { headers["if-unmodified-since"] = rng.pick([...garbageDates, farDate(rng)]); },
      () => {
        headers["client-request-id"] = rng.pick(["", "x", "not-a-guid", "00000000-0000-0000-0000-000000000000", "x".repeat(5000), "é", "\u00ff\u00fe", "a\tb", "\u0001"]);
        headers["return-client-request-id"] = rng.pick(["true", "TRUE", "false", "yes", ""]);
      },
      () => { headers["range"] = rng.pick(["bytes=0-", "bytes=-1", "bytes=5-1", "bytes=a-b", "bytes=0-99999999999999999999", "lines=1-2", "bytes=0-1,2-3", ""]); },
      () => { headers["ocp-range"] = rng.pick(["bytes=0-", "bytes=5-1", "garbage"]); },
      () => { headers["content-md5"] = rng.pick(["garbage", "", "AAAA"]); },
      () => { headers["accept"] = rng.pick(["application/xml", "text/html", "*/*", "garbage", "application/json;odata=fullmetadata"]); },
      () => { headers["accept-encoding"] = rng.pick(["gzip", "br", "garbage", "*"]); },
      () => { headers["x-http-method-override"] = rng.pick(["DELETE", "PATCH", "FOO"]); },
      () => { headers["ocp-" + rng.pick(["x", "date2", "range", "foo-bar"])] = rng.pick(["x", "", "é", "a".repeat(3000)]); },
      () => { headers["expect"] = rng.pick(["100-continue", "garbage"]); },
      () => { headers["transfer-encoding"] = rng.pick(["chunked", "gzip"]); },
      () => { headers["x-garbage"] = "\u0001\u0002"; },
    ])();
  }
  const body = operation.requestBody !== undefined ? Buffer.from(JSON.stringify(plausible(rng, operation.requestBody))) : undefined;
  return { category: "headers", method: operation.method, path, headers, ...(body === undefined ? {} : { body }), auth: goodAuth(rng) };
}

/**
 * Valid requests run before the fuzzing, so that the ids the generators favour (p1, pool-1, job1, task1, js1) exist
 * where the server implements creating them, and bad input also reaches existing entities (conditions, $select…).
 */
export function setupRequests(): FuzzRequest[] {
  const rng = new Rng(1);
  const requests: FuzzRequest[] = [];
  for (const account of [testAccounts.alpha, testAccounts.beta]) {
    const add = (path: string, body: unknown) =>
      requests.push({ category: "setup", method: "POST", path: `${path}?api-version=${apiVersion}`, headers: {}, body: Buffer.from(JSON.stringify(body)), auth: { kind: "sign", account } });
    for (const id of ["p1", "pool-1"]) add("/pools", { ...poolTemplate(rng), id, targetDedicatedNodes: 1 });
    add("/jobs", { id: "job1", poolInfo: { poolId: "p1" } });
    add("/jobschedules", { id: "js1", schedule: { recurrenceInterval: "PT1H" }, jobSpecification: { poolInfo: { poolId: "p1" } } });
    add("/jobs/job1/tasks", { id: "task1", commandLine: "cmd /c echo hi" });
  }
  return requests;
}

/** A request every server must answer 2xx: used as the final health probe. */
export const validProbe = { method: "GET", path: `/supportedimages?api-version=${apiVersion}` } as const;

export { jsonContentType };
