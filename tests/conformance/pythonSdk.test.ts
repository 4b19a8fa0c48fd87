/**
 * Conformance through the official Python SDK (azure-batch 13.0.1, Debian's python3-azure): a real OpenBatch server
 * on an ephemeral port, driven by the scripts in tests/conformance/python/, each of which prints one JSON document
 * that this file asserts on.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { supportedImages } from "@openbatch/server";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import {
  catalogueKeys, expectedPageSizes, imageKey, linuxCatalogueKeys, pagedApplicationIds, shuffled, windowsCatalogueKeys, wrongKeyAccount,
} from "./expectations.js";

const execFileAsync = promisify(execFile);

/** Debian's interpreter, which has python3-azure; the `python3` on PATH may be another one without it. */
const python = "/usr/bin/python3";

/** Compiled to tests/dist/conformance/; the scripts stay in tests/conformance/python/ (tsc does not copy them). */
function script(name: string): string {
  return fileURLToPath(new URL(`../../conformance/python/${name}`, import.meta.url));
}

interface Account {
  readonly name: string;
  readonly key: string;
}

interface SdkError {
  readonly code: string | null;
  readonly statusCode: number | null;
  readonly message: string | null;
  readonly lang: string | null;
  readonly values: { key: string; value: string }[];
}

type ScriptResult<T> = ({ ok: true } & T) | { ok: false; error?: SdkError; exception?: { type: string; message: string } };

interface WireImage {
  nodeAgentSKUId: string | null;
  imageReference: { publisher: string; offer: string; sku: string; version: string | null } | null;
  osType: string | null;
  verificationType: string | null;
  capabilities: string[] | null;
  batchSupportEndOfLife: string | null;
}

interface ImagesResult {
  count: number;
  keys: string[];
  images: WireImage[];
  pagedKeys: string[];
  pageSizes: number[];
}

interface ApplicationView {
  id: string;
  displayName: string | null;
  versions: string[] | null;
}

interface ApplicationListResult {
  ids: string[];
  applications: ApplicationView[];
  pagedIds: string[];
  pageSizes: number[];
}

