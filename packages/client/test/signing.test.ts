import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { BatchSharedKeyCredential, sharedKeyStringToSign } from "../src/index.js";

const key = Buffer.from("unit-test-key").toString("base64");

describe("SharedKey string-to-sign", () => {
  it("matches the rest-api.md §2.1 example", () => {
    const text = sharedKeyStringToSign(
      { method: "GET", rawPath: "/pools", rawQuery: "api-version=2024-02-01.19.0&maxresults=10", headers: { "ocp-date": "Tue, 05 Mar 2024 10:00:00 GMT" } },
      "myacct",
    );
    assert.equal(text, "GET\n\n\n\n\n\n\n\n\n\n\n\nocp-date:Tue, 05 Mar 2024 10:00:00 GMT\n/myacct/pools\napi-version:2024-02-01.19.0\nmaxresults:10");
  });

  it("signs the eleven standard headers in order, ocp-* sorted, the raw path and decoded sorted query", () => {
    const text = sharedKeyStringToSign(
      {
        method: "post",
        rawPath: "/prefix/jobs/a%2Fb/tasks",
        rawQuery: "timeout=5&api-version=v&%24filter=state%20eq%20%27x%27&$select=a+b&empty=&api-version=second",
        headers: {
          "Content-Type": "application/json; odata=minimalmetadata; charset=utf-8",
          "content-length": "12",
          "If-Match": "0x1",
          "ocp-range": "bytes=0-9",
          "OCP-Date": "Tue, 05 Mar 2024 10:00:00 GMT",
          "client-request-id": "not signed",
          "if-none-match": "",
        },
      },
      "acct",
    );
    assert.equal(
      text,
      [
        "POST",
        "",
        "",
        "12",
        "",
        "application/json; odata=minimalmetadata; charset=utf-8",
        "",
        "",
        "0x1",
        "",
        "",
        "",
        "ocp-date:Tue, 05 Mar 2024 10:00:00 GMT",
        "ocp-range:bytes=0-9",
        "/acct/prefix/jobs/a%2Fb/tasks",
        "$filter:state eq 'x'",
        "$select:a b",
        "api-version:v",
        "timeout:5",
      ].join("\n"),
    );
  });

  it("produces SharedKey {account}:{base64 HMAC-SHA256}", () => {
    const credential = new BatchSharedKeyCredential("acct", key);
    const request = { method: "GET", rawPath: "/pools", rawQuery: "api-version=v", headers: { "ocp-date": "Tue, 05 Mar 2024 10:00:00 GMT" } };
    const expected = createHmac("sha256", Buffer.from(key, "base64")).update(sharedKeyStringToSign(request, "acct")).digest("base64");
    assert.equal(credential.authorizationHeader(request), `SharedKey acct:${expected}`);
  });

  it("refuses an empty account name or a key that is not base64", () => {
    assert.throws(() => new BatchSharedKeyCredential("", key), TypeError);
    assert.throws(() => new BatchSharedKeyCredential("acct", "not base64!"), TypeError);
  });
});
