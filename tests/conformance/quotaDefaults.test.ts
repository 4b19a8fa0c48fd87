/**
 * The newcomer's mistake of issue #14 item 8, with the default configuration: a pool of 5000 dedicated nodes on
 * this machine. The host-derived core quota (docs/quotas.md) allocates what fits and says so on the pool
 * (`AccountCoreQuotaReached`), and the server keeps answering `/healthz` and deletes the pool. The times are printed
 * (test diagnostics; bench/quotaDefaults.mjs measures them on a quiet machine), not asserted.
 */
import assert from "node:assert/strict";
import { availableParallelism, totalmem } from "node:os";
import { after, before, describe, it } from "node:test";
import { hostCoreQuota } from "@openbatch/server";
import { pythonSnippet } from "../support/pythonSnippet.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe("a pool of 5000 nodes with the default quotas", () => {
  let server: TestServer;
  before(async () => {
    // The test server's own settings (ports, logs, strict transitions), and the quotas the server defaults to.
    server = await startTestServer();
  });
  after(() => server.dispose());

  it("allocates up to the host's core quota, shows AccountCoreQuotaReached, and stays responsive to /healthz and pool delete", async (t) => {
    const quota = hostCoreQuota(availableParallelism(), totalmem());
    const added = await timed(() =>
      pythonSnippet(server.url, account, `
client.pool.add(batchmodels.PoolAddParameter(id="huge", vm_size="Standard_D2s_v3", target_dedicated_nodes=5000,
    virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
        image_reference=batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
        node_agent_sku_id="batch.node.ubuntu 22.04")))
emit(True)`),
    );
    t.diagnostic(`pool add (5000 nodes requested): ${added.ms.toFixed(0)} ms, through the Python SDK`);

    // /healthz while the allocation and the agents' start-up go on.
    const health: number[] = [];
    const pool = await waitFor("the quota error on the pool", async () => {
      const probe = await timed(() => fetch(`${server.url}/healthz`));
      assert.equal(probe.value.status, 200);
      health.push(probe.ms);
      const view: { errors: { code: string; values: Record<string, string> }[]; dedicated: number; target: number } = await pythonSnippet(server.url, account, `
p = client.pool.get("huge")
emit({"errors": [{"code": e.code, "values": {v.name: v.value for v in (e.values or [])}} for e in (p.resize_errors or [])], "dedicated": p.current_dedicated_nodes, "target": p.target_dedicated_nodes})`);
      return view.errors.length > 0 ? view : undefined;
    }, 60_000, 100);
    assert.deepEqual(pool.errors.map((error) => error.code), ["AccountCoreQuotaReached"]);
    assert.equal(pool.errors[0]?.values["CoreQuota"], String(quota));
    assert.equal(pool.target, 5000, "the target stays as asked");
    assert.equal(pool.dedicated, Math.floor(quota / 2), "as many 2-core nodes as the quota holds");

    for (let i = 0; i < 10; i++) {
      const probe = await timed(() => fetch(`${server.url}/healthz`));
      assert.equal(probe.value.status, 200);
      health.push(probe.ms);
    }
    const deleted = await timed(() => pythonSnippet(server.url, account, `client.pool.delete("huge"); emit(True)`));
    const gone = await timed(() =>
      waitFor("the pool to be gone", async () => {
        const exists: boolean = await pythonSnippet(server.url, account, `emit(client.pool.exists("huge"))`);
        return !exists;
      }, 120_000, 200),
    );
    health.sort((a, b) => a - b);
    t.diagnostic(`core quota ${quota} (host: ${availableParallelism()} CPUs, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB): ${pool.dedicated} nodes allocated`);
    t.diagnostic(`/healthz during allocation: ${health.length} probes, median ${health[Math.floor(health.length / 2)]?.toFixed(1)} ms, max ${health.at(-1)?.toFixed(1)} ms`);
    t.diagnostic(`pool delete: ${deleted.ms.toFixed(0)} ms through the Python SDK (process start included); gone after ${gone.ms.toFixed(0)} ms more`);
  });
});