async function runScript<T>(name: string, url: string, account: Account, args: string[] = []): Promise<ScriptResult<T>> {
  const { stdout } = await execFileAsync(python, [script(name), url, account.name, account.key, ...args], {
    timeout: 60_000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  const lines = stdout.trim().split("\n");
  assert.equal(lines.length, 1, `${name} must print exactly one JSON document, got:\n${stdout}`);
  return JSON.parse(lines[0] as string) as ScriptResult<T>;
}

/** The successful payload, or a failed assertion carrying the SDK's error. */
function succeeded<T>(result: ScriptResult<T>): T {
  if (!result.ok) assert.fail(`expected success, the SDK reported ${JSON.stringify(result.error ?? result.exception)}`);
  return result as unknown as T;
}

/** The SDK's BatchErrorException, or a failed assertion when the call succeeded or failed some other way. */
function failed(result: ScriptResult<unknown>): SdkError {
  if (result.ok) assert.fail(`expected a BatchErrorException, the call succeeded: ${JSON.stringify(result)}`);
  if (result.error === undefined) assert.fail(`expected a BatchErrorException, got ${JSON.stringify(result.exception)}`);
  return result.error;
}

function assertBatchError(error: SdkError, code: string, statusCode: number): void {
  assert.equal(error.code, code, JSON.stringify(error));
  assert.equal(error.statusCode, statusCode, JSON.stringify(error));
  assert.equal(error.lang, "en-US");
  assert.equal(typeof error.message, "string");
  assert.ok((error.message as string).length > 0, "the error message must not be empty");
}

const catalogueByKey = new Map(supportedImages.map((entry) => [imageKey(entry.item), entry.item]));

describe("azure-batch (Python SDK) against OpenBatch", () => {
  before(() => {
    assert.ok(existsSync(script("supported_images.py")), `the Python scripts must be found at ${script("supported_images.py")}`);
  });

  describe("read-only scenarios", () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
    });
    after(() => server.dispose());

    it("lists every supported image without a filter, with the catalogue's fields", async () => {
      const result = succeeded(await runScript<ImagesResult>("supported_images.py", server.url, testAccounts.alpha));
      assert.equal(result.count, catalogueKeys.length);
      assert.deepEqual(result.keys, catalogueKeys);
      assert.deepEqual(result.pageSizes, [catalogueKeys.length], "1000 (the default) images fit one page");
      for (const image of result.images) {
        const expected = catalogueByKey.get(imageKey({ nodeAgentSKUId: image.nodeAgentSKUId ?? undefined, imageReference: image.imageReference ?? undefined }));
        assert.ok(expected !== undefined, `unexpected image ${JSON.stringify(image)}`);
        assert.equal(typeof image.nodeAgentSKUId, "string");
        assert.ok(image.imageReference !== null && image.imageReference.publisher && image.imageReference.offer && image.imageReference.sku);
        assert.equal(image.imageReference.version, expected.imageReference?.version ?? null);
        assert.ok(image.osType === "linux" || image.osType === "windows", `osType ${image.osType}`);
        assert.equal(image.osType, expected.osType);
        assert.ok(image.verificationType === "verified" || image.verificationType === "unverified", `verificationType ${image.verificationType}`);
        assert.equal(image.verificationType, expected.verificationType);
        assert.deepEqual(image.capabilities, expected.capabilities ?? null);
        if (expected.batchSupportEndOfLife === undefined) assert.equal(image.batchSupportEndOfLife, null);
        else assert.equal(Date.parse(image.batchSupportEndOfLife as string), Date.parse(expected.batchSupportEndOfLife as unknown as string));
      }
    });

    it("filters supported images on osType eq 'windows'", async () => {
      const result = succeeded(await runScript<ImagesResult>("supported_images.py", server.url, testAccounts.alpha, ["--filter", "osType eq 'windows'"]));
      assert.ok(windowsCatalogueKeys.length > 0 && windowsCatalogueKeys.length < catalogueKeys.length, "the catalogue mixes Windows and Linux");
      assert.equal(result.count, windowsCatalogueKeys.length);
      assert.deepEqual(result.keys, windowsCatalogueKeys);
      for (const image of result.images) assert.equal(image.osType, "windows");
    });

    it("pages supported images with maxresults=3 and the SDK follows odata.nextLink to the last image", async () => {
      const result = succeeded(await runScript<ImagesResult>("supported_images.py", server.url, testAccounts.alpha, ["--max-results", "3"]));
      assert.equal(result.count, catalogueKeys.length);
      assert.deepEqual(result.keys, catalogueKeys);
      assert.deepEqual(result.pagedKeys, catalogueKeys);
      assert.deepEqual(result.pageSizes, expectedPageSizes(catalogueKeys.length, 3));
    });

    it("keeps the $filter on next pages (linux, maxresults=5)", async () => {
      const result = succeeded(
        await runScript<ImagesResult>("supported_images.py", server.url, testAccounts.alpha, ["--filter", "osType eq 'linux'", "--max-results", "5"]),
      );
      assert.deepEqual(result.keys, linuxCatalogueKeys);
      assert.deepEqual(result.pagedKeys, linuxCatalogueKeys);
      assert.deepEqual(result.pageSizes, expectedPageSizes(linuxCatalogueKeys.length, 5));
    });

    it("raises ApplicationNotFound (404) for application.get of a missing application", async () => {
      const error = failed(await runScript("application_get.py", server.url, testAccounts.alpha, ["missing"]));
      assertBatchError(error, "ApplicationNotFound", 404);
    });

    it("raises AuthenticationFailed (403) with a Batch error body for a wrong key", async () => {
      const onImages = failed(await runScript("supported_images.py", server.url, wrongKeyAccount));
      assertBatchError(onImages, "AuthenticationFailed", 403);
      const onApplications = failed(await runScript("application_list.py", server.url, wrongKeyAccount));
      assertBatchError(onApplications, "AuthenticationFailed", 403);
    });

    it("lists no pool node counts on a fresh account", async () => {
      const result = succeeded(await runScript<{ count: number; poolIds: string[] }>("node_counts.py", server.url, testAccounts.alpha));
      assert.equal(result.count, 0);
      assert.deepEqual(result.poolIds, []);
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
      const list = succeeded(await runScript<ApplicationListResult>("application_list.py", server.url, testAccounts.alpha));
      assert.deepEqual(list.ids, ["encoder", "render"]);
      const render = succeeded(await runScript<{ application: ApplicationView }>("application_get.py", server.url, testAccounts.alpha, ["render"]));
      assert.deepEqual(render.application, { id: "render", displayName: "Renderer", versions: ["1.0", "2.0"] });
      const encoder = succeeded(await runScript<{ application: ApplicationView }>("application_get.py", server.url, testAccounts.alpha, ["encoder"]));
      assert.deepEqual(encoder.application, { id: "encoder", displayName: "encoder", versions: ["3.1"] });
    });

    it("shows account beta none of alpha's applications", async () => {
      const list = succeeded(await runScript<ApplicationListResult>("application_list.py", server.url, testAccounts.beta));
      assert.deepEqual(list.ids, []);
      const error = failed(await runScript("application_get.py", server.url, testAccounts.beta, ["render"]));
      assertBatchError(error, "ApplicationNotFound", 404);
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

    it("returns all 25 applications in id order with max_results=10, over pages of 10, 10 and 5", async () => {
      const result = succeeded(await runScript<ApplicationListResult>("application_list.py", server.url, testAccounts.alpha, ["--max-results", "10"]));
      assert.deepEqual(result.ids, ids);
      assert.deepEqual(result.pagedIds, ids);
      assert.deepEqual(result.pageSizes, expectedPageSizes(ids.length, 10));
    });
  });
});
