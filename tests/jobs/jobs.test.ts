/**
 * Job operations without tasks (issue #4, first slice): add, get, list, patch, update, disable, enable, terminate,
 * delete and task counts, over the wire with a raw signed client, plus one pass through the official Python SDK.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { SqliteStore } from "@openbatch/store";
import { apiVersion, batchErrorCode, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const run = promisify(execFile);
const account = testAccounts.alpha;
const q = `api-version=${apiVersion}`;

describe("jobs without tasks", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object, headers?: Record<string, string>): Promise<BatchResponse> =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}${q}`, account, ...(body === undefined ? {} : { body }), ...(headers === undefined ? {} : { headers }) });
  const getJob = async (id: string) => {
    const response = await call("GET", `/jobs/${id}`);
    assert.equal(response.status, 200, response.text);
    return response.json;
  };

  before(async () => {
    server = await startTestServer({ localAgentEntry: undefined });
  });
  after(() => server.dispose());

  it("adds a job with its defaults, returns it, and refuses a second job with the same id in any case", async () => {
    const added = await call("POST", "/jobs", { id: "Job-A", poolInfo: { poolId: "nosuchpool" }, jobPreparationTask: { commandLine: "echo prep" }, jobReleaseTask: { commandLine: "echo rel" } });
    assert.equal(added.status, 201, added.text);
    assert.match(added.headers.get("etag") ?? "", /^0x/);
    assert.match(added.headers.get("dataserviceid") ?? "", /\/jobs\/Job-A$/);
    const job = await getJob("job-a");
    assert.equal(job.id, "Job-A");
    assert.equal(job.state, "active");
    assert.equal(job.priority, 0);
    assert.equal(job.maxParallelTasks, -1);
    assert.equal(job.onAllTasksComplete, "noaction");
    assert.equal(job.onTaskFailure, "noaction");
    assert.equal(job.usesTaskDependencies, false);
    assert.equal(job.executionInfo.startTime, job.creationTime);
    assert.equal(job.executionInfo.poolId, "nosuchpool");
    assert.equal(job.jobPreparationTask.id, "jobpreparation");
    assert.equal(job.jobReleaseTask.id, "jobrelease");
    assert.match(job["odata.metadata"], /#jobs\/@Element$/);
    const again = await call("POST", "/jobs", { id: "JOB-a", poolInfo: { poolId: "p" } });
    assert.equal(again.status, 409);
    assert.equal(batchErrorCode(again), "JobExists");
  });

  it("refuses invalid jobs with 400 naming the property", async () => {
    const cases: [object, string, string][] = [
      [{ id: "bad id", poolInfo: { poolId: "p" } }, "InvalidPropertyValue", "id"],
      [{ id: "j", poolInfo: {} }, "MissingRequiredProperty", "poolInfo.poolId"],
      [{ id: "j", poolInfo: { autoPoolSpecification: { poolLifetimeOption: "job" } } }, "MissingRequiredProperty", "poolInfo.autoPoolSpecification.pool"],
      [{ id: "j", poolInfo: { poolId: "p" }, maxParallelTasks: 0 }, "InvalidPropertyValue", "maxParallelTasks"],
      [{ id: "j", poolInfo: { poolId: "p" }, jobReleaseTask: { commandLine: "x" } }, "InvalidPropertyValue", "jobReleaseTask"],
    ];
    for (const [body, code, property] of cases) {
      const response = await call("POST", "/jobs", body);
      assert.equal(response.status, 400, response.text);
      assert.equal(batchErrorCode(response), code, response.text);
      assert.ok(response.json.values.some((v: { key: string; value: string }) => v.key === "PropertyName" && v.value === property), response.text);
    }
    const priority = await call("POST", "/jobs", { id: "j", poolInfo: { poolId: "p" }, priority: 1001 });
    assert.equal(priority.status, 400);
  });

  it("shares one id namespace with job schedules", async () => {
    // No JobSchedule_Add yet: a schedule written straight into the server's store holds the id.
    const store = new SqliteStore({ filename: join(server.dataDir, "openbatch.db"), now: new Date() });
    try {
      await store.write((tx) => tx.insert({ account: account.name, kind: "jobSchedule", scope: "", id: "Shared" }, { id: "Shared" }, new Date()));
    } finally {
      await store.close();
    }
    const response = await call("POST", "/jobs", { id: "shared", poolInfo: { poolId: "p" } });
    assert.equal(response.status, 409, response.text);
    assert.equal(batchErrorCode(response), "JobScheduleWithSameIdExists");
  });

  it("ends a terminatejob job without a job manager at once, and a PATCH to terminatejob too", async () => {
    assert.equal((await call("POST", "/jobs", { id: "auto-end", poolInfo: { poolId: "p" }, onAllTasksComplete: "terminatejob" })).status, 201);
    const ended = await getJob("auto-end");
    assert.equal(ended.state, "completed");
    assert.equal(ended.executionInfo.terminateReason, "AllTasksComplete");
    assert.equal(ended.executionInfo.endTime, ended.stateTransitionTime);
    assert.equal((await call("POST", "/jobs", { id: "with-jm", poolInfo: { poolId: "p" }, onAllTasksComplete: "terminatejob", jobManagerTask: { id: "jm", commandLine: "echo" } })).status, 201);
    const managed = await getJob("with-jm");
    assert.equal(managed.state, "active");
    assert.equal(managed.jobManagerTask.killJobOnCompletion, true);
    const back = await call("PATCH", "/jobs/with-jm", { onAllTasksComplete: "noaction" });
    assert.equal(back.status, 400);
    assert.equal(batchErrorCode(back), "InvalidPropertyValue");
    const put = await call("PUT", "/jobs/with-jm", { poolInfo: { poolId: "p" } });
    assert.equal(put.status, 400, "a PUT omitting onAllTasksComplete means noaction");
    assert.equal((await call("POST", "/jobs", { id: "later-end", poolInfo: { poolId: "p" } })).status, 201);
    assert.equal((await call("PATCH", "/jobs/later-end", { onAllTasksComplete: "terminatejob" })).status, 200);
    assert.equal((await getJob("later-end")).executionInfo.terminateReason, "AllTasksComplete");
  });

  it("patches only what is given and PUT replaces everything", async () => {
    assert.equal((await call("POST", "/jobs", { id: "upd", poolInfo: { poolId: "p" }, priority: 5, constraints: { maxTaskRetryCount: 2 }, metadata: [{ name: "a", value: "1" }] })).status, 201);
    const patched = await call("PATCH", "/jobs/upd", { priority: 100 });
    assert.equal(patched.status, 200, patched.text);
    let job = await getJob("upd");
    assert.equal(job.priority, 100);
    assert.deepEqual(job.constraints, { maxTaskRetryCount: 2 });
    assert.deepEqual(job.metadata, [{ name: "a", value: "1" }]);
    const put = await call("PUT", "/jobs/upd", { poolInfo: { poolId: "p" } });
    assert.equal(put.status, 200, put.text);
    job = await getJob("upd");
    assert.equal(job.priority, 0);
    assert.equal(job.constraints, undefined);
    assert.deepEqual(job.metadata, []);
    assert.equal(job.onAllTasksComplete, "noaction");
    const move = await call("PATCH", "/jobs/upd", { poolInfo: { poolId: "other" } });
    assert.equal(move.status, 409, "poolInfo changes only while disabled");
    assert.equal((await call("POST", "/jobs/upd/disable", { disableTasks: "requeue" })).status, 202);
    assert.equal((await call("PUT", "/jobs/upd", { poolInfo: { poolId: "other" } })).status, 200);
    job = await getJob("upd");
    assert.equal(job.poolInfo.poolId, "other");
    assert.equal(job.executionInfo.poolId, "other");
  });

  it("disables, enables and terminates, recording the previous state; completed jobs refuse changes", async () => {
    assert.equal((await call("POST", "/jobs", { id: "life", poolInfo: { poolId: "p" } })).status, 201);
    const created = await getJob("life");
    const disabled = await call("POST", "/jobs/life/disable", { disableTasks: "wait" });
    assert.equal(disabled.status, 202, disabled.text);
    let job = await getJob("life");
    assert.equal(job.state, "disabled");
    assert.equal(job.previousState, "active");
    assert.equal(job.previousStateTransitionTime, created.stateTransitionTime);
    assert.equal((await call("POST", "/jobs/life/enable")).status, 202);
    job = await getJob("life");
    assert.equal(job.state, "active");
    assert.equal(job.previousState, "disabled");
    const terminated = await call("POST", "/jobs/life/terminate", { terminateReason: "enough" });
    assert.equal(terminated.status, 202, terminated.text);
    job = await getJob("life");
    assert.equal(job.state, "completed");
    assert.equal(job.previousState, "active");
    assert.equal(job.executionInfo.terminateReason, "enough");
    assert.ok(job.executionInfo.endTime !== undefined);
    for (const [method, path, body] of [
      ["POST", "/jobs/life/terminate", undefined],
      ["POST", "/jobs/life/disable", { disableTasks: "requeue" }],
      ["POST", "/jobs/life/enable", undefined],
      ["PATCH", "/jobs/life", { priority: 1 }],
    ] as const) {
      const response = await call(method, path, body);
      assert.equal(response.status, 409, `${method} ${path}`);
      assert.equal(batchErrorCode(response), "JobCompleted");
    }
    assert.equal((await call("POST", "/jobs", { id: "plain-end", poolInfo: { poolId: "p" } })).status, 201);
    assert.equal((await call("POST", "/jobs/plain-end/terminate")).status, 202);
    assert.equal((await getJob("plain-end")).executionInfo.terminateReason, "UserTerminate");
  });

  it("lists with $filter, $select and $expand=stats; counts tasks as zeros", async () => {
    const active = await call("GET", "/jobs?$filter=" + encodeURIComponent("state eq 'active'"));
    assert.equal(active.status, 200, active.text);
    const ids = active.json.value.map((job: { id: string }) => job.id);
    assert.ok(ids.includes("Job-A"));
    assert.ok(!ids.includes("life") && !ids.includes("auto-end"));
    const selected = await call("GET", "/jobs?$select=id,state&$expand=stats&maxresults=2");
    assert.equal(selected.json.value.length, 2);
    assert.deepEqual(Object.keys(selected.json.value[0]).sort(), ["id", "state"]);
    assert.ok(selected.json["odata.nextLink"] !== undefined);
    const stats = await call("GET", "/jobs/job-a?$expand=stats");
    assert.equal(stats.json.stats.numSucceededTasks, 0);
    const counts = await call("GET", "/jobs/job-a/taskcounts");
    assert.equal(counts.status, 200);
    const zeros = { active: 0, running: 0, completed: 0, succeeded: 0, failed: 0 };
    assert.deepEqual({ taskCounts: counts.json.taskCounts, taskSlotCounts: counts.json.taskSlotCounts }, { taskCounts: zeros, taskSlotCounts: zeros });
    const missing = await call("GET", "/jobs/nope/taskcounts");
    assert.equal(missing.status, 404);
    assert.equal(batchErrorCode(missing), "JobNotFound");
  });

  it("honours If-Match and deletes at once", async () => {
    assert.equal((await call("POST", "/jobs", { id: "gone", poolInfo: { poolId: "p" } })).status, 201);
    const stale = await call("PATCH", "/jobs/gone", { priority: 3 }, { "If-Match": "0x1" });
    assert.equal(stale.status, 412);
    assert.equal(batchErrorCode(stale), "ConditionNotMet");
    const current = await call("GET", "/jobs/gone");
    const etag = current.headers.get("etag") ?? "";
    assert.equal((await call("DELETE", "/jobs/gone", undefined, { "If-Match": "0x1" })).status, 412);
    assert.equal((await call("DELETE", "/jobs/gone", undefined, { "If-Match": etag })).status, 202);
    const after = await call("GET", "/jobs/gone");
    assert.equal(after.status, 404);
    assert.equal(batchErrorCode(after), "JobNotFound");
  });

  it("works through the official Python SDK", async () => {
    const script = fileURLToPath(new URL("../../conformance/python/jobs.py", import.meta.url));
    const { stdout } = await run("/usr/bin/python3", [script, server.url, account.name, account.key, "--job", "sdk-job"], { timeout: 120_000 });
    const result = JSON.parse(stdout);
    assert.equal(result.ok, true, stdout);
    assert.deepEqual(result.steps, {
      added: { id: "sdk-job", state: "active", priority: 0, poolId: "sdkpool" },
      listedActive: true,
      patchedPriority: 42,
      disabled: "disabled",
      enabled: "active",
      terminated: { state: "completed", reason: "done-by-sdk", previousState: "active" },
      duplicate: { code: "JobExists", statusCode: 409 },
    });
  });
});
