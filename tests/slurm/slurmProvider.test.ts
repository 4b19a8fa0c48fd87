/**
 * The Slurm provider on a throwaway Slurm cluster (support/slurmCluster.ts): each node of a `slurm` pool is a pilot
 * job running `openbatch agent` (the compiled CLI) on the cluster's node. Pending pilots leave their nodes
 * `creating`, running ones bring them to `idle`; a pool of 4 runs 500 tasks; a resize to 2 cancels 2 pilots (seen in
 * squeue); a pilot cancelled from outside takes its node out of the pool, its running task requeued and the node
 * replaced; an autoscale formula grows and shrinks the pool; a pilot near its time limit has its node drained and
 * replaced before Slurm ends it.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { cliMain } from "../support/remoteAgents.js";
import { startSlurmCluster, type SlurmCluster } from "../support/slurmCluster.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

interface NodeView {
  id: string;
  state: string;
}

describe("the Slurm provider", () => {
  let cluster: SlurmCluster;
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), "openbatch-slurm-provider-"));
  const pilots = join(work, "pilots");
  const request = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const nodes = async (poolId: string) => (await request("GET", `/pools/${poolId}/nodes`)).json.value as NodeView[];
  const idle = async (poolId: string, count: number) => {
    const list = await nodes(poolId);
    return list.length === count && list.every((node) => node.state === "idle");
  };
  /** This server's pilot jobs: `{ jobId: [name, state] }`. */
  const pilotJobs = () => {
    const lines = cluster.run("squeue", ["--noheader", "--format=%i|%j|%T"]).trim();
    return (lines === "" ? [] : lines.split("\n"))
      .map((line) => line.trim().split("|") as [string, string, string])
      .filter(([, name]) => /^ob[0-9a-f]{6}-agent-/.test(name));
  };
  /** The pilot job hosting a node, from the node's directory in its pilot's work directory. */
  const pilotOf = (poolId: string, nodeId: string) => {
    const agentId = readdirSync(pilots).find((agent) => existsSync(join(pilots, agent, "nodes", poolId, nodeId)));
    const job = pilotJobs().find(([, name]) => name.endsWith(`-${agentId}`));
    assert.ok(job !== undefined, `the pilot of ${nodeId}`);
    return job[0];
  };
  const addPool = async (id: string, target: number, metadata: { name: string; value: string }[] = []) => {
    const added = await request("POST", "/pools", {
      id, vmSize: "Standard_A1_v2", targetDedicatedNodes: target, taskSlotsPerNode: 2, virtualMachineConfiguration: ubuntuVm,
      metadata: [{ name: "openbatch.provider", value: "slurm" }, ...metadata],
    });
    assert.equal(added.status, 201, added.text);
  };

  before(async () => {
    cluster = await startSlurmCluster({ extraConfig: ["PartitionName=held Nodes=ALL State=DOWN OverSubscribe=FORCE:8 MaxTime=INFINITE"] });
    server = await startTestServer({
      agentHeartbeatIntervalInSeconds: 2,
      slurm: {
        agentCommand: [process.execPath, cliMain, "agent"],
        environment: { SLURM_CONF: cluster.env["SLURM_CONF"] as string },
        pilotEnvironment: { OPENBATCH_AGENT_ISOLATION: "off" },
        workDir: pilots,
        pollIntervalInMs: 500,
      },
    });
  });
  after(async () => {
    await cluster?.stop();
    await server?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it("leaves a node creating while its pilot is pending and brings it up once the pilot runs", async () => {
    await addPool("heldpool", 1, [{ name: "openbatch.slurm.partition", value: "held" }]);
    await waitFor("a pending pilot", async () => pilotJobs().some(([, , state]) => state === "PENDING"), 30_000);
    const [node] = await nodes("heldpool");
    assert.equal(node?.state, "creating");
    assert.equal((await request("GET", "/pools/heldpool")).json.allocationState, "resizing");
    cluster.run("scontrol", ["update", "PartitionName=held", "State=UP"]);
    await waitFor("the node to be idle", async () => idle("heldpool", 1), 60_000);
    assert.equal((await request("GET", "/pools/heldpool")).json.allocationState, "steady");
    assert.equal((await request("DELETE", "/pools/heldpool")).status, 202);
    await waitFor("the pool and its pilot to be gone", async () => (await request("GET", "/pools/heldpool")).status === 404 && pilotJobs().length === 0, 60_000);
  });

  it("runs 500 tasks on a pool of 4 pilots", async () => {
    await addPool("slurmpool", 4);
    await waitFor("4 idle nodes", async () => idle("slurmpool", 4), 120_000);
    assert.deepEqual(pilotJobs().map(([, , state]) => state), ["RUNNING", "RUNNING", "RUNNING", "RUNNING"]);
    assert.equal((await request("POST", "/jobs", { id: "many", poolInfo: { poolId: "slurmpool" } })).status, 201);
    for (let first = 0; first < 500; first += 100) {
      const value = Array.from({ length: 100 }, (_, i) => ({ id: `t${first + i}`, commandLine: `/bin/sh -c "echo task ${first + i} on $AZ_BATCH_NODE_ID"` }));
      assert.equal((await request("POST", "/jobs/many/addtaskcollection", { value })).status, 200);
    }
    const counts = await waitFor("500 completed tasks", async () => {
      const taskCounts = (await request("GET", "/jobs/many/taskcounts")).json.taskCounts;
      return taskCounts.completed === 500 ? taskCounts : undefined;
    }, 300_000, 250);
    assert.equal(counts.succeeded, 500);
    const output = await request("GET", "/jobs/many/tasks/t123/files/stdout.txt");
    assert.match(output.text, /^task 123 on tvm-/);
  });

  it("cancels 2 pilot jobs when the pool is resized to 2", async () => {
    assert.equal((await request("POST", "/pools/slurmpool/resize", { targetDedicatedNodes: 2 })).status, 202);
    await waitFor("2 nodes and 2 pilots", async () => (await idle("slurmpool", 2)) && pilotJobs().length === 2, 60_000);
    assert.equal((await request("GET", "/pools/slurmpool")).json.currentDedicatedNodes, 2);
  });

  it("takes a node whose pilot is cancelled outside OpenBatch out of the pool, requeues its task and replaces it", async () => {
    const gate = join(work, "gate");
    assert.equal((await request("POST", "/jobs", { id: "held", poolInfo: { poolId: "slurmpool" } })).status, 201);
    assert.equal((await request("POST", "/jobs/held/tasks", { id: "waits", commandLine: `/bin/sh -c "while [ ! -e ${gate} ]; do sleep 0.2; done"` })).status, 201);
    const running = await waitFor("the task to run", async () => {
      const task = (await request("GET", "/jobs/held/tasks/waits")).json;
      return task.state === "running" ? task : undefined;
    });
    const victim = running.nodeInfo.nodeId as string;
    const jobId = pilotOf("slurmpool", victim);
    cluster.run("scancel", [jobId]);
    await waitFor("the node to leave", async () => !(await nodes("slurmpool")).some((node) => node.id === victim), 60_000);
    const requeued = (await request("GET", "/jobs/held/tasks/waits")).json;
    assert.equal(requeued.executionInfo.requeueCount, 1, "the running task was requeued");
    await waitFor("a replacement node", async () => (await idle("slurmpool", 2)) || (await nodes("slurmpool")).filter((node) => node.state === "idle" || node.state === "running").length === 2, 90_000);
    writeFileSync(gate, "");
    const done = await waitFor("the task to complete elsewhere", async () => {
      const task = (await request("GET", "/jobs/held/tasks/waits")).json;
      return task.state === "completed" ? task : undefined;
    }, 60_000);
    assert.equal(done.executionInfo.exitCode, 0);
    assert.notEqual(done.nodeInfo.nodeId, victim);
    assert.equal(pilotJobs().length, 2);
  });

  it("grows and shrinks the pool with an autoscale formula", async () => {
    // The service takes one enable per pool every 30 s (TooManyEnableAutoScaleRequests): a client retries, so do we.
    const enable = (formula: string) =>
      waitFor("the enable to be accepted", async () => {
        const response = await request("POST", "/pools/slurmpool/enableautoscale", { autoScaleFormula: formula, autoScaleEvaluationInterval: "PT5M" });
        return response.status === 503 && response.json?.code === "TooManyEnableAutoScaleRequests" ? undefined : response;
      }, 60_000, 1000);
    await waitFor("the pool to be steady", async () => (await request("GET", "/pools/slurmpool")).json.allocationState === "steady", 60_000);
    const grow = await enable("$TargetDedicatedNodes = 3;");
    assert.equal(grow.status, 200, grow.text);
    await waitFor("3 idle nodes and 3 pilots", async () => (await idle("slurmpool", 3)) && pilotJobs().length === 3, 120_000);
    await waitFor("the pool to be steady", async () => (await request("GET", "/pools/slurmpool")).json.allocationState === "steady", 60_000);
    const shrink = await enable("$TargetDedicatedNodes = 1;");
    assert.equal(shrink.status, 200, shrink.text);
    await waitFor("1 node and 1 pilot", async () => (await idle("slurmpool", 1)) && pilotJobs().length === 1, 120_000);
    assert.equal((await request("POST", "/pools/slurmpool/disableautoscale")).status, 200);
  });

  it("drains and replaces a node before its pilot's time limit", async () => {
    // A 2-minute limit, drained 100 s before it: after ~20 s the node is replaced by a new pilot's.
    await addPool("shortlived", 1, [{ name: "openbatch.slurm.timeLimit", value: "2" }, { name: "openbatch.slurm.drainBefore", value: "100" }]);
    const [first] = await waitFor("an idle node", async () => ((await idle("shortlived", 1)) ? nodes("shortlived") : undefined), 60_000);
    const firstPilot = pilotOf("shortlived", (first as NodeView).id);
    const replaced = await waitFor("a replacement node", async () => {
      const list = await nodes("shortlived");
      return list.length === 1 && list[0]?.id !== first?.id && list[0]?.state === "idle" ? list[0] : undefined;
    }, 90_000, 250);
    assert.notEqual(replaced.id, first?.id);
    await waitFor(`the first pilot to end: ${JSON.stringify(pilotJobs())}`, async () => !pilotJobs().some(([jobId]) => jobId === firstPilot), 30_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message} ${JSON.stringify(pilotJobs())} first ${firstPilot}`);
    });
    const pool = (await request("GET", "/pools/shortlived")).json;
    assert.equal(pool.currentDedicatedNodes, 1);
    assert.equal(pool.resizeErrors, undefined);
  });
});
