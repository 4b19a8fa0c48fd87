/**
 * Job schedules over the wire (issue #7): validation and the shared job/schedule id namespace, the timing rules on
 * a simulated clock (recurrence, one active job, start window, doNotRunAfter, non-recurring completion), disable,
 * enable, terminate, delete, patch and update, and the jobs of a schedule. The server runs no agents: a schedule's
 * job "runs" until it is terminated, or completes at once with `onAllTasksComplete: terminatejob` and no task.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { formatTimestamp, SimulatedClock } from "@openbatch/core";
import { apiVersion, batchErrorCode, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const q = `api-version=${apiVersion}`;
const minute = 60_000;

describe("job schedules", () => {
  let server: TestServer;
  const clock = new SimulatedClock(new Date("2030-01-01T00:00:00Z"));
  const call = (method: string, path: string, body?: object): Promise<BatchResponse> =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}${q}`, account, date: clock.now(), ...(body === undefined ? {} : { body }) });
  const getSchedule = async (id: string) => {
    const response = await call("GET", `/jobschedules/${id}`);
    assert.equal(response.status, 200, response.text);
    return response.json;
  };
  const jobsOf = async (id: string): Promise<any[]> => {
    const response = await call("GET", `/jobschedules/${id}/jobs`);
    assert.equal(response.status, 200, response.text);
    return (response.json.value as any[]).sort((a, b) => Number(a.id.split("-").pop()) - Number(b.id.split("-").pop()));
  };
  /** Waits until the schedule's jobs have exactly these ids, and checks at most one of them is not completed. */
  const waitForJobs = async (id: string, expected: string[]) => {
    const jobs = await waitFor(`jobs ${expected.join(",")} of ${id}`, async () => {
      const jobs = await jobsOf(id);
      return jobs.map((job) => job.id).join(",") === expected.join(",") ? jobs : undefined;
    }, 20_000);
    assert.ok(jobs.filter((job) => job.state !== "completed").length <= 1, `at most one active job: ${JSON.stringify(jobs.map((job) => [job.id, job.state]))}`);
    return jobs;
  };
  const waitForSchedule = (id: string, what: string, test: (schedule: any) => boolean) =>
    waitFor(`${id}: ${what}`, async () => {
      const schedule = await getSchedule(id);
      return test(schedule) ? schedule : undefined;
    }, 20_000);
  /** The wire form of the time `offsetInMs` after the test began. */
  const at = (offsetInMs: number) => formatTimestamp(new Date(start.getTime() + offsetInMs));
  let start: Date;
  const spec = (extra: object = {}) => ({ poolInfo: { poolId: "schedpool" }, ...extra });

  before(async () => {
    server = await startTestServer({ localAgentEntry: undefined, clock, clockSkewInSeconds: 10 * 365 * 86_400 });
    start = clock.now();
  });
  after(() => server.dispose());

  it("refuses bad schedules with 400 naming the property, and shares one id namespace with jobs", async () => {
    const cases: [object, string, string][] = [
      [{ id: "s1", schedule: { recurrenceInterval: "PT30S" }, jobSpecification: spec() }, "InvalidPropertyValue", "schedule.recurrenceInterval"],
      [{ id: "s1", schedule: { startWindow: "PT59S" }, jobSpecification: spec() }, "InvalidPropertyValue", "schedule.startWindow"],
      [{ id: "s1", schedule: {}, jobSpecification: { poolInfo: { autoPoolSpecification: { poolLifetimeOption: "jobschedule" } } } }, "MissingRequiredProperty", "jobSpecification.poolInfo.autoPoolSpecification.pool"],
      [{ id: "s1", schedule: {}, jobSpecification: spec({ priority: 5000 }) }, "InvalidPropertyValue", "jobSpecification.priority"],
      [{ id: "bad id", schedule: {}, jobSpecification: spec() }, "InvalidPropertyValue", "id"],
      [{ id: "s1", schedule: {} }, "MissingRequiredProperty", "jobSpecification"],
    ];
    for (const [body, code, property] of cases) {
      const response = await call("POST", "/jobschedules", body);
      assert.equal(response.status, 400, `${JSON.stringify(body)} → ${response.text}`);
      assert.equal(batchErrorCode(response), code, response.text);
      assert.ok(JSON.stringify(response.json.values).includes(property), `${property} named in ${response.text}`);
    }
    assert.equal((await call("GET", "/jobschedules/s1")).status, 404);

    const far = { doNotRunUntil: at(365 * 24 * 60 * minute) };
    assert.equal((await call("POST", "/jobschedules", { id: "Shared-1", schedule: far, jobSpecification: spec() })).status, 201);
    const again = await call("POST", "/jobschedules", { id: "shared-1", schedule: far, jobSpecification: spec() });
    assert.equal(again.status, 409);
    assert.equal(batchErrorCode(again), "JobScheduleExists");
    const job = await call("POST", "/jobs", { id: "SHARED-1", poolInfo: { poolId: "p" } });
    assert.equal(job.status, 409);
    assert.equal(batchErrorCode(job), "JobScheduleWithSameIdExists");
    assert.equal((await call("POST", "/jobs", { id: "plainjob", poolInfo: { poolId: "p" } })).status, 201);
    const schedule = await call("POST", "/jobschedules", { id: "PlainJob", schedule: far, jobSpecification: spec() });
    assert.equal(schedule.status, 409);
    assert.equal(batchErrorCode(schedule), "JobWithSameIdExists");
    assert.equal((await call("HEAD", "/jobschedules/SHARED-1")).status, 200);
    assert.equal((await call("HEAD", "/jobschedules/nosuch")).status, 404);
    const missing = await call("GET", "/jobschedules/nosuch/jobs");
    assert.equal(missing.status, 404);
    assert.equal(batchErrorCode(missing), "JobScheduleNotFound");
  });

  it("makes <id>:job-N every interval, one active job at a time, skipping occurrences that could not start", async () => {
    const added = await call("POST", "/jobschedules", {
      id: "Every",
      schedule: { doNotRunUntil: at(clock.now().getTime() - start.getTime() + minute), recurrenceInterval: "PT1M" },
      jobSpecification: spec({ priority: 7 }),
      metadata: [{ name: "k", value: "v" }],
    });
    assert.equal(added.status, 201, added.text);
    const t0 = clock.now().getTime() - start.getTime();
    let schedule = await getSchedule("every");
    assert.equal(schedule.state, "active");
    assert.equal(schedule.executionInfo.nextRunTime, at(t0 + minute));
    assert.equal(schedule.executionInfo.recentJob, undefined);
    assert.deepEqual(await jobsOf("every"), []);

    clock.advance(minute);
    const [first] = await waitForJobs("every", ["Every:job-1"]);
    assert.equal(first.priority, 7, "the job copies the job specification");
    assert.equal(first.state, "active");
    assert.match(first.url, /\/jobs\/Every%3Ajob-1$/);
    schedule = await waitForSchedule("every", "next run at +2m", (s) => s.executionInfo.nextRunTime === at(t0 + 2 * minute));
    assert.equal(schedule.executionInfo.recentJob.id, "Every:job-1");
    const job = await call("GET", "/jobs/Every%3Ajob-1");
    assert.equal(job.status, 200, "a schedule's job is an ordinary job");

    // job-1 still runs when job-2 is due, and still when that occurrence's window (the interval) has passed.
    clock.advance(minute);
    clock.advance(minute + 10_000);
    await waitForSchedule("every", "skipped to +3m", (s) => s.executionInfo.nextRunTime === at(t0 + 3 * minute));
    await waitForJobs("every", ["Every:job-1"]);

    // Ending job-1 lets the due occurrence start its job at once (its window is still open).
    clock.advance(20_000);
    assert.equal((await call("POST", "/jobs/Every%3Ajob-1/terminate", {})).status, 202);
    const jobs = await waitForJobs("every", ["Every:job-1", "Every:job-2"]);
    assert.ok(jobs[1].creationTime >= jobs[0].executionInfo.endTime, "job-2 starts only after job-1 ended");
    const filtered = await call("GET", "/jobschedules/every/jobs?$filter=state%20eq%20'active'");
    assert.deepEqual(filtered.json.value.map((j: any) => j.id), ["Every:job-2"]);
  });

  it("honours the start window and completes a non-recurring schedule once its job is done", async () => {
    const base = clock.now().getTime() - start.getTime();
    const late = await call("POST", "/jobschedules", { id: "missed", schedule: { doNotRunUntil: at(base + minute), startWindow: "PT1M" }, jobSpecification: spec() });
    assert.equal(late.status, 201);
    const once = await call("POST", "/jobschedules", { id: "once", schedule: {}, jobSpecification: spec({ onAllTasksComplete: "terminatejob" }) });
    assert.equal(once.status, 201);
    const done = await waitForSchedule("once", "completed", (s) => s.state === "completed");
    assert.equal(done.executionInfo.recentJob.id, "once:job-1");
    assert.equal(done.executionInfo.endTime, at(base));
    assert.equal(done.executionInfo.nextRunTime, undefined);
    const [onlyJob] = await waitForJobs("once", ["once:job-1"]);
    assert.equal(onlyJob.executionInfo.terminateReason, "AllTasksComplete");

    clock.advance(3 * minute);
    const missed = await waitForSchedule("missed", "completed", (s) => s.state === "completed");
    assert.equal(missed.executionInfo.recentJob, undefined, "a missed window makes no job");
    assert.deepEqual(await jobsOf("missed"), []);
  });

  it("stops making jobs after doNotRunAfter and completes", async () => {
    const base = clock.now().getTime() - start.getTime();
    const added = await call("POST", "/jobschedules", {
      id: "bounded",
      schedule: { recurrenceInterval: "PT1M", doNotRunAfter: at(base + 150_000) },
      jobSpecification: spec({ onAllTasksComplete: "terminatejob" }),
    });
    assert.equal(added.status, 201);
    await waitForJobs("bounded", ["bounded:job-1"]);
    clock.advance(minute);
    await waitForJobs("bounded", ["bounded:job-1", "bounded:job-2"]);
    clock.advance(minute);
    await waitForJobs("bounded", ["bounded:job-1", "bounded:job-2", "bounded:job-3"]);
    assert.equal((await getSchedule("bounded")).state, "active", "still active until doNotRunAfter has passed");
    clock.advance(minute);
    const completed = await waitForSchedule("bounded", "completed", (s) => s.state === "completed");
    assert.equal(completed.executionInfo.endTime, at(base + 3 * minute));
    assert.equal(completed.previousState, "active");
    await waitForJobs("bounded", ["bounded:job-1", "bounded:job-2", "bounded:job-3"]);
    const listed = await call("GET", "/jobschedules?$filter=state%20eq%20'completed'");
    assert.ok(listed.json.value.some((s: any) => s.id === "bounded"));
    assert.ok(!listed.json.value.some((s: any) => s.id === "Every"));
  });

  it("disable, enable, terminate and delete behave as documented", async () => {
    const base = clock.now().getTime() - start.getTime();
    const ctl = { recurrenceInterval: "PT2M", startWindow: "PT1M" };
    assert.equal((await call("POST", "/jobschedules", { id: "ctl", schedule: ctl, jobSpecification: spec({ onAllTasksComplete: "terminatejob" }) })).status, 201);
    await waitForJobs("ctl", ["ctl:job-1"]);
    await waitForSchedule("ctl", "next run +2m", (s) => s.executionInfo.nextRunTime === at(base + 2 * minute));
    const disabled = await call("POST", "/jobschedules/ctl/disable");
    assert.equal(disabled.status, 204, disabled.text);
    assert.equal((await getSchedule("ctl")).state, "disabled");
    clock.advance(3 * minute + 30_000);
    // Enabled again after the +2m occurrence's window closed: that run is skipped, the next one is +4m.
    assert.equal((await call("POST", "/jobschedules/ctl/enable")).status, 204);
    const enabled = await waitForSchedule("ctl", "next run +4m", (s) => s.executionInfo.nextRunTime === at(base + 4 * minute));
    assert.equal(enabled.state, "active");
    assert.equal(enabled.previousState, "disabled");
    await waitForJobs("ctl", ["ctl:job-1"]);
    clock.advance(30_000);
    await waitForJobs("ctl", ["ctl:job-1", "ctl:job-2"]);

    // Terminate ends the active job with TerminateJobSchedule.
    assert.equal((await call("POST", "/jobschedules", { id: "term", schedule: {}, jobSpecification: spec() })).status, 201);
    await waitForJobs("term", ["term:job-1"]);
    assert.equal((await call("POST", "/jobschedules/term/terminate")).status, 202);
    const terminated = await getSchedule("term");
    assert.equal(terminated.state, "completed");
    assert.ok(terminated.executionInfo.endTime);
    const [ended] = await jobsOf("term");
    assert.equal(ended.state, "completed");
    assert.equal(ended.executionInfo.terminateReason, "TerminateJobSchedule");
    for (const [method, path] of [["POST", "/jobschedules/term/disable"], ["POST", "/jobschedules/term/terminate"], ["PATCH", "/jobschedules/term"]] as const) {
      const refused = await call(method, path, method === "PATCH" ? { metadata: [] } : undefined);
      assert.equal(refused.status, 409, `${method} ${path}`);
      assert.equal(batchErrorCode(refused), "JobScheduleCompleted");
    }

    // Delete removes the schedule and its jobs.
    const deleted = await call("DELETE", "/jobschedules/ctl");
    assert.equal(deleted.status, 202);
    assert.equal((await call("GET", "/jobschedules/ctl")).status, 404);
    assert.equal((await call("GET", "/jobs/ctl%3Ajob-1")).status, 404);
    assert.equal((await call("GET", "/jobs/ctl%3Ajob-2")).status, 404);
  });

  it("patch changes only what it names, update replaces and clears metadata; both affect future jobs", async () => {
    const far = at(clock.now().getTime() - start.getTime() + 10 * minute);
    assert.equal((await call("POST", "/jobschedules", { id: "edit", displayName: "d", schedule: { doNotRunUntil: far }, jobSpecification: spec(), metadata: [{ name: "a", value: "1" }] })).status, 201);
    const patched = await call("PATCH", "/jobschedules/edit", { jobSpecification: spec({ priority: 3 }) });
    assert.equal(patched.status, 200, patched.text);
    let schedule = await getSchedule("edit");
    assert.equal(schedule.jobSpecification.priority, 3);
    assert.deepEqual(schedule.metadata, [{ name: "a", value: "1" }]);
    assert.equal(schedule.executionInfo.nextRunTime, far);
    const stale = await batchRequest(server.url, {
      method: "PATCH", path: `/jobschedules/edit?${q}`, account, date: clock.now(), body: { metadata: [] }, headers: { "if-match": "0x8D0000000000000" },
    });
    assert.equal(stale.status, 412);
    assert.equal(batchErrorCode(stale), "ConditionNotMet");
    const selected = await call("GET", "/jobschedules?$select=id,state&$filter=startswith(id,'edit')");
    assert.deepEqual(selected.json.value.map((s: any) => Object.keys(s).sort()), [["id", "state"]]);
    const expanded = await call("GET", "/jobschedules/edit?$expand=stats");
    assert.equal(expanded.json.stats.numSucceededTasks, 0);
    assert.equal((await call("GET", "/jobschedules/edit")).json.stats, undefined);
    const bad = await call("PATCH", "/jobschedules/edit", { schedule: { recurrenceInterval: "PT10S" } });
    assert.equal(bad.status, 400);
    assert.equal(batchErrorCode(bad), "InvalidPropertyValue");
    const updated = await call("PUT", "/jobschedules/edit", { schedule: {}, jobSpecification: spec({ priority: 9 }) });
    assert.equal(updated.status, 200, updated.text);
    await waitForJobs("edit", ["edit:job-1"]);
    schedule = await getSchedule("edit");
    assert.deepEqual(schedule.metadata, []);
    assert.equal(schedule.displayName, "d");
    assert.equal((await call("GET", "/jobs/edit%3Ajob-1")).json.priority, 9);
  });
});

