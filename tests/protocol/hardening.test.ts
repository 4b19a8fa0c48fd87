/**
 * Input hardening found by fuzzing (issue #15 item 3) and what the API refuses instead of dropping (issue #14
 * item 10), each checked as the service answers it: status, Batch error code and the property named.
 *
 * - ids with a lone UTF-16 surrogate or a NUL/control character on pool, job, job schedule and task add: 400
 *   InvalidPropertyValue naming `id` (they used to reach `encodeURIComponent` in the resource URL and answer 500);
 * - a NUL in any request string (command lines, environment names and values, paths…): 400 naming the property,
 *   before anything reaches a process (it used to let a task replace its whole environment);
 * - `files/.` and `files/%2e`: 400 InvalidUri, not the directory's 200 with an empty body;
 * - `imageReference: {}`: neither a marketplace image nor an image id;
 * - `containerRunOptions` no account may use on the start, job manager, preparation and release tasks (Python SDK), user identities
 *   naming both a user and an auto-user, pool user accounts of one name twice.
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest, signPythonStyle, type BatchResponse } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { pythonSnippet } from "../support/pythonSnippet.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const pool = (id: string, extra: object = {}) => ({ id, vmSize: "Standard_D2s_v3", targetDedicatedNodes: 0, virtualMachineConfiguration: ubuntuVm, ...extra });

function propertyName(response: BatchResponse): string | undefined {
  return (response.json?.values as { key: string; value: string }[] | undefined)?.find((detail) => detail.key === "PropertyName")?.value;
}

/** A signed request whose path is sent byte for byte (fetch would normalise `.` and `%2e` segments away). */
function rawRequest(baseUrl: string, method: string, rawPath: string): Promise<BatchResponse> {
  const query = `api-version=${apiVersion}`;
  const headers: Record<string, string> = { "ocp-date": new Date().toUTCString(), ...(method === "GET" || method === "HEAD" ? {} : { "content-length": "0" }) };
  const signingUrl = { pathname: rawPath, searchParams: new URLSearchParams(query) } as unknown as URL;
  headers["authorization"] = `SharedKey ${account.name}:${signPythonStyle(method, signingUrl, headers, account)}`;
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const sent = httpRequest({ hostname, port, method, path: `${rawPath}?${query}`, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers: new Headers(response.headers as Record<string, string>), text, json });
      });
    });
    sent.on("error", reject);
    sent.end();
  });
}

