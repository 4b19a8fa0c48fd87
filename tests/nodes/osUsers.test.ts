/**
 * Node users become real OS accounts on the agent's host when the agent runs as root on Linux (docs/agent-protocol.md
 * "Node users"): added, updated and deleted through the official Python SDK, then checked with the system's own
 * tools (getent, the shadow entry, the home directory). Two agents of one host (one node each) share the registry,
 * so an account two nodes want survives until both let it go, and a pool's deletion removes its nodes' accounts.
 * Every account a test may have made is deleted in `after()`, whatever happened.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { pythonSnippet } from "../support/pythonSnippet.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";
import { requireRoot } from "../support/requireRoot.js";

const account = testAccounts.alpha;
const day = 24 * 60 * 60 * 1000;


/** Names this file may have made OS accounts of: all deleted in `after()`. */
const madeNames = new Set<string>();
function userName(): string {
  const name = `obu${randomBytes(4).toString("hex")}`;
  madeNames.add(name);
  return name;
}
function sshKey(comment: string): string {
  return `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${randomBytes(24).toString("base64").replace(/[+/=]/g, "A")} ${comment}`;
}

function getent(database: string, key: string): string[] | undefined {
  const result = spawnSync("getent", [database, key], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim().split(":") : undefined;
}
/** Whether `hash` (crypt SHA-512) is the hash of `password`, recomputed by openssl from the hash's salt. */
function hashMatches(hash: string, password: string): boolean {
  const salt = hash.split("$")[2] ?? "";
  const result = spawnSync("openssl", ["passwd", "-6", "-salt", salt, "-stdin"], { input: password, encoding: "utf8" });
  return result.status === 0 && result.stdout.trim() === hash;
}
function authorizedKeys(name: string): string | undefined {
  const file = `/home/${name}/.ssh/authorized_keys`;
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}
function removeOsAccount(name: string): void {
  if (getent("passwd", name) === undefined) return;
  spawnSync("pkill", ["--signal", "KILL", "--euid", name]);
  spawnSync("userdel", ["--remove", "--", name]);
}

describe("node users as OS accounts (agent running as root)", () => {
  before(() => requireRoot("making OS accounts"));
  let server: TestServer;
  let nodeIds: [string, string];
  const poolId = "osusers";
  const registry = () => join(server.dataDir, "nodes", ".os-users");

  const python = (code: string) => pythonSnippet(server.url, account, `import datetime\n${code}\nemit("ok")`);
  const addUser = (nodeId: string, user: { name: string; password?: string; key?: string; isAdmin?: boolean; expiry?: Date }) =>
    python(`client.compute_node.add_user(${JSON.stringify(poolId)}, ${JSON.stringify(nodeId)}, batchmodels.ComputeNodeUser(
  name=${JSON.stringify(user.name)}, is_admin=${user.isAdmin === true ? "True" : "False"},
  password=${user.password === undefined ? "None" : JSON.stringify(user.password)},
  ssh_public_key=${user.key === undefined ? "None" : JSON.stringify(user.key)},
  expiry_time=${user.expiry === undefined ? "None" : `datetime.datetime.fromisoformat(${JSON.stringify(user.expiry.toISOString().replace("Z", "+00:00"))})`}))`);
  const updateUser = (nodeId: string, name: string, update: { password?: string; key?: string }) =>
    python(`client.compute_node.update_user(${JSON.stringify(poolId)}, ${JSON.stringify(nodeId)}, ${JSON.stringify(name)}, batchmodels.NodeUpdateUserParameter(
  password=${update.password === undefined ? "None" : JSON.stringify(update.password)},
  ssh_public_key=${update.key === undefined ? "None" : JSON.stringify(update.key)}))`);
  const deleteUser = (nodeId: string, name: string) => python(`client.compute_node.delete_user(${JSON.stringify(poolId)}, ${JSON.stringify(nodeId)}, ${JSON.stringify(name)})`);
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });

  before(async () => {
    // One node per agent: the two nodes' agents share the host's registry, as separate processes.
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1, nodesPerAgent: 1, nodeOsUsers: true });
    const created = await call("POST", "/pools", { id: poolId, vmSize: "Standard_D2s_v3", targetDedicatedNodes: 2, virtualMachineConfiguration: ubuntuVm });
    assert.equal(created.status, 201, created.text);
    const nodes = await waitFor("two idle nodes", async () => {
      const list = (await call("GET", `/pools/${poolId}/nodes`)).json.value as { id: string; state: string }[];
      return list.length === 2 && list.every((node) => node.state === "idle") ? list.map((node) => node.id) : undefined;
    }, 60_000);
    nodeIds = [nodes[0] as string, nodes[1] as string];
  });

  after(async () => {
    try {
      await server?.dispose();
    } finally {
      for (const name of madeNames) removeOsAccount(name);
    }
  });

  it("adds a user as an OS account: home, password hash, authorized key, expiry; not an admin", async () => {
    const name = userName();
    const password = `Pw-${randomBytes(6).toString("hex")}`;
    const key = sshKey("first@obu");
    const expiry = new Date(Date.now() + 3 * day + 5 * 60 * 1000);
    await addUser(nodeIds[0], { name, password, key, expiry });

    await waitFor("the account and its key", async () => authorizedKeys(name) !== undefined && getent("shadow", name)?.[1]?.startsWith("$6$"), 30_000);
    const passwd = getent("passwd", name) as string[];
    assert.equal(passwd[5], `/home/${name}`);
    const uid = Number(passwd[2]);
    assert.equal(statSync(`/home/${name}`).uid, uid, "the home belongs to the user");
    assert.equal(authorizedKeys(name), `${key}\n`);
    const keyFile = statSync(`/home/${name}/.ssh/authorized_keys`);
    assert.equal(keyFile.uid, uid);
    assert.equal(keyFile.mode & 0o777, 0o600);
    assert.equal(statSync(`/home/${name}/.ssh`).mode & 0o777, 0o700);

    const shadow = getent("shadow", name) as string[];
    assert.ok(hashMatches(shadow[1] as string, password), "the shadow entry is the hash of the password");
    // shadow(5) counts days since 1970; the account lasts until the first midnight at or after the expiry time.
    assert.equal(Number(shadow[7]), Math.ceil(expiry.getTime() / day));
    const chage = spawnSync("chage", ["-l", name], { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
    assert.match(chage.stdout, /Account expires\s*:\s*(?!never)\w{3} \d{2}, \d{4}/);
    if (getent("group", "sudo") !== undefined) assert.ok(!(getent("group", "sudo")?.[3] ?? "").split(",").includes(name), "not in sudo");
    // The registry says which node wants the account, and never holds the password.
    const record = readFileSync(join(registry(), `${name}.json`), "utf8");
    assert.deepEqual(Object.keys(JSON.parse(record).holders), [`${poolId}/${nodeIds[0]}`]);
    assert.ok(!record.includes(password) && !record.includes(shadow[1] as string));

    // Update replaces password and key…
    const password2 = `Pw-${randomBytes(6).toString("hex")}`;
    const key2 = sshKey("second@obu");
    await updateUser(nodeIds[0], name, { password: password2, key: key2 });
    await waitFor("the new key", async () => authorizedKeys(name) === `${key2}\n`, 30_000);
    await waitFor("the new password", async () => hashMatches(getent("shadow", name)?.[1] ?? "", password2), 10_000);
    // …and what an update omits is removed: no key left, and the default expiry (a day from now).
    await updateUser(nodeIds[0], name, { password: password2 });
    await waitFor("the key removed", async () => authorizedKeys(name) === undefined, 30_000);
    assert.ok(existsSync(`/home/${name}`));
    const defaultExpiry = Math.ceil((Date.now() + day) / day);
    assert.ok(Math.abs(Number(getent("shadow", name)?.[7]) - defaultExpiry) <= 1, "expires about a day from now");

    await deleteUser(nodeIds[0], name);
    // The registry file goes last, once the account is gone.
    await waitFor("the account gone", async () => !existsSync(join(registry(), `${name}.json`)), 30_000);
    assert.equal(getent("passwd", name), undefined);
    assert.ok(!existsSync(`/home/${name}`));
  });

  it("puts an admin user in the sudo group; a key-only user has no usable password", async (t) => {
    const name = userName();
    await addUser(nodeIds[1], { name, key: sshKey("admin@obu"), isAdmin: true });
    await waitFor("the admin account", async () => authorizedKeys(name) !== undefined, 30_000);
    assert.equal(getent("shadow", name)?.[1], "*", "no password: only the key logs in");
    if (getent("group", "sudo") === undefined) {
      t.diagnostic("this host has no sudo group: admin membership not checked");
    } else {
      assert.ok((getent("group", "sudo")?.[3] ?? "").split(",").includes(name), "in sudo");
    }
    await deleteUser(nodeIds[1], name);
    // userdel rewrites /etc/passwd before /etc/group: the account is gone once neither names it.
    const inSudo = () => (getent("group", "sudo")?.[3] ?? "").split(",").includes(name);
    await waitFor("the admin account gone, from the sudo group too", async () => getent("passwd", name) === undefined && !inSudo(), 30_000);
  });

  it("keeps an account two nodes want until both delete it; the last change wins", async () => {
    const name = userName();
    const first = sshKey("node0@obu");
    const second = sshKey("node1@obu");
    await addUser(nodeIds[0], { name, password: "Shared-1", key: first });
    await waitFor("the account from the first node", async () => authorizedKeys(name) === `${first}\n`, 30_000);
    await addUser(nodeIds[1], { name, password: "Shared-2", key: second });
    await waitFor("the second node's key", async () => authorizedKeys(name) === `${second}\n`, 30_000);
    assert.ok(hashMatches(getent("shadow", name)?.[1] ?? "", "Shared-2"));
    const uid = getent("passwd", name)?.[2];

    await deleteUser(nodeIds[0], name);
    const holders = await waitFor("the first node to let go", async () => {
      const record = JSON.parse(readFileSync(join(registry(), `${name}.json`), "utf8"));
      return Object.keys(record.holders).length === 1 ? Object.keys(record.holders) : undefined;
    }, 30_000);
    assert.deepEqual(holders, [`${poolId}/${nodeIds[1]}`]);
    assert.equal(getent("passwd", name)?.[2], uid, "the same account is still there");
    assert.equal(authorizedKeys(name), `${second}\n`);

    await deleteUser(nodeIds[1], name);
    await waitFor("the account gone", async () => getent("passwd", name) === undefined && !existsSync(`/home/${name}`), 30_000);
  });

  it("never touches an OS account OpenBatch did not create: the node user stays a record", async () => {
    const foreign = userName();
    assert.equal(spawnSync("useradd", ["--", foreign]).status, 0);
    const before = getent("shadow", foreign);
    await addUser(nodeIds[0], { name: foreign, password: "Foreign-1", key: sshKey("foreign@obu") });
    // Desired states are applied in order: once a later user exists, the foreign one was considered.
    const marker = userName();
    await addUser(nodeIds[0], { name: marker, key: sshKey("marker@obu") });
    await waitFor("the later user", async () => authorizedKeys(marker) !== undefined, 30_000);
    assert.deepEqual(getent("shadow", foreign), before, "the foreign account is unchanged");
    assert.ok(!existsSync(`/home/${foreign}`));
    assert.ok(!existsSync(join(registry(), `${foreign}.json`)));
    const logs = readdirSync(join(server.dataDir, "agents")).map((file) => readFileSync(join(server.dataDir, "agents", file), "utf8")).join("");
    assert.match(logs, new RegExp(`not making a node user an OS account.*"userName":"${foreign}".*did not create`));
    // The API still has the user: it is a record on that node.
    assert.equal((await call("DELETE", `/pools/${poolId}/nodes/${nodeIds[0]}/users/${foreign}`)).status, 200);
    assert.ok(getent("passwd", foreign) !== undefined, "deleting the record leaves the foreign account alone");
  });

  it("deletes the accounts of a pool's nodes when the pool is deleted", async () => {
    const names = [userName(), userName()];
    await addUser(nodeIds[0], { name: names[0] as string, key: sshKey("pool0@obu") });
    await addUser(nodeIds[1], { name: names[1] as string, key: sshKey("pool1@obu") });
    await waitFor("both accounts", async () => names.every((name) => authorizedKeys(name) !== undefined), 30_000);
    assert.equal((await call("DELETE", `/pools/${poolId}`)).status, 202);
    await waitFor(
      "every account of the pool gone",
      async () => [...madeNames].every((name) => getent("passwd", name) === undefined || getent("passwd", name)?.[4] !== "OpenBatch node user"),
      60_000,
    );
    for (const name of names) assert.ok(!existsSync(`/home/${name}`));
  });
});

