/**
 * Pipelined dispatch (docs/architecture.md "Pipelined dispatch"): the scheduler gives a node runs beyond its free
 * slots, which its agent starts the moment a slot frees. Seen from the API nothing of that shows: such a task is
 * `active` until its process begins. These tests fill a one-slot node's look-ahead behind a task held by a gate file
 * and check that terminate, delete, disable, job terminate, priority and preemption reach the waiting runs at once,
 * and that nothing runs twice when the server or the agent dies meanwhile.
 *
 * A waiting run is told apart from an unplaced task by its ETag: the plan applier rewrites the task row when it
 * gives the task a run, while the task stays `active`; nothing else touches an active task nobody asked to change.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

/** One server with a one-node, one-slot pool, and the gate files its tasks use. */
function lookAheadFixture(serverOptions: Parameters<typeof startTestServer>[0] = {}) {
  const fixture = {
    server: undefined as unknown as TestServer,
    gates: "",
    call(method: string, path: string, body?: object): Promise<BatchResponse> {
      return batchRequest(fixture.server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
    },
    /** A task that notes each run of it, then waits for its gate `<name>.go` when `gated`. */
    command(name: string, gated = false): string {
      const ran = `echo ran >> ${join(fixture.gates, `${name}.ran`)}`;
      return gated ? `/bin/sh -c '${ran}; while [ ! -e ${join(fixture.gates, `${name}.go`)} ]; do sleep 0.05; done'` : `/bin/sh -c '${ran}'`;
    },
    open(name: string): void {
      writeFileSync(join(fixture.gates, `${name}.go`), "");
    },
    /** How many times the task `name` began. */
    runs(name: string): number {
      const file = join(fixture.gates, `${name}.ran`);
      return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((line) => line !== "").length : 0;
    },
    async job(id: string, fields: object = {}): Promise<void> {
      const response = await fixture.call("POST", "/jobs", { id, poolInfo: { poolId: "ahead" }, ...fields });
      assert.equal(response.status, 201, response.text);
    },
    /** Adds a task; returns the ETag it was created with. */
    async add(jobId: string, id: string, gated = false): Promise<string> {
      const response = await fixture.call("POST", `/jobs/${jobId}/tasks`, { id, commandLine: fixture.command(id, gated) });
      assert.equal(response.status, 201, response.text);
      return response.headers.get("etag") ?? "";
    },
    /** The task as its GET shows it, with the response's ETag as `eTag`. */
    task(jobId: string, id: string) {
      return fixture.call("GET", `/jobs/${jobId}/tasks/${id}`).then((response) => ({ ...response.json, eTag: response.headers.get("etag") }));
    },
    taskIn(jobId: string, id: string, state: string) {
      return waitFor(`${jobId}/${id} ${state}`, async () => {
        const task = await fixture.task(jobId, id);
        return task.state === state ? task : undefined;
      });
    },
    /** Waits until the task holds a run on the node (its row rewritten by a placement) while it is still `active`. */
    async waiting(jobId: string, id: string, addedETag: string) {
      assert.match(addedETag, /^0x[0-9A-F]+$/, "the add answered with the task's ETag");
      const task = await waitFor(`${jobId}/${id} to wait on the node`, async () => {
        const current = await fixture.task(jobId, id);
        return current.state !== "active" || current.eTag !== addedETag ? current : undefined;
      });
      assert.equal(task.state, "active", `${jobId}/${id} waits active for its slot`);
      assert.equal(task.executionInfo?.startTime, undefined, `${jobId}/${id} has not started`);
      return task;
    },
    async start(): Promise<void> {
      fixture.server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1, ...serverOptions });
      fixture.gates = mkdtempSync(join(tmpdir(), "openbatch-ahead-"));
      const created = await fixture.call("POST", "/pools", { id: "ahead", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, taskSlotsPerNode: 1, virtualMachineConfiguration: ubuntuVm });
      assert.equal(created.status, 201, created.text);
      await waitFor("the node to be idle", async () => ((await fixture.call("GET", "/pools/ahead/nodes")).json.value[0]?.state === "idle" ? true : undefined));
    },
    async stop(): Promise<void> {
      // Let every gated task still waiting end, so that no process outlives the test.
      for (const name of ["b1", "b2", "b3", "b4", "b5", "b6", "b7"]) fixture.open(name);
      await fixture.server.dispose();
      rmSync(fixture.gates, { recursive: true, force: true });
    },
  };
  return fixture;
}

