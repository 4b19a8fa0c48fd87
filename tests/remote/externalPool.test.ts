/**
 * Pools of the `external` provider with real `openbatch agent` processes (the compiled CLI) on this machine: agents
 * join with a join token and host the nodes the targets ask for; extra joiners are refused; nodes run tasks, serve
 * their files and service logs over the agent's own connection, give remote login settings; an agent stopped with
 * SIGTERM and started again carries on as the same agent; a server restart loses no task and runs none twice.
 * Bad tokens, a node of another pool and the resize timeout of a pool missing joiners are in externalRefusals.test.ts.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startAzurite, type Azurite } from "../support/azurite.js";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { addExternalPool, createJoinToken, killRemoteAgents, startRemoteAgent, type RemoteAgentProcess } from "../support/remoteAgents.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe("agents joining an external pool", () => {
  let server: TestServer;
  let dataDir: string;
  let port: number;
  let azurite: Azurite;
  const work = mkdtempSync(join(tmpdir(), "openbatch-remote-"));
  const markers = join(work, "markers");
  const agents: RemoteAgentProcess[] = [];
  const request = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const nodesOf = async (poolId: string) => (await request("GET", `/pools/${poolId}/nodes`)).json.value as { id: string; state: string; ipAddress: string }[];

  const start = (options: Parameters<typeof startTestServer>[0] = {}) =>
    startTestServer({ port, agentHeartbeatIntervalInSeconds: 2, nodeHeartbeatTimeoutInSeconds: 6, ...(dataDir === undefined ? {} : { keepDataDir: dataDir }), ...options });

  before(async () => {
    port = await freePort();
    server = await start();
    dataDir = server.dataDir;
    azurite = await startAzurite();
    await azurite.createContainer("logs");
  });
  after(async () => {
    await killRemoteAgents();
    await server.dispose();
    await azurite.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("gives joiners the nodes the targets ask for and refuses the extra one", async () => {
    await addExternalPool(server.url, account, "ext", 3, { startTask: { commandLine: '/bin/sh -c "echo started on $AZ_BATCH_NODE_ID"', waitForSuccess: true } });
    assert.equal((await request("GET", "/pools/ext")).json.allocationState, "resizing");
    assert.deepEqual(await nodesOf("ext"), [], "no node exists before an agent joins");
    const { token } = await createJoinToken(server.url, account, "ext");

    agents.push(startRemoteAgent({ serverUrl: server.url, workDir: join(work, "a"), joinToken: token, nodes: 2 }));
    await waitFor("two idle nodes", async () => (await nodesOf("ext")).filter((node) => node.state === "idle").length === 2, 60_000);
    assert.equal((await request("GET", "/pools/ext")).json.allocationState, "resizing", "one node is still missing");

    agents.push(startRemoteAgent({ serverUrl: server.url, workDir: join(work, "b"), joinToken: token, nodes: 4 }));
    await waitFor("three idle nodes", async () => (await nodesOf("ext")).filter((node) => node.state === "idle").length === 3, 60_000);
    const pool = await waitFor("the pool to settle", async () => {
      const body = (await request("GET", "/pools/ext")).json;
      return body.allocationState === "steady" ? body : undefined;
    });
    assert.equal(pool.currentDedicatedNodes, 3);
    assert.match(agents[1]?.log() ?? "", /"msg":"joined the pool".*"nodes":1/, "the second agent got the one node left of the four it offered");

    const extra = startRemoteAgent({ serverUrl: server.url, workDir: join(work, "c"), joinToken: token, nodes: 1 });
    assert.equal(await extra.exited, 3, "an extra joiner is refused");
    assert.match(extra.log(), /PoolFull.*|has 3 of the 3 nodes/);
    assert.equal((await nodesOf("ext")).length, 3);
  });

  it("runs tasks on the joined nodes and serves their files, logs and remote login settings", async () => {
    assert.equal((await request("POST", "/jobs", { id: "remotejob", poolInfo: { poolId: "ext" } })).status, 201);
    const tasks = Array.from({ length: 30 }, (_, i) => ({ id: `t${i}`, commandLine: `/bin/sh -c "echo out-$AZ_BATCH_TASK_ID; touch ${markers}-$AZ_BATCH_TASK_ID-$$"` }));
    assert.equal((await request("POST", "/jobs/remotejob/addtaskcollection", { value: tasks })).status, 200);
    await waitFor("30 completed tasks", async () => {
      const counts = (await request("GET", "/jobs/remotejob/taskcounts")).json.taskCounts;
      return counts.completed === 30 ? counts : undefined;
    }, 120_000);
    const counts = (await request("GET", "/jobs/remotejob/taskcounts")).json.taskCounts;
    assert.equal(counts.succeeded, 30);
    const output = await request("GET", "/jobs/remotejob/tasks/t7/files/stdout.txt");
    assert.equal(output.text, "out-t7\n");

    for (const node of await nodesOf("ext")) {
      const startup = await request("GET", `/pools/ext/nodes/${node.id}/files/${encodeURIComponent("startup/stdout.txt")}`);
      assert.equal(startup.status, 200, startup.text);
      assert.equal(startup.text, `started on ${node.id}\n`);
      const login = await request("GET", `/pools/ext/nodes/${node.id}/remoteloginsettings`);
      assert.deepEqual(login.json, { remoteLoginIPAddress: "127.0.0.1", remoteLoginPort: 22 }, "the address the agent reaches the server from");
      assert.equal(node.ipAddress, "127.0.0.1");
    }

    const node = (await nodesOf("ext"))[0] as { id: string };
    const uploaded = await request("POST", `/pools/ext/nodes/${node.id}/uploadbatchservicelogs`, {
      containerUrl: azurite.containerSasUrl("logs", "racwl"),
      startTime: new Date(Date.now() - 3_600_000).toISOString(),
    });
    assert.equal(uploaded.status, 200, uploaded.text);
    assert.equal(uploaded.json.numberOfFilesUploaded, 1);
    const blobs = await azurite.listBlobNames("logs");
    const blob = blobs.find((name) => name.startsWith(`${uploaded.json.virtualDirectoryName}/`)) as string;
    assert.match(blob, /\/agent-logs\/agent\.log$/);
    assert.match(await azurite.readBlob("logs", blob), /"msg":"joined the pool"/, "the joined agent's own log, from its host");
  });

  it("carries on after SIGTERM and a restart of the agent, as the same agent with the same nodes", async () => {
    const first = agents[0] as RemoteAgentProcess;
    const before = (await nodesOf("ext")).map((node) => node.id).sort();
    assert.equal(await first.stop("SIGTERM"), 0, "a clean stop");
    assert.match(first.log(), /"msg":"agent stopped".*"reason":"closed"/);
    assert.ok(existsSync(join(first.workDir, "identity.json")), "the identity stays for a restart");
    // No join token this time: the work directory remembers the agent.
    const earlier = first.log().length;
    const again = startRemoteAgent({ serverUrl: server.url, workDir: first.workDir });
    agents[0] = again;
    const since = () => again.log().slice(earlier);
    await waitFor("the restarted agent to report", async () => since().includes("restored nodes from the state file"));
    await waitFor("three idle nodes again", async () => (await nodesOf("ext")).filter((node) => node.state === "idle").length === 3, 60_000);
    assert.deepEqual((await nodesOf("ext")).map((node) => node.id).sort(), before, "the same nodes");
    assert.match(since(), /carrying on as the agent this work directory joined as/);
    assert.doesNotMatch(since(), /joined the pool/);
  });

  it("loses no task and runs none twice across a server restart", async () => {
    const job = "restartjob";
    assert.equal((await request("POST", "/jobs", { id: job, poolInfo: { poolId: "ext" } })).status, 201);
    const gate = join(work, "gate");
    const tasks = Array.from({ length: 3 }, (_, i) => ({
      id: `long${i}`,
      commandLine: `/bin/sh -c "touch ${markers}-started-$AZ_BATCH_TASK_ID; while [ ! -e ${gate} ]; do sleep 0.1; done; touch ${markers}-restart-$AZ_BATCH_TASK_ID-$$"`,
    }));
    assert.equal((await request("POST", `/jobs/${job}/addtaskcollection`, { value: tasks })).status, 200);
    // Running on their hosts, not only placed by the server.
    await waitFor("three started tasks", async () => readdirSync(work).filter((name) => name.startsWith("markers-started-")).length === 3);
    await server.close();
    // The tasks finish while the server is down; the agents keep their outcomes.
    writeFileSync(gate, "");
    await waitFor("the tasks to finish on their hosts", async () => readdirSync(work).filter((name) => name.startsWith("markers-restart-")).length === 3);
    server = await start();
    await waitFor("the outcomes to be reported", async () => (await request("GET", `/jobs/${job}/taskcounts`)).json.taskCounts.succeeded === 3, 60_000);
    const done = readdirSync(work).filter((name) => name.startsWith("markers-restart-"));
    assert.equal(done.length, 3, "each task ran exactly once");
    for (const task of tasks) {
      const body = (await request("GET", `/jobs/${job}/tasks/${task.id}`)).json;
      assert.equal(body.executionInfo.exitCode, 0);
      assert.equal(body.executionInfo.retryCount, 0);
      assert.equal(body.executionInfo.requeueCount, 0);
    }
  });

  it("lets a shrink retire a joined agent, which then exits and forgets its identity", async () => {
    assert.equal((await request("POST", "/pools/ext/resize", { targetDedicatedNodes: 1 })).status, 202);
    await waitFor("one node left", async () => (await nodesOf("ext")).length === 1, 60_000);
    // Two nodes went: at least one agent lost all its nodes, was retired and exited 0, its identity gone.
    await waitFor("an agent to be retired", async () => agents.some((agent) => agent.child.exitCode === 0));
    const retired = agents.find((agent) => agent.child.exitCode === 0) as RemoteAgentProcess;
    assert.match(retired.log(), /the pool no longer needs this agent's nodes/);
    assert.equal(existsSync(join(retired.workDir, "identity.json")), false);
  });
});
