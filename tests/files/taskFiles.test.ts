/**
 * Resource and output files of tasks end to end: a real server (with an auto-storage account on Azurite), real
 * agents, real processes, real blobs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { azuriteAccount, startAzurite, type Azurite } from "../support/azurite.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const image = { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" };

function propertyName(response: { json: { values?: { key: string; value: string }[] } }): string | undefined {
  return response.json.values?.find((detail) => detail.key === "PropertyName")?.value;
}

describe("task resource and output files through blob storage", () => {
  let azurite: Azurite;
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const completed = (id: string) =>
    waitFor(`${id} completed`, async () => {
      const task = (await call("GET", `/jobs/fj/tasks/${id}`)).json;
      return task.state === "completed" ? task : undefined;
    });
  const blobUrl = (container: string, name: string) => {
    const url = new URL(azurite.containerSasUrl(container, "r"));
    return `${url.origin}${url.pathname}/${name}${url.search}`;
  };

  before(async () => {
    azurite = await startAzurite();
    const inputs = await azurite.createContainer("inputs");
    for (const [name, text] of [["tool.sh", "#!/bin/sh\necho tool says $1\n"], ["data/x.txt", "x-data\n"], ["data/y.txt", "y-data\n"]] as const) {
      await inputs.getBlockBlobClient(name).upload(text, text.length);
    }
    await azurite.createContainer("outputs");
    server = await startTestServer({
      agentHeartbeatIntervalInSeconds: 1,
      autoStorage: { connectionString: `DefaultEndpointsProtocol=http;AccountName=${azuriteAccount.name};AccountKey=${azuriteAccount.key};BlobEndpoint=${azurite.blobEndpoint};` },
    });
    const pool = await call("POST", "/pools", {
      id: "fpool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, taskSlotsPerNode: 4,
      virtualMachineConfiguration: { imageReference: image, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
      startTask: { commandLine: "/bin/cat data/y.txt", resourceFiles: [{ autoStorageContainerName: "inputs", blobPrefix: "data/y" }], waitForSuccess: true },
    });
    assert.equal(pool.status, 201, pool.text);
    assert.equal((await call("POST", "/jobs", { id: "fj", poolInfo: { poolId: "fpool" } })).status, 201);
  });
  after(async () => {
    await server?.dispose();
    await azurite?.stop();
  });

  it("gives the start task its auto-storage resource files in startup/wd", async () => {
    const node = await waitFor("the node to finish its start task", async () => {
      const [first] = (await call("GET", "/pools/fpool/nodes")).json.value ?? [];
      return first?.startTaskInfo?.state === "completed" ? first : undefined;
    });
    assert.equal(node.startTaskInfo.result, "success", JSON.stringify(node.startTaskInfo));
    const stdout = await call("GET", `/pools/fpool/nodes/${node.id}/files/startup%2Fstdout.txt`);
    assert.equal(stdout.text, "y-data\n");
  });

  it("downloads http, container and auto-storage resource files before the command and uploads its outputs, stdout complete", async () => {
    const outputs = azurite.containerSasUrl("outputs", "cw");
    const added = await call("POST", "/jobs/fj/tasks", {
      id: "files",
      commandLine: `/bin/sh -c "./bin/tool.sh hi && cat in/data/x.txt auto/data/y.txt && seq 1 20000 && mkdir -p res/deep && echo one > res/one.txt && echo two > res/deep/two.txt"`,
      resourceFiles: [
        { httpUrl: blobUrl("inputs", "tool.sh"), filePath: "bin/tool.sh", fileMode: "0755" },
        { storageContainerUrl: azurite.containerSasUrl("inputs", "rl"), blobPrefix: "data/x", filePath: "in" },
        { autoStorageContainerName: "inputs", blobPrefix: "data/y", filePath: "auto" },
      ],
      outputFiles: [
        { filePattern: "res/**/*.txt", destination: { container: { containerUrl: outputs, path: "tasks/files" } }, uploadOptions: { uploadCondition: "tasksuccess" } },
        { filePattern: "res/*.txt", destination: { container: { containerUrl: outputs, path: "never" } }, uploadOptions: { uploadCondition: "taskfailure" } },
        {
          filePattern: "../stdout.txt",
          destination: { container: { containerUrl: outputs, path: "stdout/files.txt", uploadHeaders: [{ name: "Content-Type", value: "text/plain" }] } },
          uploadOptions: { uploadCondition: "taskcompletion" },
        },
      ],
    });
    assert.equal(added.status, 201, added.text);
    const task = await completed("files");
    assert.equal(task.executionInfo.result, "success", JSON.stringify(task.executionInfo));
    assert.equal(task.executionInfo.exitCode, 0);
    assert.deepEqual((await azurite.listBlobNames("outputs", "tasks/")).sort(), ["tasks/files/deep/two.txt", "tasks/files/one.txt"]);
    assert.deepEqual(await azurite.listBlobNames("outputs", "never"), []);
    const stdout = (await call("GET", "/jobs/fj/tasks/files/files/stdout.txt")).text;
    assert.ok(stdout.startsWith("tool says hi\nx-data\ny-data\n1\n2\n") && stdout.endsWith("\n20000\n"), stdout.slice(0, 100));
    assert.equal(await azurite.readBlob("outputs", "stdout/files.txt"), stdout);
    const properties = await azurite.service.getContainerClient("outputs").getBlobClient("stdout/files.txt").getProperties();
    assert.equal(properties.contentType, "text/plain");
    const upload = await call("GET", "/jobs/fj/tasks/files/files/fileuploadout.txt");
    assert.equal(upload.status, 200);
    assert.equal(upload.text.trim().split("\n").length, 3);
  });

  it("gives job preparation and release tasks their resource files", async () => {
    const job = await call("POST", "/jobs", {
      id: "prepj",
      poolInfo: { poolId: "fpool" },
      jobPreparationTask: { commandLine: "/bin/cat data/x.txt", resourceFiles: [{ autoStorageContainerName: "inputs", blobPrefix: "data/x" }] },
      jobReleaseTask: { commandLine: "/bin/cat release.sh", resourceFiles: [{ httpUrl: blobUrl("inputs", "tool.sh"), filePath: "release.sh" }] },
    });
    assert.equal(job.status, 201, job.text);
    assert.equal((await call("POST", "/jobs/prepj/tasks", { id: "after", commandLine: "/bin/true" })).status, 201);
    const task = await waitFor("the task after preparation", async () => {
      const current = (await call("GET", "/jobs/prepj/tasks/after")).json;
      return current.state === "completed" ? current : undefined;
    });
    assert.equal(task.executionInfo.result, "success");
    const nodeFile = (path: string) => call("GET", `/pools/fpool/nodes/${task.nodeInfo.nodeId}/files/${encodeURIComponent(path)}`);
    assert.equal((await nodeFile("workitems/prepj/job-1/jobpreparation/stdout.txt")).text, "x-data\n");
    assert.equal((await call("POST", "/jobs/prepj/terminate")).status, 202);
    const released = await waitFor("the release task's output", async () => {
      const stdout = await nodeFile("workitems/prepj/job-1/jobrelease/stdout.txt");
      return stdout.status === 200 && stdout.text !== "" ? stdout.text : undefined;
    });
    assert.match(released, /^#!\/bin\/sh\necho tool says/);
  });

  it("multi-instance: common resource files reach every instance's task directory, task files only the application command", async () => {
    const pool = await call("POST", "/pools", {
      id: "mipool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 2, enableInterNodeCommunication: true,
      virtualMachineConfiguration: { imageReference: image, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
    });
    assert.equal(pool.status, 201, pool.text);
    assert.equal((await call("POST", "/jobs", { id: "mij", poolInfo: { poolId: "mipool" } })).status, 201);
    const added = await call("POST", "/jobs/mij/tasks", {
      id: "mpi",
      commandLine: "/bin/sh -c 'cat $AZ_BATCH_TASK_SHARED_DIR/common/data/x.txt && sh bin/tool.sh mpi > mpi.txt'",
      resourceFiles: [{ httpUrl: blobUrl("inputs", "tool.sh"), filePath: "bin/tool.sh" }],
      outputFiles: [{ filePattern: "mpi.txt", destination: { container: { containerUrl: azurite.containerSasUrl("outputs", "cw"), path: "mpi/out.txt" } }, uploadOptions: { uploadCondition: "tasksuccess" } }],
      multiInstanceSettings: {
        numberOfInstances: 2,
        coordinationCommandLine: "/bin/sh -c 'test -f $AZ_BATCH_TASK_SHARED_DIR/common/data/x.txt && test ! -e bin/tool.sh'",
        commonResourceFiles: [{ autoStorageContainerName: "inputs", blobPrefix: "data/x", filePath: "common" }],
      },
    });
    assert.equal(added.status, 201, added.text);
    const task = await waitFor("the multi-instance task", async () => {
      const current = (await call("GET", "/jobs/mij/tasks/mpi")).json;
      return current.state === "completed" ? current : undefined;
    });
    assert.equal(task.executionInfo.result, "success", JSON.stringify(task.executionInfo));
    const subtasks = (await call("GET", "/jobs/mij/tasks/mpi/subtasksinfo")).json.value as { result: string }[];
    assert.deepEqual(subtasks.map((subtask) => subtask.result), ["success"]);
    assert.equal(await azurite.readBlob("outputs", "mpi/out.txt"), "tool says mpi\n");
    assert.equal((await call("GET", "/jobs/mij/tasks/mpi/files/stdout.txt")).text, "x-data\n");
    assert.equal((await call("DELETE", "/pools/mipool")).status, 202);
  });

  it("fails a task whose resource file is missing before its command runs: preProcessing BlobNotFound, never retried", async () => {
    const added = await call("POST", "/jobs/fj/tasks", {
      id: "nofile",
      commandLine: "/bin/sh -c 'echo ran > ran.txt'",
      resourceFiles: [{ httpUrl: blobUrl("inputs", "missing.txt"), filePath: "missing.txt" }],
      constraints: { maxTaskRetryCount: 3 },
    });
    assert.equal(added.status, 201, added.text);
    const task = await completed("nofile");
    assert.equal(task.executionInfo.result, "failure");
    assert.equal(task.executionInfo.exitCode, undefined);
    assert.equal(task.executionInfo.retryCount, 0);
    assert.equal(task.executionInfo.failureInfo.category, "usererror");
    assert.equal(task.executionInfo.failureInfo.code, "BlobNotFound");
    assert.doesNotMatch(task.executionInfo.failureInfo.message, /sig=/);
    assert.equal((await call("GET", "/jobs/fj/tasks/nofile/files/wd%2Fran.txt")).status, 404);
  });

  it("fails a task whose upload container is missing: exit code kept, FileUploadContainerNotFound, never retried", async () => {
    const added = await call("POST", "/jobs/fj/tasks", {
      id: "noupload",
      commandLine: "/bin/sh -c 'echo out > out.txt'",
      outputFiles: [{ filePattern: "out.txt", destination: { container: { containerUrl: azurite.containerSasUrl("nosuchcontainer", "cw") } }, uploadOptions: { uploadCondition: "taskcompletion" } }],
      constraints: { maxTaskRetryCount: 2 },
    });
    assert.equal(added.status, 201, added.text);
    const task = await completed("noupload");
    assert.equal(task.executionInfo.exitCode, 0);
    assert.equal(task.executionInfo.result, "failure");
    assert.equal(task.executionInfo.retryCount, 0);
    assert.deepEqual(
      { category: task.executionInfo.failureInfo.category, code: task.executionInfo.failureInfo.code },
      { category: "usererror", code: "FileUploadContainerNotFound" },
    );
    assert.ok(task.executionInfo.failureInfo.details.some((detail: { name: string }) => detail.name === "ContainerUrl"));
    const errors = await call("GET", "/jobs/fj/tasks/noupload/files/fileuploaderr.txt");
    assert.match(errors.text, /not found/);
  });

  it("applies preProcessingError to a resource-file failure and fileUploadError to an upload failure", async () => {
    const jobState = async (id: string) => (await call("GET", `/jobs/${id}`)).json;
    const taskOf = (jobId: string, taskId: string) =>
      waitFor(`${jobId}/${taskId} completed`, async () => {
        const task = (await call("GET", `/jobs/${jobId}/tasks/${taskId}`)).json;
        return task.state === "completed" ? task : undefined;
      });
    const missingInput = [{ httpUrl: blobUrl("inputs", "missing.txt"), filePath: "missing.txt" }];
    const deadContainer = [{ filePattern: "o.txt", destination: { container: { containerUrl: azurite.containerSasUrl("nosuchcontainer", "cw") } }, uploadOptions: { uploadCondition: "taskcompletion" } }];
    const job = async (id: string) => assert.equal((await call("POST", "/jobs", { id, poolInfo: { poolId: "fpool" }, onTaskFailure: "performexitoptionsjobaction" })).status, 201);
    const add = async (jobId: string, task: object) => {
      const added = await call("POST", `/jobs/${jobId}/tasks`, task);
      assert.equal(added.status, 201, added.text);
    };

    // preProcessingError: none keeps the job; the upload error of the other job falls back to terminate.
    await job("prejob");
    await add("prejob", { id: "p", commandLine: "/bin/true", resourceFiles: missingInput, exitConditions: { preProcessingError: { jobAction: "none" }, fileUploadError: { jobAction: "terminate" } } });
    assert.equal((await taskOf("prejob", "p")).executionInfo.failureInfo.code, "BlobNotFound");
    assert.equal((await jobState("prejob")).state, "active");

    await job("upjob");
    await add("upjob", { id: "u", commandLine: "/bin/sh -c 'echo o > o.txt'", outputFiles: deadContainer, exitConditions: { preProcessingError: { jobAction: "terminate" }, fileUploadError: { jobAction: "none" } } });
    assert.equal((await taskOf("upjob", "u")).executionInfo.failureInfo.code, "FileUploadContainerNotFound");
    assert.equal((await jobState("upjob")).state, "active");

    await job("upterm");
    await add("upterm", { id: "u", commandLine: "/bin/sh -c 'echo o > o.txt'", outputFiles: deadContainer, exitConditions: { preProcessingError: { jobAction: "none" } } });
    const ended = await waitFor("upterm to end", async () => {
      const current = await jobState("upterm");
      return current.state === "completed" || current.state === "terminating" ? current : undefined;
    });
    assert.equal(ended.executionInfo.terminateReason, "TaskFailed");
  });

  it("refuses file specifications that cannot work when the task is added, naming the property", async () => {
    const cases: [object, string, string][] = [
      [{ resourceFiles: [{ httpUrl: blobUrl("inputs", "tool.sh"), filePath: "../../escape.sh" }] }, "InvalidPropertyValue", "resourceFiles[0].filePath"],
      [{ resourceFiles: [{ httpUrl: blobUrl("inputs", "tool.sh") }] }, "MissingRequiredProperty", "resourceFiles[0].filePath"],
      [{ resourceFiles: [{ httpUrl: blobUrl("inputs", "tool.sh"), storageContainerUrl: azurite.containerSasUrl("inputs", "rl"), filePath: "x" }] }, "InvalidPropertyValue", "resourceFiles[0]"],
      [{ resourceFiles: [{ storageContainerUrl: "ftp://host/c" }] }, "InvalidPropertyValue", "resourceFiles[0].storageContainerUrl"],
      [{ resourceFiles: [{ autoStorageContainerName: "inputs", fileMode: "rwx" }] }, "InvalidPropertyValue", "resourceFiles[0].fileMode"],
      [{ resourceFiles: [{ autoStorageContainerName: "inputs", identityReference: { resourceId: "/x" } }] }, "InvalidPropertyValue", "resourceId"],
      [
        { resourceFiles: [{ autoStorageContainerName: "inputs", identityReference: { resourceId: "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/i" } }] },
        "UnsupportedProperty",
        "resourceFiles[0].identityReference",
      ],
      [
        { outputFiles: [{ filePattern: "*.txt", destination: { container: { containerUrl: azurite.containerSasUrl("outputs", "cw"), uploadHeaders: [{ name: "x-ms-blob-type", value: "PageBlob" }] } }, uploadOptions: { uploadCondition: "taskcompletion" } }] },
        "InvalidPropertyValue",
        "outputFiles[0].destination.container.uploadHeaders[0].name",
      ],
      [{ outputFiles: [{ filePattern: "*.txt", destination: {}, uploadOptions: { uploadCondition: "taskcompletion" } }] }, "MissingRequiredProperty", "outputFiles[0].destination.container"],
    ];
    for (const [index, [fields, code, property]] of cases.entries()) {
      const response = await call("POST", "/jobs/fj/tasks", { id: `bad${index}`, commandLine: "/bin/true", ...fields });
      assert.equal(response.status, 400, `${property}: ${response.text}`);
      assert.equal(batchErrorCode(response), code, property);
      assert.equal(propertyName(response), property);
    }
    const collection = await call("POST", "/jobs/fj/addtaskcollection", {
      value: [
        { id: "okay", commandLine: "/bin/true" },
        { id: "escaping", commandLine: "/bin/true", resourceFiles: [{ httpUrl: blobUrl("inputs", "tool.sh"), filePath: "/etc/passwd" }] },
      ],
    });
    assert.equal(collection.status, 200, collection.text);
    const escaping = collection.json.value.find((result: { taskId: string }) => result.taskId === "escaping");
    assert.equal(escaping.status, "clienterror");
    assert.equal(escaping.error.code, "InvalidPropertyValue");
    assert.equal((await call("GET", "/jobs/fj/tasks/bad0")).status, 404);
  });
});

