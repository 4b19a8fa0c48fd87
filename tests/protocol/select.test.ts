import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchErrorCode, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { poolBody } from "./fixtures.js";

const account = testAccounts.alpha;

function assertSelectRefused(response: BatchResponse, property: string): void {
  assert.equal(response.status, 400, response.text);
  assert.equal(batchErrorCode(response), "InvalidQueryParameterValue");
  const values = response.json.values as { key: string; value: string }[];
  assert.ok(values.some((v) => v.key === "QueryParameterName" && v.value === "$select"), response.text);
  const reason = values.find((v) => v.key === "Reason")?.value ?? "";
  assert.ok(reason.includes(`'${property}'`), `the reason names ${property}: ${reason}`);
}

describe("$select names only properties the entity has", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    const send = (path: string, body: object) => batchRequest(server.url, { method: "POST", path: `${path}?api-version=${apiVersion}`, account, body });
    assert.equal((await send("/pools", poolBody("sel-pool"))).status, 201);
    assert.equal((await send("/jobs", { id: "sel-job", poolInfo: { poolId: "sel-pool" } })).status, 201);
    assert.equal((await send("/jobs/sel-job/tasks", { id: "sel-task", commandLine: "true" })).status, 201);
  });
  after(() => server.dispose());

  const get = (path: string, select: string) =>
    batchRequest(server.url, { path: `${path}?api-version=${apiVersion}&$select=${encodeURIComponent(select)}`, account });

  it("refuses an unknown property on a list, naming it", async () => {
    assertSelectRefused(await get("/pools", "id,colour"), "colour");
    assertSelectRefused(await get("/jobs/sel-job/tasks", "exitCode"), "exitCode");
  });

  it("refuses an unknown property on a get, naming it", async () => {
    assertSelectRefused(await get("/pools/sel-pool", "id,colour"), "colour");
    assertSelectRefused(await get("/jobs/sel-job", "poolId"), "poolId");
    assertSelectRefused(await get("/jobs/sel-job/tasks/sel-task", "nodeId"), "nodeId");
  });

  it("checks the subtask list against the subtask model, not its { value } wrapper", async () => {
    assertSelectRefused(await get("/jobs/sel-job/tasks/sel-task/subtasksinfo", "value"), "value");
    assert.equal((await get("/jobs/sel-job/tasks/sel-task/subtasksinfo", "id,exitCode")).status, 200);
  });

  it("matches names exactly, as the wire spells them", async () => {
    assertSelectRefused(await get("/pools/sel-pool", "ID"), "ID");
  });

  it("still projects valid selections on lists and gets", async () => {
    const list = await get("/pools", "id,state");
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.value, [{ id: "sel-pool", state: "active" }]);
    const pool = await get("/pools/sel-pool", "id,state");
    assert.equal(pool.status, 200, pool.text);
    assert.deepEqual(Object.keys(pool.json).filter((key) => key !== "odata.metadata").sort(), ["id", "state"]);
    const task = await get("/jobs/sel-job/tasks/sel-task", "id,commandLine");
    assert.equal(task.status, 200, task.text);
    assert.equal(task.json.commandLine, "true");
    assert.equal(task.json.state, undefined);
  });
});
