/**
 * Container tasks with task isolation on, as CI runs the suite (as root: `accounts` mode, docs/security.md and
 * docs/containers.md "Isolation"): podman with its own storage and a registry with basic auth on loopback
 * (tests/support/podman.ts), the real server and agents.
 *
 * - a non-admin task runs in its container as its identity's OS account (the uid the agent made for it, not root),
 *   with no new privileges, and what it writes on the node is that account's; an admin task is the container's root,
 *   as on Azure;
 * - another account's task does not get the image one account's pool pulled (the host's store is shared): without
 *   credentials it fails with ContainerInvalidRegistry, with them it runs.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startPodmanWorld, type PodmanWorld } from "../support/podman.js";
import { ubuntuVm } from "../support/pools.js";
import { requireRoot } from "../support/requireRoot.js";
import { removeOsAccounts, taskAccountNames } from "../support/taskAccounts.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const A = testAccounts.alpha;
const B = testAccounts.beta;

/** The paths under `directory` whose name is `name` (the node trees are the agents'; the test finds its file there). */
function findFiles(directory: string, name: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) found.push(...findFiles(path, name));
    else if (entry.name === name) found.push(path);
  }
  return found;
}

describe("container tasks with task isolation (accounts mode)", () => {
  before(() => requireRoot("running container tasks as OS accounts"));
  let world: PodmanWorld;
  let server: TestServer;
  const made = new Set<string>();
  const call = (method: string, path: string, body?: object, account: { name: string; key: string } = A) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const completed = (jobId: string, taskId: string, account: { name: string; key: string } = A) =>
    waitFor(`${jobId}/${taskId} to complete`, async () => {
      const task = (await call("GET", `/jobs/${jobId}/tasks/${taskId}`, undefined, account)).json;
      return task.state === "completed" ? task : undefined;
    }, 120_000, 100);
  const stdout = async (jobId: string, taskId: string, account: { name: string; key: string } = A) => (await call("GET", `/jobs/${jobId}/tasks/${taskId}/files/stdout.txt`, undefined, account)).text;
  const idlePool = async (poolId: string, account: { name: string; key: string }, containerConfiguration?: object) => {
    const added = await call("POST", "/pools", { id: poolId, vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, virtualMachineConfiguration: { ...ubuntuVm, ...(containerConfiguration === undefined ? {} : { containerConfiguration }) } }, account);
    assert.equal(added.status, 201, added.text);
    await waitFor(`an idle node in ${poolId}`, async () => {
      const nodes = (await call("GET", `/pools/${poolId}/nodes`, undefined, account)).json.value as { state: string; errors?: unknown }[];
      assert.ok(nodes.every((node) => node.state !== "unusable"), JSON.stringify(nodes));
      return nodes.length === 1 && nodes[0]?.state === "idle";
    }, 120_000, 100);
    assert.equal((await call("POST", "/jobs", { id: `${poolId}-job`, poolInfo: { poolId } }, account)).status, 201);
  };

  before(async () => {
    world = await startPodmanWorld();
    server = await startTestServer({ taskIsolation: true, agentHeartbeatIntervalInSeconds: 1 });
    assert.equal(server.taskIsolation.mode, "accounts", JSON.stringify(server.taskIsolation));
    const registry = { registryServer: world.registry, username: world.username, password: world.password };
    await Promise.all([
      idlePool("apool", A, { type: "dockerCompatible", containerImageNames: [world.image], containerRegistries: [registry] }),
      idlePool("bpool", B),
    ]);
  });
  after(async () => {
    for (const name of server === undefined ? [] : taskAccountNames(server.dataDir)) made.add(name);
    try {
      await server?.dispose();
    } finally {
      removeOsAccounts(made);
      await world?.dispose();
    }
  });

  it("runs a non-admin task as its identity's OS account, with no new privileges; an admin task as the container's root", async () => {
    const marker = `written-by-${Date.now()}`;
    const report = `/bin/sh -c 'id -u; grep NoNewPrivs /proc/self/status; echo x > ${marker}; test -w /mnt/batch/tasks/startup && echo startup-writable || echo startup-not-writable'`;
    // No registry on the task: the pool's credentials for the image's registry are used.
    assert.equal((await call("POST", "/jobs/apool-job/tasks", { id: "plain", commandLine: report, containerSettings: { imageName: world.image } })).status, 201);
    const admin = { autoUser: { scope: "task", elevationLevel: "admin" } };
    assert.equal((await call("POST", "/jobs/apool-job/tasks", { id: "admin", commandLine: "/bin/sh -c 'id -u'", userIdentity: admin, containerSettings: { imageName: world.image } })).status, 201);

    const plain = await completed("apool-job", "plain");
    assert.equal(plain.executionInfo.result, "success", JSON.stringify(plain.executionInfo));
    const [uid = "", noNewPrivs = "", startup = ""] = (await stdout("apool-job", "plain")).trim().split("\n");
    // The pool's non-admin auto-user, as the agent made it (tests/support/taskAccounts.ts reads its registry).
    const poolUser = taskAccountNames(server.dataDir).find((name) => /^_azbatch_[0-9a-f]{8}$/.test(name));
    assert.ok(poolUser !== undefined, taskAccountNames(server.dataDir).join(","));
    assert.equal(uid, execFileSync("id", ["-u", poolUser], { encoding: "utf8" }).trim());
    assert.notEqual(uid, "0");
    assert.match(noNewPrivs, /^NoNewPrivs:\s+1$/);
    assert.equal(startup, "startup-not-writable", "the start task's directory is not the task user's");
    const written = findFiles(server.dataDir, marker);
    assert.equal(written.length, 1, written.join(","));
    assert.equal(statSync(written[0] as string).uid, Number(uid), "what it wrote on the node is its account's");

    const root = await completed("apool-job", "admin");
    assert.equal(root.executionInfo.result, "success", JSON.stringify(root.executionInfo));
    assert.equal((await stdout("apool-job", "admin")).trim(), "0");
  });

  it("never gives another account's task the image one account's pool pulled, unless it brings credentials", async () => {
    // A's pool pulled the image into the host's store; B's node is on the same host and the same store.
    assert.match(await world.podman("images", "--format", "{{.Repository}}:{{.Tag}}"), new RegExp(world.image.replace(/[.]/g, "\\.")));
    assert.equal((await call("POST", "/jobs/bpool-job/tasks", { id: "without", commandLine: "/bin/true", containerSettings: { imageName: world.image } }, B)).status, 201);
    const refused = await completed("bpool-job", "without", B);
    assert.equal(refused.executionInfo.failureInfo?.code, "ContainerInvalidRegistry", JSON.stringify(refused.executionInfo));
    const registry = { registryServer: world.registry, username: world.username, password: world.password };
    assert.equal((await call("POST", "/jobs/bpool-job/tasks", { id: "with", commandLine: "/bin/sh -c 'id -u'", containerSettings: { imageName: world.image, registry } }, B)).status, 201);
    const ran = await completed("bpool-job", "with", B);
    assert.equal(ran.executionInfo.result, "success", JSON.stringify(ran.executionInfo));
    assert.notEqual((await stdout("bpool-job", "with", B)).trim(), "0");
  });
});
