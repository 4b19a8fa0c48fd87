import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const probe = fileURLToPath(new URL("../../conformance/python/task_token_probe.py", import.meta.url));

describe("task authentication tokens (AZ_BATCH_AUTHENTICATION_TOKEN)", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object, headers?: Record<string, string>) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }), ...(headers === undefined ? {} : { headers }) });
  const get = async (path: string) => (await call("GET", path)).json;

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", {
      id: "tokenpool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1,
      virtualMachineConfiguration: ubuntuVm,
    })).status, 201);
    for (const id of ["mine", "theirs"]) assert.equal((await call("POST", "/jobs", { id, poolInfo: { poolId: "tokenpool" } })).status, 201);
  });
  after(() => server.dispose());

  it("lets a task use the official SDK on its own job and refuses it everything else", async () => {
    const added = await call("POST", "/jobs/mine/tasks", {
      id: "caller", commandLine: `/usr/bin/python3 ${probe} theirs`, authenticationTokenSettings: { access: ["job"] },
    });
    assert.equal(added.status, 201, added.text);
    const task = await waitFor("the caller to complete", async () => {
      const current = await get("/jobs/mine/tasks/caller");
      return current.state === "completed" ? current : undefined;
    });
    const stdout = (await call("GET", "/jobs/mine/tasks/caller/files/stdout.txt")).text;
    const stderr = (await call("GET", "/jobs/mine/tasks/caller/files/stderr.txt")).text;
    assert.equal(task.executionInfo.exitCode, 0, stderr);
    const result = JSON.parse(stdout);
    assert.deepEqual(result.ownJob, { ok: true });
    assert.deepEqual(result.addTask, { ok: true });
    assert.deepEqual(result.otherJob, { ok: false, status: 403, code: "InsufficientAccountPermissions" });
    assert.deepEqual(result.pools, { ok: false, status: 403, code: "InsufficientAccountPermissions" });
    assert.equal((await call("GET", "/jobs/mine/tasks/added-by-token")).status, 200);
  });

  it("gives no token to a task that did not ask, and refuses forged tokens", async () => {
    assert.equal((await call("POST", "/jobs/mine/tasks", { id: "quiet", commandLine: "/bin/sh -c 'echo \"[$AZ_BATCH_AUTHENTICATION_TOKEN]\"'" })).status, 201);
    await waitFor("quiet to complete", async () => ((await get("/jobs/mine/tasks/quiet")).state === "completed" ? true : undefined));
    assert.equal((await call("GET", "/jobs/mine/tasks/quiet/files/stdout.txt")).text, "[]\n");
    const header = Buffer.from(JSON.stringify({ alg: "HS256" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ iss: "openbatch-task-token", acct: account.name, job: "mine" })).toString("base64url");
    const forged = await fetch(`${server.url}/jobs/mine?api-version=${apiVersion}`, { headers: { authorization: `Bearer ${header}.${payload}.c2lnbmF0dXJl` } });
    assert.equal(forged.status, 403);
    assert.equal(((await forged.json()) as { code: string }).code, "AuthenticationFailed");
    assert.equal(batchErrorCode(await call("GET", "/jobs/nosuchjob")), "JobNotFound", "account keys are unaffected");
  });
});
