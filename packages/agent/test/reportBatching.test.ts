/**
 * Batched reports (session/syncLoop.ts): while a node has work queued for all its slots, reports of its runs
 * beginning and ending wait to go out together; the pause ends as soon as the node runs short of work. The
 * batching time here is far longer than the test may take, so a report that waited for it would fail the test.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AgentSyncRequest, TaskAssignment } from "@openbatch/protocol";
import { noIsolation, silentLogger, startAgent, type Agent } from "../src/index.js";
import { FakeSyncServer, desiredNode } from "./support/fakeSyncServer.js";

const token = "report-batching-test-token";

function assignment(index: number): TaskAssignment {
  return { assignmentId: `b${index}`, jobId: "job1", taskId: `t${index}`, attempt: 1, commandLine: "true", taskDirectory: `workitems/job1/job-1/t${index}`, environment: {}, order: [0, 0, index] };
}

function completed(request: AgentSyncRequest): number {
  return request.nodes[0]?.tasks?.filter((task) => task.outcome?.state === "completed").length ?? 0;
}

describe("agent report batching", () => {
  let directory: string;
  let server: FakeSyncServer;
  let agent: Agent;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "ob-agent-batching-"));
    server = await FakeSyncServer.start({ token, desired: [desiredNode({ nodeId: "node-b" })] });
    agent = await startAgent({
      serverUrl: server.url,
      agentId: "agent-batching",
      token,
      dataDirectory: directory,
      waitInMs: 2000,
      reportBatchingInMs: 60_000,
      logger: silentLogger,
      isolation: noIsolation("agent unit tests run unconfined"),
    });
    await server.waitForRequest((request) => request.nodes[0]?.phase === "ready");
  });
  after(async () => {
    await agent.close();
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it("reports the runs of a node with work queued together, and at once when its queue runs short", async () => {
    const runs = 8;
    const before = server.requests.length;
    server.setDesired([desiredNode({ nodeId: "node-b", taskSlots: 1, tasks: Array.from({ length: runs }, (_, index) => assignment(index)) })]);
    // The last run starts once no run waits: the node is short of work, so the held reports go out then.
    const first = await server.waitForRequest((request) => server.requests.indexOf(request) >= before && completed(request) > 0);
    assert.ok(completed(first) >= runs - 2, `the first report of ended runs carries them together (it had ${completed(first)} of ${runs})`);
    const all = await server.waitForRequest((request) => completed(request) === runs);
    assert.equal(all.nodes[0]?.tasks?.every((task) => task.outcome?.exitCode === 0), true);
  });
});
