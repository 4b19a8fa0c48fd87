/**
 * Core quotas and the compute providers (docs/quotas.md, "Quotas and compute providers"), with real `openbatch agent`
 * processes joining: a core quota that is set covers an external pool as it covers a local one — the pool gets the
 * nodes that fit, says `AccountCoreQuotaReached`, and an agent joining for the rest is refused with that code — while
 * the core quota left at the host's default covers only the local provider's pools, which run on this host.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hostDefaultQuotas } from "@openbatch/server";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { addExternalPool, createJoinToken, killRemoteAgents, startRemoteAgent } from "../support/remoteAgents.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const alpha = testAccounts.alpha;
const beta = testAccounts.beta;
/** The largest size of the VM size table: a few nodes of it exceed any host's default core quota. */
const bigSize = "Standard_HB176rs_v4";
const bigCores = 176;
const ubuntuVm = { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" };

interface PoolBody {
  allocationState: string;
  currentDedicatedNodes: number;
  resizeErrors?: { code: string; values?: { name: string; value: string }[] }[];
}

describe("core quotas of external pools", () => {
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), "openbatch-quota-remote-"));
  const request = (account: { name: string; key: string }, method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
  const settled = (account: { name: string; key: string }, poolId: string) =>
    waitFor(`pool ${poolId} to settle`, async () => {
      const body = (await request(account, "GET", `/pools/${poolId}`)).json as PoolBody;
      return body.allocationState === "steady" ? body : undefined;
    }, 60_000);

  before(async () => {
    // beta's dedicated core quota is set; alpha's is the host's default.
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 2, accountQuotas: { [beta.name]: { dedicatedCores: 4 } } });
  });
  after(async () => {
    await killRemoteAgents();
    await server.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it("gives an external pool the nodes a set quota allows, and refuses a joiner beyond it with the quota's code", async () => {
    // Three 2-core nodes wanted, 4 cores allowed.
    await addExternalPool(server.url, beta, "capped", 3);
    const { token } = await createJoinToken(server.url, beta, "capped");
    const first = startRemoteAgent({ serverUrl: server.url, workDir: join(work, "first"), joinToken: token, nodes: 3 });
    const pool = await waitFor("two idle nodes and a settled pool", async () => {
      const nodes = (await request(beta, "GET", "/pools/capped/nodes")).json.value as { state: string }[];
      const body = (await request(beta, "GET", "/pools/capped")).json as PoolBody;
      return nodes.filter((node) => node.state === "idle").length === 2 && body.allocationState === "steady" ? body : undefined;
    }, 60_000);
    assert.equal(pool.currentDedicatedNodes, 2);
    assert.deepEqual(pool.resizeErrors?.map((error) => error.code), ["AccountCoreQuotaReached"]);
    assert.deepEqual(pool.resizeErrors?.[0]?.values, [{ name: "CoreQuota", value: "4" }, { name: "VmSize", value: "Standard_D2s_v3" }]);
    assert.match(first.log(), /"msg":"joined the pool".*"nodes":2/, "the agent got the two nodes the quota allows of the three it offered");

    const extra = startRemoteAgent({ serverUrl: server.url, workDir: join(work, "extra"), joinToken: token, nodes: 1 });
    assert.equal(await extra.exited, 3, "a joiner beyond the quota is refused");
    assert.match(extra.log(), /AccountCoreQuotaReached/);
    assert.equal(((await request(beta, "GET", "/pools/capped/nodes")).json.value as unknown[]).length, 2);
  });

  it("leaves external pools out of the host's default core quota, which still covers local pools", async () => {
    const hostCores = hostDefaultQuotas().dedicatedCores;
    // One node more than the host's default allows of the big size.
    const nodes = Math.floor(hostCores / bigCores) + 1;
    await addExternalPool(server.url, alpha, "bigext", nodes, { vmSize: bigSize });
    const { token } = await createJoinToken(server.url, alpha, "bigext");
    startRemoteAgent({ serverUrl: server.url, workDir: join(work, "big"), joinToken: token, nodes });
    const external = await settled(alpha, "bigext");
    assert.equal(external.currentDedicatedNodes, nodes, `all ${nodes} nodes of ${nodes * bigCores} cores, over the host's ${hostCores}`);
    assert.equal(external.resizeErrors, undefined);

    // A local pool of the same size is held to the default, and the external pool's cores do not count against it.
    const added = await request(alpha, "POST", "/pools", { id: "biglocal", vmSize: bigSize, targetDedicatedNodes: nodes, virtualMachineConfiguration: ubuntuVm });
    assert.equal(added.status, 201, added.text);
    const local = await settled(alpha, "biglocal");
    assert.equal(local.currentDedicatedNodes, nodes - 1);
    assert.deepEqual(local.resizeErrors?.map((error) => error.code), ["AccountCoreQuotaReached"]);
    assert.deepEqual(local.resizeErrors?.[0]?.values?.find((value) => value.name === "CoreQuota"), { name: "CoreQuota", value: String(hostCores) });
  });
});
