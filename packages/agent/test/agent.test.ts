import assert from "node:assert/strict";
import { access, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AgentNodeReport, AgentSyncRequest, StartTask } from "@openbatch/protocol";
import { noIsolation, silentLogger, startAgent, type Agent } from "../src/index.js";
import { FakeSyncServer, desiredNode } from "./support/fakeSyncServer.js";

const token = "agent-test-token";

function nodeIn(request: AgentSyncRequest, nodeId: string): AgentNodeReport | undefined {
  return request.nodes.find((node) => node.nodeId === nodeId);
}

/** The request reporting a completed start task attempt of the given generation. */
function completedAttempt(nodeId: string, generation: number, attempt: number) {
  return (request: AgentSyncRequest): boolean => {
    const node = nodeIn(request, nodeId);
    return node?.generation === generation && node.startTask?.attempt === attempt && node.startTask.state === "completed";
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe("agent end to end against a fake sync server", () => {
  let directory: string;
  let server: FakeSyncServer;
  let agent: Agent;
  let root: string;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "ob-agent-e2e-"));
    root = join(directory, "pool-1", "node-a");
    server = await FakeSyncServer.start({ token });
    agent = await startAgent({
      serverUrl: server.url,
      agentId: "agent-1",
      token,
      dataDirectory: directory,
      waitInMs: 2000,
      killGracePeriodInMs: 500,
      logger: silentLogger, isolation: noIsolation("agent unit tests run unconfined"),
    });
  });
  after(async () => {
    await agent.close();
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it("introduces itself with its facts", async () => {
    const request = await server.waitForRequest(() => true);
    assert.equal(request.protocolVersion, 1);
    assert.equal(request.agentId, "agent-1");
    assert.equal(request.bootId, agent.bootId);
    assert.equal(request.fileServerUrl, agent.fileServerUrl);
    assert.deepEqual(request.nodes, []);
    assert.equal(request.host.ipAddress, "127.0.0.1");
    assert.equal(typeof request.host.hostname, "string");
    assert.equal(request.host.agentVersion, "0.1.0");
  });

  it("creates the layout and runs the start task with the Batch environment", async () => {
    const startTask: StartTask = {
      commandLine: `/bin/sh -c 'echo "hello from $AZ_BATCH_NODE_ID"; printenv > env.txt; echo done > marker.txt'`,
      environmentSettings: [{ name: "CUSTOM", value: "custom value" }],
    };
    server.setDesired([desiredNode({ nodeId: "node-a", startTask, startTaskAttempt: 1 })]);
    const request = await server.waitForRequest(completedAttempt("node-a", 0, 1));
    const report = nodeIn(request, "node-a") as AgentNodeReport;
    assert.equal(report.phase, "ready");
    assert.equal(report.rootDirectory, root);
    assert.equal(report.startTask?.exitCode, 0);
    assert.equal(report.startTask?.failure, undefined);
    assert.ok(Date.parse(report.startTask?.endTime ?? "") >= Date.parse(report.startTask?.startTime ?? ""));

    for (const sub of ["shared", "startup", "startup/wd", "workitems", "applications", "fsmounts", "volatile"]) {
      assert.ok((await stat(join(root, sub))).isDirectory(), sub);
    }
    assert.equal(await readFile(join(root, "startup", "stdout.txt"), "utf8"), "hello from node-a\n");
    assert.equal(await readFile(join(root, "startup", "stderr.txt"), "utf8"), "");
    assert.equal(await readFile(join(root, "startup", "wd", "marker.txt"), "utf8"), "done\n");

    const env = new Map(
      (await readFile(join(root, "startup", "wd", "env.txt"), "utf8"))
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const),
    );
    const wd = join(root, "startup", "wd");
    assert.equal(env.get("AZ_BATCH_NODE_ROOT_DIR"), root);
    assert.equal(env.get("AZ_BATCH_NODE_SHARED_DIR"), join(root, "shared"));
    assert.equal(env.get("AZ_BATCH_NODE_STARTUP_DIR"), join(root, "startup"));
    assert.equal(env.get("AZ_BATCH_NODE_MOUNTS_DIR"), join(root, "fsmounts"));
    assert.equal(env.get("AZ_BATCH_TASK_DIR"), join(root, "startup"));
    assert.equal(env.get("AZ_BATCH_TASK_WORKING_DIR"), wd);
    assert.equal(env.get("AZ_BATCH_TASK_USER_IDENTITY"), "PoolNonAdmin");
    assert.equal(env.get("AZ_BATCH_POOL_ID"), "pool-1");
    assert.equal(env.get("AZ_BATCH_NODE_IS_DEDICATED"), "true");
    assert.equal(env.get("HOME"), wd);
    assert.equal(env.get("CUSTOM"), "custom value");
    assert.ok(env.get("PATH")?.endsWith(`:${join(root, "shared")}:${wd}`));
    assert.equal(env.get("OPENBATCH_AGENT_TOKEN"), undefined);
  });

  it("serves the node's files", async () => {
    const response = await fetch(`${agent.fileServerUrl}/nodes/node-a/file?path=startup/stdout.txt`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "hello from node-a\n");
  });

  const retryCommand = `/bin/sh -c 'if [ -f tried ]; then echo second; exit 0; fi; touch tried; echo first; exit 1'`;

  it("reboots: keeps the directories and reruns the start task; reruns a failed attempt when the server asks", async () => {
    server.setDesired([desiredNode({ nodeId: "node-a", generation: 1, startTask: { commandLine: retryCommand }, startTaskAttempt: 1 })]);
    const failed = nodeIn(await server.waitForRequest(completedAttempt("node-a", 1, 1)), "node-a");
    assert.equal(failed?.startTask?.exitCode, 1);
    assert.equal(await readFile(join(root, "startup", "stdout.txt"), "utf8"), "first\n");
    assert.ok(await exists(join(root, "startup", "wd", "marker.txt")), "a reboot keeps the files");

    server.setDesired([desiredNode({ nodeId: "node-a", generation: 1, startTask: { commandLine: retryCommand }, startTaskAttempt: 2 })]);
    const retried = nodeIn(await server.waitForRequest(completedAttempt("node-a", 1, 2)), "node-a");
    assert.equal(retried?.startTask?.exitCode, 0);
    assert.equal(await readFile(join(root, "startup", "stdout.txt"), "utf8"), "second\n", "each attempt truncates stdout.txt");
  });

  it("reimages: wipes the node root and starts over", async () => {
    server.setDesired([desiredNode({ nodeId: "node-a", generation: 2, generationChange: "reimage", startTask: { commandLine: retryCommand }, startTaskAttempt: 1 })]);
    const request = await server.waitForRequest(completedAttempt("node-a", 2, 1));
    assert.equal(nodeIn(request, "node-a")?.startTask?.exitCode, 1, "the marker of the earlier attempts is gone");
    assert.equal(await exists(join(root, "startup", "wd", "marker.txt")), false);
  });

  it("kills a running start task on reboot", async () => {
    server.setDesired([desiredNode({ nodeId: "node-a", generation: 3, startTask: { commandLine: "sleep 60" }, startTaskAttempt: 1 })]);
    await server.waitForRequest((request) => nodeIn(request, "node-a")?.generation === 3 && nodeIn(request, "node-a")?.startTask?.state === "running");
    server.setDesired([desiredNode({ nodeId: "node-a", generation: 4, startTask: { commandLine: "/bin/sh -c 'exit 0'" }, startTaskAttempt: 1 })]);
    const request = await server.waitForRequest(completedAttempt("node-a", 4, 1));
    assert.equal(nodeIn(request, "node-a")?.startTask?.exitCode, 0);
  });

  it("removes a node: kills, deletes, reports removed, then forgets it", async () => {
    server.setDesired([desiredNode({ nodeId: "node-a", generation: 4, action: "remove", startTask: { commandLine: "sleep 60" }, startTaskAttempt: 1 })]);
    await server.waitForRequest((request) => nodeIn(request, "node-a")?.phase === "removed");
    assert.equal(await exists(root), false);
    const files = await fetch(`${agent.fileServerUrl}/nodes/node-a/list`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(files.status, 404);
    server.setDesired([]);
    await server.waitForRequest((request) => request.nodes.length === 0);
  });

  it("closes when the server asks it to shut down", async () => {
    server.setDesired([], true);
    assert.equal(await agent.stopped, "shutdown");
  });
});