describe("node users stay records when the server does not make OS accounts", () => {
  before(() => requireRoot("checking OS accounts"));
  let server: TestServer;
  const name = userName();
  after(async () => {
    try {
      await server?.dispose();
    } finally {
      removeOsAccount(name);
    }
  });

  it("records the user without creating an account", async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1, nodeOsUsers: false });
    const call = (method: string, path: string, body?: object) =>
      batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
    assert.equal((await call("POST", "/pools", { id: "records", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, virtualMachineConfiguration: ubuntuVm })).status, 201);
    const nodeId = await waitFor("an idle node", async () => {
      const list = (await call("GET", "/pools/records/nodes")).json.value as { id: string; state: string }[];
      return list[0]?.state === "idle" ? list[0].id : undefined;
    });
    assert.equal((await call("POST", `/pools/records/nodes/${nodeId}/users`, { name, password: "Record-1" })).status, 201);
    // The agent syncs at least every second: give it a few exchanges to (not) act.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(getent("passwd", name), undefined);
    assert.equal((await call("PUT", `/pools/records/nodes/${nodeId}/users/${name}`, { password: "Record-2" })).status, 200);
    assert.equal((await call("DELETE", `/pools/records/nodes/${nodeId}/users/${name}`)).status, 200);
  });
});
