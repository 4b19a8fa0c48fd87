import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { apiVersion, batchErrorCode, batchRequest, signPythonStyle } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";

const account = testAccounts.alpha;

/** Signs like @azure/batch 10.x: empty Content-Length on body-less DELETE, empty query values included. */
function signJsStyle(method: string, url: URL, headers: Record<string, string>): string {
  const get = (name: string) => headers[name.toLowerCase()] ?? "";
  const contentLength = get("content-length") || (method === "POST" ? "0" : "");
  let stringToSign = `${method}\n${get("content-encoding")}\n${get("content-language")}\n${contentLength}\n${get("content-md5")}\n` +
    `${get("content-type")}\n${get("date")}\n${get("if-modified-since")}\n${get("if-match")}\n${get("if-none-match")}\n${get("if-unmodified-since")}\n${get("range")}\n`;
  for (const name of Object.keys(headers).filter((n) => n.startsWith("ocp-")).sort()) stringToSign += `${name}:${headers[name]}\n`;
  stringToSign += `/${account.name}${url.pathname}`;
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] ??= value;
  for (const name of Object.keys(query).sort()) stringToSign += `\n${name}:${query[name]}`;
  return createHmac("sha256", Buffer.from(account.key, "base64")).update(stringToSign).digest("base64");
}

describe("SharedKey authentication", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.dispose());

  it("accepts a request signed as the Python SDK signs it", async () => {
    const response = await batchRequest(server.url, { path: `/supportedimages?api-version=${apiVersion}&maxresults=5`, account });
    assert.equal(response.status, 200);
  });

  it("accepts the JS SDK's quirks: unsigned Content-Length on DELETE and signed empty query values", async () => {
    await server.services.pools.add(account.name, { id: "jsdelete", vmSize: "standard_d2s_v3", virtualMachineConfiguration: ubuntuVm, targetDedicatedNodes: 0 }, "http://x/pools/jsdelete", new Date());
    const url = new URL(`${server.url}/pools/jsdelete?api-version=${apiVersion}`);
    const headers: Record<string, string> = { "ocp-date": new Date().toUTCString() };
    headers["authorization"] = `SharedKey ${account.name}:${signJsStyle("DELETE", url, headers)}`;
    // fetch sends no Content-Length for a body-less DELETE, exactly like the JS SDK.
    const response = await fetch(url, { method: "DELETE", headers });
    assert.equal(response.status, 202, await response.text());
    // An empty query value is part of what the JS SDK signs (Python leaves it out).
    const listUrl = new URL(`${server.url}/pools?api-version=${apiVersion}&$filter=`);
    const listHeaders: Record<string, string> = { "ocp-date": new Date().toUTCString() };
    listHeaders["authorization"] = `SharedKey ${account.name}:${signJsStyle("GET", listUrl, listHeaders)}`;
    const listed = await fetch(listUrl, { headers: listHeaders });
    assert.equal(listed.status, 200, await listed.text());
  });

  it("refuses a wrong key with 403 AuthenticationFailed and a Batch error body", async () => {
    const wrong = { name: account.name, key: Buffer.from("not-the-right-key-at-all-0000000").toString("base64") };
    const response = await batchRequest(server.url, { path: `/supportedimages?api-version=${apiVersion}`, account: wrong });
    assert.equal(response.status, 403);
    assert.equal(batchErrorCode(response), "AuthenticationFailed");
  });

  it("refuses a tampered query, an unknown account and a missing Authorization header", async () => {
    const signed = await batchRequest(server.url, { path: `/supportedimages?api-version=${apiVersion}`, account });
    assert.equal(signed.status, 200);
    const unknown = await batchRequest(server.url, { path: `/supportedimages?api-version=${apiVersion}`, account: { name: "nosuchacct", key: account.key } });
    assert.equal(unknown.status, 403);
    assert.equal(batchErrorCode(unknown), "AuthenticationFailed");
    const anonymous = await batchRequest(server.url, { path: `/supportedimages?api-version=${apiVersion}` });
    assert.equal(anonymous.status, 403);
    assert.equal(batchErrorCode(anonymous), "AuthenticationFailed");
    // Sign one query, send another.
    const url = new URL(`${server.url}/supportedimages?api-version=${apiVersion}&maxresults=5`);
    const headers: Record<string, string> = { "ocp-date": new Date().toUTCString() };
    headers["authorization"] = `SharedKey ${account.name}:${signJsStyle("GET", url, headers)}`;
    const tampered = await fetch(`${server.url}/supportedimages?api-version=${apiVersion}&maxresults=6`, { headers });
    assert.equal(tampered.status, 403);
  });

  it("refuses requests whose ocp-date is outside the allowed clock skew, in the past or the future", async () => {
    const window = server.config.clockSkewInSeconds * 1000;
    for (const offset of [-60 * 60 * 1000, -(window + 60_000), window + 60_000, 60 * 60 * 1000]) {
      const skewed = await batchRequest(server.url, { path: `/supportedimages?api-version=${apiVersion}`, account, date: new Date(Date.now() + offset) });
      assert.equal(skewed.status, 403, `offset ${offset} ms`);
      assert.equal(batchErrorCode(skewed), "AuthenticationFailed");
      assert.match(JSON.stringify(skewed.json.values), /differs from the server time/);
    }
  });

  it("accepts an ocp-date just inside the clock-skew window, either side", async () => {
    const window = server.config.clockSkewInSeconds * 1000;
    for (const offset of [-60 * 1000, -(window - 60_000), window - 60_000, 60 * 1000]) {
      const response = await batchRequest(server.url, { path: `/supportedimages?api-version=${apiVersion}`, account, date: new Date(Date.now() + offset) });
      assert.equal(response.status, 200, `offset ${offset} ms: ${response.text}`);
    }
  });

  it("takes the Date header when ocp-date is absent, and refuses a request with neither", async () => {
    const url = new URL(`${server.url}/supportedimages?api-version=${apiVersion}`);
    const withDate = { date: new Date().toUTCString() };
    const dated = await fetch(url, { headers: { ...withDate, authorization: `SharedKey ${account.name}:${signPythonStyle("GET", url, withDate, account)}` } });
    assert.equal(dated.status, 200, await dated.text());
    const undated = await fetch(url, { headers: { authorization: `SharedKey ${account.name}:${signPythonStyle("GET", url, {}, account)}` } });
    const body = (await undated.json()) as { code: string; values: { key: string; value: string }[] };
    assert.equal(undated.status, 403);
    assert.equal(body.code, "AuthenticationFailed");
    assert.match(JSON.stringify(body.values), /ocp-date \(or Date\) header is required/);
  });

  it("never echoes the signature or key in the error", async () => {
    const wrong = { name: account.name, key: Buffer.from("another-wrong-key-0000000000000000").toString("base64") };
    const response = await batchRequest(server.url, { path: `/supportedimages?api-version=${apiVersion}`, account: wrong });
    assert.ok(!response.text.includes(wrong.key));
    assert.ok(!response.text.includes(account.key));
  });
});

