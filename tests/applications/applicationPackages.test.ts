/**
 * Application packages end to end (issue #7): zips uploaded through the SharedKey-signed admin endpoint, listed by
 * the Application group, refused when they are not installable; pool and task references resolved (default
 * version included) or refused as the service refuses them; packages extracted under the node's `applications/`
 * by real agents before the start task and before a task, and run through `$AZ_BATCH_APP_PACKAGE_…` with
 * `/bin/sh -c`.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { apiVersion, batchErrorCode, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";
import { makeZip, renameEntry } from "../support/zipFixture.js";

const account = testAccounts.alpha;
const image = {
  imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
  nodeAgentSKUId: "batch.node.ubuntu 22.04",
};
const maxPackageBytes = 256 * 1024;
const run = promisify(execFile);

/** A package whose script prints its argument and the version baked into it. */
function helloZip(version: string): Promise<Buffer> {
  return makeZip([
    { name: "bin/", directory: true },
    { name: "bin/hello.sh", mode: 0o755, content: `#!/bin/sh\necho "hello $1 from ${version}"\n` },
    { name: "share/readme.txt", content: `version ${version}\n` },
  ]);
}

describe("application packages", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object): Promise<BatchResponse> =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const upload = (applicationId: string, version: string, zip: Buffer, options: { account?: typeof account; query?: string } = {}): Promise<BatchResponse> =>
    batchRequest(server.url, {
      method: "PUT",
      path: `/_admin/v1/applications/${applicationId}/versions/${version}${options.query ?? ""}`,
      ...(options.account === undefined ? { account } : { account: options.account }),
      body: zip,
      headers: { "content-type": "application/zip" },
    });
  const setDefault = (applicationId: string, version: string | null): Promise<BatchResponse> =>
    batchRequest(server.url, { method: "PATCH", path: `/_admin/v1/applications/${applicationId}`, account, body: { defaultVersion: version }, headers: { "content-type": "application/json" } });
  const taskDone = (jobId: string, taskId: string) =>
    waitFor(`task ${taskId} to complete`, async () => {
      const task = (await call("GET", `/jobs/${jobId}/tasks/${taskId}`)).json;
      return task.state === "completed" ? task : undefined;
    });
  const nodeRoot = async (poolId: string): Promise<string> => {
    const nodes = (await call("GET", `/pools/${poolId}/nodes`)).json.value as { id: string }[];
    return join(server.dataDir, "nodes", poolId, (nodes[0] as { id: string }).id);
  };

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1, maxApplicationPackageBytes: maxPackageBytes });
  });
  after(() => server.dispose());

  it("uploads a zip as an application version and lists it in the Application group of that account only", async () => {
    const zip = await helloZip("1.0");
    const uploaded = await upload("hello", "1.0", zip, { query: "?displayName=Hello%20World" });
    assert.equal(uploaded.status, 201, uploaded.text);
    assert.ok(uploaded.headers.get("request-id"));
    const sha256 = createHash("sha256").update(zip).digest("hex");
    assert.deepEqual(uploaded.json.packages.map((p: { version: string; sha256: string; sizeInBytes: number }) => [p.version, p.sha256, p.sizeInBytes]), [["1.0", sha256, zip.length]]);
    assert.equal(statSync(join(server.dataDir, "applications", account.name, `${sha256}.zip`)).size, zip.length);
    assert.equal((await upload("hello", "2.0", await helloZip("2.0"))).status, 201);

    const got = await call("GET", "/applications/hello");
    assert.equal(got.status, 200, got.text);
    assert.deepEqual({ id: got.json.id, displayName: got.json.displayName, versions: got.json.versions }, { id: "hello", displayName: "Hello World", versions: ["1.0", "2.0"] });
    assert.equal(got.json._ob, undefined, "server bookkeeping never leaves the server");
    const listed = await call("GET", "/applications");
    assert.ok(listed.json.value.some((app: { id: string }) => app.id === "hello"), listed.text);
    const otherAccount = await batchRequest(server.url, { path: `/applications/hello?api-version=${apiVersion}`, account: testAccounts.beta });
    assert.equal(otherAccount.status, 404);
    assert.equal(batchErrorCode(otherAccount), "ApplicationNotFound");
  });

  it("refuses unsigned, oversized, invalid and escaping uploads and registers nothing from them", async () => {
    const unsigned = await batchRequest(server.url, { method: "PUT", path: "/_admin/v1/applications/bad/versions/1", body: await helloZip("x"), headers: { "content-type": "application/zip" } });
    assert.equal(unsigned.status, 403);
    assert.equal(batchErrorCode(unsigned), "AuthenticationFailed");

    const notZip = await upload("bad", "1", Buffer.from("this is not a zip file at all"));
    assert.equal(notZip.status, 400, notZip.text);
    assert.equal(batchErrorCode(notZip), "InvalidRequestBody");

    const escaping = renameEntry(await makeZip([{ name: "xx/evil.txt", content: "boom" }]), "xx/evil.txt", "../evil.txt");
    const escaped = await upload("bad", "1", escaping);
    assert.equal(escaped.status, 400, escaped.text);
    assert.match(escaped.json.message.value, /\.\.\/evil\.txt|invalid relative path/);

    const absolute = renameEntry(await makeZip([{ name: "xetc/evil", content: "boom" }]), "xetc/evil", "/etc/evil");
    assert.equal((await upload("bad", "1", absolute)).status, 400);

    const link = await upload("bad", "1", await makeZip([{ name: "link", content: "/etc/passwd", mode: 0o120777 }]));
    assert.equal(link.status, 400, link.text);
    assert.match(link.json.message.value, /symbolic link/);

    const incompressible = Buffer.alloc(maxPackageBytes + 1024);
    for (let i = 0; i < incompressible.length; i += 32) createHash("sha256").update(String(i)).digest().copy(incompressible, i);
    const tooLarge = await upload("bad", "1", await makeZip([{ name: "big.bin", content: incompressible.toString("latin1") }]));
    assert.equal(tooLarge.status, 413, tooLarge.text);
    assert.equal(batchErrorCode(tooLarge), "RequestBodyTooLarge");

    const badVersion = await upload("bad", "1%200", await helloZip("x"));
    assert.equal(badVersion.status, 400, badVersion.text);
    assert.equal(batchErrorCode(badVersion), "InvalidPropertyValue");

    const longName = await upload("bad", "1", await helloZip("x"), { query: `?displayName=${"n".repeat(1025)}` });
    assert.equal(longName.status, 400, longName.text);
    assert.equal(batchErrorCode(longName), "InvalidQueryParameterValue");

    const absent = await call("GET", "/applications/bad");
    assert.equal(absent.status, 404, absent.text);
    const leftovers = readdirSync(join(server.dataDir, "applications", account.name)).filter((name) => !/^[0-9a-f]{64}\.zip$/.test(name));
    assert.deepEqual(leftovers, []);
  });

  it("sets and clears an application's default version, refusing versions it does not have", async () => {
    assert.equal((await upload("nodefault", "1.0", await helloZip("nd"))).status, 201);
    const set = await setDefault("hello", "2.0");
    assert.equal(set.status, 200, set.text);
    assert.equal(set.json.defaultVersion, "2.0");
    const unknown = await setDefault("hello", "9.9");
    assert.equal(unknown.status, 400, unknown.text);
    assert.equal(batchErrorCode(unknown), "InvalidPropertyValue");
    const missing = await setDefault("no-such-app", "1.0");
    assert.equal(missing.status, 404);
    assert.equal(batchErrorCode(missing), "ApplicationNotFound");
    assert.equal((await upload("cleared", "1.0", await helloZip("c"))).status, 201);
    assert.equal((await setDefault("cleared", "1.0")).json.defaultVersion, "1.0");
    const cleared = await setDefault("cleared", null);
    assert.equal(cleared.status, 200);
    assert.equal(cleared.json.defaultVersion, undefined);
  });

  it("refuses pools whose package references cannot be satisfied with 409 InvalidApplicationPackageReferences", async () => {
    const pool = (id: string, references: object[]) => ({ id, vmSize: "Standard_D2s_v3", targetDedicatedNodes: 0, virtualMachineConfiguration: image, applicationPackageReferences: references });
    const cases: [object[], string][] = [
      [[{ applicationId: "no-such-app", version: "1.0" }], "no-such-app"],
      [[{ applicationId: "hello", version: "7.0" }], "hello"],
      [[{ applicationId: "nodefault" }], "nodefault"],
    ];
    for (const [references, key] of cases) {
      const refused = await call("POST", "/pools", pool("refusedpool", references));
      assert.equal(refused.status, 409, refused.text);
      assert.equal(batchErrorCode(refused), "InvalidApplicationPackageReferences");
      assert.ok(refused.json.values.some((detail: { key: string }) => detail.key === key), refused.text);
    }
    assert.equal((await call("GET", "/pools/refusedpool")).status, 404, "a refused pool is not stored");
    const eleven = Array.from({ length: 11 }, () => ({ applicationId: "hello", version: "1.0" }));
    assert.equal((await call("POST", "/pools", pool("elevenpool", eleven))).status, 400);

    assert.equal((await call("POST", "/pools", pool("okpool", [{ applicationId: "HELLO" }]))).status, 201, "ids are case-insensitive; the default version is used");
    const patched = await call("PATCH", "/pools/okpool", { applicationPackageReferences: [{ applicationId: "no-such-app" }] });
    assert.equal(patched.status, 409, patched.text);
    assert.equal(batchErrorCode(patched), "InvalidApplicationPackageReferences");
    assert.deepEqual((await call("GET", "/pools/okpool")).json.applicationPackageReferences, [{ applicationId: "HELLO" }]);
    const updated = await call("POST", "/pools/okpool/updateproperties", { certificateReferences: [], metadata: [], applicationPackageReferences: [{ applicationId: "hello", version: "8.0" }] });
    assert.equal(updated.status, 409, updated.text);
  });

  it("installs pool packages before the start task and runs tasks through $AZ_BATCH_APP_PACKAGE_… with /bin/sh -c", async () => {
    const added = await call("POST", "/pools", {
      id: "apppool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, taskSlotsPerNode: 2, virtualMachineConfiguration: image,
      applicationPackageReferences: [{ applicationId: "hello", version: "1.0" }],
      // Fails (and the node never becomes idle) unless the package is installed and named before the start task.
      startTask: { commandLine: `/bin/sh -c 'test -x "$AZ_BATCH_APP_PACKAGE_hello_1_0/bin/hello.sh"'`, waitForSuccess: true },
    });
    assert.equal(added.status, 201, added.text);
    const node = await waitFor("the node to be idle", async () => {
      const nodes = (await call("GET", "/pools/apppool/nodes")).json.value as { state: string; startTaskInfo?: { exitCode?: number } }[];
      return nodes[0]?.state === "idle" ? nodes[0] : undefined;
    });
    assert.equal(node.startTaskInfo?.exitCode, 0);
    assert.equal((await call("POST", "/jobs", { id: "appjob", poolInfo: { poolId: "apppool" } })).status, 201);

    assert.equal((await call("POST", "/jobs/appjob/tasks", { id: "pooltask", commandLine: `/bin/sh -c '"$AZ_BATCH_APP_PACKAGE_HELLO_1_0/bin/hello.sh" pool'` })).status, 201);
    const poolTask = await taskDone("appjob", "pooltask");
    assert.equal(poolTask.executionInfo.result, "success", JSON.stringify(poolTask.executionInfo));
    assert.equal(poolTask.executionInfo.exitCode, 0);
    const stdout = await batchRequest(server.url, { path: `/jobs/appjob/tasks/pooltask/files/stdout.txt?api-version=${apiVersion}`, account });
    assert.equal(stdout.text, "hello pool from 1.0\n");

    const applications = join(await nodeRoot("apppool"), "applications");
    const [installed] = readdirSync(applications).filter((name) => name.startsWith("hello1.0."));
    assert.match(installed ?? "", /^hello1\.0\.[0-9a-f]{16}$/);
    assert.equal(statSync(join(applications, installed as string, "bin", "hello.sh")).mode & 0o777, 0o755);
    assert.equal(statSync(join(applications, installed as string, "share", "readme.txt")).mode & 0o777, 0o644);
  });

  it("installs a task's own packages, the default version when the reference names none", async () => {
    const commandLine = `/bin/sh -c '"$AZ_BATCH_APP_PACKAGE_hello/bin/hello.sh" default; "$AZ_BATCH_APP_PACKAGE_hello_2_0/bin/hello.sh" named; "$AZ_BATCH_APP_PACKAGE_hello_1_0/bin/hello.sh" pool'`;
    const added = await call("POST", "/jobs/appjob/tasks", { id: "tasktask", commandLine, applicationPackageReferences: [{ applicationId: "hello" }] });
    assert.equal(added.status, 201, added.text);
    const task = await taskDone("appjob", "tasktask");
    assert.equal(task.executionInfo.result, "success", JSON.stringify(task.executionInfo));
    const stdout = await batchRequest(server.url, { path: `/jobs/appjob/tasks/tasktask/files/stdout.txt?api-version=${apiVersion}`, account });
    assert.equal(stdout.text, "hello default from 2.0\nhello named from 2.0\nhello pool from 1.0\n");
    const installed = readdirSync(join(await nodeRoot("apppool"), "applications")).sort();
    assert.equal(installed.filter((name) => /^hello2\.0\.[0-9a-f]{16}$/.test(name)).length, 1, installed.join());
    assert.ok(installed.every((name) => !name.includes(".part-") && !name.startsWith(".download-")), installed.join());
  });

  it("fails a task whose package reference cannot be satisfied with ApplicationPackageError, never retrying it", async () => {
    const references: [string, object][] = [
      ["nosuchapp", { applicationId: "no-such-app" }],
      ["nosuchversion", { applicationId: "hello", version: "7.0" }],
      ["nodefaultversion", { applicationId: "nodefault" }],
    ];
    for (const [id, reference] of references) {
      const added = await call("POST", "/jobs/appjob/tasks", { id, commandLine: "/bin/true", applicationPackageReferences: [reference], constraints: { maxTaskRetryCount: 3 } });
      assert.equal(added.status, 201, added.text);
    }
    for (const [id] of references) {
      const task = await taskDone("appjob", id);
      assert.equal(task.executionInfo.result, "failure");
      assert.equal(task.executionInfo.failureInfo.code, "ApplicationPackageError", JSON.stringify(task.executionInfo));
      assert.equal(task.executionInfo.failureInfo.category, "usererror");
      assert.equal(task.executionInfo.retryCount, 0);
      assert.equal(task.executionInfo.exitCode, undefined);
    }
  });

  it("brings a pool's changed references to a node when it is rebooted, not before", async () => {
    const patched = await call("PATCH", "/pools/apppool", { applicationPackageReferences: [{ applicationId: "hello", version: "1.0" }, { applicationId: "hello", version: "2.0" }] });
    assert.equal(patched.status, 200, patched.text);
    const probe = `/bin/sh -c 'echo "[\${AZ_BATCH_APP_PACKAGE_hello_1_0:+one}][\${AZ_BATCH_APP_PACKAGE_hello_2_0:+two}]"'`;
    assert.equal((await call("POST", "/jobs/appjob/tasks", { id: "beforereboot", commandLine: probe })).status, 201);
    await taskDone("appjob", "beforereboot");
    const before = await batchRequest(server.url, { path: `/jobs/appjob/tasks/beforereboot/files/stdout.txt?api-version=${apiVersion}`, account });
    assert.equal(before.text, "[one][]\n");

    const nodeId = ((await call("GET", "/pools/apppool/nodes")).json.value[0] as { id: string }).id;
    const rebooted = await call("POST", `/pools/apppool/nodes/${nodeId}/reboot`);
    assert.equal(rebooted.status, 202, rebooted.text);
    await waitFor("the rebooted node to be idle", async () => ((await call("GET", `/pools/apppool/nodes/${nodeId}`)).json.state === "idle" ? true : undefined));
    assert.equal((await call("POST", "/jobs/appjob/tasks", { id: "afterreboot", commandLine: probe })).status, 201);
    await taskDone("appjob", "afterreboot");
    const after = await batchRequest(server.url, { path: `/jobs/appjob/tasks/afterreboot/files/stdout.txt?api-version=${apiVersion}`, account });
    assert.equal(after.text, "[one][two]\n");
  });

  it("works through the official Python SDK: list/get the application, a pool with a reference, a task with one", async () => {
    const script = fileURLToPath(new URL("../../conformance/python/application_packages.py", import.meta.url));
    const { stdout } = await run("/usr/bin/python3", [script, server.url, account.name, account.key, "--pool", "apppool", "--job", "sdkappjob"], { timeout: 120_000 });
    const result = JSON.parse(stdout);
    assert.equal(result.ok, true, stdout);
    assert.deepEqual(result.listed, { hello: ["1.0", "2.0"] });
    assert.deepEqual(result.got, { id: "hello", displayName: "Hello World", versions: ["1.0", "2.0"] });
    assert.deepEqual(result.poolReferences, [{ applicationId: "hello", version: "1.0" }]);
    assert.deepEqual(result.missing, { code: "InvalidApplicationPackageReferences", statusCode: 409 });
    assert.deepEqual(result.task, { state: "completed", exitCode: 0, stdout: "hello sdk from 2.0\n" });
  });
});