describe("agent start-task failures", () => {
  let directory: string;
  let server: FakeSyncServer;
  let agent: Agent;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "ob-agent-failures-"));
    server = await FakeSyncServer.start({ token, files: { "tool.sh": "#!/bin/sh\necho tool ran\n" } });
    agent = await startAgent({ serverUrl: server.url, agentId: "agent-2", token, dataDirectory: directory, waitInMs: 2000, killGracePeriodInMs: 500, logger: silentLogger, isolation: noIsolation("agent unit tests run unconfined"), containers: { reason: "agent unit tests have no container runtime" } });
  });
  after(async () => {
    await agent.close();
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it("reports CommandProgramNotFound without an exit code, CommandLaunchFailed for a bad quote, a Container… code for a container that cannot be made", async () => {
    server.setDesired([
      desiredNode({ nodeId: "missing", startTask: { commandLine: "/no/such/program --flag" }, startTaskAttempt: 1 }),
      desiredNode({ nodeId: "quote", startTask: { commandLine: "echo 'unterminated" }, startTaskAttempt: 1 }),
      desiredNode({ nodeId: "container", startTask: { commandLine: "true", containerSettings: { imageName: "ubuntu" } }, startTaskAttempt: 1 }),
    ]);
    const request = await server.waitForRequest((r) => ["missing", "quote", "container"].every((id) => completedAttempt(id, 0, 1)(r)));
    const missing = nodeIn(request, "missing")?.startTask;
    assert.equal(missing?.exitCode, undefined);
    assert.equal(missing?.failure?.code, "CommandProgramNotFound");
    assert.equal(nodeIn(request, "quote")?.startTask?.failure?.code, "CommandLaunchFailed");
    const container = nodeIn(request, "container")?.startTask?.failure;
    assert.equal(container?.code, "ContainerMiscError");
    assert.match(container?.message ?? "", /no container runtime \(agent unit tests have no container runtime\)/);
  });

  it("downloads httpUrl resource files into startup/wd and reports an unreachable blob container as BlobDownloadMiscError", async () => {
    server.setDesired([
      desiredNode({
        nodeId: "files",
        startTask: {
          commandLine: "/bin/sh -c './bin/tool.sh'",
          resourceFiles: [{ httpUrl: `${server.url}/files/tool.sh`, filePath: "bin/tool.sh", fileMode: "0755" }],
        },
        startTaskAttempt: 1,
      }),
      desiredNode({ nodeId: "blob", startTask: { commandLine: "true", resourceFiles: [{ storageContainerUrl: "http://127.0.0.1:1/acct/c?sig=x" }] }, startTaskAttempt: 1 }),
      desiredNode({ nodeId: "gone", startTask: { commandLine: "true", resourceFiles: [{ httpUrl: `${server.url}/files/none`, filePath: "x" }] }, startTaskAttempt: 1 }),
      desiredNode({ nodeId: "escape", startTask: { commandLine: "true", resourceFiles: [{ httpUrl: `${server.url}/files/tool.sh`, filePath: "../../x" }] }, startTaskAttempt: 1 }),
    ]);
    const request = await server.waitForRequest((r) => ["files", "blob", "gone", "escape"].every((id) => completedAttempt(id, 0, 1)(r)));
    assert.equal(nodeIn(request, "files")?.startTask?.exitCode, 0);
    const tool = join(directory, "pool-1", "files", "startup", "wd", "bin", "tool.sh");
    assert.equal((await stat(tool)).mode & 0o777, 0o755);
    assert.equal(await readFile(join(directory, "pool-1", "files", "startup", "stdout.txt"), "utf8"), "tool ran\n");
    const blob = nodeIn(request, "blob")?.startTask?.failure;
    assert.equal(blob?.code, "BlobDownloadMiscError");
    assert.match(blob?.message ?? "", /startTask\.resourceFiles\[0\]: listing the blobs of http:\/\/127\.0\.0\.1:1\/acct\/c failed/);
    assert.doesNotMatch(blob?.message ?? "", /sig=/);
    assert.equal(nodeIn(request, "gone")?.startTask?.failure?.code, "BlobNotFound");
    assert.equal(nodeIn(request, "escape")?.startTask?.failure?.code, "ResourceFileCreateFailed");
    assert.equal(await exists(join(directory, "pool-1", "x")), false);
  });

  it("does not run the start task while the desired attempt is 0", async () => {
    server.setDesired([desiredNode({ nodeId: "later", startTask: { commandLine: "true" }, startTaskAttempt: 0 })]);
    const request = await server.waitForRequest((r) => nodeIn(r, "later")?.phase === "ready");
    assert.equal(nodeIn(request, "later")?.startTask, undefined);
  });
});
