import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

/** DataServiceId on the creates not covered elsewhere (pools: body.test.ts; jobs: jobs.test.ts; certificates). */
describe("DataServiceId: the absolute URL of what a create made", () => {
  let server: TestServer;
  const post = (path: string, body: object) => batchRequest(server.url, { method: "POST", path: `${path}?api-version=${apiVersion}`, account, body });
  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
    assert.equal((await post("/pools", { id: "dsid-pool", vmSize: "standard_d2s_v3", targetDedicatedNodes: 1, virtualMachineConfiguration: ubuntuVm })).status, 201);
    assert.equal((await post("/jobs", { id: "dsid-job", poolInfo: { poolId: "dsid-pool" } })).status, 201);
  });
  after(() => server.dispose());

  it("Task_Add", async () => {
    const added = await post("/jobs/dsid-job/tasks", { id: "Task-One", commandLine: "/bin/true" });
    assert.equal(added.status, 201, added.text);
    assert.equal(added.headers.get("dataserviceid"), `${server.url}/jobs/dsid-job/tasks/Task-One`);
  });

  it("JobSchedule_Add", async () => {
    const added = await post("/jobschedules", { id: "Schedule-One", schedule: { recurrenceInterval: "PT1H" }, jobSpecification: { poolInfo: { poolId: "dsid-pool" } } });
    assert.equal(added.status, 201, added.text);
    assert.equal(added.headers.get("dataserviceid"), `${server.url}/jobschedules/Schedule-One`);
  });

  it("ComputeNode_AddUser", async () => {
    const nodeId = await waitFor("the node to be idle", async () => {
      const nodes = await batchRequest(server.url, { path: `/pools/dsid-pool/nodes?api-version=${apiVersion}`, account });
      const node = (nodes.json?.value ?? [])[0] as { id: string; state: string } | undefined;
      return node?.state === "idle" ? node.id : undefined;
    }, 120_000);
    const added = await post(`/pools/dsid-pool/nodes/${nodeId}/users`, { name: "alice", password: "s3cret!" });
    assert.equal(added.status, 201, added.text);
    assert.equal(added.headers.get("dataserviceid"), `${server.url}/pools/dsid-pool/nodes/${nodeId}/users/alice`);
  });
});
