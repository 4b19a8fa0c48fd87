import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AgentSyncRequest } from "@openbatch/protocol";
import { localStatePath, readSavedState, noIsolation, silentLogger, startAgent, type Agent, type AgentOptions, type PersistedState } from "../src/index.js";
import { FakeSyncServer, desiredNode } from "./support/fakeSyncServer.js";

const token = "recovery-test-token";

function startTaskOf(request: AgentSyncRequest, nodeId: string) {
  return request.nodes.find((node) => node.nodeId === nodeId)?.startTask;
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutInMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutInMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function readState(directory: string, agentId: string): PersistedState | undefined {
  return readSavedState(localStatePath(directory, agentId));
}

describe("agent recovery", () => {
  let directory: string;
  const cleanups: (() => Promise<void>)[] = [];
  const options = (server: FakeSyncServer, agentId: string): AgentOptions => ({
    serverUrl: server.url,
    agentId,
    token,
    dataDirectory: directory,
    waitInMs: 2000,
    killGracePeriodInMs: 300,
    backoff: { initialInMs: 20, maxInMs: 200 },
    logger: silentLogger, isolation: noIsolation("agent unit tests run unconfined"),
  });
  const track = <T extends { close(): Promise<void> }>(closable: T): T => {
    cleanups.push(() => closable.close());
    return closable;
  };

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "ob-agent-recovery-"));
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await rm(directory, { recursive: true, force: true });
  });

  it("keeps processes running while the server is away and reports their outcome when it is back", async () => {
    const node = desiredNode({ nodeId: "outage", startTask: { commandLine: "/bin/sh -c 'sleep 0.5; exit 7'" }, startTaskAttempt: 1 });
    const first = await FakeSyncServer.start({ token, desired: [node] });
    const agent = track(await startAgent(options(first, "agent-outage")));
    await first.waitForRequest((request) => startTaskOf(request, "outage")?.state === "running");
    await first.close();

    const outcome = await until(async () => {
      const saved = (await readState(directory, "agent-outage"))?.nodes.find((entry) => entry.nodeId === "outage")?.startTask;
      return saved?.state === "completed" ? saved : undefined;
    }, "the start task to end while the server is down");
    assert.equal(outcome.exitCode, 7);

    const second = track(await FakeSyncServer.start({ token, port: first.port, desired: [node] }));
    const request = await second.waitForRequest((r) => startTaskOf(r, "outage")?.state === "completed");
    assert.equal(startTaskOf(request, "outage")?.exitCode, 7);
    assert.equal(request.bootId, agent.bootId, "the same agent process reconnected");
  });

  it("retries through server errors", async () => {
    const server = track(await FakeSyncServer.start({ token }));
    server.failWith = 503;
    const agent = track(await startAgent(options(server, "agent-503")));
    await server.waitForRequest(() => server.requests.length >= 3);
    server.failWith = undefined;
    server.setDesired([desiredNode({ nodeId: "after-503" })]);
    await server.waitForRequest((request) => request.nodes.some((entry) => entry.nodeId === "after-503" && entry.phase === "ready"));
    await agent.close();
  });

  it("stops with 'unauthorized' when the server refuses its token", async () => {
    const server = track(await FakeSyncServer.start({ token: "another-token" }));
    const agent = await startAgent(options(server, "agent-401"));
    assert.equal(await agent.stopped, "unauthorized");
  });

  it("records a start task ended by close() as AgentRestarted and reports it after a restart", async () => {
    const node = desiredNode({ nodeId: "closed", startTask: { commandLine: "sleep 60" }, startTaskAttempt: 1 });
    const server = track(await FakeSyncServer.start({ token, desired: [node] }));
    const agent: Agent = await startAgent(options(server, "agent-close"));
    await server.waitForRequest((request) => startTaskOf(request, "closed")?.state === "running");
    await until(async () => (await readState(directory, "agent-close"))?.nodes[0]?.startTaskProcess, "the start task's process to run");
    await agent.close();
    const saved = (await readState(directory, "agent-close"))?.nodes.find((entry) => entry.nodeId === "closed");
    assert.equal(saved?.startTask?.state, "completed");
    assert.equal(saved?.startTask?.failure?.code, "AgentRestarted");
    assert.equal(saved?.startTask?.exitCode, 143);

    const restarted = track(await startAgent(options(server, "agent-close")));
    const request = await server.waitForRequest((r) => r.bootId === restarted.bootId);
    assert.equal(startTaskOf(request, "closed")?.failure?.code, "AgentRestarted");
    assert.equal(request.nodes.find((entry) => entry.nodeId === "closed")?.phase, "ready");
  });

  it("after a crash, reports a start task that was running as AgentRestarted, ends its process, and reruns it when asked", async () => {
    const agentId = "agent-crash";
    const root = join(directory, "pool-1", "crashed");
    await mkdir(join(root, "startup", "wd"), { recursive: true });
    // The process a crashed agent left behind: a process-group leader, as the agent starts them.
    const orphan = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
    const orphanExit = new Promise<NodeJS.Signals | null>((resolve) => orphan.once("exit", (_code, signal) => resolve(signal)));
    const pid = orphan.pid as number;
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
    const startTicks = stat?.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    const state: PersistedState = {
      version: 1,
      agentId,
      nodes: [
        {
          nodeId: "crashed",
          poolId: "pool-1",
          generation: 0,
          phase: "ready",
          removing: false,
          wipePending: false,
          startTaskAttemptRun: 1,
          startTask: { attempt: 1, state: "running", startTime: "2026-01-01T00:00:00.000Z" },
          startTaskProcess: { pid, ...(startTicks === undefined ? {} : { startTicks }) },
        },
      ],
    };
    await writeFile(localStatePath(directory, agentId), JSON.stringify(state));

    const command = "/bin/sh -c 'echo rerun'";
    const server = track(await FakeSyncServer.start({ token, desired: [desiredNode({ nodeId: "crashed", startTask: { commandLine: command }, startTaskAttempt: 1 })] }));
    track(await startAgent(options(server, agentId)));
    const first = await server.waitForRequest(() => true);
    const reported = startTaskOf(first, "crashed");
    assert.equal(reported?.state, "completed");
    assert.equal(reported?.failure?.code, "AgentRestarted");
    assert.equal(reported?.startTime, "2026-01-01T00:00:00.000Z");
    assert.equal(first.nodes[0]?.phase, "ready");
    if (startTicks !== undefined) {
      assert.equal(await orphanExit, "SIGKILL", "the orphaned start task was ended");
    } else {
      orphan.kill("SIGKILL");
    }

    server.setDesired([desiredNode({ nodeId: "crashed", startTask: { commandLine: command }, startTaskAttempt: 2 })]);
    const rerun = await server.waitForRequest((r) => startTaskOf(r, "crashed")?.attempt === 2 && startTaskOf(r, "crashed")?.state === "completed");
    assert.equal(startTaskOf(rerun, "crashed")?.exitCode, 0);
    assert.equal(await readFile(join(root, "startup", "stdout.txt"), "utf8"), "rerun\n");
  });

  it("removes nodes of its saved state that the server no longer lists", async () => {
    const agentId = "agent-stale";
    const root = join(directory, "pool-9", "stale");
    await mkdir(join(root, "shared"), { recursive: true });
    const state: PersistedState = {
      version: 1,
      agentId,
      nodes: [{ nodeId: "stale", poolId: "pool-9", generation: 3, phase: "ready", removing: false, wipePending: false, startTaskAttemptRun: 0 }],
    };
    await writeFile(localStatePath(directory, agentId), JSON.stringify(state));
    const server = track(await FakeSyncServer.start({ token, desired: [] }));
    track(await startAgent(options(server, agentId)));
    const first = await server.waitForRequest(() => true);
    assert.equal(first.nodes[0]?.nodeId, "stale");
    assert.equal(first.nodes[0]?.generation, 3);
    await server.waitForRequest((request) => request.nodes.length === 0);
    await assert.rejects(access(root), "the stale node's directory is gone");
  });

  it("reports a fact at once instead of waiting for the long poll to end", async () => {
    const server = track(await FakeSyncServer.start({ token, desired: [desiredNode({ nodeId: "prompt", startTask: { commandLine: "sleep 0.3" }, startTaskAttempt: 1 })] }));
    track(await startAgent({ ...options(server, "agent-prompt"), waitInMs: 30_000 }));
    await server.waitForRequest((request) => startTaskOf(request, "prompt")?.state === "running");
    const started = performance.now();
    // The fake server holds unchanged requests for waitInMs (30 s): only a wake-up gets this out in time.
    await server.waitForRequest((request) => startTaskOf(request, "prompt")?.state === "completed", 5_000);
    assert.ok(performance.now() - started < 5_000);
  });

  it("removes the nodes it still hosts before stopping on a shutdown answer", async () => {
    const server = track(await FakeSyncServer.start({ token, desired: [desiredNode({ nodeId: "last", poolId: "pool-last", startTask: { commandLine: "sleep 60" }, startTaskAttempt: 1 })] }));
    const agent = await startAgent(options(server, "agent-shutdown"));
    await server.waitForRequest((request) => startTaskOf(request, "last")?.state === "running");
    server.setDesired([], true);
    assert.equal(await agent.stopped, "shutdown");
    await assert.rejects(access(join(directory, "pool-last", "last")));
  });

  it("closes when its abort signal fires", async () => {
    const server = track(await FakeSyncServer.start({ token }));
    const controller = new AbortController();
    const agent = await startAgent({ ...options(server, "agent-signal"), signal: controller.signal });
    await server.waitForRequest(() => true);
    controller.abort();
    assert.equal(await agent.stopped, "closed");
  });

  it("moves an unreadable state file aside and starts afresh", async () => {
    const agentId = "agent-corrupt";
    await writeFile(localStatePath(directory, agentId), "{ not json");
    const server = track(await FakeSyncServer.start({ token }));
    track(await startAgent(options(server, agentId)));
    const first = await server.waitForRequest(() => true);
    assert.deepEqual(first.nodes, []);
    assert.equal(await readFile(`${localStatePath(directory, agentId)}.corrupt`, "utf8"), "{ not json");
  });
});
