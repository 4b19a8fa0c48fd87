/**
 * Issue #19's acceptance, on a real runtime (docs/containers.md): podman with its own storage, a registry with basic
 * auth on loopback holding an image built offline (tests/support/podman.ts), Azurite for output files, the real
 * server and agents, the official Python SDK for the container pool and its registry credentials.
 *
 * - a pool with `containerImageNames` pulls them (with the pool's credentials) before its nodes turn idle, and
 *   that pull vouches for the image for later runs with the same credentials (no pull per task), never for others;
 * - a task with `containerSettings` runs in the container: it sees its node at /mnt/batch/tasks and its `AZ_BATCH_*`
 *   paths there, its working directory, its environment; its exit code, stdout and stderr come back; its output file
 *   is uploaded to Azurite; its container is gone afterwards; executionInfo.containerInfo says which container ran
 *   and how it ended (also for start tasks, subtasks, and a command the image lacks);
 * - a missing image fails the task with Azure's failure info (ContainerInvalidImage, usererror);
 * - terminate and maxWallClockTime kill the container, not only the runtime's client;
 * - start tasks and multi-instance tasks (coordination on every instance, application on the primary) run in
 *   containers; a pool whose image cannot be pulled has unusable nodes with Azure's error;
 * - containerRunOptions that reach outside the container are refused (400 naming the property) unless the server
 *   lets the account use them; a server whose agents have no runtime refuses container pools with the same 400.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { startAzurite, type Azurite } from "../support/azurite.js";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startPodmanWorld, type PodmanWorld } from "../support/podman.js";
import { ubuntuVm } from "../support/pools.js";
import { pythonSnippet } from "../support/pythonSnippet.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const containersDoc = readFileSync(fileURLToPath(new URL("../../../docs/containers.md", import.meta.url)), "utf8");
/** The first block of this language in docs/containers.md, which this test runs. */
function docSnippet(language: string): string {
  const match = new RegExp("```" + language + "\\n([\\s\\S]*?)```").exec(containersDoc);
  assert.ok(match !== null, `docs/containers.md has a ${language} block`);
  return match[1] as string;
}

const A = testAccounts.alpha;
const B = testAccounts.beta;

