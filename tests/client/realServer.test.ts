/**
 * Our client against a real OpenBatch server on an ephemeral port, without nodes: paging (byPage, continuation
 * tokens that keep the filter), applications of one account only, pool add/get/exists/list/delete with the response
 * headers, BatchError fields on 404/409, conditional requests (If-Match, If-None-Match, If-(Un)Modified-Since),
 * pipeline headers, SharedKey and bearer credentials — and one call of every operation with made-up ids, which must
 * reach the server signed and routed (any answer but an authentication or routing error; most are 404s).
 *
 * Every operation on its success path, with real nodes, is in realServerOperations.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { operations, type PoolAddParameter } from "@openbatch/protocol";
import { supportedImages } from "@openbatch/server";
import {
  BatchServiceClient,
  BatchSharedKeyCredential,
  CreateTasksError,
  isBatchError,
  toArray,
  type AccessToken,
  type BatchError,
  type TokenCredential,
} from "@openbatch/client";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { operationCalls } from "./operationCalls.js";

const alpha = testAccounts.alpha;
const beta = testAccounts.beta;

function clientFor(url: string, account: { name: string; key: string }): BatchServiceClient {
  return new BatchServiceClient(url, new BatchSharedKeyCredential(account.name, account.key), { retryOptions: { maxRetries: 0 } });
}

function pool(id: string, vmSize = "standard_d2s_v3"): PoolAddParameter {
  return {
    id,
    vmSize,
    targetDedicatedNodes: 0,
    virtualMachineConfiguration: {
      imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
      nodeAgentSKUId: "batch.node.ubuntu 22.04",
    },
  };
}

/** Awaits a call that must fail with a BatchError and returns it. */
async function batchErrorOf(call: Promise<unknown>): Promise<BatchError> {
  try {
    const result = await call;
    return assert.fail(`expected a BatchError, got ${JSON.stringify(result)}`);
  } catch (error) {
    if (!isBatchError(error)) throw error;
    return error;
  }
}

