/**
 * Conformance through the official JavaScript SDK (@azure/batch 10.2.0): a real OpenBatch server on an ephemeral
 * port, driven with BatchServiceClient + BatchSharedKeyCredentials exactly as the package's README shows. The same
 * scenarios as pythonSdk.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BatchServiceClient, BatchSharedKeyCredentials, type BatchServiceModels } from "@azure/batch";
import { supportedImages } from "@openbatch/server";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import {
  catalogueKeys, expectedPageSizes, imageKey, linuxCatalogueKeys, pagedApplicationIds, shuffled, windowsCatalogueKeys, wrongKeyAccount,
} from "./expectations.js";

interface Account {
  readonly name: string;
  readonly key: string;
}

function clientFor(url: string, account: Account): BatchServiceClient {
  return new BatchServiceClient(new BatchSharedKeyCredentials(account.name, account.key), url);
}

/** Follows odata.nextLink with the SDK's `*Next` operation, as the README's loop does; returns items and page sizes. */
async function allPages<T>(first: T[] & { odatanextLink?: string }, next: (link: string) => Promise<T[] & { odatanextLink?: string }>): Promise<{ items: T[]; pageSizes: number[] }> {
  const items: T[] = [...first];
  const pageSizes = [first.length];
  let link = first.odatanextLink;
  while (link !== undefined) {
    const page = await next(link);
    items.push(...page);
    pageSizes.push(page.length);
    link = page.odatanextLink;
  }
  return { items, pageSizes };
}

async function listImages(client: BatchServiceClient, options: BatchServiceModels.AccountListSupportedImagesOptions = {}) {
  const first = await client.account.listSupportedImages({ accountListSupportedImagesOptions: options });
  return allPages(first, (link) => client.account.listSupportedImagesNext(link));
}

async function listApplications(client: BatchServiceClient, options: BatchServiceModels.ApplicationListOptions = {}) {
  const first = await client.application.list({ applicationListOptions: options });
  return allPages(first, (link) => client.application.listNext(link));
}

/** The parts of the SDK's RestError the tests assert on (`code`, `statusCode`, parsed `body`). */
interface SdkError {
  readonly code: unknown;
  readonly statusCode: unknown;
  readonly body: { code?: unknown; message?: { lang?: unknown; value?: unknown }; values?: unknown } | undefined;
}

/** Awaits a call that must fail, returning the SDK's error; fails the test when the call succeeds. */
async function rejection(call: Promise<unknown>): Promise<SdkError> {
  let outcome: unknown;
  try {
    outcome = await call;
  } catch (error) {
    assert.ok(error !== null && typeof error === "object", `the SDK threw a non-object: ${String(error)}`);
    return error as SdkError;
  }
  return assert.fail(`expected the SDK to raise, the call returned ${JSON.stringify(outcome)}`);
}

function assertBatchError(error: SdkError, code: string, statusCode: number): void {
  const summary = JSON.stringify({ code: error.code, statusCode: error.statusCode, body: error.body });
  assert.equal(error.code, code, summary);
  assert.equal(error.statusCode, statusCode, summary);
  assert.equal(error.body?.code, code, summary);
  assert.equal(error.body?.message?.lang, "en-US", summary);
  assert.equal(typeof error.body?.message?.value, "string", summary);
  assert.ok((error.body?.message?.value as string).length > 0, "the error message must not be empty");
}

const catalogueByKey = new Map(supportedImages.map((entry) => [imageKey(entry.item), entry.item]));

function applicationView(application: BatchServiceModels.ApplicationSummary) {
  return { id: application.id, displayName: application.displayName, versions: application.versions };
}