describe("job schedules across a server restart", () => {
  it("a schedule due while the server was down makes its job when the server is back", async () => {
    const clock = new SimulatedClock(new Date("2032-03-01T00:00:00Z"));
    const options = { localAgentEntry: undefined, clock, clockSkewInSeconds: 10 * 365 * 86_400 };
    const first = await startTestServer(options);
    const call = (target: TestServer, method: string, path: string, body?: object) =>
      batchRequest(target.url, { method, path: `${path}?${q}`, account, date: clock.now(), ...(body === undefined ? {} : { body }) });
    const due = formatTimestamp(new Date(clock.now().getTime() + minute));
    assert.equal((await call(first, "POST", "/jobschedules", { id: "survivor", schedule: { doNotRunUntil: due }, jobSpecification: { poolInfo: { poolId: "p" } } })).status, 201);
    await first.close();
    clock.advance(minute + 1_000);
    const second = await startTestServer({ ...options, keepDataDir: first.dataDir });
    try {
      const schedule = await waitFor("survivor:job-1", async () => {
        const current = (await call(second, "GET", "/jobschedules/survivor")).json;
        return current.executionInfo?.recentJob?.id === "survivor:job-1" ? current : undefined;
      }, 20_000);
      assert.equal(schedule.executionInfo.nextRunTime, undefined);
      assert.equal((await call(second, "GET", "/jobs/survivor%3Ajob-1")).status, 200);
    } finally {
      await second.dispose();
    }
  });
});
