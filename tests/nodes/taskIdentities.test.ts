/**
 * Issue #14 item 9, through the official Python SDK: a pool's `userAccounts` and a process's `userIdentity` (a named
 * user, or an auto-user of pool or task scope, non-admin or admin) decide which OS account runs it — start task, job
 * manager, preparation and release tasks, ordinary and multi-instance tasks — and `AZ_BATCH_TASK_USER_IDENTITY`
 * tells the truth, as does `USER`/`AZ_BATCH_TASK_USER` (the OS account). The agents run as root with task isolation
 * (docs/security.md): each identity is an unprivileged account of its own; a task-scope account lives for its run,
 * the others as long as the pool has a node on the host. Every account the test may have made is deleted in
 * `after()`, whatever happened.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { certificateFixture, sha1Thumbprint } from "../support/certificateFixtures.js";
import { pythonSnippet } from "../support/pythonSnippet.js";
import { osAccountExists, removeOsAccounts, taskAccountNames } from "../support/taskAccounts.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";
import { requireRoot } from "../support/requireRoot.js";

const account = testAccounts.alpha;
const report = `/bin/sh -c 'echo "$(id -un)|$(id -u)|$USER|$AZ_BATCH_TASK_USER|$AZ_BATCH_TASK_USER_IDENTITY"'`;
const certificateCheck = `/bin/sh -c 'cat "$AZ_BATCH_CERTIFICATES_DIR"/*.cer | wc -c; stat -c "%U %a" "$AZ_BATCH_CERTIFICATES_DIR"/*.cer; id -un'`;
const thumbprint = sha1Thumbprint(certificateFixture("openbatch-second.cer"));

interface Seen {
  readonly osUser: string;
  readonly uid: number;
  readonly user: string;
  readonly taskUser: string;
  readonly identity: string;
}

function parse(line: string): Seen {
  const [osUser = "", uid = "", user = "", taskUser = "", identity = ""] = line.trim().split("|");
  return { osUser, uid: Number(uid), user, taskUser, identity };
}

describe("user identities as OS accounts (agents as root, tasks isolated)", () => {
  before(() => requireRoot("making OS accounts"));
  let server: TestServer;
  const made = new Set<string>();
  const call = (method: string, path: string) => batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account });
  const python = (code: string) => pythonSnippet(server.url, account, code);
  const seenIn = async (path: string): Promise<Seen> => {
    const response = await call("GET", path);
    assert.equal(response.status, 200, `${path}: ${response.text}`);
    return parse(response.text);
  };
  const truthful = (seen: Seen, identity: string, accountPattern: RegExp) => {
    assert.equal(seen.identity, identity);
    assert.match(seen.osUser, accountPattern);
    assert.notEqual(seen.uid, 0);
    assert.equal(seen.user, seen.osUser, "USER is the account the process runs as");
    assert.equal(seen.taskUser, seen.osUser, "AZ_BATCH_TASK_USER too");
  };
  const completed = (jobId: string, taskId: string) =>
    waitFor(`${jobId}/${taskId} to complete`, async () => {
      const task = (await call("GET", `/jobs/${jobId}/tasks/${taskId}`)).json;
      return task.state === "completed" ? task : undefined;
    }, 90_000, 100);

  before(async () => {
    server = await startTestServer({ taskIsolation: true, agentHeartbeatIntervalInSeconds: 1, nodesPerAgent: 1 });
    const certificate = await batchRequest(server.url, {
      method: "POST",
      path: `/certificates?api-version=${apiVersion}`,
      account,
      body: { thumbprint: thumbprint.toLowerCase(), thumbprintAlgorithm: "sha1", data: certificateFixture("openbatch-second.cer").toString("base64"), certificateFormat: "cer" },
    });
    assert.equal(certificate.status, 201, certificate.text);
    await python(`
client.pool.add(batchmodels.PoolAddParameter(
    id="identities", vm_size="Standard_D2s_v3", target_dedicated_nodes=2, enable_inter_node_communication=True,
    virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
        image_reference=batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
        node_agent_sku_id="batch.node.ubuntu 22.04"),
    user_accounts=[
        batchmodels.UserAccount(name="alice", password="Alice-Pw-1", elevation_level=batchmodels.ElevationLevel.admin),
        batchmodels.UserAccount(name="bob", password="Bob-Pw-1")],
    certificate_references=[batchmodels.CertificateReference(thumbprint=${JSON.stringify(thumbprint.toLowerCase())}, thumbprint_algorithm="sha1")],
    start_task=batchmodels.StartTask(command_line=${JSON.stringify(report)}, wait_for_success=True,
        user_identity=batchmodels.UserIdentity(auto_user=batchmodels.AutoUserSpecification(
            scope=batchmodels.AutoUserScope.pool, elevation_level=batchmodels.ElevationLevel.admin)))))
emit("ok")`);
    await waitFor("two idle nodes", async () => {
      const nodes = (await call("GET", "/pools/identities/nodes")).json.value as { state: string }[];
      return nodes.length === 2 && nodes.every((node) => node.state === "idle");
    }, 90_000, 100);
    for (const name of taskAccountNames(server.dataDir)) made.add(name);
  });
  after(async () => {
    for (const name of taskAccountNames(server.dataDir)) made.add(name);
    try {
      await server.dispose();
    } finally {
      removeOsAccounts(made);
    }
  });

  it("runs the start task as the pool's admin auto-user", async () => {
    const nodes = (await call("GET", "/pools/identities/nodes")).json.value as { id: string }[];
    for (const node of nodes) truthful(await seenIn(`/pools/identities/nodes/${node.id}/files/${encodeURIComponent("startup/stdout.txt")}`), "PoolAdmin", /^_azbatchsudo_[0-9a-f]{8}$/);
  });

  it("runs job manager, preparation, release and tasks each as its own identity; a missing user fails the task", async () => {
    await python(`
auto = lambda scope, level: batchmodels.UserIdentity(auto_user=batchmodels.AutoUserSpecification(scope=scope, elevation_level=level))
client.job.add(batchmodels.JobAddParameter(id="who", pool_info=batchmodels.PoolInformation(pool_id="identities"),
    job_manager_task=batchmodels.JobManagerTask(id="manager", command_line=${JSON.stringify(report)}, kill_job_on_completion=False,
        run_exclusive=False, user_identity=batchmodels.UserIdentity(user_name="bob")),
    job_preparation_task=batchmodels.JobPreparationTask(command_line=${JSON.stringify(report)},
        user_identity=auto(batchmodels.AutoUserScope.task, batchmodels.ElevationLevel.non_admin)),
    job_release_task=batchmodels.JobReleaseTask(command_line=${JSON.stringify(report)})))
client.task.add_collection("who", [
    batchmodels.TaskAddParameter(id="default", command_line=${JSON.stringify(report)}),
    batchmodels.TaskAddParameter(id="pooladmin", command_line=${JSON.stringify(report)}, user_identity=auto(batchmodels.AutoUserScope.pool, batchmodels.ElevationLevel.admin)),
    batchmodels.TaskAddParameter(id="taskadmin", command_line=${JSON.stringify(report)}, user_identity=auto(batchmodels.AutoUserScope.task, batchmodels.ElevationLevel.admin)),
    batchmodels.TaskAddParameter(id="alice", command_line=${JSON.stringify(report)}, user_identity=batchmodels.UserIdentity(user_name="ALICE")),
    batchmodels.TaskAddParameter(id="carol", command_line=${JSON.stringify(report)}, user_identity=batchmodels.UserIdentity(user_name="carol")),
    batchmodels.TaskAddParameter(id="certs", command_line=${JSON.stringify(certificateCheck)}, user_identity=batchmodels.UserIdentity(user_name="alice")),
    batchmodels.TaskAddParameter(id="mpi", command_line=${JSON.stringify(report)}, user_identity=batchmodels.UserIdentity(user_name="bob"),
        multi_instance_settings=batchmodels.MultiInstanceSettings(number_of_instances=2, coordination_command_line=${JSON.stringify(report)}))])
emit("ok")`);
    for (const taskId of ["manager", "default", "pooladmin", "taskadmin", "alice", "mpi", "certs"]) {
      const task = await completed("who", taskId);
      assert.equal(task.executionInfo.result, "success", `${taskId}: ${JSON.stringify(task.executionInfo)}`);
    }
    const bob = await seenIn("/jobs/who/tasks/manager/files/stdout.txt");
    truthful(bob, "bob", /^_azbatchuser_[0-9a-f]{8}_[0-9a-f]{6}$/);
    const poolUser = await seenIn("/jobs/who/tasks/default/files/stdout.txt");
    truthful(poolUser, "PoolNonAdmin", /^_azbatch_[0-9a-f]{8}$/);
    const poolAdmin = await seenIn("/jobs/who/tasks/pooladmin/files/stdout.txt");
    truthful(poolAdmin, "PoolAdmin", /^_azbatchsudo_[0-9a-f]{8}$/);
    const taskAdmin = await seenIn("/jobs/who/tasks/taskadmin/files/stdout.txt");
    truthful(taskAdmin, "TaskAdmin", /^_azbatchtask_[0-9a-f]{8}_[0-9a-f]{6}$/);
    made.add(taskAdmin.osUser);
    const alice = await seenIn("/jobs/who/tasks/alice/files/stdout.txt");
    truthful(alice, "alice", /^_azbatchuser_[0-9a-f]{8}_[0-9a-f]{6}$/);
    truthful(await seenIn("/jobs/who/tasks/mpi/files/stdout.txt"), "bob", /^_azbatchuser_/);
    assert.equal((await seenIn("/jobs/who/tasks/mpi/files/stdout.txt")).osUser, bob.osUser, "one account per named user of the pool");
    assert.equal(new Set([bob.osUser, poolUser.osUser, poolAdmin.osUser, taskAdmin.osUser, alice.osUser]).size, 5, "every identity has its own account");

    // Its certificate files belong to the task's account (0600), their directory stays the agent's.
    const [bytes, owner, certUser] = (await call("GET", "/jobs/who/tasks/certs/files/stdout.txt")).text.trim().split("\n");
    assert.equal(Number(bytes), certificateFixture("openbatch-second.cer").length);
    assert.equal(owner, `${alice.osUser} 600`);
    assert.equal(certUser, alice.osUser);

    const carol = await completed("who", "carol");
    assert.equal(carol.executionInfo.result, "failure");
    assert.equal(carol.executionInfo.failureInfo.code, "CommandLaunchFailed");
    assert.match(carol.executionInfo.failureInfo.message, /carol/);

    // The preparation ran on every node a task of the job ran on, as a task-scope account of its own per run.
    const statuses = (await call("GET", "/jobs/who/jobpreparationandreleasetaskstatus")).json.value as { nodeId: string }[];
    assert.ok(statuses.length >= 1);
    const preparations: Seen[] = [];
    for (const status of statuses) {
      const seen = await seenIn(`/pools/identities/nodes/${status.nodeId}/files/${encodeURIComponent("workitems/who/job-1/jobpreparation/stdout.txt")}`);
      truthful(seen, "TaskNonAdmin", /^_azbatchtask_[0-9a-f]{8}_[0-9a-f]{6}$/);
      preparations.push(seen);
      made.add(seen.osUser);
    }
    // A task-scope account goes with its run.
    await waitFor("the task-scope accounts to be deleted", async () => ![taskAdmin, ...preparations].some((seen) => osAccountExists(seen.osUser)), 30_000, 100);

    await python(`client.job.terminate("who")\nemit("ok")`);
    await waitFor("the job to complete after its release tasks", async () => (await call("GET", "/jobs/who")).json.state === "completed", 60_000, 100);
    for (const status of statuses) {
      const seen = await seenIn(`/pools/identities/nodes/${status.nodeId}/files/${encodeURIComponent("workitems/who/job-1/jobrelease/stdout.txt")}`);
      truthful(seen, "PoolNonAdmin", /^_azbatch_[0-9a-f]{8}$/);
      assert.equal(seen.osUser, poolUser.osUser);
    }
  });

  it("deletes the pool's accounts with the pool", async () => {
    for (const name of taskAccountNames(server.dataDir)) made.add(name);
    assert.ok(made.size >= 4);
    await python(`client.pool.delete("identities")\nemit("ok")`);
    await waitFor("the accounts to be deleted", async () => taskAccountNames(server.dataDir).length === 0 && ![...made].some(osAccountExists), 60_000, 100);
  });
});
