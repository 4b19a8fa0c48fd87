/**
 * `openbatch job …`, `task …`, `job-schedule …`, `certificate …` and `application list|summary` against a real
 * server with real agents: every command, --json-file (one task, an array through addCollection), waits and logs,
 * and their error paths.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { certificateFixture, certificateFixturePath, sha1Thumbprint } from "../support/certificateFixtures.js";
import { cliFor, show, type CliResult } from "../support/cli.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const ok = (result: CliResult) => assert.equal(result.code, 0, show(result));

describe("openbatch job, task, job-schedule, certificate and application commands", () => {
  let server: TestServer;
  let directory: string;
  let cli: (...args: string[]) => Promise<CliResult>;

  before(async () => {
    server = await startTestServer();
    directory = mkdtempSync(join(tmpdir(), "openbatch-cli-job-"));
    cli = cliFor({ url: server.url, account: testAccounts.alpha });
    ok(await cli("pool", "create", "--id", "jobpool", "--vm-size", "standard_d2s_v3", "--target-dedicated-nodes", "1", "--task-slots-per-node", "4"));
    ok(await cli("pool", "wait", "jobpool", "--interval", "0.2"));
  });
  after(async () => {
    await server.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  it("creates, updates, disables, enables, waits for and deletes a job", async () => {
    const created = await cli("job", "create", "--id", "clijob", "--pool-id", "jobpool", "--priority", "10", "--metadata", "kind=test",
      "--job-max-task-retry-count", "1", "--environment-settings", "GREETING=hello");
    ok(created);
    assert.equal(created.json().priority, 10);
    assert.deepEqual(created.json().commonEnvironmentSettings, [{ name: "GREETING", value: "hello" }]);
    assert.equal(created.json().constraints.maxTaskRetryCount, 1);
    const table = await cli("job", "list", "-o", "table");
    assert.match(table.stdout, /^Job Id\s+State\s+Previous State\s+Execution Pool\s+Priority\n-+/);
    assert.match(table.stdout, /\nclijob\s+active\s+jobpool\s+10\n/);
    assert.equal((await cli("job", "show", "clijob", "--query", "poolInfo.poolId")).json(), "jobpool");

    const set = await cli("job", "set", "clijob", "--priority", "20");
    ok(set);
    assert.equal(set.json().priority, 20);
    assert.deepEqual(set.json().metadata, [{ name: "kind", value: "test" }], "set keeps what it is not given");
    const reset = await cli("job", "reset", "clijob", "--pool-id", "jobpool", "--max-parallel-tasks", "3");
    ok(reset);
    assert.equal(reset.json().maxParallelTasks, 3);
    assert.equal(reset.json().priority, 0, "reset puts back what it is not given");

    ok(await cli("job", "disable", "clijob", "--disable-tasks", "wait"));
    await waitFor("the job to be disabled", async () => (await cli("job", "show", "clijob", "--query", "state")).json() === "disabled");
    ok(await cli("job", "enable", "clijob"));
    await waitFor("the job to be active", async () => (await cli("job", "show", "clijob", "--query", "state")).json() === "active");

    ok(await cli("task", "create", "clijob", "--task-id", "greet", "--command-line", "/bin/sh -c 'echo $GREETING from $AZ_BATCH_TASK_ID'"));
    const waited = await cli("job", "wait", "clijob", "--interval", "0.2");
    ok(waited);
    assert.deepEqual(waited.json().taskCounts, { active: 0, running: 0, completed: 1, succeeded: 1, failed: 0 });
    const counts = await cli("job", "task-counts", "show", "clijob", "-o", "table");
    ok(counts);
    assert.match(counts.stdout, /succeeded\s+1\s+1/);
    const noPreparation = await cli("job", "prep-release-status", "list", "clijob");
    assert.equal(noPreparation.code, 1, show(noPreparation));
    assert.match(noPreparation.stderr, /\(JobPreparationTaskNotSpecified\)/);

    ok(await cli("job", "stop", "clijob", "--terminate-reason", "done by the CLI"));
    await waitFor("the job to complete", async () => (await cli("job", "show", "clijob", "--query", "state")).json() === "completed");
    assert.equal((await cli("job", "show", "clijob", "--query", "executionInfo.terminateReason")).json(), "done by the CLI");
    ok(await cli("job", "delete", "clijob", "--yes"));
    const missing = await cli("job", "show", "nosuchjob");
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /\(JobNotFound\)/);
  });

  it("adds one task from flags, many from a JSON array with addCollection, and runs every task command", async () => {
    const jobFile = join(directory, "job.json");
    writeFileSync(jobFile, JSON.stringify({ id: "taskjob", poolInfo: { poolId: "jobpool" }, jobPreparationTask: { commandLine: "/bin/true" } }));
    ok(await cli("job", "create", "--json-file", jobFile));
    const single = join(directory, "task.json");
    writeFileSync(single, JSON.stringify({ id: "fromfile", commandLine: "/bin/sh -c 'echo from a file'" }));
    const fromFile = await cli("task", "create", "taskjob", "--json-file", single);
    ok(fromFile);
    assert.equal(fromFile.json().id, "fromfile");

    const many = join(directory, "tasks.json");
    writeFileSync(many, JSON.stringify(Array.from({ length: 150 }, (_, i) => ({ id: `bulk-${i}`, commandLine: `/bin/sh -c 'echo line ${i}'` }))));
    const added = await cli("task", "create", "--job-id", "taskjob", "--json-file", many, "-o", "table");
    ok(added);
    const lines = added.stdout.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^Task Id\s+Submission Status\s+Error/);
    assert.equal(lines.length, 152, "a header, a rule and one row per task");
    assert.ok(lines.slice(2).every((line) => /\ssuccess$/.test(line)));
    const wrapped = join(directory, "collection.json");
    writeFileSync(wrapped, JSON.stringify({ value: [{ id: "wrapped", commandLine: "/bin/true" }] }));
    const collection = await cli("task", "create", "taskjob", "--json-file", wrapped);
    ok(collection);
    assert.deepEqual(collection.json().map((result: { taskId: string; status: string }) => [result.taskId, result.status]), [["wrapped", "success"]]);
    const duplicate = await cli("task", "create", "taskjob", "--json-file", wrapped);
    assert.equal(duplicate.code, 1, show(duplicate));
    assert.match(duplicate.stderr, /1 task\(s\) were refused and 0 not submitted\.\n\s+wrapped: \(TaskExists\)/);

    ok(await cli("task", "create", "taskjob", "--task-id", "slow", "--command-line", "/bin/sh -c 'echo begun; sleep 30'", "--max-task-retry-count", "0", "--retention-time", "PT1H"));
    ok(await cli("job", "wait", "taskjob", "--interval", "0.2", "--timeout", "1").then((result) => ({ ...result, code: result.code === 1 ? 0 : 99 })));
    const listed = await cli("task", "list", "taskjob", "--query", "length(@)");
    assert.equal(listed.json(), 153);
    const taskTable = await cli("task", "list", "taskjob", "--filter", "id eq 'fromfile'", "-o", "table");
    assert.match(taskTable.stdout, /^Task Id\s+State\s+Exit Code\s+Node Id\s+Command Line/);
    assert.match(taskTable.stdout, /\nfromfile\s+completed\s+0\s+tvm-\S+\s+\/bin\/sh -c 'echo from a file'\n$/);

    await waitFor("the slow task to run", async () => (await cli("task", "show", "taskjob", "slow", "--query", "state")).json() === "running");
    const followed = cli("task", "logs", "taskjob", "slow", "--follow", "--interval", "0.2");
    ok(await cli("task", "reset", "taskjob", "slow", "--max-wall-clock-time", "PT1H"));
    assert.equal((await cli("task", "show", "taskjob", "slow", "--query", "constraints.maxWallClockTime")).json(), "PT1H");
    ok(await cli("task", "stop", "taskjob", "slow"));
    const follow = await followed;
    ok(follow);
    assert.equal(follow.stdout, "begun\n", "follow printed the output and ended with the task");
    const stopped = await cli("task", "wait", "taskjob", "slow", "--interval", "0.2");
    assert.equal(stopped.code, 1, "a terminated task counts as failed");
    assert.match(stopped.stderr, /task 'slow' failed/);
    ok(await cli("task", "reactivate", "taskjob", "slow"));
    await waitFor("the task to run again", async () => (await cli("task", "show", "taskjob", "slow", "--query", "state")).json() !== "completed");
    ok(await cli("task", "terminate", "taskjob", "slow"));

    ok(await cli("task", "wait", "taskjob", "bulk-7", "--interval", "0.2", "-o", "none"));
    assert.equal((await cli("task", "logs", "taskjob", "bulk-7")).stdout, "line 7\n");
    const tail = await cli("task", "logs", "--job-id", "taskjob", "--task-id", "bulk-7", "--tail", "1");
    assert.equal(tail.stdout, "line 7\n");
    assert.equal((await cli("task", "logs", "taskjob", "bulk-7", "--stderr")).stdout, "");
    const files = await cli("task", "file", "list", "taskjob", "bulk-7", "--query", "[].name");
    ok(files);
    assert.ok(files.json().includes("stdout.txt"), files.stdout);
    assert.equal((await cli("task", "file", "show", "taskjob", "bulk-7", "--file-path", "stdout.txt", "--query", "contentLength")).json(), 7);
    const destination = join(directory, "out.txt");
    ok(await cli("task", "file", "download", "taskjob", "bulk-7", "--file-path", "stdout.txt", "--destination", destination));
    assert.equal(readFileSync(destination, "utf8"), "line 7\n");
    ok(await cli("task", "file", "delete", "taskjob", "bulk-7", "--file-path", "stdout.txt", "--yes"));
    assert.equal((await cli("task", "file", "show", "taskjob", "bulk-7", "--file-path", "stdout.txt")).code, 3);

    const preparation = await cli("job", "prep-release-status", "list", "taskjob", "-o", "table");
    ok(preparation);
    assert.match(preparation.stdout, /^Pool Id\s+Node Id\s+Job Prep State\s+Job Release State\n-+.*\njobpool\s+tvm-\S+\s+completed/s);
    const subtasks = await cli("task", "subtask", "list", "taskjob", "bulk-7");
    ok(subtasks);
    assert.deepEqual(subtasks.json().value, []);
    ok(await cli("task", "delete", "taskjob", "bulk-7", "--yes"));
    assert.equal((await cli("task", "show", "taskjob", "bulk-7")).code, 3);

    const badFile = join(directory, "bad-tasks.json");
    writeFileSync(badFile, "[{ \"id\": ");
    const bad = await cli("task", "create", "taskjob", "--json-file", badFile);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is not valid JSON/);
    const noCommand = await cli("task", "create", "taskjob", "--task-id", "x");
    assert.equal(noCommand.code, 2);
    assert.match(noCommand.stderr, /required: --command-line/);
    const unknownJob = await cli("task", "create", "nosuchjob", "--task-id", "x", "--command-line", "/bin/true");
    assert.equal(unknownJob.code, 3);
    assert.match(unknownJob.stderr, /\(JobNotFound\)/);
  });

  it("job wait exits 1 and names the failed tasks", async () => {
    ok(await cli("job", "create", "--id", "failjob", "--pool-id", "jobpool"));
    ok(await cli("task", "create", "failjob", "--task-id", "bad", "--command-line", "/bin/sh -c 'exit 3'"));
    ok(await cli("task", "create", "failjob", "--task-id", "good", "--command-line", "/bin/true"));
    const waited = await cli("job", "wait", "failjob", "--interval", "0.2");
    assert.equal(waited.code, 1, show(waited));
    assert.deepEqual(waited.json().taskCounts, { active: 0, running: 0, completed: 2, succeeded: 1, failed: 1 });
    assert.match(waited.stderr, /1 of 2 tasks of job 'failjob' failed; list them with: openbatch task list --job-id failjob --filter "executionInfo\/result eq 'failure'"/);
    const failed = await cli("task", "list", "--job-id", "failjob", "--filter", "executionInfo/result eq 'failure'", "--query", "[].id");
    assert.deepEqual(failed.json(), ["bad"]);
  });

  it("manages job schedules: create, list, show, set, reset, disable, enable, stop, delete", async () => {
    // The job manager runs as soon as the job is made, and its end would end the job and, once the schedule is reset
    // to no recurrence, the schedule: it outlasts the test (stop kills it).
    const created = await cli("job-schedule", "create", "--id", "clisched", "--pool-id", "jobpool", "--recurrence-interval", "PT1H", "--metadata", "owner=cli",
      "--job-manager-task-command-line", "/bin/sleep 307");
    ok(created);
    assert.equal(created.json().schedule.recurrenceInterval, "PT1H");
    assert.deepEqual(created.json().metadata, [{ name: "owner", value: "cli" }]);
    assert.equal(created.json().jobSpecification.jobManagerTask.commandLine, "/bin/sleep 307");
    const table = await cli("job-schedule", "list", "-o", "table");
    assert.match(table.stdout, /^Job Schedule Id\s+State\s+Previous State/);
    assert.match(table.stdout, /\nclisched\s+active/);
    const recent = await waitFor("the schedule's first job", async () => (await cli("job-schedule", "show", "clisched", "--query", "executionInfo.recentJob.id")).json() ?? undefined);
    const fromSchedule = await cli("job", "list", "--job-schedule-id", "clisched", "--query", "[].id");
    assert.deepEqual(fromSchedule.json(), [recent]);

    const set = await cli("job-schedule", "set", "clisched", "--recurrence-interval", "PT2H");
    ok(set);
    assert.equal(set.json().schedule.recurrenceInterval, "PT2H");
    const reset = await cli("job-schedule", "reset", "clisched", "--pool-id", "jobpool", "--priority", "5");
    ok(reset);
    assert.equal(reset.json().jobSpecification.priority, 5);
    assert.equal(reset.json().schedule.recurrenceInterval, undefined, "reset replaces the schedule");
    ok(await cli("job-schedule", "disable", "clisched"));
    assert.equal((await cli("job-schedule", "show", "clisched", "--query", "state")).json(), "disabled");
    ok(await cli("job-schedule", "enable", "clisched"));
    assert.equal((await cli("job-schedule", "show", "clisched", "--query", "state")).json(), "active");
    ok(await cli("job-schedule", "stop", "clisched"));
    await waitFor("the schedule to complete", async () => (await cli("job-schedule", "show", "clisched", "--query", "state")).json() === "completed");
    ok(await cli("job-schedule", "delete", "clisched", "--yes"));
    const gone = await cli("job-schedule", "show", "nosuchschedule");
    assert.equal(gone.code, 3);
    assert.match(gone.stderr, /\(JobScheduleNotFound\)/);
  });

  it("adds, lists, shows and deletes a certificate from a .cer file", async () => {
    const thumbprint = sha1Thumbprint(certificateFixture("openbatch-test.cer"));
    const created = await cli("certificate", "create", "--certificate-file", certificateFixturePath("openbatch-test.cer"), "--thumbprint", thumbprint);
    ok(created);
    assert.equal(created.json().thumbprint.toLowerCase(), thumbprint.toLowerCase());
    const table = await cli("certificate", "list", "-o", "table");
    assert.match(table.stdout, /^Thumbprint\s+State\s+Previous State\s+Deletion Error/);
    assert.equal((await cli("certificate", "show", "--thumbprint", thumbprint, "--query", "state")).json(), "active");
    ok(await cli("certificate", "delete", "--thumbprint", thumbprint, "--yes"));
    await waitFor("the certificate to go", async () => (await cli("certificate", "show", "--thumbprint", thumbprint)).code === 3);
    const noFile = await cli("certificate", "create", "--certificate-file", join(directory, "none.cer"), "--thumbprint", thumbprint);
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /cannot read --certificate-file/);
  });

  it("lists applications through the Batch API (application list, summary list|show)", async () => {
    const empty = await cli("application", "list");
    ok(empty);
    assert.deepEqual(empty.json(), []);
    ok(await cli("application", "summary", "list"));
    const missing = await cli("application", "summary", "show", "noapp");
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /\(ApplicationNotFound\)/);
  });
});
