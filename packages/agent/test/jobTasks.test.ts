import assert from "node:assert/strict";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AgentSyncRequest, DesiredNode, TaskAssignment, TaskReport } from "@openbatch/protocol";
import { localStatePath, readSavedState, noIsolation, silentLogger, startAgent, type Agent, type AgentOptions, type PersistedState } from "../src/index.js";
import { FakeSyncServer, desiredNode } from "./support/fakeSyncServer.js";

const token = "job-task-test-token";

function assignment(fields: Partial<TaskAssignment> & Pick<TaskAssignment, "assignmentId" | "taskId" | "commandLine">): TaskAssignment {
  return {
    jobId: "job1",
    attempt: 1,
    taskDirectory: `workitems/job1/job-1/${fields.taskId}`,
    environment: { AZ_BATCH_JOB_ID: "job1" },
    ...fields,
  };
}

function taskOf(request: AgentSyncRequest, nodeId: string, assignmentId: string): TaskReport | undefined {
  return request.nodes.find((node) => node.nodeId === nodeId)?.tasks?.find((task) => task.assignmentId === assignmentId);
}

function stateOf(nodeId: string, assignmentId: string, state: "running" | "completed") {
  return (request: AgentSyncRequest): boolean => taskOf(request, nodeId, assignmentId)?.outcome?.state === state;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(probe: () => Promise<boolean> | boolean, what: string, timeoutInMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutInMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function readState(directory: string, agentId: string): PersistedState | undefined {
  return readSavedState(localStatePath(directory, agentId));
}

describe("agent job tasks", () => {
  let directory: string;
  let server: FakeSyncServer;
  let agent: Agent;
  const options = (agentId: string): AgentOptions => ({
    serverUrl: server.url,
    agentId,
    token,
    dataDirectory: directory,
    waitInMs: 2000,
    killGracePeriodInMs: 500,
    logger: silentLogger, isolation: noIsolation("agent unit tests run unconfined"),
  });
  const node = (nodeId: string, tasks: TaskAssignment[], fields: Partial<DesiredNode> = {}): DesiredNode => desiredNode({ nodeId, tasks, ...fields });

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "ob-agent-tasks-"));
    server = await FakeSyncServer.start({ token });
    agent = await startAgent(options("agent-tasks"));
  });
  after(async () => {
    await agent.close();
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it("runs several assignments concurrently, reports running then completed, and kills on request", async () => {
    const echo = assignment({
      assignmentId: "a1",
      taskId: "task1",
      commandLine: `/bin/sh -c 'sleep 0.5; echo "$AZ_BATCH_TASK_ID"; printenv > env.txt; echo oops >&2'`,
      environment: { AZ_BATCH_JOB_ID: "job1", CUSTOM: "from the task" },
    });
    const three = assignment({ assignmentId: "a2", taskId: "task2", commandLine: "/bin/sh -c 'sleep 0.5; exit 3'" });
    const sleeper = assignment({ assignmentId: "a3", taskId: "task3", commandLine: "sleep 60" });
    server.setDesired([node("node-t", [echo, three, sleeper], { taskSlots: 3 })]);

    const running = await server.waitForRequest((r) => ["a1", "a2", "a3"].every((id) => stateOf("node-t", id, "running")(r)));
    assert.equal(taskOf(running, "node-t", "a1")?.outcome?.attempt, 1);
    assert.ok(Date.parse(taskOf(running, "node-t", "a1")?.outcome?.startTime ?? "") > 0);

    const done = await server.waitForRequest((r) => stateOf("node-t", "a1", "completed")(r) && stateOf("node-t", "a2", "completed")(r));
    assert.equal(taskOf(done, "node-t", "a1")?.outcome?.exitCode, 0);
    assert.equal(taskOf(done, "node-t", "a1")?.outcome?.failure, undefined);
    assert.equal(taskOf(done, "node-t", "a2")?.outcome?.exitCode, 3);
    assert.equal(taskOf(done, "node-t", "a3")?.outcome?.state, "running", "the sleeper still runs");

    const root = join(directory, "pool-1", "node-t");
    const taskDirectory = join(root, "workitems", "job1", "job-1", "task1");
    assert.equal(await readFile(join(taskDirectory, "stdout.txt"), "utf8"), "task1\n");
    assert.equal(await readFile(join(taskDirectory, "stderr.txt"), "utf8"), "oops\n");
    const env = new Map(
      (await readFile(join(taskDirectory, "wd", "env.txt"), "utf8"))
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const),
    );
    assert.equal(env.get("AZ_BATCH_TASK_DIR"), taskDirectory);
    assert.equal(env.get("AZ_BATCH_TASK_WORKING_DIR"), join(taskDirectory, "wd"));
    assert.equal(env.get("HOME"), join(taskDirectory, "wd"));
    assert.equal(env.get("AZ_BATCH_JOB_ID"), "job1");
    assert.equal(env.get("AZ_BATCH_NODE_ID"), "node-t");
    assert.equal(env.get("AZ_BATCH_NODE_ROOT_DIR"), root);
    assert.equal(env.get("CUSTOM"), "from the task");
    assert.equal(env.get("OPENBATCH_AGENT_TOKEN"), undefined);

    server.setDesired([node("node-t", [echo, three, { ...sleeper, kill: true }], { taskSlots: 3 })]);
    const killed = await server.waitForRequest(stateOf("node-t", "a3", "completed"));
    const outcome = taskOf(killed, "node-t", "a3")?.outcome;
    assert.equal(outcome?.failure?.code, "TaskEnded");
    assert.equal(outcome?.exitCode, 143);
    assert.equal(taskOf(killed, "node-t", "a1")?.outcome?.exitCode, 0, "completed assignments stay reported");
  });

  it("starts runs beyond its slots in their order as slots free, never a withdrawn or killed one", async () => {
    const gate = join(directory, "gate-q");
    const first = assignment({ assignmentId: "q1", taskId: "first", commandLine: `/bin/sh -c 'while [ ! -e ${gate} ]; do sleep 0.05; done'`, order: [0, 0, 1] });
    const later = assignment({ assignmentId: "q2", taskId: "later", commandLine: "true", order: [0, 0, 3] });
    const sooner = assignment({ assignmentId: "q3", taskId: "sooner", commandLine: "true", order: [0, 0, 2] });
    const dropped = assignment({ assignmentId: "q4", taskId: "dropped", commandLine: "true", order: [0, 0, 4] });
    const killed = assignment({ assignmentId: "q5", taskId: "killed", commandLine: "true", order: [0, 0, 5] });
    server.setDesired([node("node-q", [later, first, sooner, dropped, killed])]);
    const running = await server.waitForRequest(stateOf("node-q", "q1", "running"));
    for (const id of ["q2", "q3", "q4", "q5"]) assert.equal(taskOf(running, "node-q", id), undefined, `${id} waits unreported for the one slot`);

    server.setDesired([node("node-q", [later, first, sooner, { ...dropped, withdraw: true }, { ...killed, kill: true }])]);
    const letGo = await server.waitForRequest((r) => taskOf(r, "node-q", "q4")?.withdrawn === true && stateOf("node-q", "q5", "completed")(r));
    assert.equal(taskOf(letGo, "node-q", "q4")?.outcome, undefined, "a withdrawn run has no outcome");
    assert.equal(taskOf(letGo, "node-q", "q5")?.outcome?.failure?.code, "TaskEnded");
    assert.equal(taskOf(letGo, "node-q", "q5")?.outcome?.exitCode, undefined, "killed before it began, it never ran");
    assert.equal(taskOf(letGo, "node-q", "q1")?.outcome?.state, "running");

    await writeFile(gate, "");
    const done = await server.waitForRequest((r) => ["q1", "q2", "q3"].every((id) => stateOf("node-q", id, "completed")(r)));
    const outcome = (id: string) => taskOf(done, "node-q", id)?.outcome;
    assert.ok(Date.parse(outcome("q3")?.startTime ?? "") >= Date.parse(outcome("q1")?.endTime ?? ""), "q3 waited for the slot");
    assert.ok(Date.parse(outcome("q2")?.startTime ?? "") >= Date.parse(outcome("q3")?.endTime ?? ""), "q3 (order 2) before q2 (order 3)");
    assert.equal(taskOf(done, "node-q", "q4")?.withdrawn, true, "the withdrawn run never started");
    await assert.rejects(access(join(directory, "pool-1", "node-q", "workitems", "job1", "job-1", "dropped")), "no directory for the withdrawn run");
  });

  it("kills an assignment when its maxWallClockTime expires", async () => {
    const slow = assignment({ assignmentId: "w1", taskId: "slow", commandLine: "sleep 60", maxWallClockTimeInMs: 300 });
    server.setDesired([node("node-w", [slow])]);
    const request = await server.waitForRequest(stateOf("node-w", "w1", "completed"));
    const outcome = taskOf(request, "node-w", "w1")?.outcome;
    assert.equal(outcome?.failure?.code, "TaskEnded");
    assert.match(outcome?.failure?.message ?? "", /maxWallClockTime/);
    assert.equal(outcome?.exitCode, 143);
  });

  it("kills a running assignment the desired state withdraws and stops reporting it", async () => {
    const withdrawn = assignment({ assignmentId: "r1", taskId: "withdrawn", commandLine: `/bin/sh -c 'echo $$ > pid; exec sleep 60'` });
    server.setDesired([node("node-r", [withdrawn])]);
    await server.waitForRequest(stateOf("node-r", "r1", "running"));
    const pidFile = join(directory, "pool-1", "node-r", "workitems", "job1", "job-1", "withdrawn", "wd", "pid");
    let pid = 0;
    await until(async () => {
      pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
      return pid > 0;
    }, "the task's pid file");
    assert.ok(processAlive(pid));
    server.setDesired([node("node-r", [])]);
    await server.waitForRequest((r) => r.nodes.some((entry) => entry.nodeId === "node-r" && (entry.tasks ?? []).length === 0));
    await until(() => !processAlive(pid), "the withdrawn task's process to end");
  });

  it("refuses a task directory that is absolute or contains '..'", async () => {
    server.setDesired([
      node("node-x", [
        assignment({ assignmentId: "x1", taskId: "up", commandLine: "true", taskDirectory: "workitems/../../escape" }),
        assignment({ assignmentId: "x2", taskId: "abs", commandLine: "true", taskDirectory: join(directory, "absolute") }),
        assignment({ assignmentId: "x3", taskId: "missing", commandLine: "/no/such/program" }),
      ]),
    ]);
    const request = await server.waitForRequest((r) => ["x1", "x2", "x3"].every((id) => stateOf("node-x", id, "completed")(r)));
    for (const id of ["x1", "x2"]) {
      const outcome = taskOf(request, "node-x", id)?.outcome;
      assert.equal(outcome?.failure?.code, "CommandLaunchFailed", id);
      assert.equal(outcome?.exitCode, undefined, id);
    }
    assert.equal(taskOf(request, "node-x", "x3")?.outcome?.failure?.code, "CommandProgramNotFound");
    await assert.rejects(access(join(directory, "pool-1", "escape")));
    await assert.rejects(access(join(directory, "absolute")));
  });

  it("ends running assignments on reboot with TaskEnded and runs the start task alongside tasks", async () => {
    const long = assignment({ assignmentId: "b1", taskId: "long", commandLine: "sleep 60" });
    server.setDesired([node("node-b", [long], { startTask: { commandLine: "sleep 0.2" }, startTaskAttempt: 1 })]);
    await server.waitForRequest((r) => stateOf("node-b", "b1", "running")(r) && r.nodes.find((n) => n.nodeId === "node-b")?.startTask?.state === "completed");
    server.setDesired([node("node-b", [long], { generation: 1 })]);
    const request = await server.waitForRequest((r) => r.nodes.find((n) => n.nodeId === "node-b")?.generation === 1 && stateOf("node-b", "b1", "completed")(r));
    assert.equal(taskOf(request, "node-b", "b1")?.outcome?.failure?.code, "TaskEnded");
    // The assignment is known: it is not started again in the new generation.
    await server.waitForRequest((r) => r.nodes.find((n) => n.nodeId === "node-b")?.phase === "ready" && r.nodes.find((n) => n.nodeId === "node-b")?.generation === 1);
    assert.equal(taskOf(server.latest as AgentSyncRequest, "node-b", "b1")?.outcome?.state, "completed");
  });

  it("persists task outcomes: a restarted agent reports them, a running one as AgentRestarted", async () => {
    const restartDirectory = await mkdtemp(join(tmpdir(), "ob-agent-tasks-restart-"));
    const restartServer = await FakeSyncServer.start({
      token,
      desired: [node("node-p", [assignment({ assignmentId: "p1", taskId: "quick", commandLine: "true" }), assignment({ assignmentId: "p2", taskId: "long", commandLine: "sleep 60" })])],
    });
    const restartOptions: AgentOptions = { ...options("agent-restart"), serverUrl: restartServer.url, dataDirectory: restartDirectory };
    try {
      const first = await startAgent(restartOptions);
      await restartServer.waitForRequest((r) => stateOf("node-p", "p1", "completed")(r) && stateOf("node-p", "p2", "running")(r));
      await until(async () => (await readState(restartDirectory, "agent-restart"))?.nodes[0]?.tasks?.find((t) => t.assignmentId === "p2")?.process !== undefined, "the task's process to be saved");
      await first.close();
      const saved = (await readState(restartDirectory, "agent-restart"))?.nodes[0]?.tasks;
      assert.equal(saved?.find((t) => t.assignmentId === "p2")?.outcome?.failure?.code, "AgentRestarted");

      const second = await startAgent(restartOptions);
      try {
        const request = await restartServer.waitForRequest((r) => r.bootId === second.bootId);
        assert.equal(taskOf(request, "node-p", "p1")?.outcome?.exitCode, 0);
        assert.equal(taskOf(request, "node-p", "p2")?.outcome?.state, "completed");
        assert.equal(taskOf(request, "node-p", "p2")?.outcome?.failure?.code, "AgentRestarted");
      } finally {
        await second.close();
      }
    } finally {
      await restartServer.close();
      await rm(restartDirectory, { recursive: true, force: true });
    }
  });
});
