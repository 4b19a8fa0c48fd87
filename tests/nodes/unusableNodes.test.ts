/**
 * A node that cannot be made ready turns `unusable` with the reason in `errors`: here a pool application package
 * whose zip was damaged on the server after it was uploaded. The node runs no start task and takes no tasks, the
 * node counts show it as unusable, reboot is refused, and removing it works.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { pythonSnippet } from "../support/pythonSnippet.js";
import { waitFor } from "../support/waitFor.js";
import { makeZip } from "../support/zipFixture.js";

const account = testAccounts.alpha;

describe("unusable nodes", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;

  interface NodeView {
    id: string;
    state: string;
    errors?: { code: string; message: string; errorDetails?: { name: string; value: string }[] }[];
    startTaskInfo?: object;
  }

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
  });
  after(() => server.dispose());

  it("turns a node whose pool package cannot be installed unusable, with an ApplicationPackageError", async () => {
    const zip = await makeZip([{ name: "tool.sh", mode: 0o755, content: "#!/bin/sh\necho tool\n" }]);
    const uploaded = await batchRequest(server.url, {
      method: "PUT", path: "/_admin/v1/applications/broken/versions/1.0", account, body: zip, headers: { "content-type": "application/zip" },
    });
    assert.equal(uploaded.status, 201, uploaded.text);
    // The stored zip is damaged after the upload was accepted: it can no longer be deployed.
    const sha256 = uploaded.json.packages[0].sha256 as string;
    writeFileSync(join(server.dataDir, "applications", account.name, `${sha256}.zip`), "not the package any more");

    const created = await call("POST", "/pools", {
      id: "badpkg", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 2, virtualMachineConfiguration: ubuntuVm,
      applicationPackageReferences: [{ applicationId: "broken", version: "1.0" }],
      startTask: { commandLine: "/bin/sh -c 'echo started'" },
    });
    assert.equal(created.status, 201, created.text);
    const nodes = await waitFor("both nodes unusable", async () => {
      const list = (await get("/pools/badpkg/nodes")).value as NodeView[];
      return list.length === 2 && list.every((node) => node.state === "unusable") ? list : undefined;
    });
    const node = nodes[0] as NodeView;
    assert.equal(node.errors?.length, 1);
    assert.equal(node.errors?.[0]?.code, "ApplicationPackageError");
    assert.match(node.errors?.[0]?.message ?? "", /broken version 1\.0/);
    assert.deepEqual(node.errors?.[0]?.errorDetails, [{ name: "ApplicationId", value: "broken" }, { name: "Version", value: "1.0" }]);
    assert.equal(node.startTaskInfo, undefined, "the start task never ran");

    const pool = await waitFor("the pool to settle", async () => {
      const body = await get("/pools/badpkg");
      return body.allocationState === "steady" ? body : undefined;
    });
    assert.equal(pool.currentDedicatedNodes, 2);
    const counts = (await get("/nodecounts")).value.find((entry: { poolId: string }) => entry.poolId === "badpkg");
    assert.equal(counts.dedicated.unusable, 2);
    assert.equal(counts.dedicated.idle, 0);
    assert.equal(counts.dedicated.total, 2);

    const sdk = await pythonSnippet(server.url, account, `
node = client.compute_node.get("badpkg", ${JSON.stringify(node.id)})
emit({"state": node.state, "errors": [[e.code, [[d.name, d.value] for d in e.error_details]] for e in node.errors]})
`);
    assert.deepEqual(sdk, { state: "unusable", errors: [["ApplicationPackageError", [["ApplicationId", "broken"], ["Version", "1.0"]]]] });

    // No task is placed on an unusable node.
    assert.equal((await call("POST", "/jobs", { id: "nowhere", poolInfo: { poolId: "badpkg" } })).status, 201);
    assert.equal((await call("POST", "/jobs/nowhere/tasks", { id: "waits", commandLine: "/bin/true" })).status, 201);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal((await get("/jobs/nowhere/tasks/waits")).state, "active");

    const reboot = await call("POST", `/pools/badpkg/nodes/${node.id}/reboot`, {});
    assert.equal(reboot.status, 409, reboot.text);
    assert.equal(batchErrorCode(reboot), "NodeStateUnusable");

    const removed = await call("POST", "/pools/badpkg/removenodes", { nodeList: nodes.map((entry) => entry.id) });
    assert.equal(removed.status, 202, removed.text);
    await waitFor("the unusable nodes to leave", async () => {
      const [list, body] = await Promise.all([get("/pools/badpkg/nodes"), get("/pools/badpkg")]);
      return list.value.length === 0 && body.allocationState === "steady" ? true : undefined;
    }, 30_000);

    // The retired agent recorded the error: its log is kept for diagnosis once it has exited (poolCleanup.test.ts
    // shows a clean one deleted).
    const nodesDir = join(server.dataDir, "nodes");
    await waitFor("the agent to exit", async () => (spawnSync("pgrep", ["-f", "--", `--data-dir ${nodesDir}`]).stdout.toString().trim() === "" ? true : undefined), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const logs = readdirSync(join(server.dataDir, "agents"));
    assert.equal(logs.length, 1);
    assert.match(readFileSync(join(server.dataDir, "agents", logs[0] as string), "utf8"), /could not be installed; the node is unusable/);
  });
});