describe("client against a real server", () => {
  let server: TestServer;
  let client: BatchServiceClient;
  before(async () => {
    server = await startTestServer();
    client = clientFor(server.url, alpha);
  });
  after(async () => {
    await client.close();
    await server.dispose();
  });

  describe("account", () => {
    it("lists every supported image across pages, and filters", async () => {
      const all = await toArray(client.account.listSupportedImages({ maxResults: 3 }));
      assert.equal(all.length, supportedImages.length);
      assert.deepEqual(all.map((image) => image.nodeAgentSKUId), supportedImages.map((entry) => entry.item.nodeAgentSKUId));
      const linux = await toArray(client.account.listSupportedImages({ filter: "osType eq 'linux'" }));
      assert.ok(linux.length > 0 && linux.length < all.length);
      assert.ok(linux.every((image) => image.osType === "linux"));
      assert.equal(linux.length, supportedImages.filter((entry) => entry.item.osType === "linux").length);
    });

    it("pages with byPage: maxPageSize, continuation tokens that carry the filter, page responses", async () => {
      const total = supportedImages.length;
      const sizes: number[] = [];
      const tokens: (string | undefined)[] = [];
      for await (const page of client.account.listSupportedImages().byPage({ maxPageSize: 4 })) {
        sizes.push(page.length);
        tokens.push(page.continuationToken);
        assert.equal(page._response.status, 200);
        assert.ok(page._response.parsedHeaders.requestId);
      }
      assert.equal(sizes.reduce((a, b) => a + b, 0), total);
      assert.ok(sizes.slice(0, -1).every((size) => size === 4));
      assert.equal(tokens.at(-1), undefined);
      assert.ok(tokens.slice(0, -1).every((token) => token?.startsWith(server.url)));

      // Resume from the first page's token, with a filter that must survive in the link.
      const filter = "osType eq 'windows'";
      const first = (await client.account.listSupportedImages({ filter }).byPage({ maxPageSize: 2 }).next()).value;
      assert.ok(first !== undefined && first.continuationToken !== undefined);
      const rest: string[] = [];
      for await (const page of client.account.listSupportedImages().byPage({ continuationToken: first.continuationToken })) {
        for (const image of page) rest.push(image.osType ?? "");
      }
      const windowsCount = supportedImages.filter((entry) => entry.item.osType === "windows").length;
      assert.equal(first.length + rest.length, windowsCount);
      assert.ok(rest.every((os) => os === "windows"));
    });

    it("lists pool node counts", async () => {
      await client.pool.add(pool("counted-pool"));
      const counts = await toArray(client.account.listPoolNodeCounts({ filter: "poolId eq 'counted-pool'" }));
      assert.equal(counts.length, 1);
      assert.equal(counts[0]?.poolId, "counted-pool");
      await client.pool.delete("counted-pool");
    });
  });

  describe("application", () => {
    before(async () => {
      const now = new Date();
      for (const id of ["app-b", "app-a", "app-c"]) {
        await server.services.applications.register(alpha.name, { applicationId: id, version: "1.0", displayName: `App ${id}` }, now);
      }
      await server.services.applications.register(alpha.name, { applicationId: "app-a", version: "2.0" }, now);
      await server.services.applications.register(beta.name, { applicationId: "beta-only", version: "1.0" }, now);
    });

    it("gets and lists the account's applications, and only them", async () => {
      const app = await client.application.get("app-a");
      assert.deepEqual(app, { id: "app-a", displayName: "App app-a", versions: ["1.0", "2.0"] });
      assert.equal(app._response.status, 200);
      const listed = await toArray(client.application.list({ maxResults: 2 }));
      assert.deepEqual(listed.map((a) => a.id), ["app-a", "app-b", "app-c"]);

      const betaClient = clientFor(server.url, beta);
      try {
        assert.deepEqual((await toArray(betaClient.application.list())).map((a) => a.id), ["beta-only"]);
        const error = await batchErrorOf(betaClient.application.get("app-a"));
        assert.equal(error.code, "ApplicationNotFound");
        assert.equal(error.statusCode, 404);
      } finally {
        await betaClient.close();
      }
      const error = await batchErrorOf(client.application.get("beta-only"));
      assert.equal(error.code, "ApplicationNotFound");
    });
  });

  describe("pool", () => {
    it("adds, gets, checks, lists and deletes a pool, with the response headers", async () => {
      const added = await client.pool.add(pool("pool-one"));
      assert.equal(added._response.status, 201);
      assert.ok(added.eTag && added.lastModified instanceof Date && added.requestId);
      assert.equal(added.dataServiceId, `${server.url}/pools/pool-one`);

      const fetched = await client.pool.get("pool-one");
      assert.equal(fetched.id, "pool-one");
      assert.equal(fetched.vmSize, "standard_d2s_v3");
      assert.equal(fetched.state, "active");
      assert.equal(fetched._response.parsedHeaders.eTag, fetched.eTag);
      assert.equal(fetched.eTag, added.eTag);
      assert.ok(!Object.keys(fetched).includes("_response"), "_response must not be enumerable");

      assert.equal(await client.pool.exists("pool-one"), true);
      assert.equal(await client.pool.exists("POOL-ONE"), true, "ids are case-insensitive");
      assert.equal(await client.pool.exists("pool-none"), false);

      await client.pool.add(pool("pool-two", "standard_d4s_v3"));
      const listed = await toArray(client.pool.list({ filter: "startswith(id,'pool-')", select: ["id", "vmSize"] }));
      assert.deepEqual(listed, [
        { id: "pool-one", vmSize: "standard_d2s_v3" },
        { id: "pool-two", vmSize: "standard_d4s_v3" },
      ]);
      const withStats = await client.pool.get("pool-two", { expand: "stats", select: "id,stats" });
      assert.ok(withStats.stats !== undefined);

      const deleted = await client.pool.delete("pool-one");
      assert.equal(deleted._response.status, 202);
      assert.equal(await client.pool.exists("pool-one"), false);
      await client.pool.delete("pool-two");
    });

    it("reports 404s as BatchError with code, statusCode, requestId, message and values", async () => {
      const error = await batchErrorOf(client.pool.get("missing-pool"));
      assert.equal(error.name, "RestError");
      assert.ok(error instanceof Error);
      assert.equal(error.code, "PoolNotFound");
      assert.equal(error.statusCode, 404);
      assert.equal(typeof error.message, "string");
      assert.match(error.message, /missing-pool/);
      assert.equal(error.lang, "en-US");
      assert.ok(error.requestId !== undefined && error.requestId.length > 0);
      assert.equal(error.requestId, error.response?.headers.get("request-id"));
      assert.ok(error.message.includes(error.requestId), "the Batch message names the request id");
      assert.deepEqual(error.values, [{ key: "PoolId", value: "missing-pool" }]);
      assert.equal(error.value("PoolId"), "missing-pool");

      const onDelete = await batchErrorOf(client.pool.delete("missing-pool"));
      assert.equal(onDelete.code, "PoolNotFound");
      const duplicate = await client.pool.add(pool("dup-pool")).then(() => batchErrorOf(client.pool.add(pool("DUP-pool"))));
      assert.equal(duplicate.code, "PoolExists");
      assert.equal(duplicate.statusCode, 409);
      await client.pool.delete("dup-pool");
    });

    it("sends conditions: a stale If-Match is 412 ConditionNotMet, a current one succeeds", async () => {
      const added = await client.pool.add(pool("cond-pool"));
      const stale = '"0x8D0000000000000"';
      const onGet = await batchErrorOf(client.pool.get("cond-pool", { ifMatch: stale }));
      assert.equal(onGet.code, "ConditionNotMet");
      assert.equal(onGet.statusCode, 412);
      const onDelete = await batchErrorOf(client.pool.delete("cond-pool", { ifMatch: stale }));
      assert.equal(onDelete.code, "ConditionNotMet");
      assert.equal((await client.pool.get("cond-pool", { ifMatch: added.eTag as string })).id, "cond-pool");

      const unmodified = await batchErrorOf(client.pool.get("cond-pool", { ifNoneMatch: added.eTag as string }));
      assert.equal(unmodified.statusCode, 304);
      const old = new Date((added.lastModified as Date).getTime() - 3600_000);
      const tooOld = await batchErrorOf(client.pool.get("cond-pool", { ifUnmodifiedSince: old }));
      assert.equal(tooOld.code, "ConditionNotMet");
      assert.equal((await client.pool.get("cond-pool", { ifModifiedSince: old })).id, "cond-pool");
      await client.pool.delete("cond-pool", { ifMatch: added.eTag as string });
      assert.equal(await client.pool.exists("cond-pool"), false);
    });
  });

  describe("pipeline headers", () => {
    it("sends client-request-id and gets it echoed on request; sends timeout and ocp-date", async () => {
      const clientRequestId = "6f1e3c2a-3c1b-4b7e-9d0e-0a1b2c3d4e5f";
      const page = (await client.account.listSupportedImages({ clientRequestId, returnClientRequestId: true, timeoutInSeconds: 20 }).byPage().next()).value;
      assert.equal(page?._response.parsedHeaders.clientRequestId, clientRequestId);
      assert.equal(page?._response.request.clientRequestId, clientRequestId);
      assert.match(page?._response.request.url ?? "", /[?&]timeout=20(&|$)/);
      const unechoed = await client.application.list().byPage().next();
      assert.equal(unechoed.value?._response.parsedHeaders.clientRequestId, undefined);
      assert.match(unechoed.value?._response.request.clientRequestId ?? "", /^[0-9a-f-]{36}$/);
      const dated = await client.application.list({ ocpDate: new Date() }).byPage().next();
      assert.equal(dated.value?._response.status, 200);
    });
  });

  describe("credentials", () => {
    it("refuses a wrong key with 403 AuthenticationFailed", async () => {
      const wrong = clientFor(server.url, { name: alpha.name, key: Buffer.from("definitely-not-the-alpha-key!!").toString("base64") });
      try {
        const error = await batchErrorOf(wrong.pool.get("any"));
        assert.equal(error.code, "AuthenticationFailed");
        assert.equal(error.statusCode, 403);
        const headError = await batchErrorOf(wrong.pool.exists("any"));
        assert.equal(headError.statusCode, 403);
      } finally {
        await wrong.close();
      }
    });

    it("works behind a path prefix only when the prefix is part of the URL the server sees (signature covers it)", async () => {
      const prefixed = clientFor(`${server.url}/`, alpha);
      try {
        assert.equal((await toArray(prefixed.application.list())).length, 3);
      } finally {
        await prefixed.close();
      }
    });
  });

  describe("every operation reaches the server signed and routed", () => {
    const routingCodes = new Set([
      "AuthenticationFailed",
      "InvalidUri",
      "UnsupportedHttpVerb",
      "UnsupportedQueryParameter",
      "MissingRequiredQueryParameter",
      "InvalidQueryParameterValue",
      "RequestUrlFailedToParse",
    ]);
    it("covers the whole operation table", () => {
      const expected = operations.filter((operation) => !("removedIn" in operation)).map((operation) => operation.operationId).sort();
      assert.deepEqual(operationCalls.map((call) => call.operationId).sort(), expected);
    });
    for (const call of operationCalls) {
      it(call.operationId, async () => {
        const implemented = server.implementedOperations.has(call.operationId);
        try {
          await call.invoke(client);
          assert.ok(implemented, `${call.operationId} succeeded although the server does not implement it`);
        } catch (caught) {
          // addCollection reports request-level errors inside CreateTasksError.errors.
          const error = caught instanceof CreateTasksError && caught.errors.length > 0 ? caught.errors[0] : caught;
          if (!isBatchError(error)) throw error;
          if (implemented) {
            assert.ok(!routingCodes.has(error.code ?? ""), `${call.operationId}: ${error.code} ${error.message}`);
            assert.ok(error.statusCode !== undefined && error.statusCode < 500, `${call.operationId}: ${error.statusCode} ${error.message}`);
          } else {
            assert.equal(error.statusCode, 501, `${call.operationId}: ${error.statusCode} ${error.code} ${error.message}`);
            if (!call.operationId.endsWith("Exists") && !call.operationId.startsWith("File_GetProperties")) assert.equal(error.code, "NotImplemented");
          }
        }
      });
    }
  });
});

