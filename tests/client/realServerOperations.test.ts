/**
 * Every operation of our client on its success path, against one real OpenBatch server with real local nodes (a
 * two-node pool run by a node agent), a real Azurite for service logs, an application package uploaded as
 * `openbatch application upload` does, and the certificate fixtures. Each step asserts the status and what the
 * answer says, and the steps build on each other as a user's program would: the pool's nodes run the job's tasks,
 * whose files are listed, ranged and deleted; certificates are held by a pool, then released.
 *
 * The client's transport is an OperationLedger, so the last test can prove from the wire that every operation of
 * the protocol table (lifetime statistics excepted: removed from the API) was answered with its success status at
 * least once. ComputeNode_GetRemoteDesktop is the one operation without a success path: Azure serves `.rdp` files
 * only for cloud-service pools, which are retired and which the server refuses; its documented refusal is asserted.
 *
 * The server's clock is the real one plus an offset the test moves once, at the end, past the end of the current
 * 30-minute usage interval so that Pool_ListUsageMetrics has a complete interval to report; the generous clock skew
 * and heartbeat timeout keep requests and nodes valid across that jump.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { operations, type OperationId } from "@openbatch/protocol";
import { supportedImages } from "@openbatch/server";
import {
  BatchServiceClient,
  BatchSharedKeyCredential,
  isBatchError,
  toArray,
  type BatchError,
  type CloudTask,
  type NodesIdleProgress,
  type TaskAddParameter,
  type TaskCounts,
} from "@openbatch/client";
import { startAzurite, type Azurite } from "../support/azurite.js";
import { batchRequest } from "../support/batchRequest.js";
import { certificateFixture, sha1Thumbprint } from "../support/certificateFixtures.js";
import { ubuntuVm } from "../support/pools.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";
import { makeZip } from "../support/zipFixture.js";
import { OperationLedger } from "./operationLedger.js";

const account = testAccounts.alpha;
const poolId = "ops-pool";
const sidePoolId = "side-pool";
const jobId = "ops-job";
const bulkJobId = "bulk-job";
const scheduleId = "ops-schedule";
const applicationId = "ops-app";
const extension = { name: "ops-ext", publisher: "Microsoft.Azure.Extensions", type: "CustomScript", typeHandlerVersion: "2.1" };
const cer = certificateFixture("openbatch-test.cer");
const thumbprint = sha1Thumbprint(cer).toLowerCase();
const quick = { pollIntervalInMs: 200, timeoutInMs: 60_000 };
/** The content the writer task produces: `seq 1 2000`. */
const writerOutput = Array.from({ length: 2000 }, (_, index) => `${index + 1}\n`).join("");
const usageIntervalInMs = 30 * 60 * 1000;