describe("@azure/batch (JavaScript SDK) against OpenBatch", () => {
  describe("read-only scenarios", () => {
    let server: TestServer;
    let alpha: BatchServiceClient;
    before(async () => {
      server = await startTestServer();
      alpha = clientFor(server.url, testAccounts.alpha);
    });
    after(() => server.dispose());

    it("lists every supported image without a filter, with the catalogue's fields", async () => {
      const { items, pageSizes } = await listImages(alpha);
      assert.equal(items.length, catalogueKeys.length);
      assert.deepEqual(items.map(imageKey), catalogueKeys);
      assert.deepEqual(pageSizes, [catalogueKeys.length], "1000 (the default) images fit one page");
      for (const image of items) {
        const expected = catalogueByKey.get(imageKey(image));
        assert.ok(expected !== undefined, `unexpected image ${JSON.stringify(image)}`);
        assert.equal(typeof image.nodeAgentSKUId, "string");
        assert.ok(image.imageReference.publisher && image.imageReference.offer && image.imageReference.sku);
        assert.equal(image.imageReference.version, expected.imageReference?.version);
        assert.ok(image.osType === "linux" || image.osType === "windows", `osType ${image.osType}`);
        assert.equal(image.osType, expected.osType);
        assert.ok(image.verificationType === "verified" || image.verificationType === "unverified", `verificationType ${image.verificationType}`);
        assert.equal(image.verificationType, expected.verificationType);
        assert.deepEqual(image.capabilities, expected.capabilities);
        if (expected.batchSupportEndOfLife === undefined) assert.equal(image.batchSupportEndOfLife, undefined);
        else assert.equal(image.batchSupportEndOfLife?.getTime(), Date.parse(expected.batchSupportEndOfLife as unknown as string));
      }
    });

    it("filters supported images on osType eq 'windows'", async () => {
      const { items } = await listImages(alpha, { filter: "osType eq 'windows'" });
      assert.ok(windowsCatalogueKeys.length > 0 && windowsCatalogueKeys.length < catalogueKeys.length, "the catalogue mixes Windows and Linux");
      assert.equal(items.length, windowsCatalogueKeys.length);
      assert.deepEqual(items.map(imageKey), windowsCatalogueKeys);
      for (const image of items) assert.equal(image.osType, "windows");
    });

    it("pages supported images with maxresults=3 and listSupportedImagesNext reaches the last image", async () => {
      const { items, pageSizes } = await listImages(alpha, { maxResults: 3 });
      assert.equal(items.length, catalogueKeys.length);
      assert.deepEqual(items.map(imageKey), catalogueKeys);
      assert.deepEqual(pageSizes, expectedPageSizes(catalogueKeys.length, 3));
    });

    it("keeps the $filter on next pages (linux, maxresults=5)", async () => {
      const { items, pageSizes } = await listImages(alpha, { filter: "osType eq 'linux'", maxResults: 5 });
      assert.deepEqual(items.map(imageKey), linuxCatalogueKeys);
      assert.deepEqual(pageSizes, expectedPageSizes(linuxCatalogueKeys.length, 5));
    });

    it("rejects application.get of a missing application with ApplicationNotFound (404)", async () => {
      assertBatchError(await rejection(alpha.application.get("missing")), "ApplicationNotFound", 404);
    });

    it("rejects a wrong key with AuthenticationFailed (403) and a Batch error body", async () => {
      const wrong = clientFor(server.url, wrongKeyAccount);
      assertBatchError(await rejection(wrong.account.listSupportedImages()), "AuthenticationFailed", 403);
      assertBatchError(await rejection(wrong.application.list()), "AuthenticationFailed", 403);
    });

    it("lists no pool node counts on a fresh account", async () => {
      const counts = await alpha.account.listPoolNodeCounts();
      assert.equal(counts.length, 0);
      assert.equal(counts.odatanextLink, undefined);
    });
  });

  describe("account isolation", () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
      const now = new Date();
      await server.services.applications.register(testAccounts.alpha.name, { applicationId: "render", version: "1.0", displayName: "Renderer" }, now);
      await server.services.applications.register(testAccounts.alpha.name, { applicationId: "render", version: "2.0" }, now);
      await server.services.applications.register(testAccounts.alpha.name, { applicationId: "encoder", version: "3.1" }, now);
    });
    after(() => server.dispose());

    it("shows account alpha its own applications", async () => {
      const alpha = clientFor(server.url, testAccounts.alpha);
      const { items } = await listApplications(alpha);
      assert.deepEqual(items.map((application) => application.id), ["encoder", "render"]);
      assert.deepEqual(applicationView(await alpha.application.get("render")), { id: "render", displayName: "Renderer", versions: ["1.0", "2.0"] });
      assert.deepEqual(applicationView(await alpha.application.get("encoder")), { id: "encoder", displayName: "encoder", versions: ["3.1"] });
    });

    it("shows account beta none of alpha's applications", async () => {
      const beta = clientFor(server.url, testAccounts.beta);
      const { items } = await listApplications(beta);
      assert.deepEqual(items, []);
      assertBatchError(await rejection(beta.application.get("render")), "ApplicationNotFound", 404);
    });
  });

  describe("application.list paging", () => {
    const ids = pagedApplicationIds(25);
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
      for (const id of shuffled(ids)) {
        await server.services.applications.register(testAccounts.alpha.name, { applicationId: id, version: "1.0" }, new Date());
      }
    });
    after(() => server.dispose());

    it("returns all 25 applications in id order with maxResults=10, over pages of 10, 10 and 5", async () => {
      const { items, pageSizes } = await listApplications(clientFor(server.url, testAccounts.alpha), { maxResults: 10 });
      assert.deepEqual(items.map((application) => application.id), ids);
      assert.deepEqual(pageSizes, expectedPageSizes(ids.length, 10));
    });
  });
});
