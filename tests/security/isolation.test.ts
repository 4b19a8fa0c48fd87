/**
 * Issue #15's acceptance: a task of account B tries, and fails, to read account A's node and task files on disk, the
 * data directory, the database, every secret file, the server's environment and command line, and to act on A's
 * job with a token it forged or its own (docs/security.md). Run twice:
 *
 * - as root, the way CI runs the suite: the server in this process, agents as root, each task in a sandbox as the OS
 *   account of its Batch identity (`accounts` mode); the accounts are gone once the pools are;
 * - as an unprivileged user: `openbatch serve` started under a throwaway OS account (setpriv), its keys in an
 *   accounts file; every task runs in a sandbox as that same user (`sandbox` mode), so only the sandbox stands
 *   between B's task and the server's files.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { osAccountExists, removeOsAccount, removeOsAccounts, taskAccountNames } from "../support/taskAccounts.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";
import { requireRoot } from "../support/requireRoot.js";

const A = testAccounts.alpha;
const B = testAccounts.beta;
const probeSource = readFileSync(fileURLToPath(new URL("../../security/isolationProbe.py", import.meta.url)), "utf8");
const cliMain = fileURLToPath(new URL("../../../packages/cli/dist/src/main.js", import.meta.url));

interface Deployment {
  readonly url: string;
  readonly dataDir: string;
  readonly serverPid: number;
  /** Files outside the data directory a task must not read either. */
  readonly extraSecrets: readonly string[];
}

interface ProbeResult {
  uid: number;
  user: string;
  taskUser: string;
  identity: string;
  nodeRoot: string;
  reads: Record<string, string>;
  processes: number;
  hits: string[];
  secretRead: boolean;
  forgedTokenStatus: number | string;
  ownTokenStatus: number | string;
}

const call = (url: string, account: { name: string; key: string }, method: string, path: string, body?: object): Promise<BatchResponse> =>
  batchRequest(url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });

async function idleNode(url: string, account: { name: string; key: string }, poolId: string): Promise<string> {
  const created = await call(url, account, "POST", "/pools", { id: poolId, vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, virtualMachineConfiguration: ubuntuVm });
  assert.equal(created.status, 201, created.text);
  return waitFor(`an idle node in ${poolId}`, async () => {
    const nodes = (await call(url, account, "GET", `/pools/${poolId}/nodes`)).json.value as { id: string; state: string }[];
    return nodes.length === 1 && nodes[0]?.state === "idle" ? nodes[0].id : undefined;
  }, 90_000, 100);
}

async function completedTask(url: string, account: { name: string; key: string }, jobId: string, taskId: string) {
  return waitFor(`${jobId}/${taskId} to complete`, async () => {
    const task = (await call(url, account, "GET", `/jobs/${jobId}/tasks/${taskId}`)).json;
    return task.state === "completed" ? task : undefined;
  }, 90_000, 100);
}