describe("pipelined dispatch: runs waiting on a node", () => {
  const f = lookAheadFixture();
  before(() => f.start());
  after(() => f.stop());

  it("gives a busy node work beyond its slots, which is active until it begins and runs once", async () => {
    await f.job("plain");
    await f.add("plain", "b1", true);
    await f.taskIn("plain", "b1", "running");
    const tags = [await f.add("plain", "w1"), await f.add("plain", "w2")];
    await f.waiting("plain", "w1", tags[0] as string);
    await f.waiting("plain", "w2", tags[1] as string);
    const node = (await f.call("GET", "/pools/ahead/nodes")).json.value[0];
    assert.equal(node.runningTasksCount, 1, "only the task that began counts as running on the node");
    f.open("b1");
    const b1 = await f.taskIn("plain", "b1", "completed");
    const w1 = await f.taskIn("plain", "w1", "completed");
    const w2 = await f.taskIn("plain", "w2", "completed");
    for (const task of [w1, w2]) {
      assert.equal(task.executionInfo.result, "success");
      assert.equal(task.nodeInfo.nodeId, node.id);
      assert.ok(Date.parse(task.executionInfo.startTime) >= Date.parse(b1.executionInfo.endTime), `${task.id} began once the slot was free`);
    }
    assert.ok(Date.parse(w2.executionInfo.startTime) >= Date.parse(w1.executionInfo.endTime), "in the order they were added");
    assert.deepEqual([f.runs("w1"), f.runs("w2")], [1, 1]);
  });

  it("terminates and deletes waiting tasks at once: they never run", async () => {
    await f.job("stop");
    await f.add("stop", "b2", true);
    await f.taskIn("stop", "b2", "running");
    const tags = [await f.add("stop", "t1"), await f.add("stop", "t2")];
    await f.waiting("stop", "t1", tags[0] as string);
    await f.waiting("stop", "t2", tags[1] as string);
    assert.equal((await f.call("POST", "/jobs/stop/tasks/t1/terminate")).status, 204);
    const terminated = await f.task("stop", "t1");
    assert.equal(terminated.state, "completed");
    assert.equal(terminated.executionInfo.result, "failure");
    assert.equal(terminated.executionInfo.failureInfo.code, "TaskEnded");
    assert.equal((await f.call("DELETE", "/jobs/stop/tasks/t2")).status, 200);
    // Added after them: had either stayed on the node, it would have begun first.
    await f.add("stop", "t3");
    f.open("b2");
    await f.taskIn("stop", "t3", "completed");
    assert.equal((await f.task("stop", "t1")).state, "completed");
    assert.deepEqual([f.runs("t1"), f.runs("t2"), f.runs("t3")], [0, 0, 1]);
  });

  it("takes waiting tasks back when their job is disabled, keeps them active, and runs them once enabled", async () => {
    await f.job("paused");
    await f.add("paused", "b3", true);
    await f.taskIn("paused", "b3", "running");
    const tags = [await f.add("paused", "d1"), await f.add("paused", "d2")];
    await f.waiting("paused", "d1", tags[0] as string);
    await f.waiting("paused", "d2", tags[1] as string);
    assert.equal((await f.call("POST", "/jobs/paused/disable", { disableTasks: "wait" })).status, 202);
    f.open("b3");
    await f.taskIn("paused", "b3", "completed");
    await waitFor("the job to be disabled", async () => ((await f.call("GET", "/jobs/paused")).json.state === "disabled" ? true : undefined));
    // Another job's task, placed once the node has room: had d1 or d2 stayed on the node, they would have begun first.
    await f.job("other");
    await f.add("other", "o1");
    await f.taskIn("other", "o1", "completed");
    for (const id of ["d1", "d2"]) assert.equal((await f.task("paused", id)).state, "active", `${id} stays active`);
    assert.deepEqual([f.runs("d1"), f.runs("d2")], [0, 0]);
    assert.equal((await f.call("POST", "/jobs/paused/enable")).status, 202);
    for (const id of ["d1", "d2"]) {
      const task = await f.taskIn("paused", id, "completed");
      assert.equal(task.executionInfo.result, "success");
      assert.equal(task.executionInfo.requeueCount, 0);
      assert.equal(task.executionInfo.retryCount, 0);
    }
    assert.deepEqual([f.runs("d1"), f.runs("d2")], [1, 1]);
  });

  it("takes waiting tasks back when their job is terminated: they stay active and never run", async () => {
    await f.job("ended");
    await f.add("ended", "b4", true);
    await f.taskIn("ended", "b4", "running");
    const tags = [await f.add("ended", "e1"), await f.add("ended", "e2")];
    await f.waiting("ended", "e1", tags[0] as string);
    await f.waiting("ended", "e2", tags[1] as string);
    assert.equal((await f.call("POST", "/jobs/ended/terminate")).status, 202);
    const job = await waitFor("the job to complete", async () => {
      const current = (await f.call("GET", "/jobs/ended")).json;
      return current.state === "completed" ? current : undefined;
    });
    assert.equal(job.executionInfo.terminateReason, "UserTerminate");
    assert.equal((await f.task("ended", "b4")).executionInfo.failureInfo.code, "TaskEnded");
    await f.job("after");
    await f.add("after", "a1");
    await f.taskIn("after", "a1", "completed");
    for (const id of ["e1", "e2"]) assert.equal((await f.task("ended", id)).state, "active", `${id} stays active`);
    assert.deepEqual([f.runs("e1"), f.runs("e2")], [0, 0]);
  });

  it("lets a higher-priority job's task take the place of a lower one's waiting run and begin first", async () => {
    await f.job("lowly", { priority: -10 });
    await f.add("lowly", "b5", true);
    await f.taskIn("lowly", "b5", "running");
    const tags = [await f.add("lowly", "l1"), await f.add("lowly", "l2")];
    await f.waiting("lowly", "l1", tags[0] as string);
    const l2 = await f.waiting("lowly", "l2", tags[1] as string);
    await f.job("urgent", { priority: 10 });
    const tag = await f.add("urgent", "h1");
    // The look-ahead was full of the lower job's runs: the one that would start last made room.
    await f.waiting("urgent", "h1", tag);
    // Its agent confirms the withdrawal (the task row changes again, still active): it has h1 in the same answer.
    await waitFor("the agent to let l2 go", async () => {
      const task = await f.task("lowly", "l2");
      return task.eTag !== l2.eTag ? task : undefined;
    });
    f.open("b5");
    const high = await f.taskIn("urgent", "h1", "completed");
    for (const id of ["l1", "l2"]) {
      const low = await f.taskIn("lowly", id, "completed");
      assert.ok(Date.parse(low.executionInfo.startTime) >= Date.parse(high.executionInfo.endTime), `${id} began after the higher-priority task`);
      assert.equal(low.executionInfo.result, "success");
      assert.equal(low.executionInfo.requeueCount, 0, "a run withdrawn before it began is no requeue");
      assert.equal(low.executionInfo.retryCount, 0);
    }
    assert.deepEqual([f.runs("h1"), f.runs("l1"), f.runs("l2")], [1, 1, 1]);
  });

  it("preempts a running task for a higher-priority job, withdrawing the runs waiting behind it first", async () => {
    await f.job("yielding", { priority: 0, allowTaskPreemption: true });
    await f.add("yielding", "b6", true);
    await f.taskIn("yielding", "b6", "running");
    const tags = [await f.add("yielding", "p1"), await f.add("yielding", "p2")];
    await f.waiting("yielding", "p1", tags[0] as string);
    await f.waiting("yielding", "p2", tags[1] as string);
    await f.job("critical", { priority: 100 });
    await f.add("critical", "c1");
    const critical = await f.taskIn("critical", "c1", "completed");
    assert.equal(critical.executionInfo.result, "success");
    const requeued = await f.task("yielding", "b6");
    assert.equal(requeued.executionInfo.requeueCount, 1, "the running task was preempted");
    f.open("b6");
    const b6 = await f.taskIn("yielding", "b6", "completed");
    assert.equal(b6.executionInfo.result, "success");
    for (const id of ["p1", "p2"]) {
      const task = await f.taskIn("yielding", id, "completed");
      assert.equal(task.executionInfo.requeueCount, 0, `${id} never ran before, so it was not requeued`);
    }
    assert.deepEqual([f.runs("c1"), f.runs("b6"), f.runs("p1"), f.runs("p2")], [1, 2, 1, 1]);
  });

  it("runs each waiting task once across a server restart, after the task that held the slot", async () => {
    await f.job("outage");
    await f.add("outage", "b7", true);
    await f.taskIn("outage", "b7", "running");
    const tags = [await f.add("outage", "s1"), await f.add("outage", "s2")];
    await f.waiting("outage", "s1", tags[0] as string);
    await f.waiting("outage", "s2", tags[1] as string);
    const { dataDir, url } = f.server;
    await f.server.close();
    // The slot frees while the server is down: an agent that already heard of the waiting runs starts them now, one
    // that had not yet hears of them from the restarted server (which of the two is a race this test leaves open).
    f.open("b7");
    f.server = await startTestServer({ keepDataDir: dataDir, port: Number(new URL(url).port), agentHeartbeatIntervalInSeconds: 1 });
    const tasks = [];
    for (const id of ["b7", "s1", "s2"]) {
      const task = await f.taskIn("outage", id, "completed");
      assert.equal(task.executionInfo.result, "success", id);
      assert.equal(task.executionInfo.retryCount, 0, id);
      assert.equal(task.executionInfo.requeueCount, 0, id);
      tasks.push(task);
    }
    const [b7, s1, s2] = tasks;
    assert.ok(Date.parse(s1.executionInfo.startTime) >= Date.parse(b7.executionInfo.endTime), "s1 began once b7 had ended");
    assert.ok(Date.parse(s2.executionInfo.startTime) >= Date.parse(s1.executionInfo.endTime), "s2 after s1: one slot");
    assert.deepEqual([f.runs("b7"), f.runs("s1"), f.runs("s2")], [1, 1, 1], "each ran once across the outage");
  });
});