describe("TokenCredential against a server that accepts bearer tokens", () => {
  let server: TestServer;
  let directory: string;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
  before(async () => {
    const pair = await generateKeyPair("RS256");
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "client-key", alg: "RS256", use: "sig" };
    directory = mkdtempSync(join(tmpdir(), "openbatch-client-jwks-"));
    const jwksFile = join(directory, "jwks.json");
    writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
    server = await startTestServer({ accounts: [`${alpha.name}:${alpha.key}`], bearerToken: { jwksFile } });
  });
  after(async () => {
    await server.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  it("asks for the Batch scope once and reuses the token until near expiry", async () => {
    const requestedScopes: (string | string[])[] = [];
    const credential: TokenCredential = {
      async getToken(scopes): Promise<AccessToken> {
        requestedScopes.push(scopes);
        const expiresOnTimestamp = Date.now() + 3600_000;
        const token = await new SignJWT({ oid: "user-1" })
          .setProtectedHeader({ alg: "RS256", kid: "client-key" })
          .setAudience("https://batch.core.windows.net/")
          .setIssuedAt()
          .setExpirationTime(Math.floor(expiresOnTimestamp / 1000))
          .sign(privateKey);
        return { token, expiresOnTimestamp };
      },
    };
    const client = new BatchServiceClient(server.url, credential);
    try {
      await Promise.all([toArray(client.account.listSupportedImages()), client.pool.add(pool("bearer-pool"))]);
      assert.equal((await client.pool.get("bearer-pool")).id, "bearer-pool");
      assert.deepEqual(requestedScopes, [["https://batch.core.windows.net//.default"]]);
    } finally {
      await client.close();
    }
  });
});