describe("Bearer token authentication", () => {
  let server: TestServer;
  let sign: (claims: { aud?: string; iss?: string; exp?: number }) => Promise<string>;
  before(async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
    const directory = mkdtempSync(join(tmpdir(), "openbatch-jwks-"));
    const jwksFile = join(directory, "jwks.json");
    writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
    server = await startTestServer({
      accounts: [`${account.name}:${account.key}`],
      bearerToken: { jwksFile, issuer: "https://login.example/tenant/" },
    });
    sign = async ({ aud = "https://batch.core.windows.net/", iss = "https://login.example/tenant/", exp }) =>
      new SignJWT({ oid: "user-1" })
        .setProtectedHeader({ alg: "RS256", kid: "test-key" })
        .setIssuer(iss)
        .setAudience(aud)
        .setIssuedAt()
        .setExpirationTime(exp ?? Math.floor(Date.now() / 1000) + 600)
        .sign(privateKey);
  });
  after(() => server.dispose());

  const get = (token: string) =>
    fetch(`${server.url}/supportedimages?api-version=${apiVersion}`, { headers: { authorization: `Bearer ${token}` } });

  it("accepts a valid token for the Batch audience", async () => {
    const response = await get(await sign({}));
    assert.equal(response.status, 200);
  });

  it("refuses a wrong audience, a wrong issuer, an expired token and garbage", async () => {
    for (const token of [
      await sign({ aud: "https://management.azure.com/" }),
      await sign({ iss: "https://evil.example/" }),
      await sign({ exp: Math.floor(Date.now() / 1000) - 3600 }),
      "not.a.jwt",
    ]) {
      const response = await get(token);
      assert.equal(response.status, 403);
      const body = (await response.json()) as { code: string };
      assert.equal(body.code, "AuthenticationFailed");
    }
  });

  it("refuses bearer tokens on a server that has not enabled them", async () => {
    const plain = await startTestServer();
    try {
      const response = await fetch(`${plain.url}/supportedimages?api-version=${apiVersion}`, { headers: { authorization: `Bearer ${await sign({})}` } });
      assert.equal(response.status, 403);
    } finally {
      await plain.dispose();
    }
  });
});

describe("Bearer tokens verified against a PEM public key (--jwt-public-key-file)", () => {
  let server: TestServer;
  const issuer = "https://login.example/pem-tenant/";
  const trusted = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const sign = (privateKey: typeof trusted.privateKey, iss = issuer) =>
    new SignJWT({ oid: "user-2" }).setProtectedHeader({ alg: "RS256" }).setIssuer(iss).setAudience("https://batch.core.windows.net/").setIssuedAt().setExpirationTime("10m").sign(privateKey);
  before(async () => {
    const directory = mkdtempSync(join(tmpdir(), "openbatch-pem-"));
    const publicKeyFile = join(directory, "public.pem");
    writeFileSync(publicKeyFile, trusted.publicKey.export({ type: "spki", format: "pem" }));
    server = await startTestServer({ accounts: [`${account.name}:${account.key}`], bearerToken: { publicKeyFile, issuer } });
  });
  after(() => server.dispose());

  const get = (token: string) => fetch(`${server.url}/supportedimages?api-version=${apiVersion}`, { headers: { authorization: `Bearer ${token}` } });

  it("accepts a token signed by the configured key", async () => {
    const response = await get(await sign(trusted.privateKey));
    assert.equal(response.status, 200, await response.text());
  });

  it("refuses a token signed by another key, or by the right key for another issuer", async () => {
    for (const token of [await sign(stranger.privateKey), await sign(trusted.privateKey, "https://evil.example/")]) {
      const response = await get(token);
      assert.equal(response.status, 403);
      assert.equal(((await response.json()) as { code: string }).code, "AuthenticationFailed");
    }
  });
});
