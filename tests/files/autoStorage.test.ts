import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAutoStorage } from "@openbatch/server";
import { azuriteAccount } from "../support/azurite.js";

const connectionString = `DefaultEndpointsProtocol=http;AccountName=${azuriteAccount.name};AccountKey=${azuriteAccount.key};BlobEndpoint=http://127.0.0.1:10000/${azuriteAccount.name};`;

describe("the server's auto-storage account", () => {
  it("resolves container names into read+list SAS URLs that stay the same within an hour and last a day", () => {
    const storage = createAutoStorage({ connectionString });
    const at = (iso: string) => new Date(iso);
    const first = new URL(storage.containerSasUrl("inputs", at("2026-01-01T10:05:00Z")));
    assert.equal(`${first.origin}${first.pathname}`, `http://127.0.0.1:10000/${azuriteAccount.name}/inputs`);
    assert.equal(first.searchParams.get("sp"), "rl");
    assert.equal(first.searchParams.get("sr"), "c");
    assert.equal(first.searchParams.get("se"), "2026-01-02T10:00:00Z");
    assert.equal(storage.containerSasUrl("inputs", at("2026-01-01T10:59:59Z")), first.toString());
    assert.notEqual(storage.containerSasUrl("inputs", at("2026-01-01T11:00:00Z")), first.toString());
    const [resolved, untouched] = storage.resolveResourceFiles(
      [{ autoStorageContainerName: "inputs", blobPrefix: "a/", filePath: "x" }, { httpUrl: "http://h/f", filePath: "f" }],
      at("2026-01-01T10:05:00Z"),
    );
    assert.deepEqual(resolved, { storageContainerUrl: first.toString(), blobPrefix: "a/", filePath: "x" });
    assert.deepEqual(untouched, { httpUrl: "http://h/f", filePath: "f" });
  });

  it("refuses a connection string without an account key", () => {
    assert.throws(
      () => createAutoStorage({ connectionString: `BlobEndpoint=http://127.0.0.1:10000/${azuriteAccount.name};SharedAccessSignature=sv=2020-08-04&sig=x` }),
      /AccountName and AccountKey/,
    );
  });
});