describe("container pools and tasks on podman", () => {
  let world: PodmanWorld;
  let azurite: Azurite;
  let server: TestServer;
  const call = (method: string, path: string, body?: object, account: { name: string; key: string } = A) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const get = async (path: string) => (await call("GET", path)).json;
  const completed = (jobId: string, taskId: string) =>
    waitFor(`${jobId}/${taskId} to complete`, async () => {
      const task = await get(`/jobs/${jobId}/tasks/${taskId}`);
      return task.state === "completed" ? task : undefined;
    }, 120_000, 100);
  const taskFile = async (jobId: string, taskId: string, name: string) => (await call("GET", `/jobs/${jobId}/tasks/${taskId}/files/${name}`)).text;
  const idleNodes = (poolId: string, count: number) =>
    waitFor(`${count} idle nodes in ${poolId}`, async () => {
      const nodes = (await get(`/pools/${poolId}/nodes`)).value as { id: string; state: string; errors?: unknown }[];
      assert.ok(nodes.every((node) => node.state !== "unusable"), JSON.stringify(nodes));
      return nodes.length === count && nodes.every((node) => node.state === "idle") ? nodes : undefined;
    }, 120_000, 100);
  let settings: () => object;

  before(async () => {
    world = await startPodmanWorld();
    azurite = await startAzurite();
    await azurite.createContainer("outputs");
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1, nodesPerAgent: 1, unrestrictedContainerAccounts: [B.name] });
    settings = () => ({ imageName: world.image, registry: { registryServer: world.registry, username: world.username, password: world.password } });
  });
  after(async () => {
    await server?.dispose();
    await azurite?.stop();
    await world?.dispose();
  });

  it("prefetches a pool's images with its registry's credentials (Python SDK) before its nodes turn idle", async () => {
    const result = await pythonSnippet(server.url, A, docSnippet("python")
      .replace('registry_server = "myregistry.example.com"', `registry_server = "${world.registry}"`)
      .replace('user_name = "batchuser"', `user_name = "${world.username}"`)
      .replace('password = "secret"', `password = "${world.password}"`)
      .replace('image = "myregistry.example.com/tools/app:1"', `image = "${world.image}"`));
    assert.deepEqual(result, { type: "dockerCompatible", images: [world.image] });
    const nodes = await idleNodes("cpool", 2);
    // Pulled before idle: the image is in the runtime's store, fetched with the pool's credentials.
    assert.match(await world.podman("images", "--format", "{{.Repository}}:{{.Tag}}"), new RegExp(`${world.image.replace(/[.]/g, "\\.")}`));
    // Once per node (each has its own agent here); the start tasks, with the pool's credentials, did not pull again.
    assert.equal(await world.pulls(), 2);
    for (const node of nodes) {
      const node_ = await get(`/pools/cpool/nodes/${node.id}`);
      assert.equal(node_.startTaskInfo.result, "success", JSON.stringify(node_.startTaskInfo));
      const stdout = (await call("GET", `/pools/cpool/nodes/${node.id}/files/startup%2Fstdout.txt`)).text;
      assert.equal(stdout, "started in /mnt/batch/tasks/startup\n");
      // An admin start task is root in its container, as on Azure.
      assert.equal((await call("GET", `/pools/cpool/nodes/${node.id}/files/shared%2Fstart-uid`)).text, "0\n");
      assert.match(node_.startTaskInfo.containerInfo?.containerId ?? "", /^[0-9a-f]{64}$/, JSON.stringify(node_.startTaskInfo));
      assert.equal(node_.startTaskInfo.containerInfo.state, "exited");
    }
    assert.equal((await call("POST", "/jobs", { id: "cjob", poolInfo: { poolId: "cpool" } })).status, 201);
  });

  it("runs a task in its container: node paths, environment, exit code, output, output files; then removes it", async () => {
    const pulls = await world.pulls();
    const sas = azurite.containerSasUrl("outputs", "racwl");
    const added = await call("POST", "/jobs/cjob/tasks", {
      id: "inside",
      commandLine: `/bin/sh -c 'pwd; echo "$AZ_BATCH_TASK_WORKING_DIR|$AZ_BATCH_NODE_ROOT_DIR|$AZ_BATCH_NODE_SHARED_DIR|$AZ_BATCH_TASK_ID|$GREETING"; ls /mnt/batch/tasks; echo oops >&2; echo result-$GREETING > result.txt; test -f /bin/busybox && exit 7'`,
      environmentSettings: [{ name: "GREETING", value: "hello world" }],
      containerSettings: { ...settings(), containerRunOptions: "--env EXTRA=1 --tmpfs /scratch --shm-size 16m" },
      outputFiles: [{ filePattern: "result.txt", destination: { container: { containerUrl: sas, path: "inside/result.txt" } }, uploadOptions: { uploadCondition: "taskcompletion" } }],
    });
    assert.equal(added.status, 201, added.text);
    const task = await completed("cjob", "inside");
    // The container's exit code is the task's, judged as a process's is.
    assert.equal(task.executionInfo.exitCode, 7, JSON.stringify(task.executionInfo));
    assert.equal(task.executionInfo.failureInfo.code, "FailureExitCode", JSON.stringify(task.executionInfo));
    const lines = (await taskFile("cjob", "inside", "stdout.txt")).split("\n");
    const wd = "/mnt/batch/tasks/workitems/cjob/job-1/inside/wd";
    assert.equal(lines[0], wd);
    assert.equal(lines[1], `${wd}|/mnt/batch/tasks|/mnt/batch/tasks/shared|inside|hello world`);
    for (const directory of ["applications", "shared", "startup", "workitems"]) assert.ok(lines.includes(directory), lines.join(","));
    assert.equal(await taskFile("cjob", "inside", "stderr.txt"), "oops\n");
    assert.equal(await azurite.readBlob("outputs", "inside/result.txt"), "result-hello world\n");
    assert.deepEqual(await world.containers(), []);
    assert.match(task.executionInfo.containerInfo?.containerId ?? "", /^[0-9a-f]{64}$/, JSON.stringify(task.executionInfo));
    assert.equal(task.executionInfo.containerInfo.state, "exited");
    assert.equal(task.executionInfo.containerInfo.error, undefined);
    // The pool's pull, with the same credentials, vouched for the image: the task did not pull it again.
    assert.equal(await world.pulls(), pulls);
  });

  it("runs the task of docs/containers.md", async () => {
    const task = JSON.parse(docSnippet("json").replace("myregistry.example.com/tools/app:1", world.image)) as object;
    assert.equal((await call("POST", "/jobs/cjob/tasks", task)).status, 201);
    const done = await completed("cjob", "t1");
    assert.equal(done.executionInfo.exitCode, 0, JSON.stringify(done.executionInfo));
    assert.equal(await taskFile("cjob", "t1", "stdout.txt"), "/mnt/batch/tasks/workitems/cjob/job-1/t1/wd\n");
  });

  it("mounts only the node directories containerHostBatchBindMounts names, read-only where asked", async () => {
    const added = await call("POST", "/jobs/cjob/tasks", {
      id: "isolated",
      commandLine: "/bin/sh -c 'ls /mnt/batch/tasks; touch /mnt/batch/tasks/shared/x 2>/dev/null || echo shared-read-only; ls /mnt/batch/tasks/startup 2>/dev/null || echo no-startup'",
      containerSettings: { ...settings(), containerHostBatchBindMounts: [{ source: "Task" }, { source: "Shared", isReadOnly: true }] },
    });
    assert.equal(added.status, 201, added.text);
    const task = await completed("cjob", "isolated");
    assert.equal(task.executionInfo.exitCode, 0, await taskFile("cjob", "isolated", "stderr.txt"));
    assert.deepEqual((await taskFile("cjob", "isolated", "stdout.txt")).split("\n"), ["shared", "workitems", "shared-read-only", "no-startup", ""]);
  });

  it("fails a task whose image does not exist with Azure's failure info", async () => {
    assert.equal((await call("POST", "/jobs/cjob/tasks", { id: "noimage", commandLine: "/bin/true", containerSettings: { ...settings(), imageName: `${world.registry}/openbatch/missing:1` } })).status, 201);
    const task = await completed("cjob", "noimage");
    assert.equal(task.executionInfo.result, "failure");
    assert.equal(task.executionInfo.exitCode, undefined);
    assert.equal(task.executionInfo.failureInfo.code, "ContainerInvalidImage", JSON.stringify(task.executionInfo.failureInfo));
    assert.equal(task.executionInfo.failureInfo.category, "usererror");
    assert.equal(task.executionInfo.containerInfo, undefined, "no container was made");
    assert.ok((task.executionInfo.failureInfo.details as { name: string; value: string }[]).some((detail) => detail.name === "Message" && detail.value !== ""));
    // The image is in the host's store (the pool pulled it, and that pull vouches for it to the pool's credentials),
    // but a run is only given it with credentials that work: the store is shared by every account's nodes here.
    const wrong = { imageName: world.image, registry: { registryServer: world.registry, username: world.username, password: "wrong" } };
    assert.equal((await call("POST", "/jobs/cjob/tasks", { id: "wrongcreds", commandLine: "/bin/true", containerSettings: wrong })).status, 201);
    const refused = await completed("cjob", "wrongcreds");
    assert.equal(refused.executionInfo.failureInfo.code, "ContainerInvalidRegistry", JSON.stringify(refused.executionInfo.failureInfo));
  });

  it("reports the runtime's error when the container cannot start its command", async () => {
    assert.equal((await call("POST", "/jobs/cjob/tasks", { id: "nocommand", commandLine: "/no/such/program", containerSettings: settings() })).status, 201);
    const task = await completed("cjob", "nocommand");
    assert.equal(task.executionInfo.result, "failure", JSON.stringify(task.executionInfo));
    assert.notEqual(task.executionInfo.exitCode, 0);
    const info = task.executionInfo.containerInfo as { containerId: string; state: string; error: string };
    assert.match(info.containerId, /^[0-9a-f]{64}$/, JSON.stringify(info));
    // It was made and never ran: the runtime's state, and its words for why.
    assert.notEqual(info.state, "exited", JSON.stringify(info));
    assert.match(info.error, /\/no\/such\/program/, JSON.stringify(info));
    assert.deepEqual(await world.containers(), []);
  });

  it("terminate kills the container, and so does maxWallClockTime", async () => {
    assert.equal((await call("POST", "/jobs/cjob/tasks", { id: "endless", commandLine: "/bin/sleep 300", containerSettings: settings() })).status, 201);
    await waitFor("the endless task's container to run", async () => (await world.podman("ps", "--format", "{{.Command}}")).includes("sleep 300"), 60_000, 100);
    assert.equal((await call("POST", "/jobs/cjob/tasks/endless/terminate")).status, 204);
    const ended = await completed("cjob", "endless");
    assert.equal(ended.executionInfo.failureInfo.code, "TaskEnded", JSON.stringify(ended.executionInfo));
    // The task ends at once (as on Azure); its container gets the grace a process gets, then SIGKILL, and is removed.
    await waitFor("the endless task's container to be removed", async () => (await world.containers()).length === 0, 60_000, 100);

    // sleep as the container's first process ignores SIGTERM: only SIGKILL ends it.
    assert.equal((await call("POST", "/jobs/cjob/tasks", { id: "slow", commandLine: "/bin/sleep 300", containerSettings: settings(), constraints: { maxWallClockTime: "PT2S" } })).status, 201);
    const timedOut = await completed("cjob", "slow");
    assert.equal(timedOut.executionInfo.failureInfo.code, "TaskEnded", JSON.stringify(timedOut.executionInfo));
    assert.match(timedOut.executionInfo.failureInfo.message, /maxWallClockTime/);
    assert.deepEqual(await world.containers(), []);
  });

  it("runs multi-instance tasks in containers: the coordination command everywhere, the application on the primary", async () => {
    const command = "/bin/sh -c 'echo $AZ_BATCH_IS_CURRENT_NODE_MASTER > $AZ_BATCH_NODE_SHARED_DIR/coordinated-$AZ_BATCH_TASK_ID; hostname > /dev/null'";
    const added = await call("POST", "/jobs/cjob/tasks", {
      id: "mpi",
      commandLine: "/bin/sh -c 'cat $AZ_BATCH_NODE_SHARED_DIR/coordinated-mpi; echo $AZ_BATCH_HOST_LIST'",
      containerSettings: settings(),
      multiInstanceSettings: { numberOfInstances: 2, coordinationCommandLine: command },
    });
    assert.equal(added.status, 201, added.text);
    const task = await completed("cjob", "mpi");
    assert.equal(task.executionInfo.result, "success", JSON.stringify(task.executionInfo));
    const [master, hosts] = (await taskFile("cjob", "mpi", "stdout.txt")).split("\n");
    assert.equal(master, "true");
    assert.equal(hosts?.split(",").length, 2);
    const subtasks = (await get("/jobs/cjob/tasks/mpi/subtasksinfo")).value as { result: string; nodeInfo: { nodeId: string } }[];
    assert.equal(subtasks.length, 1);
    assert.equal(subtasks[0]?.result, "success");
    assert.equal((subtasks[0] as { containerInfo?: { state: string } }).containerInfo?.state, "exited", JSON.stringify(subtasks[0]));
    const other = subtasks[0]?.nodeInfo.nodeId as string;
    assert.equal((await call("GET", `/pools/cpool/nodes/${other}/files/shared%2Fcoordinated-mpi`)).text, "false\n");
  });

  it("refuses containerRunOptions that reach outside the container, unless the server lets the account use them", async () => {
    for (const options of ["--privileged", "--pid=host", "-v /etc:/host-etc", "--device /dev/kvm", "--security-opt seccomp=unconfined", "--cap-add SYS_ADMIN", "--name x"]) {
      const refused = await call("POST", "/jobs/cjob/tasks", { id: "bad", commandLine: "/bin/true", containerSettings: { ...settings(), containerRunOptions: options } });
      assert.equal(refused.status, 400, options);
      assert.equal(refused.json.code, "InvalidPropertyValue");
      const details = refused.json.values as { key: string; value: string }[];
      assert.deepEqual(details.find((detail) => detail.key === "PropertyName")?.value, "containerSettings.containerRunOptions", options);
    }
    const identity = await call("POST", "/jobs/cjob/tasks", { id: "bad", commandLine: "/bin/true", containerSettings: { ...settings(), registry: { registryServer: world.registry, identityReference: { resourceId: "/x" } } } });
    assert.equal(identity.status, 400);
    assert.equal(identity.json.code, "UnsupportedProperty");
    const badImage = await call("POST", "/jobs/cjob/tasks", { id: "bad", commandLine: "/bin/true", containerSettings: { imageName: "--privileged" } });
    assert.equal(badImage.status, 400);
    // Account B is unrestricted on this server: the same request is accepted.
    assert.equal((await call("POST", "/jobs", { id: "bjob", poolInfo: { poolId: "nopool" } }, B)).status, 201);
    const allowed = await call("POST", "/jobs/bjob/tasks", { id: "caps", commandLine: "/bin/true", containerSettings: { ...settings(), containerRunOptions: "--cap-add NET_ADMIN -v /etc:/host-etc:ro" } }, B);
    assert.equal(allowed.status, 201, allowed.text);
    // A job schedule's job specification is held to its account's policy when it is added, as a job's is.
    const schedule = (account: { name: string; key: string }, id: string) =>
      call("POST", "/jobschedules", {
        id,
        schedule: { recurrenceInterval: "PT1H" },
        jobSpecification: { poolInfo: { poolId: "nopool" }, jobManagerTask: { id: "manager", commandLine: "/bin/true", containerSettings: { ...settings(), containerRunOptions: "--cap-add NET_ADMIN" } } },
      }, account);
    const refusedSchedule = await schedule(A, "asched");
    assert.equal(refusedSchedule.status, 400, refusedSchedule.text);
    assert.equal((refusedSchedule.json.values as { key: string; value: string }[]).find((detail) => detail.key === "PropertyName")?.value, "jobSpecification.jobManagerTask.containerSettings.containerRunOptions");
    assert.equal((await schedule(B, "bsched")).status, 201);
  });

  it("makes nodes unusable with Azure's error when the pool's image cannot be pulled", async () => {
    const added = await call("POST", "/pools", {
      id: "badimages",
      vmSize: "Standard_D2s_v3",
      targetDedicatedNodes: 1,
      virtualMachineConfiguration: { ...ubuntuVm, containerConfiguration: { type: "dockerCompatible", containerImageNames: [`${world.registry}/openbatch/missing:1`], containerRegistries: [{ registryServer: world.registry, username: world.username, password: world.password }] } },
    });
    assert.equal(added.status, 201, added.text);
    const node = await waitFor("the node to be unusable", async () => {
      const nodes = (await get("/pools/badimages/nodes")).value as { state: string; errors?: { code: string; message: string; errorDetails: { name: string; value: string }[] }[] }[];
      return nodes[0]?.state === "unusable" ? nodes[0] : undefined;
    }, 120_000, 100);
    assert.equal(node.errors?.[0]?.code, "ContainerInvalidImage", JSON.stringify(node.errors));
    assert.deepEqual(node.errors?.[0]?.errorDetails[0], { name: "ImageName", value: `${world.registry}/openbatch/missing:1` });
    // Wrong credentials: the registry refuses them.
    const wrong = await call("POST", "/pools", {
      id: "badcreds",
      vmSize: "Standard_D2s_v3",
      targetDedicatedNodes: 1,
      virtualMachineConfiguration: { ...ubuntuVm, containerConfiguration: { type: "criCompatible", containerImageNames: [world.image], containerRegistries: [{ registryServer: world.registry, username: world.username, password: "wrong" }] } },
    });
    assert.equal(wrong.status, 201, wrong.text);
    const refused = await waitFor("the node to be unusable", async () => {
      const nodes = (await get("/pools/badcreds/nodes")).value as { state: string; errors?: { code: string }[] }[];
      return nodes[0]?.state === "unusable" ? nodes[0] : undefined;
    }, 120_000, 100);
    assert.equal(refused.errors?.[0]?.code, "ContainerInvalidRegistry", JSON.stringify(refused.errors));
  });
});

