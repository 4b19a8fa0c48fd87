import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BatchError, TokenCache, errorFromResponse, isBatchError, resolveRetryOptions, retryDelayInMs, type AccessToken } from "../src/index.js";

describe("back-off", () => {
  const options = resolveRetryOptions({ retryDelayInMs: 100, maxRetryDelayInMs: 1000 });

  it("draws from [d/2, d] with d = retryDelayInMs · 2^retry, capped", () => {
    assert.equal(retryDelayInMs(0, options, undefined, () => 0), 50);
    assert.equal(retryDelayInMs(0, options, undefined, () => 1), 100);
    assert.equal(retryDelayInMs(2, options, undefined, () => 1), 400);
    assert.equal(retryDelayInMs(10, options, undefined, () => 1), 1000);
    assert.equal(retryDelayInMs(10, options, undefined, () => 0), 500);
  });

  it("prefers the service's retry-after-ms, x-ms-retry-after-ms, Retry-After seconds or date", () => {
    assert.equal(retryDelayInMs(0, options, new Headers({ "retry-after-ms": "250" })), 250);
    assert.equal(retryDelayInMs(0, options, new Headers({ "x-ms-retry-after-ms": "30" })), 30);
    assert.equal(retryDelayInMs(0, options, new Headers({ "retry-after": "3" })), 3000);
    const date = retryDelayInMs(0, options, new Headers({ "retry-after": new Date(Date.now() + 5000).toUTCString() }));
    assert.ok(date > 3000 && date <= 5000, String(date));
    assert.equal(retryDelayInMs(0, options, new Headers({ "retry-after": "soon" }), () => 1), 100);
  });

  it("has Azure-like defaults", () => {
    assert.deepEqual(resolveRetryOptions(), { maxRetries: 3, retryDelayInMs: 800, maxRetryDelayInMs: 60000, retryNonIdempotent: false });
  });
});

describe("BatchError", () => {
  const request = { method: "GET", url: "https://x/pools/p?api-version=v", clientRequestId: "c-1" };

  it("reads code, message value, lang, values and request id from the Batch error body", () => {
    const error = errorFromResponse({
      status: 404,
      headers: new Headers({ "content-type": "application/json;odata=minimalmetadata", "request-id": "r-1" }),
      bodyAsText: JSON.stringify({ code: "PoolNotFound", message: { lang: "en-US", value: "The specified pool does not exist." }, values: [{ key: "PoolId", value: "p" }] }),
      request,
    });
    assert.ok(error instanceof BatchError && error instanceof Error);
    assert.equal(error.name, "RestError");
    assert.equal(error.code, "PoolNotFound");
    assert.equal(error.message, "The specified pool does not exist.");
    assert.equal(error.lang, "en-US");
    assert.equal(error.statusCode, 404);
    assert.equal(error.requestId, "r-1");
    assert.equal(error.clientRequestId, "c-1");
    assert.deepEqual(error.values, [{ key: "PoolId", value: "p" }]);
    assert.equal(error.value("PoolId"), "p");
    assert.equal(error.response?.status, 404);
    assert.ok(!Object.keys(error).includes("response"));
  });

  it("copes with no body, a non-JSON body and a string message", () => {
    const empty = errorFromResponse({ status: 404, headers: new Headers(), bodyAsText: "", request });
    assert.equal(empty.code, undefined);
    assert.match(empty.message, /answered 404/);
    const html = errorFromResponse({ status: 502, headers: new Headers({ "content-type": "text/html" }), bodyAsText: "<html/>", request });
    assert.equal(html.code, undefined);
    const plain = errorFromResponse({ status: 400, headers: new Headers({ "content-type": "application/json" }), bodyAsText: '{"code":"X","message":"just text"}', request });
    assert.equal(plain.message, "just text");
    assert.deepEqual(plain.values, []);
  });

  it("isBatchError checks the name and the brand, not instanceof", () => {
    assert.equal(isBatchError(new BatchError("x")), true);
    assert.equal(isBatchError(Object.assign(new Error("x"), { name: "RestError" })), false);
    assert.equal(isBatchError(new Error("x")), false);
    assert.equal(isBatchError(undefined), false);
    const copy = Object.create(null) as Record<string | symbol, unknown>;
    copy["name"] = "RestError";
    copy[Symbol.for("openbatch.client.BatchError")] = true;
    assert.equal(isBatchError(copy), true, "a BatchError from another copy of the package");
  });
});

describe("TokenCache", () => {
  function fakeCredential(lifetimeMs: number, now: () => number) {
    const calls: (string | string[])[] = [];
    return {
      calls,
      async getToken(scopes: string | string[]): Promise<AccessToken> {
        calls.push(scopes);
        await new Promise((resolve) => setImmediate(resolve));
        return { token: `token-${calls.length}`, expiresOnTimestamp: now() + lifetimeMs };
      },
    };
  }

  it("asks once for concurrent callers, reuses until the refresh window, then refreshes", async () => {
    let now = 1_000_000;
    const credential = fakeCredential(10 * 60_000, () => now);
    const cache = new TokenCache(credential, undefined, 2 * 60_000, () => now);
    assert.deepEqual(await Promise.all([cache.getToken(), cache.getToken(), cache.getToken()]), ["token-1", "token-1", "token-1"]);
    assert.deepEqual(credential.calls, [["https://batch.core.windows.net//.default"]]);
    now += 7 * 60_000;
    assert.equal(await cache.getToken(), "token-1");
    now += 90_000; // within two minutes of expiry
    assert.equal(await cache.getToken(), "token-2");
    assert.equal(credential.calls.length, 2);
  });

  it("honours refreshAfterTimestamp and reports a null token", async () => {
    let now = 0;
    let issued = 0;
    const cache = new TokenCache(
      { getToken: async () => ({ token: `t${++issued}`, expiresOnTimestamp: now + 3_600_000, refreshAfterTimestamp: now + 1000 }) },
      ["scope"],
      0,
      () => now,
    );
    assert.equal(await cache.getToken(), "t1");
    now = 1000;
    assert.equal(await cache.getToken(), "t2");
    await assert.rejects(new TokenCache({ getToken: async () => null }).getToken(), /no token/);
  });
});
