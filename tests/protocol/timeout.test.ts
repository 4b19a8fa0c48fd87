import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

/**
 * The `timeout` query parameter bounds how long the server works on a request. To make a handler outlast it without
 * racing a clock, the node's agent is frozen (SIGSTOP): a file listing then waits on an agent that cannot answer.
 */
describe("timeout: a handler still running when it elapses answers 500 OperationTimedOut", () => {
  let server: TestServer;
  let nodeId: string;
  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    const pool = { id: "slowpool", vmSize: "standard_d2s_v3", targetDedicatedNodes: 1, virtualMachineConfiguration: ubuntuVm };
    assert.equal((await batchRequest(server.url, { method: "POST", path: `/pools?api-version=${apiVersion}`, account, body: pool })).status, 201);
    nodeId = await waitFor("the node to be idle", async () => {
      const nodes = await batchRequest(server.url, { path: `/pools/slowpool/nodes?api-version=${apiVersion}`, account });
      const node = (nodes.json?.value ?? [])[0] as { id: string; state: string } | undefined;
      return node?.state === "idle" ? node.id : undefined;
    }, 120_000);
  });
  after(async () => {
    server.killAgents("SIGCONT");
    await server.dispose();
  });

  const listFiles = (timeout: number) =>
    batchRequest(server.url, { path: `/pools/slowpool/nodes/${nodeId}/files?api-version=${apiVersion}&recursive=true&timeout=${timeout}`, account });

  it("answers normally while the agent is responsive", async () => {
    const listed = await listFiles(1);
    assert.equal(listed.status, 200, listed.text);
  });

  it("gives up after `timeout` seconds once the agent stops answering", async () => {
    server.killAgents("SIGSTOP");
    try {
      const started = Date.now();
      const response = await listFiles(1);
      const elapsed = Date.now() - started;
      assert.equal(response.status, 500, response.text);
      assert.equal(batchErrorCode(response), "OperationTimedOut");
      assert.ok(elapsed >= 950 && elapsed < 10_000, `answered after ${elapsed} ms`);
      // The server itself stays responsive.
      assert.equal((await batchRequest(server.url, { path: `/pools/slowpool?api-version=${apiVersion}`, account })).status, 200);
    } finally {
      server.killAgents("SIGCONT");
    }
  });
});