/** A's task leaves secrets on its node; B's task probes for everything; returns what B's task saw and A's paths. */
async function runProbe(deployment: Deployment): Promise<{ result: ProbeResult; aNodeRoot: string; canary: string }> {
  const { url, dataDir } = deployment;
  const canary = `A-CANARY-${randomBytes(8).toString("hex")}`;
  const [aNode] = await Promise.all([idleNode(url, A, "poola"), idleNode(url, B, "poolb")]);
  assert.equal((await call(url, A, "POST", "/jobs", { id: "joba", poolInfo: { poolId: "poola" } })).status, 201);
  const written = await call(url, A, "POST", "/jobs/joba/tasks", {
    id: "taska",
    commandLine: `/bin/sh -c 'echo "$CANARY" > secret.txt && echo "$CANARY" > "$AZ_BATCH_NODE_SHARED_DIR/secret.txt"'`,
    environmentSettings: [{ name: "CANARY", value: canary }],
  });
  assert.equal(written.status, 201, written.text);
  const taskA = await completedTask(url, A, "joba", "taska");
  assert.equal(taskA.executionInfo.exitCode, 0, (await call(url, A, "GET", "/jobs/joba/tasks/taska/files/stderr.txt")).text);

  const aNodeRoot = join(dataDir, "nodes", "poola", aNode);
  const aTaskDir = join(aNodeRoot, taskA.nodeInfo.taskRootDirectory as string);
  const secretPath = join(dataDir, "task-token-secret");
  const paths = [
    aNodeRoot,
    join(aTaskDir, "wd", "secret.txt"),
    join(aTaskDir, "stdout.txt"),
    join(aNodeRoot, "shared", "secret.txt"),
    join(dataDir, "nodes", "poola"),
    dataDir,
    join(dataDir, "openbatch.db"),
    join(dataDir, "openbatch.db-wal"),
    join(dataDir, "agent-secret"),
    secretPath,
    join(dataDir, "agents"),
    join(dataDir, "nodes"),
    join(dataDir, "nodes", ".task-users"),
    `/proc/${deployment.serverPid}/environ`,
    `/proc/${deployment.serverPid}/cmdline`,
    ...deployment.extraSecrets,
  ];
  // The keys, the canary and the secrets' contents, wherever they may show up in a process the task can see.
  const needles = [A.key, B.key, canary, readFileSync(secretPath, "utf8").trim(), readFileSync(join(dataDir, "agent-secret"), "utf8").trim()];
  // Hex-encoded: the probe's own environment must not hold the needles it looks for.
  const probe = { paths, needles: needles.map((needle) => Buffer.from(needle).toString("hex")), secretPath, apiVersion, victimAccount: A.name, victimJob: "joba", victimTask: "taska" };
  assert.equal((await call(url, B, "POST", "/jobs", { id: "jobb", poolInfo: { poolId: "poolb" } })).status, 201);
  const added = await call(url, B, "POST", "/jobs/jobb/tasks", {
    id: "probe",
    commandLine: `/usr/bin/python3 -c "import base64; exec(base64.b64decode('${Buffer.from(probeSource).toString("base64")}').decode())"`,
    environmentSettings: [{ name: "PROBE", value: JSON.stringify(probe) }],
    authenticationTokenSettings: { access: ["job"] },
  });
  assert.equal(added.status, 201, added.text);
  const task = await completedTask(url, B, "jobb", "probe");
  const stderr = (await call(url, B, "GET", "/jobs/jobb/tasks/probe/files/stderr.txt")).text;
  assert.equal(task.executionInfo.exitCode, 0, stderr);
  const result = JSON.parse((await call(url, B, "GET", "/jobs/jobb/tasks/probe/files/stdout.txt")).text) as ProbeResult;
  return { result, aNodeRoot, canary };
}

/** What must hold in both modes. */
function assertIsolated(result: ProbeResult, canary: string): void {
  for (const [path, outcome] of Object.entries(result.reads)) {
    assert.ok(!outcome.startsWith("READ") && !outcome.startsWith("LISTED"), `B's task could read ${path}: ${outcome}`);
  }
  assert.ok(!Object.values(result.reads).some((outcome) => outcome.includes(canary)));
  assert.deepEqual(result.hits, [], `no process B's task sees holds a key, a secret or A's data (${result.processes} processes)`);
  assert.ok(result.processes <= 5, `B's task sees its own few processes only, saw ${result.processes}`);
  assert.equal(result.secretRead, false);
  assert.equal(result.forgedTokenStatus, 403, "a token B can forge is not one A accepts");
  assert.ok(result.ownTokenStatus === 403 || result.ownTokenStatus === 404, `B's own token on A's job: ${result.ownTokenStatus}`);
  assert.equal(result.nodeRoot, "/mnt/batch/tasks");
}

