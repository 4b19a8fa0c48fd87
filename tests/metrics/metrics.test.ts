/**
 * `/metrics` scraped while a real server runs work: requests by operation and status, tasks by state, nodes by
 * state per pool, scheduling rounds and store commits timed, connected agents, event subscribers; and the optional
 * bearer token.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BatchServiceClient, BatchSharedKeyCredential } from "@openbatch/client";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = /\{(.*)\}/.exec(line)?.[1] ?? "";
    const found = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], match[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

describe("/metrics", () => {
  let server: TestServer;
  let client: BatchServiceClient;
  before(async () => {
    server = await startTestServer({ metricsToken: "scrape-token-1" });
    client = new BatchServiceClient(server.url, new BatchSharedKeyCredential(testAccounts.alpha.name, testAccounts.alpha.key));
  });
  after(async () => {
    await client?.close();
    await server?.dispose();
  });

  const scrape = async () => {
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer scrape-token-1" } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    return response.text();
  };

  it("needs the configured bearer token", async () => {
    assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer wrong" } })).status, 401);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer scrape-token-1" } })).status, 200);
  });

  it("shows the counters of a run while it happens", async () => {
    await client.pool.add({
      id: "metrics-pool",
      vmSize: "standard_d2s_v3",
      targetDedicatedNodes: 2,
      taskSlotsPerNode: 4,
      virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
    });
    await client.waitForNodesIdle("metrics-pool", { timeoutInMs: 60_000, pollIntervalInMs: 100 });
    await assert.rejects(client.job.get("no-such-job"));
    const controller = new AbortController();
    const watching = (async () => {
      for await (const event of client.watch({ abortSignal: controller.signal })) void event;
    })();
    try {
    const commitsBefore = sample(await scrape(), "openbatch_store_commit_duration_seconds_count") ?? 0;
    await client.job.add({ id: "metrics-job", poolInfo: { poolId: "metrics-pool" } });
    // Long enough to be seen running in a scrape; short enough for a quick test.
    await client.task.addCollection("metrics-job", Array.from({ length: 40 }, (_, i) => ({ id: `m${i}`, commandLine: i < 8 ? "/bin/sleep 3" : "/bin/true" })));
    const during = await waitFor("a scrape with running tasks", async () => {
      const text = await scrape();
      return (sample(text, "openbatch_tasks", { account: testAccounts.alpha.name, state: "running" }) ?? 0) > 0 ? text : undefined;
    });
    assert.equal(sample(during, "openbatch_event_subscribers"), 1);
    assert.ok((sample(during, "openbatch_connected_agents") ?? 0) >= 1);
    assert.ok((sample(during, "openbatch_nodes", { account: testAccounts.alpha.name, pool: "metrics-pool", state: "running" }) ?? 0) >= 1);
    await client.waitForTasksComplete("metrics-job", { timeoutInMs: 60_000, pollIntervalInMs: 200 });
    const text = await scrape();
    assert.equal(sample(text, "openbatch_tasks", { account: testAccounts.alpha.name, state: "completed" }), 40);
    assert.equal(sample(text, "openbatch_tasks", { account: testAccounts.alpha.name, state: "active" }), 0);
    assert.equal(sample(text, "openbatch_tasks", { account: testAccounts.beta.name, state: "completed" }), 0);
    assert.equal(sample(text, "openbatch_nodes", { account: testAccounts.alpha.name, pool: "metrics-pool", state: "idle" }), 2);
    assert.equal(sample(text, "openbatch_requests_total", { operation: "Pool_Add", status: "201" }), 1);
    assert.equal(sample(text, "openbatch_requests_total", { operation: "Job_Get", status: "404" }), 1);
    assert.ok((sample(text, "openbatch_requests_total", { operation: "Task_AddCollection", status: "200" }) ?? 0) >= 1);
    assert.ok((sample(text, "openbatch_request_duration_seconds_count", { operation: "Job_GetTaskCounts", status: "200" }) ?? 0) >= 1);
    assert.ok((sample(text, "openbatch_request_duration_seconds_bucket", { operation: "Pool_Add", status: "201", le: "+Inf" }) ?? 0) === 1);
    assert.ok((sample(text, "openbatch_scheduling_round_duration_seconds_count") ?? 0) >= 1);
    // The job's own commits: its add, the tasks' add, their placements and ends (agents report ends in batches, so
    // fewer than one per task).
    assert.ok((sample(text, "openbatch_store_commit_duration_seconds_count") ?? 0) >= commitsBefore + 3);
    assert.ok((sample(text, "openbatch_process_resident_memory_bytes") ?? 0) > 0, "process metrics too");
    } finally {
      // Also when an assertion failed: a watch left running would keep this test process alive.
      controller.abort();
      await watching;
    }
  });
});
