/**
 * Compute on several hosts: three network namespaces (support/netns.ts) stand for three machines, each running
 * `openbatch agent --nodes 4` against a server outside them, over HTTPS with a throwaway CA — every byte crosses a
 * veth interface. A 12-node external pool runs 2,000 tasks submitted and awaited through the official Python SDK.
 * During the run one host's cable is pulled for 60 s: its nodes turn `unknown` while the other hosts go on; its
 * running tasks stay `running` (as Azure keeps the tasks of an unreachable node) and, once the cable is back, its
 * agent reports what finished meanwhile and its nodes return. Every task completes exactly once — each execution
 * leaves a marker file in its node's shared directory, and there is exactly one per task — and the files of nodes
 * on every host are readable through the server.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from "undici";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { createVirtualHosts, type VirtualHost, type VirtualHosts } from "../support/netns.js";
import { addExternalPool, createJoinToken, killRemoteAgents, startRemoteAgent, type RemoteAgentProcess } from "../support/remoteAgents.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { makeTlsFixture, type TlsFixture } from "../support/tlsFixtures.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const taskCount = 2000;
const outageInMs = 60_000;
const runTasks = fileURLToPath(new URL("../../../tests/remote/python/run_tasks.py", import.meta.url));

interface NodeView {
  id: string;
  state: string;
  ipAddress: string;
}

describe("a pool on three hosts", () => {
  let hosts: VirtualHosts;
  let tls: TlsFixture;
  let server: TestServer;
  let previous: Dispatcher;
  const agents: RemoteAgentProcess[] = [];
  const work = mkdtempSync(join(tmpdir(), "openbatch-multihost-"));
  const request = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const nodes = async () => (await request("GET", "/pools/multihost/nodes")).json.value as NodeView[];
  const nodesOn = async (host: VirtualHost) => (await nodes()).filter((node) => node.ipAddress === host.address);

  before(async () => {
    hosts = createVirtualHosts(3);
    tls = makeTlsFixture([hosts.serverAddress]);
    previous = getGlobalDispatcher();
    setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, readFileSync(tls.caFile, "utf8")] } }));
    server = await startTestServer({
      host: hosts.serverAddress,
      tls: { certFile: tls.certFile, keyFile: tls.keyFile },
      agentHeartbeatIntervalInSeconds: 3,
      nodeHeartbeatTimeoutInSeconds: 12,
    });
    await addExternalPool(server.url, account, "multihost", 12, { startTask: { commandLine: '/bin/sh -c "echo node $AZ_BATCH_NODE_ID"', waitForSuccess: true } });
    const { token } = await createJoinToken(server.url, account, "multihost");
    for (const [index, host] of hosts.hosts.entries()) {
      agents.push(startRemoteAgent({ serverUrl: server.url, workDir: join(work, `h${index + 1}`), joinToken: token, nodes: 4, caFile: tls.caFile, netns: host.netns }));
    }
    await waitFor("12 idle nodes", async () => (await nodes()).filter((node) => node.state === "idle").length === 12, 120_000);
  });
  after(async () => {
    await killRemoteAgents();
    await server?.dispose();
    setGlobalDispatcher(previous);
    hosts?.remove();
    tls?.remove();
    rmSync(work, { recursive: true, force: true });
  });

  it("spreads the pool over the hosts, each node reporting its host's address", async () => {
    for (const host of hosts.hosts) assert.equal((await nodesOn(host)).length, 4, `4 nodes on ${host.address}`);
    const node = (await nodesOn(hosts.hosts[1] as VirtualHost))[0] as NodeView;
    const login = await request("GET", `/pools/multihost/nodes/${node.id}/remoteloginsettings`);
    assert.deepEqual(login.json, { remoteLoginIPAddress: (hosts.hosts[1] as VirtualHost).address, remoteLoginPort: 22 });
  });

  it("runs 2,000 tasks through the Python SDK, exactly once each, while one host is cut off for 60 s", async () => {
    const command = '/bin/sh -c "touch $AZ_BATCH_NODE_SHARED_DIR/ran.$AZ_BATCH_TASK_ID.$$; sleep 0.05"';
    const python = promisify(execFile)("/usr/bin/python3", [runTasks, server.url, account.name, account.key, "multihost", "run", String(taskCount), command, "900"], {
      env: { ...process.env, REQUESTS_CA_BUNDLE: tls.caFile },
      timeout: 1_000_000,
    });
    const counts = async () => (await request("GET", "/jobs/run/taskcounts")).json.taskCounts as { completed: number; running: number; succeeded: number };
    // The job may not exist yet: a failing probe counts as "not yet".
    await waitFor("a tenth of the tasks to complete", async () => (await counts()).completed >= taskCount / 10, 300_000, 200);

    const victim = hosts.hosts[0] as VirtualHost;
    const victimNodes = (await nodesOn(victim)).map((node) => node.id);
    assert.equal(victimNodes.length, 4);
    hosts.linkDown(victim);
    const cutAt = Date.now();
    await waitFor("the cut-off host's nodes to turn unknown", async () => {
      const states = (await nodes()).filter((node) => victimNodes.includes(node.id)).map((node) => node.state);
      return states.length === 4 && states.every((state) => state === "unknown");
    }, outageInMs);
    const others = (await nodes()).filter((node) => !victimNodes.includes(node.id));
    assert.ok(others.every((node) => node.state === "idle" || node.state === "running"), "the other hosts' nodes are unaffected");
    const whileCut = (await counts()).completed;
    await waitFor("the other hosts to go on completing tasks", async () => (await counts()).completed > whileCut || (await counts()).completed === taskCount, 60_000, 200);
    // The outage lasts 60 s: that is the scenario, not a wait for something to happen.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, outageInMs - (Date.now() - cutAt))));
    hosts.linkUp(victim);
    await waitFor("the host's nodes to be back", async () => {
      const states = (await nodes()).filter((node) => victimNodes.includes(node.id)).map((node) => node.state);
      return states.length === 4 && states.every((state) => state === "idle" || state === "running");
    }, 120_000, 200);

    const summary = JSON.parse((await python).stdout) as { completed: number; succeeded: number; failed: number };
    assert.deepEqual({ completed: summary.completed, succeeded: summary.succeeded, failed: summary.failed }, { completed: taskCount, succeeded: taskCount, failed: 0 });

    // Exactly one execution per task, over every node of every host.
    const executions = new Map<string, number>();
    for (const [index] of hosts.hosts.entries()) {
      const poolDirectory = join(work, `h${index + 1}`, "nodes", "multihost");
      for (const node of readdirSync(poolDirectory)) {
        for (const marker of readdirSync(join(poolDirectory, node, "shared"))) {
          const task = /^ran\.(t\d{5})\.\d+$/.exec(marker)?.[1];
          if (task !== undefined) executions.set(task, (executions.get(task) ?? 0) + 1);
        }
      }
    }
    assert.equal(executions.size, taskCount, "every task ran");
    const repeated = [...executions].filter(([, times]) => times !== 1);
    assert.deepEqual(repeated, [], "no task ran twice");
    const tasks = (await request("GET", "/jobs/run/tasks?$select=id,executionInfo,nodeInfo&maxresults=1000")).json.value as { executionInfo: { retryCount: number; requeueCount: number }; nodeInfo: { nodeId: string } }[];
    assert.ok(tasks.every((task) => task.executionInfo.retryCount === 0), "no task needed a retry");
    assert.ok(agents[0]?.log().includes("connected to the server again"), "the cut-off agent reconnected by itself");
  });

  it("reads the files of nodes on every host through the server", async () => {
    for (const node of await nodes()) {
      const startup = await request("GET", `/pools/multihost/nodes/${node.id}/files/${encodeURIComponent("startup/stdout.txt")}`);
      assert.equal(startup.status, 200, startup.text);
      assert.equal(startup.text, `node ${node.id}\n`);
    }
    const onEachHost = new Set<string>();
    const listed = (await request("GET", "/jobs/run/tasks?$select=id,nodeInfo&maxresults=1000")).json.value as { id: string; nodeInfo: { nodeId: string } }[];
    const hostOf = new Map((await nodes()).map((node) => [node.id, node.ipAddress]));
    for (const task of listed) {
      const host = hostOf.get(task.nodeInfo.nodeId) as string;
      if (onEachHost.has(host)) continue;
      const files = await request("GET", `/jobs/run/tasks/${task.id}/files?recursive=true`);
      assert.equal(files.status, 200, files.text);
      assert.ok(files.json.value.some((file: { name: string }) => file.name === "stdout.txt"));
      onEachHost.add(host);
    }
    assert.equal(onEachHost.size, 3, "task files read from all three hosts");
  });
});
