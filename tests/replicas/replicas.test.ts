/**
 * Three `openbatch serve` processes on one throwaway PostgreSQL database (issue #13 item 3), driven the way a
 * deployment behind a load balancer is: the official Python SDK writes through one replica and reads through
 * another; list pages continue on any replica; every replica's event stream tells every replica's commits; 2,000
 * tasks run while the replica running the background work is killed with SIGKILL (another takes over — the time
 * is reported —, the agents it started go on with the others, every task runs exactly once, no acknowledged write
 * is lost); a replica frozen with SIGSTOP loses its term and, woken, writes nothing more; the database restarted
 * under load answers 503 ServerBusy meanwhile and everything continues.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { BatchServiceClient, BatchSharedKeyCredential, type WatchEvent } from "@openbatch/client";
import { listLocalAgents, stopLocalAgents } from "@openbatch/server";
import { apiVersion, batchErrorCode, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { startPostgresCluster, type PostgresCluster } from "../support/postgresCluster.js";
import { leaderOf, startReplicaProcess, type ReplicaProcess } from "../support/replicaProcesses.js";
import { waitFor } from "../support/waitFor.js";

const run = promisify(execFile);
const account = { name: "replicas", key: Buffer.from("replica-account-key-for-tests-0123456789").toString("base64") };
const imageReference = { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" };
const nodeAgentSKUId = "batch.node.ubuntu 22.04";

/** A request to one replica; network failures (a killed replica) come back as status 0. */
async function call(replica: ReplicaProcess, options: Parameters<typeof batchRequest>[1]): Promise<BatchResponse> {
  try {
    return await batchRequest(replica.url, { account, ...options });
  } catch (error) {
    return { status: 0, headers: new Headers(), text: String(error), json: undefined };
  }
}

/**
 * Adds tasks through the replicas in turn, moving on to the next replica when one does not answer or is busy (as a
 * client behind a load balancer is moved on). A collection whose answer was lost may have been committed: its tasks
 * then answer TaskExists when sent again, which counts as added.
 */