describe("input hardening", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object | string) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const refused = (response: BatchResponse, code: string, property: string) => {
    assert.equal(response.status, 400, response.text);
    assert.equal(response.json?.code, code, response.text);
    assert.equal(propertyName(response), property, response.text);
  };

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await call("POST", "/pools", pool("hardpool", { targetDedicatedNodes: 1 }))).status, 201);
    assert.equal((await call("POST", "/jobs", { id: "hardjob", poolInfo: { poolId: "hardpool" } })).status, 201);
  });
  after(() => server.dispose());

  it("refuses ids with a lone surrogate, a NUL or a control character on every add, naming id", async () => {
    // Written as JSON escapes: the bodies are exactly what a client sends.
    for (const escaped of ["\\ud800", "a\\udfffb", "a\\u0000b", "a\\u0001b", "tab\\tid", "del\\u007f"]) {
      const creates: [string, string][] = [
        ["/pools", `{"id":"${escaped}","vmSize":"Standard_D2s_v3","targetDedicatedNodes":0,"virtualMachineConfiguration":${JSON.stringify(ubuntuVm)}}`],
        ["/jobs", `{"id":"${escaped}","poolInfo":{"poolId":"hardpool"}}`],
        ["/jobschedules", `{"id":"${escaped}","schedule":{},"jobSpecification":{"poolInfo":{"poolId":"hardpool"}}}`],
        ["/jobs/hardjob/tasks", `{"id":"${escaped}","commandLine":"/bin/true"}`],
      ];
      for (const [path, body] of creates) refused(await call("POST", path, body), "InvalidPropertyValue", "id");
    }
    const collection = await call("POST", "/jobs/hardjob/addtaskcollection", `{"value":[{"id":"\\ud800","commandLine":"/bin/true"}]}`);
    refused(collection, "InvalidPropertyValue", "value[0].id");
  });

  it("refuses a NUL in command lines, environment settings, paths and names before anything runs", async () => {
    const task = (fields: object) => call("POST", "/jobs/hardjob/tasks", { id: "nul", commandLine: "/bin/true", ...fields });
    refused(await task({ commandLine: "/bin/echo \u0000X=injected" }), "InvalidPropertyValue", "commandLine");
    refused(await task({ environmentSettings: [{ name: "A", value: "x\u0000X=injected" }] }), "InvalidPropertyValue", "environmentSettings[0].value");
    refused(await task({ environmentSettings: [{ name: "A\u0000B", value: "x" }] }), "InvalidPropertyValue", "environmentSettings[0].name");
    refused(await task({ resourceFiles: [{ httpUrl: "https://example.com/x", filePath: "a\u0000b" }] }), "InvalidPropertyValue", "resourceFiles[0].filePath");
    refused(await call("POST", "/pools", pool("nulpool", { startTask: { commandLine: "/bin/true\u0000" } })), "InvalidPropertyValue", "startTask.commandLine");
    refused(await call("POST", "/jobs", { id: "nuljob", poolInfo: { poolId: "hardpool" }, jobManagerTask: { id: "jm", commandLine: "/bin/true", environmentSettings: [{ name: "X", value: "\u0000" }] } }), "InvalidPropertyValue", "jobManagerTask.environmentSettings[0].value");
    refused(await call("PATCH", "/jobs/hardjob", { metadata: [{ name: "m", value: "\u0000" }] }), "InvalidPropertyValue", "metadata[0].value");
    // Free-form objects (extension settings) take any key, so names are checked too.
    const settings = `{"id":"keypool","vmSize":"Standard_D2s_v3","targetDedicatedNodes":0,"virtualMachineConfiguration":{"imageReference":${JSON.stringify(ubuntuVm.imageReference)},"nodeAgentSKUId":"${ubuntuVm.nodeAgentSKUId}","extensions":[{"name":"e","publisher":"p","type":"t","settings":{"a\\u0000b":1}}]}}`;
    refused(await call("POST", "/pools", settings), "InvalidPropertyValue", "virtualMachineConfiguration.extensions[0].settings.a\u0000b");
    assert.equal((await call("GET", "/jobs/hardjob/tasks/nul")).status, 404, "nothing was stored");
  });

  it("answers files/. and files/%2e with 400 InvalidUri, for node files and task files, and deletes nothing", async () => {
    assert.equal((await call("POST", "/jobs/hardjob/tasks", { id: "ran", commandLine: "/bin/sh -c 'echo kept > kept.txt'" })).status, 201);
    const task = await waitFor("the task to complete", async () => {
      const current = (await call("GET", "/jobs/hardjob/tasks/ran")).json;
      return current.state === "completed" ? current : undefined;
    }, 60_000);
    const nodeId = task.nodeInfo.nodeId as string;
    for (const segment of [".", "%2e", "%2E", "wd/.", "wd/%2E", "./stdout.txt"]) {
      const encoded = segment.replace(/\//g, "%2F");
      for (const path of [`/jobs/hardjob/tasks/ran/files/${encoded}`, `/pools/hardpool/nodes/${nodeId}/files/${encoded}`]) {
        for (const method of ["GET", "DELETE"]) {
          const response = await rawRequest(server.url, method, path);
          assert.equal(response.status, 400, `${method} ${path}: ${response.status} ${response.text}`);
          assert.equal(response.json?.code, "InvalidUri", `${method} ${path}`);
        }
        const head = await rawRequest(server.url, "HEAD", path);
        assert.equal(head.status, 400, `HEAD ${path}`);
      }
    }
    assert.equal((await call("GET", `/jobs/hardjob/tasks/ran/files/${encodeURIComponent("wd/kept.txt")}`)).text, "kept\n", "the task's files are still there");
  });

  it("refuses an image reference that is neither a marketplace image nor an image id", async () => {
    const image = (imageReference: object) => call("POST", "/pools", { ...pool("imagepool"), virtualMachineConfiguration: { ...ubuntuVm, imageReference } });
    refused(await image({}), "InvalidPropertyValue", "virtualMachineConfiguration.imageReference");
    refused(await image({ ...ubuntuVm.imageReference, virtualMachineImageId: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/images/i" }), "InvalidPropertyValue", "virtualMachineConfiguration.imageReference");
    refused(await image({ publisher: "canonical", offer: "0001-com-ubuntu-server-jammy" }), "MissingRequiredProperty", "virtualMachineConfiguration.imageReference.sku");
    assert.equal((await call("GET", "/pools/imagepool")).status, 404);
  });

  it("refuses containerRunOptions no account may use on start, job manager, preparation and release tasks (Python SDK)", async () => {
    const outcome = await pythonSnippet(server.url, account, `
container = batchmodels.TaskContainerSettings(image_name="ubuntu:22.04", container_run_options="--rm --name mine")
pool_info = batchmodels.PoolInformation(pool_id="hardpool")
attempts = {
  "startTask.containerSettings": lambda: client.pool.add(batchmodels.PoolAddParameter(id="containerpool", vm_size="Standard_D2s_v3", target_dedicated_nodes=0,
      virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
          image_reference=batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
          node_agent_sku_id="batch.node.ubuntu 22.04"),
      start_task=batchmodels.StartTask(command_line="/bin/true", container_settings=container))),
  "jobManagerTask.containerSettings": lambda: client.job.add(batchmodels.JobAddParameter(id="jm", pool_info=pool_info,
      job_manager_task=batchmodels.JobManagerTask(id="jm", command_line="/bin/true", container_settings=container))),
  "jobPreparationTask.containerSettings": lambda: client.job.add(batchmodels.JobAddParameter(id="prep", pool_info=pool_info,
      job_preparation_task=batchmodels.JobPreparationTask(command_line="/bin/true", container_settings=container))),
  "jobReleaseTask.containerSettings": lambda: client.job.add(batchmodels.JobAddParameter(id="release", pool_info=pool_info,
      job_preparation_task=batchmodels.JobPreparationTask(command_line="/bin/true"),
      job_release_task=batchmodels.JobReleaseTask(command_line="/bin/true", container_settings=container))),
  "jobSpecification.jobManagerTask.containerSettings": lambda: client.job_schedule.add(batchmodels.JobScheduleAddParameter(id="schedule",
      schedule=batchmodels.Schedule(recurrence_interval="PT1H"),
      job_specification=batchmodels.JobSpecification(pool_info=pool_info,
          job_manager_task=batchmodels.JobManagerTask(id="jm", command_line="/bin/true", container_settings=container)))),
}
result = {}
for expected, attempt in attempts.items():
    try:
        attempt()
        result[expected] = "accepted"
    except batchmodels.BatchErrorException as error:
        values = {detail.key: detail.value for detail in (error.error.values or [])}
        result[expected] = [error.response.status_code, error.error.code, values.get("PropertyName")]
emit(result)`);
    for (const [property, answer] of Object.entries(outcome as Record<string, unknown>)) {
      assert.deepEqual(answer, [400, "InvalidPropertyValue", `${property}.containerRunOptions`], property);
    }
    for (const path of ["/pools/containerpool", "/jobs/jm", "/jobs/prep", "/jobs/release", "/jobschedules/schedule"]) assert.equal((await call("GET", path)).status, 404, path);
  });

  it("refuses a user identity naming a user and an auto-user, and user accounts of one name twice", async () => {
    const both = { username: "alice", autoUser: { scope: "task" } };
    refused(await call("POST", "/jobs/hardjob/tasks", { id: "both", commandLine: "/bin/true", userIdentity: both }), "InvalidPropertyValue", "userIdentity");
    refused(await call("POST", "/jobs", { id: "bothjob", poolInfo: { poolId: "hardpool" }, jobReleaseTask: { commandLine: "x", userIdentity: both }, jobPreparationTask: { commandLine: "x" } }), "InvalidPropertyValue", "jobReleaseTask.userIdentity");
    refused(await call("POST", "/pools", pool("twice", { userAccounts: [{ name: "Alice", password: "a" }, { name: "alice", password: "b" }] })), "InvalidPropertyValue", "userAccounts[1].name");
    refused(await call("POST", "/pools", pool("longname", { userAccounts: [{ name: "a".repeat(21), password: "a" }] })), "InvalidPropertyValue", "userAccounts[0].name");
  });
});