describe("task isolation as root: sandbox and an OS account per identity", () => {
  before(() => requireRoot("the accounts mode"));
  let server: TestServer;
  let accountsSeen: string[] = [];
  before(async () => {
    server = await startTestServer({ taskIsolation: true, agentHeartbeatIntervalInSeconds: 1 });
  });
  after(async () => {
    const names = taskAccountNames(server.dataDir);
    try {
      await server.dispose();
    } finally {
      removeOsAccounts([...names, ...accountsSeen]);
    }
  });

  it("says so in /healthz, in the words of docs/security.md, and keeps the data directory private", async () => {
    const documented = /GET \/healthz`:\n\n```\n(.*)\n```/.exec(readFileSync(fileURLToPath(new URL("../../../docs/security.md", import.meta.url)), "utf8"))?.[1];
    // The container runtime's version is this machine's, not the documentation's.
    const anyVersion = (text: string | undefined) => text?.replace(/"version":"[^"]*"/, '"version":"…"');
    assert.equal(anyVersion(await (await fetch(`${server.url}/healthz`)).text()), anyVersion(documented));
    assert.equal(statSync(server.dataDir).mode & 0o777, 0o700);
    for (const file of ["openbatch.db", "agent-secret", "task-token-secret"]) assert.equal(statSync(join(server.dataDir, file)).mode & 0o777, 0o600, file);
  });

  it("refuses B's task A's files, the server's files and process, and A's job", async () => {
    const { result, canary } = await runProbe({ url: server.url, dataDir: server.dataDir, serverPid: process.pid, extraSecrets: [] });
    assertIsolated(result, canary);
    assert.notEqual(result.uid, 0, "tasks do not run as root");
    assert.match(result.user, /^_azbatch_[0-9a-f]{8}$/);
    assert.equal(result.taskUser, result.user);
    assert.equal(result.identity, "PoolNonAdmin");
    accountsSeen = taskAccountNames(server.dataDir);
    assert.equal(accountsSeen.length, 2, `one pool account per pool: ${accountsSeen.join(", ")}`);
  });

  it("deletes the pools' OS accounts with the pools", async () => {
    for (const [account, poolId] of [[A, "poola"], [B, "poolb"]] as const) {
      assert.equal((await call(server.url, account, "DELETE", `/pools/${poolId}`)).status, 202);
    }
    await waitFor("the accounts to be deleted", async () => taskAccountNames(server.dataDir).length === 0 && !accountsSeen.some(osAccountExists), 60_000, 100);
  });
});

describe("task isolation with the server as an unprivileged user: the sandbox alone", () => {
  before(() => requireRoot("making the throwaway user"));
  const user = `obiso${randomBytes(3).toString("hex")}`;
  let home: string;
  let dataDir: string;
  let accountsFile: string;
  let server: ChildProcess | undefined;
  let url = "";
  let output = "";

  before(async () => {
    assert.equal(spawnSync("useradd", ["--no-create-home", "--shell", "/usr/sbin/nologin", "--", user]).status, 0, "useradd");
    const uid = Number(spawnSync("id", ["-u", user], { encoding: "utf8" }).stdout.trim());
    const gid = Number(spawnSync("id", ["-g", user], { encoding: "utf8" }).stdout.trim());
    home = mkdtempSync(join(tmpdir(), "openbatch-unprivileged-"));
    chmodSync(home, 0o755);
    chownSync(home, uid, gid);
    dataDir = join(home, "data");
    accountsFile = join(home, "accounts");
    writeFileSync(accountsFile, `# test accounts\n${A.name}:${A.key}\n${B.name}:${B.key}\n`, { mode: 0o600 });
    chownSync(accountsFile, uid, gid);
    server = spawn("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--init-groups", "--", process.execPath, cliMain, "serve", "--port", "0", "--data-dir", dataDir, "--accounts-file", accountsFile, "--agent-heartbeat-interval", "1", "--log-level", "warn"], {
      cwd: home,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    server.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    url = await waitFor("the unprivileged server to listen", async () => /OpenBatch listening on (\S+)/.exec(output)?.[1], 60_000);
  });
  after(async () => {
    try {
      if (server?.exitCode === null) {
        server.kill("SIGTERM");
        await new Promise((resolve) => server?.once("exit", resolve));
      }
    } finally {
      // Its detached agents and their tasks run as the throwaway user too.
      removeOsAccount(user);
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("runs as that user, says tasks are sandboxed but share its OS user, and keeps keys off its command line", async () => {
    assert.match(output, /Task isolation: sandbox/);
    // On stderr, which may arrive after the banner on stdout.
    await waitFor("the warning", async () => /WARNING: tasks are sandboxed/.test(output), 10_000);
    const health = (await (await fetch(`${url}/healthz`)).json()) as { details: { taskIsolation: { mode: string } } };
    assert.equal(health.details.taskIsolation.mode, "sandbox");
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    const pid = server?.pid as number;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    assert.ok(!cmdline.includes(A.key) && !cmdline.includes(B.key), "keys come from the accounts file");
    assert.equal(statSync(`/proc/${pid}`).uid, Number(spawnSync("id", ["-u", user], { encoding: "utf8" }).stdout.trim()));
  });

  it("refuses B's task A's files, the server's files and process, the accounts file, and A's job", async () => {
    const { result, canary } = await runProbe({ url, dataDir, serverPid: server?.pid as number, extraSecrets: [accountsFile, home] });
    assertIsolated(result, canary);
    assert.equal(result.user, user, "tasks run as the server's own user: only the sandbox separates them");
    assert.equal(result.identity, "PoolNonAdmin");
  });
});