/** Awaits a call that must fail with a BatchError and returns it. */
async function batchErrorOf(call: Promise<unknown>): Promise<BatchError> {
  try {
    const result = await call;
    return assert.fail(`expected a BatchError, got ${JSON.stringify(result)}`);
  } catch (error) {
    if (!isBatchError(error)) throw error;
    return error;
  }
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

describe("every client operation on its success path against a real server with real nodes", () => {
  let server: TestServer;
  let azurite: Azurite;
  let client: BatchServiceClient;
  const ledger = new OperationLedger();
  let clockOffsetInMs = 0;
  let nodeIds: string[] = [];
  /** The nodes that ran tasks of the main job, where its preparation and release tasks run. */
  const jobNodes = new Set<string>();

  const taskState = (job: string, taskId: string, state: CloudTask["state"]) =>
    waitFor(`task ${taskId} to be ${state}`, async () => {
      const task = await client.task.get(job, taskId);
      return task.state === state ? task : undefined;
    }, 60_000, 100);

  before(async () => {
    azurite = await startAzurite();
    await azurite.createContainer("node-logs");
    server = await startTestServer({
      agentHeartbeatIntervalInSeconds: 1,
      clock: { now: () => new Date(Date.now() + clockOffsetInMs) },
      clockSkewInSeconds: 3600,
      nodeHeartbeatTimeoutInSeconds: 3600,
    });
    client = new BatchServiceClient(server.url, new BatchSharedKeyCredential(account.name, account.key), {
      transport: ledger,
      retryOptions: { maxRetries: 0 },
    });
    for (const version of ["1.0", "2.0"]) {
      const zip = await makeZip([{ name: "bin/hello.sh", mode: 0o755, content: `#!/bin/sh\necho hello ${version}\n` }]);
      const uploaded = await batchRequest(server.url, {
        method: "PUT",
        path: `/_admin/v1/applications/${applicationId}/versions/${version}?displayName=Operations%20App`,
        account,
        body: zip,
        headers: { "content-type": "application/zip" },
      });
      assert.equal(uploaded.status, 201, uploaded.text);
    }
  });
  after(async () => {
    await client?.close();
    await server?.dispose();
    await azurite?.stop();
  });

  it("application: lists and gets the uploaded application with its versions", async () => {
    const listed = await toArray(client.application.list());
    assert.deepEqual(listed, [{ id: applicationId, displayName: "Operations App", versions: ["1.0", "2.0"] }]);
    const got = await client.application.get(applicationId);
    assert.equal(got._response.status, 200);
    assert.deepEqual({ ...got }, { id: applicationId, displayName: "Operations App", versions: ["1.0", "2.0"] });
  });

  it("account: lists every supported image", async () => {
    const images = await toArray(client.account.listSupportedImages());
    assert.equal(images.length, supportedImages.length);
    assert.ok(images.some((image) => image.nodeAgentSKUId === ubuntuVm.nodeAgentSKUId && image.osType === "linux"));
  });

  it("certificate: adds a .cer, gets it active and lists it", async () => {
    const added = await client.certificate.add({ thumbprint, thumbprintAlgorithm: "sha1", data: cer.toString("base64"), certificateFormat: "cer" });
    assert.equal(added._response.status, 201);
    assert.match(added.dataServiceId ?? "", new RegExp(`/certificates\\(thumbprintAlgorithm=sha1,thumbprint=${thumbprint}\\)$`, "i"));
    const got = await client.certificate.get("sha1", thumbprint);
    assert.equal(got.state, "active");
    assert.equal(got.thumbprint?.toLowerCase(), thumbprint);
    assert.equal(got.publicData, cer.toString("base64"));
    const listed = await toArray(client.certificate.list({ filter: "state eq 'active'", select: "thumbprint,state" }));
    assert.deepEqual(listed.map((certificate) => [certificate.thumbprint?.toLowerCase(), certificate.state]), [[thumbprint, "active"]]);
  });

  it("pool: adds a node pool and a side pool holding the certificate; gets, checks, lists and patches them", async () => {
    const added = await client.pool.add({
      id: poolId,
      vmSize: "standard_d2s_v3",
      targetDedicatedNodes: 2,
      taskSlotsPerNode: 4,
      virtualMachineConfiguration: { ...ubuntuVm, extensions: [extension] },
      startTask: { commandLine: "/bin/sh -c 'echo started; printf marker-$AZ_BATCH_NODE_ID > $AZ_BATCH_NODE_SHARED_DIR/marker.txt'", waitForSuccess: true },
      metadata: [{ name: "purpose", value: "operations" }],
    });
    assert.equal(added._response.status, 201);
    assert.equal(added.dataServiceId, `${server.url}/pools/${poolId}`);
    await client.pool.add({
      id: sidePoolId,
      vmSize: "standard_d2s_v3",
      targetDedicatedNodes: 0,
      // Multi-instance tasks need inter-node communication and one task slot per node.
      enableInterNodeCommunication: true,
      taskSlotsPerNode: 1,
      virtualMachineConfiguration: ubuntuVm,
      certificateReferences: [{ thumbprint, thumbprintAlgorithm: "sha1", visibility: ["task"] }],
    });

    const pool = await client.pool.get(poolId);
    assert.equal(pool.id, poolId);
    assert.equal(pool.targetDedicatedNodes, 2);
    assert.equal(pool.taskSlotsPerNode, 4);
    assert.deepEqual(pool.virtualMachineConfiguration?.extensions, [extension]);
    assert.equal(await client.pool.exists(poolId), true);
    const listed = await toArray(client.pool.list({ select: "id,vmSize,targetDedicatedNodes" }));
    assert.deepEqual(listed.map((entry) => [entry.id, entry.targetDedicatedNodes]).sort(), [[poolId, 2], [sidePoolId, 0]]);

    const patched = await client.pool.patch(poolId, { metadata: [{ name: "purpose", value: "every operation" }] }, { ifMatch: pool.eTag as string });
    assert.equal(patched._response.status, 200);
    assert.notEqual(patched.eTag, pool.eTag);
    assert.deepEqual((await client.pool.get(poolId, { select: "metadata" })).metadata, [{ name: "purpose", value: "every operation" }]);
  });

  it("waitForNodesIdle: reports progress until both real nodes are idle; account: counts them", async () => {
    const progress: NodesIdleProgress[] = [];
    const nodes = await client.waitForNodesIdle(poolId, { ...quick, onProgress: (seen) => progress.push(seen) });
    assert.equal(nodes.length, 2);
    assert.ok(nodes.every((node) => node.state === "idle"));
    nodeIds = nodes.map((node) => node.id as string).sort();
    assert.ok(progress.length >= 1);
    assert.deepEqual(progress.at(-1), { counts: { idle: 2 }, total: 2, minNodes: 2 });
    assert.ok(progress.every((seen) => seen.minNodes === 2 && seen.total <= 2));

    const counts = await toArray(client.account.listPoolNodeCounts({ filter: `poolId eq '${poolId}'` }));
    assert.equal(counts.length, 1);
    assert.equal(counts[0]?.poolId, poolId);
    assert.equal(counts[0]?.dedicated?.idle, 2);
    assert.equal(counts[0]?.dedicated?.total, 2);
    assert.equal(counts[0]?.lowPriority?.total, 0);
  });

  it("computeNode: lists and gets the nodes, their remote login settings and extensions; no .rdp for a VM pool", async () => {
    const listed = await toArray(client.computeNode.list(poolId));
    assert.deepEqual(listed.map((node) => node.id).sort(), nodeIds);
    const nodeId = nodeIds[0] as string;
    const node = await client.computeNode.get(poolId, nodeId);
    assert.equal(node.state, "idle");
    assert.equal(node.vmSize, "standard_d2s_v3");
    assert.equal(node.startTaskInfo?.state, "completed");
    assert.equal(node.startTaskInfo?.exitCode, 0);

    const login = await client.computeNode.getRemoteLoginSettings(poolId, nodeId);
    assert.equal(login._response.status, 200);
    assert.match(login.remoteLoginIPAddress ?? "", /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(login.remoteLoginPort, 22);

    const extensions = await toArray(client.computeNodeExtension.list(poolId, nodeId));
    assert.deepEqual(extensions.map((entry) => [entry.vmExtension?.name, entry.provisioningState]), [[extension.name, "Succeeded"]]);
    const one = await client.computeNodeExtension.get(poolId, nodeId, extension.name);
    assert.deepEqual(one.vmExtension, extension);
    assert.equal(one.instanceView?.statuses?.[0]?.code, "ProvisioningState/succeeded");

    const rdp = await batchErrorOf(client.computeNode.getRemoteDesktop(poolId, nodeId));
    assert.equal(rdp.code, "OperationNotValidOnNode");
    assert.equal(rdp.statusCode, 409);
  });

  it("computeNode: adds, updates and deletes a user account", async () => {
    const nodeId = nodeIds[0] as string;
    const added = await client.computeNode.addUser(poolId, nodeId, { name: "ops-user", password: "Secret-123", isAdmin: false });
    assert.equal(added._response.status, 201);
    assert.match(added.dataServiceId ?? "", /\/users\/ops-user$/);
    assert.equal((await batchErrorOf(client.computeNode.addUser(poolId, nodeId, { name: "ops-user", password: "x" }))).code, "NodeUserExists");
    const updated = await client.computeNode.updateUser(poolId, nodeId, "ops-user", { password: "Other-456", expiryTime: new Date(Date.now() + 86_400_000).toISOString() });
    assert.equal(updated._response.status, 200);
    const deleted = await client.computeNode.deleteUser(poolId, nodeId, "ops-user");
    assert.equal(deleted._response.status, 200);
    assert.equal((await batchErrorOf(client.computeNode.deleteUser(poolId, nodeId, "ops-user"))).code, "NodeUserNotFound");
  });

  it("file: lists, reads (whole and ranged), describes and deletes a node's files", async () => {
    const nodeId = nodeIds[0] as string;
    const files = await toArray(client.file.listFromComputeNode(poolId, nodeId, { recursive: true }));
    const names = files.map((file) => file.name);
    assert.ok(names.includes("startup/stdout.txt"), names.join(", "));
    assert.ok(names.includes("shared/marker.txt"), names.join(", "));
    const marker = files.find((file) => file.name === "shared/marker.txt");
    const expected = `marker-${nodeId}`;
    assert.equal(marker?.isDirectory, false);
    assert.equal(marker?.properties?.contentLength, expected.length);

    const download = await client.file.getFromComputeNode(poolId, nodeId, "shared/marker.txt");
    assert.equal(download._response.status, 200);
    assert.equal((await collect(download.readableStreamBody)).toString("utf8"), expected);
    const ranged = await client.file.getFromComputeNode(poolId, nodeId, "shared/marker.txt", { ocpRange: "bytes=7-" });
    assert.equal((await collect(ranged.body)).toString("utf8"), expected.slice(7));
    assert.equal((await collect((await client.file.getFromComputeNode(poolId, nodeId, "startup/stdout.txt")).readableStreamBody)).toString("utf8"), "started\n");

    const properties = await client.file.getPropertiesFromComputeNode(poolId, nodeId, "shared/marker.txt");
    assert.equal(properties._response.status, 200);
    assert.equal(properties.contentLength, expected.length);
    assert.equal(properties.ocpBatchFileIsdirectory, false);
    assert.match(properties.ocpBatchFileMode ?? "", /^0100[0-7]{3}$/, "a regular file's mode, as Azure spells it");
    assert.ok(properties.ocpBatchFileUrl?.endsWith(`/pools/${poolId}/nodes/${nodeId}/files/shared%2Fmarker.txt`), properties.ocpBatchFileUrl);
    assert.ok(properties.lastModified instanceof Date && !Number.isNaN(properties.lastModified.getTime()));

    const deleted = await client.file.deleteFromComputeNode(poolId, nodeId, "shared/marker.txt");
    assert.equal(deleted._response.status, 200);
    const gone = await batchErrorOf(client.file.getFromComputeNode(poolId, nodeId, "shared/marker.txt"));
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.code, "FileNotFound");
  });

  it(
    "file: properties of a file that is gone answer 404",
    async () => {
      const error = await batchErrorOf(client.file.getPropertiesFromComputeNode(poolId, nodeIds[0] as string, "no/such/file.txt"));
      // A HEAD answer has no body, so no Batch error code reaches the client (as with Azure): the status says it.
      assert.equal(error.statusCode, 404);
    },
  );

  it("certificate: a deletion fails while a pool holds it, is cancelled, and succeeds once updateProperties lets go", async () => {
    const deleting = await client.certificate.delete("sha1", thumbprint);
    assert.equal(deleting._response.status, 202);
    const failed = await client.certificate.get("sha1", thumbprint);
    assert.equal(failed.state, "deletefailed");
    assert.equal(failed.deleteCertificateError?.code, "CertificateInUse");
    assert.deepEqual(failed.deleteCertificateError?.values, [{ key: "PoolId", value: sidePoolId }]);

    const cancelled = await client.certificate.cancelDeletion("sha1", thumbprint);
    assert.equal(cancelled._response.status, 204);
    assert.equal((await client.certificate.get("sha1", thumbprint)).state, "active");

    const updated = await client.pool.updateProperties(sidePoolId, {
      certificateReferences: [],
      applicationPackageReferences: [{ applicationId, version: "1.0" }],
      metadata: [{ name: "updated", value: "yes" }],
    });
    assert.equal(updated._response.status, 204);
    const side = await client.pool.get(sidePoolId);
    assert.deepEqual(side.certificateReferences ?? [], []);
    assert.deepEqual(side.applicationPackageReferences, [{ applicationId, version: "1.0" }]);
    assert.deepEqual(side.metadata, [{ name: "updated", value: "yes" }]);

    assert.equal((await client.certificate.delete("sha1", thumbprint))._response.status, 202);
    assert.equal((await batchErrorOf(client.certificate.get("sha1", thumbprint))).code, "CertificateNotFound");
  });

  it("pool: enables autoscale, evaluates a formula, disables autoscale", async () => {
    const enabled = await client.pool.enableAutoScale(sidePoolId, { autoScaleFormula: "$TargetDedicatedNodes = 0;", autoScaleEvaluationInterval: "PT5M" });
    assert.equal(enabled._response.status, 200);
    const autoscaled = await client.pool.get(sidePoolId);
    assert.equal(autoscaled.enableAutoScale, true);
    assert.equal(autoscaled.autoScaleFormula, "$TargetDedicatedNodes = 0;");
    assert.equal(autoscaled.autoScaleEvaluationInterval, "PT5M");
    assert.ok(!Number.isNaN(Date.parse(autoscaled.autoScaleRun?.timestamp ?? "")), "enabling evaluates at once");

    const run = await client.pool.evaluateAutoScale(sidePoolId, "$answer = 6 * 7; $TargetDedicatedNodes = 0;");
    assert.equal(run._response.status, 200);
    assert.equal(run.error, undefined);
    assert.match(run.results ?? "", /\$answer=42/);
    assert.match(run.results ?? "", /\$TargetDedicatedNodes=0/);

    const disabled = await client.pool.disableAutoScale(sidePoolId);
    assert.equal(disabled._response.status, 200);
    assert.equal((await client.pool.get(sidePoolId)).enableAutoScale, false);
  });

  it("pool: resizes the side pool to two nodes that run a multi-instance task (task: lists its subtasks); stops a resize; deletes it", async () => {
    const resized = await client.pool.resize(sidePoolId, { targetDedicatedNodes: 2 });
    assert.equal(resized._response.status, 202);
    const resizing = await client.pool.get(sidePoolId);
    assert.equal(resizing.allocationState, "resizing");
    assert.equal(resizing.targetDedicatedNodes, 2);
    const sideNodes = (await client.waitForNodesIdle(sidePoolId, quick)).map((node) => node.id as string).sort();
    assert.equal(sideNodes.length, 2);

    await client.job.add({ id: "mi-job", poolInfo: { poolId: sidePoolId } });
    await client.task.add("mi-job", {
      id: "multi",
      commandLine: "/bin/sh -c 'echo primary'",
      multiInstanceSettings: { numberOfInstances: 2, coordinationCommandLine: "/bin/sh -c 'echo coordinating'" },
    });
    const task = await taskState("mi-job", "multi", "completed");
    assert.equal(task.executionInfo?.result, "success");
    const subtasks = await client.task.listSubtasks("mi-job", "multi");
    assert.equal(subtasks._response.status, 200);
    assert.deepEqual(subtasks.value?.map((subtask) => [subtask.id, subtask.state, subtask.result, subtask.exitCode]), [[1, "completed", "success", 0]]);
    assert.deepEqual([task.nodeInfo?.nodeId, subtasks.value?.[0]?.nodeInfo?.nodeId].sort(), sideNodes, "one instance on each node");
    await client.job.delete("mi-job");

    await client.pool.resize(sidePoolId, { targetDedicatedNodes: 4 });
    const stopped = await client.pool.stopResize(sidePoolId);
    assert.equal(stopped._response.status, 202);
    // The pool leaves `resizing` at once: `stopping` until the nodes it keeps are reached, then `steady`.
    assert.ok(["stopping", "steady"].includes((await client.pool.get(sidePoolId)).allocationState as string));
    const steady = await client.waitForPoolSteady(sidePoolId, quick);
    assert.equal(steady.allocationState, "steady");
    const kept = await toArray(client.computeNode.list(sidePoolId, { select: "id" }));
    assert.equal(steady.targetDedicatedNodes, kept.length, "the target is what the pool had when the resize stopped");
    assert.ok(kept.length >= 2 && kept.length <= 4);

    const deleted = await client.pool.delete(sidePoolId);
    assert.equal(deleted._response.status, 202);
    await waitFor("the side pool to be gone", async () => ((await client.pool.exists(sidePoolId)) ? undefined : true), 30_000, 100);
  });

  it("job: adds a job with preparation and release tasks; gets, lists, patches and updates it", async () => {
    const added = await client.job.add({
      id: jobId,
      poolInfo: { poolId },
      priority: 10,
      jobPreparationTask: { commandLine: "/bin/sh -c 'echo prepared'" },
      jobReleaseTask: { commandLine: "/bin/sh -c 'echo released'" },
      metadata: [{ name: "stage", value: "added" }],
    });
    assert.equal(added._response.status, 201);
    assert.equal(added.dataServiceId, `${server.url}/jobs/${jobId}`);
    const job = await client.job.get(jobId);
    assert.equal(job.state, "active");
    assert.equal(job.priority, 10);
    assert.equal(job.poolInfo?.poolId, poolId);
    assert.deepEqual((await toArray(client.job.list({ filter: `id eq '${jobId}'`, select: "id,state" }))), [{ id: jobId, state: "active" }]);

    const patched = await client.job.patch(jobId, { priority: 20, metadata: [{ name: "stage", value: "patched" }] }, { ifMatch: job.eTag as string });
    assert.equal(patched._response.status, 200);
    const afterPatch = await client.job.get(jobId);
    assert.equal(afterPatch.priority, 20);
    assert.deepEqual(afterPatch.metadata, [{ name: "stage", value: "patched" }]);

    const updated = await client.job.update(jobId, { poolInfo: { poolId }, priority: 30, constraints: { maxTaskRetryCount: 1 } });
    assert.equal(updated._response.status, 200);
    const afterUpdate = await client.job.get(jobId);
    assert.equal(afterUpdate.priority, 30);
    assert.equal(afterUpdate.constraints?.maxTaskRetryCount, 1);
    assert.deepEqual(afterUpdate.metadata ?? [], [], "update replaces what it is not given");
  });

  it("task: adds, gets, lists and updates a task; file: lists, streams (with ocpRange), describes and deletes its output", async () => {
    const added = await client.task.add(jobId, { id: "writer", commandLine: "/bin/sh -c 'seq 1 2000 > out.txt; echo wrote'" });
    assert.equal(added._response.status, 201);
    const task = await taskState(jobId, "writer", "completed");
    assert.equal(task.executionInfo?.result, "success");
    assert.equal(task.executionInfo?.exitCode, 0);
    assert.ok(nodeIds.includes(task.nodeInfo?.nodeId as string));
    jobNodes.add(task.nodeInfo?.nodeId as string);
    assert.deepEqual((await toArray(client.task.list(jobId, { select: "id,state" }))), [{ id: "writer", state: "completed" }]);

    const updated = await client.task.update(jobId, "writer", { constraints: { maxTaskRetryCount: 2, retentionTime: "PT1H" } });
    assert.equal(updated._response.status, 200);
    const constraints = (await client.task.get(jobId, "writer", { select: "constraints" })).constraints;
    assert.equal(constraints?.maxTaskRetryCount, 2);
    assert.equal(constraints?.retentionTime, "PT1H");

    const files = await toArray(client.file.listFromTask(jobId, "writer", { recursive: true }));
    const byName = new Map(files.map((file) => [file.name, file]));
    assert.equal(byName.get("wd/out.txt")?.properties?.contentLength, writerOutput.length);
    assert.equal(byName.get("stdout.txt")?.properties?.contentLength, "wrote\n".length);

    const whole = await client.file.getFromTask(jobId, "writer", "wd/out.txt");
    assert.equal(whole._response.status, 200);
    assert.equal(whole.contentLength, writerOutput.length);
    assert.equal((await collect(whole.readableStreamBody)).toString("utf8"), writerOutput);
    const slice = await client.file.getFromTask(jobId, "writer", "wd/out.txt", { ocpRange: "bytes=1000-5499" });
    const sliceBytes = await collect(slice.body);
    assert.equal(sliceBytes.length, 4500);
    assert.equal(slice.contentLength, 4500);
    assert.deepEqual(sliceBytes, Buffer.from(writerOutput).subarray(1000, 5500));

    const properties = await client.file.getPropertiesFromTask(jobId, "writer", "wd/out.txt");
    assert.equal(properties._response.status, 200);
    assert.equal(properties.contentLength, writerOutput.length);
    assert.equal(properties.ocpBatchFileIsdirectory, false);
    assert.ok(properties.ocpBatchFileUrl?.endsWith(`/jobs/${jobId}/tasks/writer/files/wd%2Fout.txt`), properties.ocpBatchFileUrl);
    assert.match(properties.ocpBatchFileMode ?? "", /^0100[0-7]{3}$/);
    assert.ok(properties.lastModified instanceof Date && Math.abs(properties.lastModified.getTime() - Date.now()) < 10 * 60_000);
    const directory = await client.file.getPropertiesFromTask(jobId, "writer", "wd");
    assert.equal(directory.ocpBatchFileIsdirectory, true);

    const deleted = await client.file.deleteFromTask(jobId, "writer", "wd/out.txt");
    assert.equal(deleted._response.status, 200);
    assert.equal((await batchErrorOf(client.file.getFromTask(jobId, "writer", "wd/out.txt"))).code, "FileNotFound");
    assert.ok(!(await toArray(client.file.listFromTask(jobId, "writer", { recursive: true }))).some((file) => file.name === "wd/out.txt"));
  });

  it("task: terminates a running task, reactivates it, and deletes it", async () => {
    await client.task.add(jobId, { id: "sleeper", commandLine: "/bin/sh -c 'sleep 60'" });
    const running = await taskState(jobId, "sleeper", "running");
    assert.ok(nodeIds.includes(running.nodeInfo?.nodeId as string));
    jobNodes.add(running.nodeInfo?.nodeId as string);
    const terminated = await client.task.terminate(jobId, "sleeper");
    assert.equal(terminated._response.status, 204);
    const ended = await client.task.get(jobId, "sleeper");
    assert.equal(ended.state, "completed");
    assert.equal(ended.executionInfo?.result, "failure");

    const reactivated = await client.task.reactivate(jobId, "sleeper");
    assert.equal(reactivated._response.status, 204);
    const again = await client.task.get(jobId, "sleeper");
    assert.ok(again.state === "active" || again.state === "preparing" || again.state === "running", again.state);
    assert.equal(again.previousState === "completed" || again.previousState === "active" || again.previousState === "preparing", true);
    assert.equal(again.executionInfo?.retryCount, 0);
    assert.equal(again.executionInfo?.result, undefined);

    const deleted = await client.task.delete(jobId, "sleeper");
    assert.equal(deleted._response.status, 200);
    assert.equal((await batchErrorOf(client.task.get(jobId, "sleeper"))).code, "TaskNotFound");
  });

  it("task: addCollection adds 300 tasks for real; waitForTasksComplete reports per-state counts until they are done", async () => {
    await client.job.add({ id: bulkJobId, poolInfo: { poolId } });
    const tasks: TaskAddParameter[] = Array.from({ length: 300 }, (_, index) => ({ id: `bulk-${String(index).padStart(3, "0")}`, commandLine: `/bin/sh -c 'exit ${index % 3 === 0 ? 1 : 0}'` }));
    const submitted: number[] = [];
    const result = await client.task.addCollection(bulkJobId, tasks, { concurrency: 2, onProgress: (progress) => submitted.push(progress.added) });
    assert.equal(result.value?.length, 300);
    assert.deepEqual(result.value?.map((entry) => entry.taskId), tasks.map((task) => task.id), "results in input order");
    assert.ok(result.value?.every((entry) => entry.status === "success"));
    assert.deepEqual(submitted.at(-1), 300);
    assert.equal(submitted.length, 3, "three chunks of 100");

    const progress: TaskCounts[] = [];
    const counts = await client.waitForTasksComplete(bulkJobId, { pollIntervalInMs: 250, timeoutInMs: 120_000, onProgress: (seen) => progress.push(seen) });
    assert.deepEqual(counts.taskCounts, { active: 0, running: 0, completed: 300, succeeded: 200, failed: 100 });
    assert.ok(progress.length >= 1);
    assert.ok(progress.every((seen) => (seen.active ?? 0) + (seen.running ?? 0) + (seen.completed ?? 0) === 300), JSON.stringify(progress));
    assert.deepEqual(progress.at(-1), counts.taskCounts);
    assert.equal(counts.taskSlotCounts?.completed, 300);

    const direct = await client.job.getTaskCounts(bulkJobId);
    assert.deepEqual(direct.taskCounts, counts.taskCounts);
    assert.equal((await toArray(client.task.list(bulkJobId, { filter: "executionInfo/result eq 'failure'", select: "id" }))).length, 100);
  });

  it("job: lists the preparation task status of the nodes that ran its tasks; disables, enables, terminates (release tasks run) and deletes it", async () => {
    const statuses = await toArray(client.job.listPreparationAndReleaseTaskStatus(jobId));
    assert.deepEqual(statuses.map((status) => status.nodeId).sort(), [...jobNodes].sort());
    for (const status of statuses) {
      assert.equal(status.poolId, poolId);
      assert.equal(status.jobPreparationTaskExecutionInfo?.state, "completed");
      assert.equal(status.jobPreparationTaskExecutionInfo?.exitCode, 0);
      assert.equal(status.jobReleaseTaskExecutionInfo, undefined);
    }

    const disabled = await client.job.disable(jobId, "requeue");
    assert.equal(disabled._response.status, 202);
    assert.equal((await client.job.get(jobId)).state, "disabled");
    const enabled = await client.job.enable(jobId);
    assert.equal(enabled._response.status, 202);
    assert.equal((await client.job.get(jobId)).state, "active");

    const terminated = await client.job.terminate(jobId, { terminateReason: "operations covered" });
    assert.equal(terminated._response.status, 202);
    const completed = await waitFor("the job to complete", async () => {
      const job = await client.job.get(jobId);
      return job.state === "completed" ? job : undefined;
    }, 60_000, 100);
    assert.equal(completed.executionInfo?.terminateReason, "operations covered");
    const released = await toArray(client.job.listPreparationAndReleaseTaskStatus(jobId));
    assert.deepEqual(
      released.map((status) => [status.jobReleaseTaskExecutionInfo?.state, status.jobReleaseTaskExecutionInfo?.exitCode]),
      [...jobNodes].map(() => ["completed", 0]),
    );

    for (const id of [jobId, bulkJobId]) assert.equal((await client.job.delete(id))._response.status, 202);
    await waitFor("the jobs to be gone", async () => ((await toArray(client.job.list({ select: "id" }))).length === 0 ? true : undefined), 30_000, 100);
  });

  it("jobSchedule: adds, checks, gets, lists, patches, updates, disables, enables, lists its jobs, terminates and deletes", async () => {
    const added = await client.jobSchedule.add({
      id: scheduleId,
      schedule: { recurrenceInterval: "PT1H" },
      jobSpecification: { poolInfo: { poolId }, priority: 5 },
      metadata: [{ name: "stage", value: "added" }],
    });
    assert.equal(added._response.status, 201);
    assert.equal(await client.jobSchedule.exists(scheduleId), true);
    const schedule = await client.jobSchedule.get(scheduleId);
    assert.equal(schedule.state, "active");
    assert.equal(schedule.schedule?.recurrenceInterval, "PT1H");
    assert.deepEqual((await toArray(client.jobSchedule.list({ select: "id,state" }))), [{ id: scheduleId, state: "active" }]);

    const jobs = await waitFor("the schedule's first job", async () => {
      const listed = await toArray(client.job.listFromJobSchedule(scheduleId));
      return listed.length > 0 ? listed : undefined;
    }, 60_000, 100);
    assert.deepEqual(jobs.map((job) => job.id), [`${scheduleId}:job-1`]);
    assert.equal(jobs[0]?.priority, 5);
    assert.equal(jobs[0]?.poolInfo?.poolId, poolId);

    const patched = await client.jobSchedule.patch(scheduleId, { metadata: [{ name: "stage", value: "patched" }] }, { ifMatch: schedule.eTag as string });
    assert.equal(patched._response.status, 200);
    assert.deepEqual((await client.jobSchedule.get(scheduleId)).metadata, [{ name: "stage", value: "patched" }]);
    const updated = await client.jobSchedule.update(scheduleId, { schedule: { recurrenceInterval: "PT2H" }, jobSpecification: { poolInfo: { poolId }, priority: 7 } });
    assert.equal(updated._response.status, 200);
    const afterUpdate = await client.jobSchedule.get(scheduleId);
    assert.equal(afterUpdate.schedule?.recurrenceInterval, "PT2H");
    assert.equal(afterUpdate.jobSpecification?.priority, 7);
    assert.deepEqual(afterUpdate.metadata ?? [], []);

    assert.equal((await client.jobSchedule.disable(scheduleId))._response.status, 204);
    assert.equal((await client.jobSchedule.get(scheduleId)).state, "disabled");
    assert.equal((await client.jobSchedule.enable(scheduleId))._response.status, 204);
    assert.equal((await client.jobSchedule.get(scheduleId)).state, "active");
    assert.equal((await client.jobSchedule.terminate(scheduleId))._response.status, 202);
    assert.equal((await client.jobSchedule.get(scheduleId)).state, "completed");
    assert.equal((await client.job.get(`${scheduleId}:job-1`)).state, "completed");
    assert.equal((await client.jobSchedule.delete(scheduleId))._response.status, 202);
    assert.equal(await client.jobSchedule.exists(scheduleId), false);
  });

  it("computeNode: disables and enables scheduling, uploads service logs to Azurite, reboots and reimages", async () => {
    const nodeId = nodeIds[1] as string;
    const disabled = await client.computeNode.disableScheduling(poolId, nodeId, { nodeDisableSchedulingOption: "taskcompletion" });
    assert.equal(disabled._response.status, 200);
    assert.equal((await client.computeNode.get(poolId, nodeId)).schedulingState, "disabled");
    const enabled = await client.computeNode.enableScheduling(poolId, nodeId);
    assert.equal(enabled._response.status, 200);
    assert.equal((await client.computeNode.get(poolId, nodeId)).schedulingState, "enabled");

    const uploaded = await client.computeNode.uploadBatchServiceLogs(poolId, nodeId, {
      containerUrl: azurite.containerSasUrl("node-logs", "racwl"),
      startTime: new Date(Date.now() - 3600_000).toISOString(),
    });
    assert.equal(uploaded._response.status, 200);
    assert.equal(uploaded.numberOfFilesUploaded, 1);
    assert.ok(uploaded.virtualDirectoryName?.startsWith(`${poolId}/${nodeId}/`), uploaded.virtualDirectoryName);
    const blobs = await azurite.listBlobNames("node-logs", `${uploaded.virtualDirectoryName}/`);
    assert.equal(blobs.length, 1);
    assert.match(await azurite.readBlob("node-logs", blobs[0] as string), /agent started/);

    const bootedAt = Date.parse((await client.computeNode.get(poolId, nodeId)).lastBootTime as string);
    const rebooted = await client.computeNode.reboot(poolId, nodeId, { nodeRebootOption: "terminate" });
    assert.equal(rebooted._response.status, 202);
    // How long `rebooting` is seen depends on the agent; the new boot time below is the proof.
    assert.ok(["rebooting", "starting", "waitingforstarttask", "idle"].includes((await client.computeNode.get(poolId, nodeId)).state as string));
    await client.waitForNodesIdle(poolId, quick);
    assert.ok(Date.parse((await client.computeNode.get(poolId, nodeId)).lastBootTime as string) > bootedAt, "the node booted again");

    // Reimaging wipes the node and runs its start task again: the marker it writes comes back.
    await client.file.deleteFromComputeNode(poolId, nodeId, "shared/marker.txt");
    const reimaged = await client.computeNode.reimage(poolId, nodeId, { nodeReimageOption: "terminate" });
    assert.equal(reimaged._response.status, 202);
    assert.ok(["reimaging", "starting", "waitingforstarttask", "idle"].includes((await client.computeNode.get(poolId, nodeId)).state as string));
    const nodes = await client.waitForNodesIdle(poolId, quick);
    assert.deepEqual(nodes.map((node) => node.id).sort(), nodeIds);
    const marker = await client.file.getFromComputeNode(poolId, nodeId, "shared/marker.txt");
    assert.equal((await collect(marker.readableStreamBody)).toString("utf8"), `marker-${nodeId}`);
  });

  it("pool: removes a node; usage metrics report the pool's core-hours once the interval ends; deletes the pool", async () => {
    const removedNode = nodeIds[1] as string;
    const removed = await client.pool.removeNodes(poolId, { nodeList: [removedNode] });
    assert.equal(removed._response.status, 202);
    assert.equal((await client.pool.get(poolId)).targetDedicatedNodes, 1);
    await waitFor("the removed node to leave", async () => {
      const nodes = await toArray(client.computeNode.list(poolId, { select: "id" }));
      return nodes.length === 1 && nodes[0]?.id === nodeIds[0] ? true : undefined;
    }, 60_000, 100);

    // Move the server's clock just past the end of the current usage interval.
    const serverNow = Date.now() + clockOffsetInMs;
    clockOffsetInMs += Math.ceil(serverNow / usageIntervalInMs) * usageIntervalInMs + 1000 - serverNow;
    const metrics = await toArray(client.pool.listUsageMetrics({ filter: `poolId eq '${poolId}'` }));
    assert.equal(metrics.length, 1, JSON.stringify(metrics));
    const metric = metrics[0];
    assert.equal(metric?.poolId, poolId);
    assert.equal(metric?.vmSize, "standard_d2s_v3");
    assert.ok((metric?.totalCoreHours ?? 0) > 0, JSON.stringify(metric));
    const end = new Date(metric?.endTime as unknown as string).getTime();
    assert.equal(end - new Date(metric?.startTime as unknown as string).getTime(), usageIntervalInMs);
    assert.ok(end <= Date.now() + clockOffsetInMs);

    assert.equal((await client.pool.delete(poolId))._response.status, 202);
    await waitFor("the pool to be gone", async () => ((await client.pool.exists(poolId)) ? undefined : true), 30_000, 100);
  });

  it("called every operation of the table with its success status at least once", () => {
    const expected = operations.filter((operation) => !("removedIn" in operation)).map((operation) => operation.operationId as OperationId);
    assert.equal(expected.length, 76);
    const succeeded = ledger.succeeded();
    const withoutSuccessPath: OperationId[] = ["ComputeNode_GetRemoteDesktop"];
    const missing = expected.filter((operationId) => !succeeded.has(operationId) && !withoutSuccessPath.includes(operationId));
    assert.deepEqual(missing, [], "operations never answered with their success status");
    assert.deepEqual(ledger.statusesOf("ComputeNode_GetRemoteDesktop"), [409]);
  });
});