async function addTasks(replicas: () => ReplicaProcess[], jobId: string, tasks: { id: string; commandLine: string }[], turn = { next: 0 }): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const live = replicas();
    const replica = live[turn.next++ % live.length] as ReplicaProcess;
    const response = await call(replica, { method: "POST", path: `/jobs/${jobId}/addtaskcollection?api-version=${apiVersion}`, body: { value: tasks } });
    if (response.status !== 200) {
      assert.ok(response.status === 0 || response.status === 503, `adding tasks through ${replica.name}: ${response.status} ${response.text}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    const failed = (response.json.value as { taskId: string; status: string; error?: { code: string } }[]).filter(
      (result) => result.status !== "success" && result.error?.code !== "TaskExists",
    );
    assert.deepEqual(failed, [], "every task added");
    return;
  }
  throw new Error("the tasks could not be added through any replica");
}

async function taskCounts(replica: ReplicaProcess, jobId: string): Promise<{ active: number; running: number; completed: number; succeeded: number } | undefined> {
  const response = await call(replica, { path: `/jobs/${jobId}/taskcounts?api-version=${apiVersion}` });
  return response.status === 200 ? response.json.taskCounts : undefined;
}

/** Every task of a job, page by page, each page from the next replica (skiptokens work on any replica). */
async function listTasks(replicas: readonly ReplicaProcess[], jobId: string, query = ""): Promise<{ id: string; state: string; executionInfo?: { exitCode?: number; retryCount: number; requeueCount: number } }[]> {
  const tasks: { id: string; state: string }[] = [];
  let path = `/jobs/${jobId}/tasks?api-version=${apiVersion}&maxresults=1000${query}`;
  for (let page = 0; ; page++) {
    const response = await call(replicas[page % replicas.length] as ReplicaProcess, { path });
    assert.equal(response.status, 200, response.text);
    tasks.push(...(response.json.value as { id: string; state: string }[]));
    const next = response.json["odata.nextLink"] as string | undefined;
    if (next === undefined) return tasks as never;
    const url = new URL(next);
    path = `${url.pathname}${url.search}`;
  }
}

describe("three replicas on one PostgreSQL database", () => {
  let cluster: PostgresCluster;
  let storeUrl: string;
  let dataDir: string;
  let markers: string;
  const replicas: ReplicaProcess[] = [];
  const everStarted: ReplicaProcess[] = [];
  let started = 0;
  const live = () => replicas;

  async function startReplica(): Promise<ReplicaProcess> {
    const replica = await startReplicaProcess({
      name: `replica-${++started}`,
      storeUrl,
      dataDir,
      accounts: [`${account.name}:${account.key}`],
      // Agents report every 2 s; a silent one is noticed after 10 s.
      args: ["--agent-heartbeat-interval", "2", "--node-heartbeat-timeout", "10", "--nodes-per-agent", "2"],
    });
    replicas.push(replica);
    everStarted.push(replica);
    return replica;
  }

  async function allSeeEachOther(): Promise<void> {
    await waitFor(`the ${replicas.length} replicas to see each other`, async () => {
      for (const replica of replicas) if ((await replica.health())?.replicas !== replicas.length) return false;
      return true;
    });
  }

  function remove(replica: ReplicaProcess): void {
    replicas.splice(replicas.indexOf(replica), 1);
  }

  before(async () => {
    cluster = await startPostgresCluster();
    storeUrl = await cluster.createDatabase();
    // One data directory for the three, as replicas on one host share it (their local agents' node directories).
    dataDir = mkdtempSync(join(tmpdir(), "openbatch-replicas-"));
    markers = join(mkdtempSync(join(tmpdir(), "openbatch-replica-markers-")), "markers");
    mkdirSync(markers);
    chmodSync(markers, 0o777);
    for (let i = 0; i < 3; i++) await startReplica();
    await allSeeEachOther();
  });

  after(async () => {
    for (const replica of everStarted) {
      replica.signal("SIGCONT");
      await replica.stop();
    }
    await stopLocalAgents(dataDir, 5000);
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(join(markers, ".."), { recursive: true, force: true });
  });

  it("the official Python SDK writes through one replica and reads through another; list pages continue on any replica", async () => {
    const [a, b, c] = replicas as [ReplicaProcess, ReplicaProcess, ReplicaProcess];
    const { stdout } = await run("/usr/bin/python3", [new URL("python/read_your_writes.py", import.meta.url).pathname.replace("/dist/", "/"), a.url, b.url, c.url, account.name, account.key], {
      timeout: 120_000,
    });
    assert.deepEqual(JSON.parse(stdout), {
      readThroughB: { priority: 10, metadata: [["written", "through a"]] },
      priorityThroughA: 20,
      staleETagThroughA: "ConditionNotMet",
      listedThroughB: 250,
      activeCountedThroughC: 250,
      deletedThroughB_readThroughC: "TaskNotFound",
    });
    // Pages of 100 read through a, b, c and a again: the skiptoken one replica made continues on the next.
    const pages: string[][] = [];
    let path = `/jobs/rw-job/tasks?api-version=${apiVersion}&maxresults=100&$select=id`;
    for (let page = 0; page < 10; page++) {
      const response = await call([a, b, c][page % 3] as ReplicaProcess, { path });
      assert.equal(response.status, 200, response.text);
      pages.push((response.json.value as { id: string }[]).map((task) => task.id));
      const next = response.json["odata.nextLink"] as string | undefined;
      if (next === undefined) break;
      path = `${new URL(next).pathname}${new URL(next).search}`;
    }
    assert.deepEqual(pages.map((page) => page.length), [100, 100, 49]);
    assert.deepEqual(pages.flat(), Array.from({ length: 249 }, (_, i) => `t${String(i + 1).padStart(3, "0")}`));
  });

  it("every replica's event stream tells the commits of every replica, in the same order", async () => {
    const controller = new AbortController();
    const watchers = replicas.map((replica) => {
      const client = new BatchServiceClient(replica.url, new BatchSharedKeyCredential(account.name, account.key));
      const events: WatchEvent[] = [];
      const done = (async () => {
        for await (const event of client.watch({ jobId: "events-job", abortSignal: controller.signal })) events.push(event);
      })().catch(() => undefined);
      return { client, events, done };
    });
    try {
      await waitFor("every watcher ready", async () => watchers.every((watcher) => watcher.events.some((event) => event.type === "ready")));
      // One write through each replica.
      const [a, b, c] = replicas as [ReplicaProcess, ReplicaProcess, ReplicaProcess];
      assert.equal((await call(a, { method: "POST", path: `/jobs?api-version=${apiVersion}`, body: { id: "events-job", poolInfo: { poolId: "nowhere" } } })).status, 201);
      assert.equal((await call(b, { method: "POST", path: `/jobs/events-job/tasks?api-version=${apiVersion}`, body: { id: "from-b", commandLine: "/bin/true" } })).status, 201);
      assert.equal((await call(c, { method: "POST", path: `/jobs/events-job/tasks?api-version=${apiVersion}`, body: { id: "from-c", commandLine: "/bin/true" } })).status, 201);
      const told = (events: WatchEvent[]) =>
        events.flatMap((event) => (event.type === "change" ? [`${event.kind}:${event.change}:${event.id ?? ""}`] : []));
      await waitFor("every watcher to see the three changes", async () => watchers.every((watcher) => told(watcher.events).length >= 3));
      for (const watcher of watchers) {
        assert.deepEqual(told(watcher.events), ["job:insert:events-job", "task:insert:from-b", "task:insert:from-c"]);
        assert.deepEqual(watcher.events.filter((event) => event.type === "reset"), []);
      }
    } finally {
      controller.abort();
      await Promise.all(watchers.map((watcher) => watcher.done));
      for (const watcher of watchers) await watcher.client.close();
    }
  });

  it("runs 2,000 tasks exactly once while the replica running the scheduler is killed (SIGKILL): another takes over, the agents go on with the others, no acknowledged write is lost", async (t) => {
    const [first] = replicas as [ReplicaProcess];
    const pool = await call(first, {
      method: "POST",
      path: `/pools?api-version=${apiVersion}`,
      body: { id: "rpool", vmSize: "standard_d2s_v3", targetDedicatedNodes: 4, taskSlotsPerNode: 4, virtualMachineConfiguration: { imageReference, nodeAgentSKUId } },
    });
    assert.equal(pool.status, 201, pool.text);
    await waitFor(
      "4 idle nodes",
      async () => {
        const nodes = await call(replicas[1] as ReplicaProcess, { path: `/pools/rpool/nodes?api-version=${apiVersion}` });
        return nodes.status === 200 && nodes.json.value.length === 4 && nodes.json.value.every((node: { state: string }) => node.state === "idle");
      },
      120_000,
    );
    const agentsBefore = listLocalAgents(dataDir);
    assert.equal(agentsBefore.length, 2, "2 nodes per agent");
    assert.equal((await call(first, { method: "POST", path: `/jobs?api-version=${apiVersion}`, body: { id: "rjob", poolInfo: { poolId: "rpool" } } })).status, 201);
    const commandLine = `/bin/sh -c 'echo $AZ_BATCH_NODE_ID >> ${markers}/$AZ_BATCH_TASK_ID'`;
    const batch = (n: number) => Array.from({ length: 100 }, (_, i) => ({ id: `task${String(n * 100 + i).padStart(4, "0")}`, commandLine }));
    const turn = { next: 0 };
    for (let n = 0; n < 6; n++) await addTasks(live, "rjob", batch(n), turn);
    await waitFor("tasks running", async () => ((await taskCounts(replicas[1] as ReplicaProcess, "rjob"))?.completed ?? 0) >= 100, 120_000);

    // The replica running the account's background work dies at once; the others go on serving (and adding).
    const leader = await waitFor("one leader", () => leaderOf(replicas, account.name));
    const leaderId = (await leader.health())?.id;
    const killedAt = Date.now();
    leader.signal("SIGKILL");
    remove(leader);
    const adding = (async () => {
      for (let n = 6; n < 20; n++) await addTasks(live, "rjob", batch(n), turn);
    })();
    const takeover = await waitFor(
      "a survivor to take over",
      async () => {
        for (const replica of replicas) {
          const line = replica.logs.find((entry) => entry.msg === "took over the background work of the account" && entry["previousReplica"] === leaderId);
          if (line !== undefined) return { replica, line };
        }
        return undefined;
      },
      60_000,
    );
    const takeoverInMs = takeover.line.time - killedAt;
    t.diagnostic(`${takeover.replica.name} took over ${takeoverInMs} ms after ${leader.name} was killed (term ${String(takeover.line["term"])})`);
    console.log(`replica takeover after SIGKILL: ${takeoverInMs} ms`);
    await adding;

    const counts = await waitFor(
      "2,000 completed tasks",
      async () => {
        const counted = await taskCounts(replicas[0] as ReplicaProcess, "rjob");
        return counted !== undefined && counted.completed === 2000 ? counted : undefined;
      },
      600_000,
      500,
    );
    assert.equal(counts.succeeded, 2000);
    // Exactly once: one marker line per task, and no task run again by the service (no retry, no requeue).
    const files = readdirSync(markers).filter((name) => name.startsWith("task"));
    assert.equal(files.length, 2000);
    const twice = files.filter((name) => readFileSync(join(markers, name), "utf8").trim().split("\n").length !== 1);
    assert.deepEqual(twice, [], "no task ran twice");
    const tasks = await listTasks(replicas, "rjob");
    assert.equal(tasks.length, 2000, "every acknowledged task is there");
    assert.deepEqual(
      tasks.filter((task) => task.state !== "completed" || task.executionInfo?.exitCode !== 0 || task.executionInfo.retryCount !== 0 || task.executionInfo.requeueCount !== 0).map((task) => task.id),
      [],
    );
    // The agents the killed replica started are the same processes; those that were talking to it (each starts
    // with the replicas' URLs in turn, the first agent with its starter's own) went on with another replica.
    assert.deepEqual(listLocalAgents(dataDir).map((agent) => agent.pid).sort(), agentsBefore.map((agent) => agent.pid).sort(), "no agent was restarted");
    let failedOver = 0;
    for (const agent of agentsBefore) {
      const log = readFileSync(join(dataDir, "agents", `${agent.agentId}.log`), "utf8").split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { msg: string; time: string; servers?: string[] });
      const servers = log.find((line) => line.msg === "agent started")?.servers ?? [];
      assert.deepEqual([...servers].sort(), everStarted.slice(0, 3).map((replica) => replica.url).sort(), "started with the three replicas' URLs");
      if (servers[0] !== leader.url) continue;
      failedOver++;
      assert.ok(
        log.some((line) => line.msg === "connected to the server again" && Date.parse(line.time) > killedAt),
        `agent ${agent.agentId} reconnected to another replica`,
      );
    }
    assert.ok(failedOver >= 1, "an agent was talking to the killed replica");
    const nodes = await call(replicas[0] as ReplicaProcess, { path: `/pools/rpool/nodes?api-version=${apiVersion}` });
    assert.deepEqual(nodes.json.value.map((node: { state: string }) => node.state), ["idle", "idle", "idle", "idle"]);
    for (const replica of replicas) {
      const health = (await (await fetch(`${replica.url}/healthz`)).json()) as { details: { illegalTransitions: number; missedWakeUps: number } };
      assert.equal(health.details.illegalTransitions, 0);
      assert.equal(health.details.missedWakeUps, 0, `${replica.name}: no placement needed the safety net`);
    }
    // Back to three, for what follows.
    await startReplica();
    await allSeeEachOther();
  });

  it("a replica frozen with SIGSTOP loses its term once the database ends its silent session; woken, it writes nothing more and stops its work", async (t) => {
    const leader = await waitFor("one leader", () => leaderOf(replicas, account.name));
    const leaderId = (await leader.health())?.id;
    const frozenAt = Date.now();
    leader.signal("SIGSTOP");
    const others = replicas.filter((replica) => replica !== leader);
    const takeover = await waitFor(
      "another replica to take over from the frozen one",
      async () => {
        for (const replica of others) {
          const line = replica.logs.find((entry) => entry.msg === "took over the background work of the account" && entry["previousReplica"] === leaderId);
          if (line !== undefined) return line;
        }
        return undefined;
      },
      60_000,
    );
    t.diagnostic(`takeover ${takeover.time - frozenAt} ms after the leader froze`);
    console.log(`replica takeover after SIGSTOP: ${takeover.time - frozenAt} ms`);
    // Work added meanwhile runs under the new term.
    await addTasks(() => others, "rjob", Array.from({ length: 50 }, (_, i) => ({ id: `frozen${String(i).padStart(2, "0")}`, commandLine: `/bin/sh -c 'echo $AZ_BATCH_NODE_ID >> ${markers}/$AZ_BATCH_TASK_ID'` })));
    await waitFor("the 50 tasks to complete", async () => (await taskCounts(others[0] as ReplicaProcess, "rjob"))?.completed === 2050, 300_000, 500);
    const wokenAt = Date.now();
    leader.signal("SIGCONT");
    const stopped = await leader.waitForLog("the woken replica to stop its term", (line) => line.msg === "stopped running the background work of the account" && line.time >= wokenAt - 1000, 60_000);
    t.diagnostic(`woken, it stopped its work: ${String(stopped["reason"])}`);
    await waitFor("the woken replica to lead nothing", async () => (await leader.health())?.leading.length === 0);
    // Nothing ran twice, and the old term wrote no state change: the woken replica met no illegal transition.
    const twice = readdirSync(markers).filter((name) => readFileSync(join(markers, name), "utf8").trim().split("\n").length !== 1);
    assert.deepEqual(twice, []);
    assert.equal(readdirSync(markers).filter((name) => name.startsWith("frozen")).length, 50);
    const health = (await (await fetch(`${leader.url}/healthz`)).json()) as { details: { illegalTransitions: number } };
    assert.equal(health.details.illegalTransitions, 0);
  });

  it("answers only successes and 503 ServerBusy while the database restarts under load (`pg_ctl restart -m fast`), then carries on: leadership, scheduling, no acknowledged task lost", async () => {
    const statuses: number[] = [];
    const busyCodes = new Set<string>();
    const acknowledged: { id: string; by: ReplicaProcess }[] = [];
    let stop = false;
    const worker = async (replica: ReplicaProcess) => {
      for (let i = 0; !stop; i++) {
        const id = `restart-${replica.name}-${i}`;
        const added = await call(replica, { method: "POST", path: `/jobs/rjob/tasks?api-version=${apiVersion}`, body: { id, commandLine: "/bin/true" } });
        const listed = await call(replica, { path: `/jobs/rjob/tasks?api-version=${apiVersion}&$filter=state eq 'active'&$select=id` });
        for (const response of [added, listed]) {
          statuses.push(response.status);
          if (response.status === 503) busyCodes.add(batchErrorCode(response) ?? "(none)");
        }
        if (added.status === 201) acknowledged.push({ id, by: replica });
      }
    };
    // The replica woken from SIGSTOP may still be reconnecting: a connection not yet back cannot be cut by the restart.
    for (const replica of replicas) await waitFor(`${replica.name}'s coordination connection`, async () => (await replica.health())?.connected === true);
    const workers = replicas.map(worker);
    await waitFor("requests before the restart", async () => acknowledged.length >= 20);
    const before = acknowledged.length;
    const restartedAt = Date.now();
    await cluster.restart();
    await waitFor("tasks added after the restart", async () => acknowledged.length >= before + 30, 120_000);
    stop = true;
    await Promise.all(workers);
    assert.deepEqual(statuses.filter((status) => status !== 200 && status !== 201 && status !== 503), [], "only successes and retryable 503s");
    // A 503 is Batch's retryable ServerBusy (tests/store/postgresUnavailable.test.ts shows one surely happens).
    assert.deepEqual([...busyCodes].filter((code) => code !== "ServerBusy"), [], "every 503 is ServerBusy");
    for (const replica of replicas) {
      await replica.waitForLog("the restart to cut its coordination connection", (line) => line.msg.startsWith("coordination connection to the database lost") && line.time >= restartedAt);
      await replica.waitForLog("its coordination connection to come back", (line) => line.msg === "coordination connection to the database is back" && line.time >= restartedAt);
    }
    await waitFor("a leader again", () => leaderOf(replicas, account.name), 60_000);
    // Every acknowledged task exists, read through another replica than the one that took it, and runs.
    for (const { id, by } of acknowledged) {
      const other = replicas[(replicas.indexOf(by) + 1) % replicas.length] as ReplicaProcess;
      const task = await call(other, { path: `/jobs/rjob/tasks/${id}?api-version=${apiVersion}` });
      assert.equal(task.status, 200, `acknowledged task ${id}: ${task.text}`);
    }
    await waitFor(
      "every acknowledged task to complete",
      async () => {
        const counted = await taskCounts(replicas[0] as ReplicaProcess, "rjob");
        return counted !== undefined && counted.active === 0 && counted.running === 0 && counted.completed >= 2050 + acknowledged.length;
      },
      300_000,
      500,
    );
  });
});