describe("container pools where the agents have no runtime", () => {
  it("are refused with a 400 naming containerConfiguration", async () => {
    const saved = process.env["OPENBATCH_AGENT_CONTAINER_RUNTIME"];
    process.env["OPENBATCH_AGENT_CONTAINER_RUNTIME"] = "off";
    const server = await startTestServer();
    try {
      const refused = await batchRequest(server.url, {
        method: "POST",
        path: `/pools?api-version=${apiVersion}`,
        account: A,
        body: { id: "cpool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, virtualMachineConfiguration: { ...ubuntuVm, containerConfiguration: { type: "dockerCompatible", containerImageNames: ["busybox"] } } },
      });
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.json.code, "InvalidPropertyValue");
      const details = refused.json.values as { key: string; value: string }[];
      assert.equal(details.find((detail) => detail.key === "PropertyName")?.value, "virtualMachineConfiguration.containerConfiguration");
      assert.match(refused.json.message.value, /no container runtime.*turned off/);
      assert.equal((await batchRequest(server.url, { method: "GET", path: `/pools/cpool?api-version=${apiVersion}`, account: A })).status, 404);
    } finally {
      if (saved === undefined) delete process.env["OPENBATCH_AGENT_CONTAINER_RUNTIME"];
      else process.env["OPENBATCH_AGENT_CONTAINER_RUNTIME"] = saved;
      await server.dispose();
    }
  });
});
