/**
 * Certificates reach nodes (issue #7), with real agents and processes: a pool's certificateReferences put the files
 * in `certs/` of the processes their visibility names, at `$AZ_BATCH_CERTIFICATES_DIR`. The task runs in a job made
 * by a job schedule, and its failure (performexitoptionsjobaction) completes the job, which completes the
 * non-recurring schedule: a schedule's job is an ordinary job, and task-driven job completion reaches the runner.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { certificateFixture, sha1Thumbprint } from "../support/certificateFixtures.js";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";
import { ubuntuVm } from "../support/pools.js";

const account = testAccounts.alpha;

describe("certificates on nodes", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const pfxThumbprint = sha1Thumbprint(certificateFixture("openbatch-test.cer")).toLowerCase();
  const cerThumbprint = sha1Thumbprint(certificateFixture("openbatch-second.cer")).toLowerCase();

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/certificates", { thumbprint: pfxThumbprint, thumbprintAlgorithm: "sha1", data: certificateFixture("openbatch-test.pfx").toString("base64"), password: "openbatch-test" })).status, 201);
    assert.equal((await call("POST", "/certificates", { thumbprint: cerThumbprint, thumbprintAlgorithm: "sha1", data: certificateFixture("openbatch-second.cer").toString("base64"), certificateFormat: "cer" })).status, 201);
  });
  after(() => server.dispose());

  it("places each certificate for the processes its visibility names, and a scheduled job's task sees them", async () => {
    const pool = await call("POST", "/pools", {
      id: "certnodes", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1,
      virtualMachineConfiguration: ubuntuVm,
      startTask: { commandLine: "/bin/sh -c 'ls \"$AZ_BATCH_CERTIFICATES_DIR\"'", waitForSuccess: true },
      certificateReferences: [
        { thumbprint: pfxThumbprint, thumbprintAlgorithm: "sha1", visibility: ["task"] },
        { thumbprint: cerThumbprint, thumbprintAlgorithm: "sha1" },
      ],
    });
    assert.equal(pool.status, 201, pool.text);
    const node = await waitFor("an idle node", async () => {
      const nodes = (await call("GET", "/pools/certnodes/nodes")).json.value;
      return nodes[0]?.state === "idle" ? nodes[0] : undefined;
    });
    assert.equal(node.certificateReferences.length, 2, "the node lists the certificates it got");
    const startOut = await call("GET", `/pools/certnodes/nodes/${node.id}/files/startup%2Fstdout.txt`);
    assert.equal(startOut.status, 200, startOut.text);
    assert.deepEqual(startOut.text.trim().split("\n"), [`sha1-${cerThumbprint}.cer`], "the start task sees only what is visible to it");

    const schedule = await call("POST", "/jobschedules", {
      id: "certsched",
      schedule: {},
      jobSpecification: { poolInfo: { poolId: "certnodes" }, onTaskFailure: "performexitoptionsjobaction" },
    });
    assert.equal(schedule.status, 201, schedule.text);
    await waitFor("certsched:job-1", async () => ((await call("GET", "/jobs/certsched%3Ajob-1")).status === 200 ? true : undefined));
    const command = "/bin/sh -c 'ls \"$AZ_BATCH_CERTIFICATES_DIR\"; cat \"$AZ_BATCH_CERTIFICATES_DIR\"/*.pw; echo; exit 3'";
    assert.equal((await call("POST", "/jobs/certsched%3Ajob-1/tasks", { id: "t1", commandLine: command })).status, 201);
    const task = await waitFor("the task to complete", async () => {
      const current = (await call("GET", "/jobs/certsched%3Ajob-1/tasks/t1")).json;
      return current.state === "completed" ? current : undefined;
    });
    assert.equal(task.executionInfo.exitCode, 3);
    assert.match(task.nodeInfo.taskRootDirectory, /^workitems\/certsched\/job-1\/t1$/);
    const out = await call("GET", "/jobs/certsched%3Ajob-1/tasks/t1/files/stdout.txt");
    assert.equal(out.status, 200, out.text);
    const lines = out.text.trim().split("\n");
    assert.deepEqual(lines.slice(0, 3).sort(), [`sha1-${cerThumbprint}.cer`, `sha1-${pfxThumbprint}.pfx`, `sha1-${pfxThumbprint}.pfx.pw`].sort());
    assert.equal(lines[3], "openbatch-test", "the .pw file holds the pfx password");

    const job = await waitFor("the job to complete", async () => {
      const current = (await call("GET", "/jobs/certsched%3Ajob-1")).json;
      return current.state === "completed" ? current : undefined;
    });
    assert.equal(job.executionInfo.terminateReason, "TaskFailed");
    const completed = await waitFor("the schedule to complete", async () => {
      const current = (await call("GET", "/jobschedules/certsched")).json;
      return current.state === "completed" ? current : undefined;
    });
    assert.equal(completed.executionInfo.recentJob.id, "certsched:job-1");
  });
});