describe("pipelined dispatch: an agent that dies with runs waiting", () => {
  const f = lookAheadFixture({ nodeHeartbeatTimeoutInSeconds: 3 });
  before(() => f.start());
  after(() => f.stop());

  it("runs each waiting task once, and the running one again as a recovery retry", async () => {
    await f.job("crash");
    await f.add("crash", "b1", true);
    await f.taskIn("crash", "b1", "running");
    // The agent saves a run before starting its process: once it has begun, its run is on disk.
    await waitFor("the gated task's process to begin", async () => (f.runs("b1") === 1 ? true : undefined));
    const tags = [await f.add("crash", "k1"), await f.add("crash", "k2")];
    await f.waiting("crash", "k1", tags[0] as string);
    await f.waiting("crash", "k2", tags[1] as string);
    f.server.killAgents("SIGKILL");
    f.open("b1");
    for (const id of ["b1", "k1", "k2"]) {
      const task = await f.taskIn("crash", id, "completed");
      assert.equal(task.executionInfo.result, "success", id);
      assert.equal(task.executionInfo.retryCount, 0, id);
    }
    assert.deepEqual([f.runs("k1"), f.runs("k2")], [1, 1], "the waiting tasks ran once");
    assert.equal(f.runs("b1"), 2, "the lost run ran again (a recovery retry, semantics.md §2.2)");
  });
});