describe("auto-storage resource files without an auto-storage account", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ localAgentEntry: undefined });
  });
  after(() => server.dispose());

  it("are refused when the task, the pool's start task or the job's own tasks are added; bad paths and URLs too", async () => {
    const call = (method: string, path: string, body?: object) =>
      batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
    assert.equal((await call("POST", "/jobs", { id: "noauto", poolInfo: { poolId: "anypool" } })).status, 201);
    const response = await call("POST", "/jobs/noauto/tasks", { id: "t", commandLine: "/bin/true", resourceFiles: [{ autoStorageContainerName: "inputs" }] });
    assert.equal(response.status, 400, response.text);
    assert.equal(batchErrorCode(response), "InvalidPropertyValue");
    assert.equal(propertyName(response), "resourceFiles[0].autoStorageContainerName");
    const pool = (startTask: object) =>
      call("POST", "/pools", {
        id: "nofilespool", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 0, startTask,
        virtualMachineConfiguration: { imageReference: image, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
      });
    const auto = await pool({ commandLine: "/bin/true", resourceFiles: [{ autoStorageContainerName: "inputs" }] });
    assert.equal(auto.status, 400, auto.text);
    assert.equal(propertyName(auto), "startTask.resourceFiles[0].autoStorageContainerName");
    const escaping = await pool({ commandLine: "/bin/true", resourceFiles: [{ httpUrl: "http://127.0.0.1:1/x", filePath: "../x" }] });
    assert.equal(escaping.status, 400, escaping.text);
    assert.equal(propertyName(escaping), "startTask.resourceFiles[0].filePath");
    assert.equal((await call("GET", "/pools/nofilespool")).status, 404);
    const job = await call("POST", "/jobs", {
      id: "nofilesjob", poolInfo: { poolId: "anypool" },
      jobPreparationTask: { commandLine: "/bin/true", resourceFiles: [{ httpUrl: "http://127.0.0.1:1/x", filePath: "/etc/x" }] },
    });
    assert.equal(job.status, 400, job.text);
    assert.equal(propertyName(job), "jobPreparationTask.resourceFiles[0].filePath");
    const manager = await call("POST", "/jobs", {
      id: "nofilesjob", poolInfo: { poolId: "anypool" },
      jobManagerTask: { id: "jm", commandLine: "/bin/true", outputFiles: [{ filePattern: "*", destination: { container: { containerUrl: "not a url" } }, uploadOptions: { uploadCondition: "taskcompletion" } }] },
    });
    assert.equal(manager.status, 400, manager.text);
    assert.equal(propertyName(manager), "jobManagerTask.outputFiles[0].destination.container.containerUrl");
  });
});
