/**
 * What replicas share besides the entities (packages/server/src/cluster/sharedState.ts), with two replicas in this
 * process on separate data directories, as on two hosts: an application package uploaded through one is installed
 * by the nodes the other starts (the zip travels through the database), a task token the leader signed is good on
 * the other replica, and the data directory locks: replicas of one deployment may share a directory, a server on
 * its own SQLite store or a replica of another database may not.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { DataDirLockedError } from "@openbatch/server";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { sharedPostgresCluster } from "../support/postgresCluster.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";
import { makeZip } from "../support/zipFixture.js";

const account = testAccounts.alpha;

describe("replicas on separate data directories", () => {
  let storeUrl: string;
  let leader: TestServer;
  let other: TestServer;
  const call = (server: TestServer, method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });

  before(async () => {
    storeUrl = await (await sharedPostgresCluster()).createDatabase();
    // Started first, it leads the accounts: the agents are its.
    leader = await startTestServer({ store: storeUrl, agentHeartbeatIntervalInSeconds: 1 });
    other = await startTestServer({ store: storeUrl });
  });
  after(async () => {
    await other?.dispose();
    await leader?.dispose();
  });

  it("installs on the leader's nodes a package uploaded through the other replica, whose data directory alone held it", async () => {
    const zip = await makeZip([{ name: "hello.txt", content: "hello from the package" }]);
    const sha256 = createHash("sha256").update(zip).digest("hex");
    const uploaded = await batchRequest(other.url, {
      method: "PUT",
      path: "/_admin/v1/applications/app/versions/1.0",
      account,
      body: zip,
      headers: { "content-type": "application/zip" },
    });
    assert.ok(uploaded.status === 200 || uploaded.status === 201, uploaded.text);
    const zipIn = (server: TestServer) => existsSync(join(server.dataDir, "applications", account.name, `${sha256}.zip`));
    assert.equal(zipIn(other), true);
    assert.equal(zipIn(leader), false);
    const pool = await call(other, "POST", "/pools", {
      id: "pkgpool",
      vmSize: "Standard_D2s_v3",
      targetDedicatedNodes: 1,
      virtualMachineConfiguration: ubuntuVm,
      applicationPackageReferences: [{ applicationId: "app", version: "1.0" }],
      startTask: { commandLine: "/bin/sh -c 'cat $AZ_BATCH_APP_PACKAGE_app_1_0/hello.txt'", waitForSuccess: true },
    });
    assert.equal(pool.status, 201, pool.text);
    const node = await waitFor(
      "the node to be idle",
      async () => {
        const nodes = await call(other, "GET", "/pools/pkgpool/nodes");
        return nodes.json?.value?.[0]?.state === "idle" ? (nodes.json.value[0] as { id: string }) : undefined;
      },
      120_000,
    );
    // Through the replica that did not start the agent: its file channel there opens once the agent has learned of
    // that replica from a sync answer, which on a loaded machine may be after the node is idle.
    const stdout = await waitFor(
      "the start task's output through the other replica",
      async () => {
        const read = await call(other, "GET", `/pools/pkgpool/nodes/${node.id}/files/startup%2Fstdout.txt`);
        return read.status === 200 ? read : undefined;
      },
      60_000,
    );
    assert.equal(stdout.text, "hello from the package");
    assert.equal(zipIn(leader), true, "the leader fetched the zip from the database for its agent");
  });

  it("accepts on one replica the task token the leader's scheduler signed", async () => {
    assert.equal((await call(other, "POST", "/jobs", { id: "tokjob", poolInfo: { poolId: "pkgpool" } })).status, 201);
    const added = await call(other, "POST", "/jobs/tokjob/tasks", {
      id: "printer",
      commandLine: "/bin/sh -c 'printf %s \"$AZ_BATCH_AUTHENTICATION_TOKEN\"'",
      authenticationTokenSettings: { access: ["job"] },
    });
    assert.equal(added.status, 201, added.text);
    await waitFor("the task to complete", async () => (await call(leader, "GET", "/jobs/tokjob/tasks/printer")).json?.state === "completed", 120_000);
    const token = (await call(leader, "GET", "/jobs/tokjob/tasks/printer/files/stdout.txt")).text;
    assert.match(token, /^ey/);
    for (const server of [other, leader]) {
      const response = await fetch(`${server.url}/jobs/tokjob?api-version=${apiVersion}`, { headers: { authorization: `Bearer ${token}`, "ocp-date": new Date().toUTCString() } });
      assert.equal(response.status, 200, await response.text());
    }
  });
});

describe("data directory locks with replicas", () => {
  const directories: string[] = [];
  const servers: TestServer[] = [];
  const directory = () => {
    const made = mkdtempSync(join(tmpdir(), "openbatch-replica-lock-"));
    directories.push(made);
    return made;
  };
  after(async () => {
    for (const server of servers) await server.close();
    for (const made of directories) rmSync(made, { recursive: true, force: true });
  });

  it("lets the replicas of one deployment share a directory, and refuses a SQLite server there, or a replica of another database", async () => {
    const cluster = await sharedPostgresCluster();
    const [deployment, another] = [await cluster.createDatabase(), await cluster.createDatabase()];
    const shared = directory();
    servers.push(await startTestServer({ store: deployment, keepDataDir: shared, localAgentEntry: undefined }));
    servers.push(await startTestServer({ store: deployment, keepDataDir: shared, localAgentEntry: undefined }));
    await assert.rejects(startTestServer({ keepDataDir: shared, localAgentEntry: undefined }), DataDirLockedError, "a server on its own SQLite store");
    await assert.rejects(startTestServer({ store: another, keepDataDir: shared, localAgentEntry: undefined }), DataDirLockedError, "a replica of another deployment");
    // And a replica on a directory a SQLite server holds.
    const single = directory();
    servers.push(await startTestServer({ keepDataDir: single, localAgentEntry: undefined }));
    await assert.rejects(startTestServer({ store: deployment, keepDataDir: single, localAgentEntry: undefined }), DataDirLockedError);
    // Once the replicas are gone, the directory is free for anyone.
    await (servers.shift() as TestServer).close();
    await (servers.shift() as TestServer).close();
    servers.push(await startTestServer({ keepDataDir: shared, localAgentEntry: undefined }));
  });
});
