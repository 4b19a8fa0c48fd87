/**
 * A large allocation the account's quota allows (docs/quotas.md) is made over several short transactions
 * (loops/poolReconciler.ts `maxNodesPerPass`, 200), so requests keep being answered meanwhile; no agents run here,
 * so the nodes stay `creating` and only the allocation is measured.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const size = 450;

describe(`a pool of ${size} nodes within a raised quota`, () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  before(async () => {
    server = await startTestServer({ localAgentEntry: undefined, quotas: { dedicatedCores: 2 * size } });
  });
  after(() => server.dispose());

  it("allocates every node, in passes, answering requests meanwhile, and deletes them", async () => {
    const added = await call("POST", "/pools", { id: "large", vmSize: "Standard_D2s_v3", targetDedicatedNodes: size, virtualMachineConfiguration: ubuntuVm });
    assert.equal(added.status, 201, added.text);
    let probes = 0;
    await waitFor(`${size} nodes allocated`, async () => {
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      probes++;
      const pool = (await call("GET", "/pools/large")).json;
      return pool.currentDedicatedNodes === size ? pool : undefined;
    }, 120_000, 20);
    assert.ok(probes >= 1);
    const nodes = await call("GET", "/pools/large/nodes?maxresults=1000");
    assert.equal(nodes.json.value.length, size);
    assert.equal(new Set(nodes.json.value.map((node: { id: string }) => node.id)).size, size, "every node has its own id");
    const pool = (await call("GET", "/pools/large")).json;
    assert.equal(pool.resizeErrors, undefined, "within the quota: no resize error");
    assert.equal((await call("DELETE", "/pools/large")).status, 202);
    await waitFor("the pool to be gone", async () => (await call("GET", "/pools/large")).status === 404, 120_000, 100);
  });
});
