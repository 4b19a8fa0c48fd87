/**
 * An idle node costs its agent one exchange per heartbeat on either store. A node read back from PostgreSQL has the
 * keys of its objects (its start task's information) in JSONB's order: compared as text with the node its agent's
 * report made, it looked changed on every exchange, so every exchange wrote the node and was answered at once — a
 * sync loop as fast as the database went (about 100 writes a second), which also starved the plan applier's
 * serializable transactions of any chance to commit.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { ubuntuVm } from "../support/pools.js";
import { sharedPostgresCluster } from "../support/postgresCluster.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const metricsToken = "quiet-sync-metrics";

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`an idle node's agent on the ${backend} store`, () => {
    let server: TestServer | undefined;
    after(() => server?.dispose());

    it("commits about one exchange a heartbeat once its start task has finished, not one write per exchange", async () => {
      server = await startTestServer({
        agentHeartbeatIntervalInSeconds: 1,
        metricsToken,
        ...(backend === "postgres" ? { store: await (await sharedPostgresCluster()).createDatabase() } : {}),
      });
      const url = server.url;
      const call = (method: string, path: string, body?: object) =>
        batchRequest(url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });
      const added = await call("POST", "/pools", {
        id: "quiet", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 1, virtualMachineConfiguration: ubuntuVm,
        startTask: { commandLine: "/bin/true", waitForSuccess: true },
      });
      assert.equal(added.status, 201, added.text);
      await waitFor("the node to be idle with its start task done", async () => {
        const nodes = (await call("GET", "/pools/quiet/nodes")).json?.value as { state: string; startTaskInfo?: { state: string } }[] | undefined;
        return nodes?.length === 1 && nodes[0]?.state === "idle" && nodes[0].startTaskInfo?.state === "completed" ? true : undefined;
      });
      const commits = async () => {
        const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
        const line = text.split("\n").find((entry) => entry.startsWith("openbatch_store_commit_duration_seconds_count"));
        assert.ok(line !== undefined, "the commit counter is exported");
        return Number(line.split(" ").at(-1));
      };
      const before = await commits();
      // A window of three heartbeats: the loop made hundreds of commits in it, the heartbeat about three.
      await sleep(3000);
      const made = (await commits()) - before;
      assert.ok(made <= 20, `${made} commits in 3 s on an idle pool`);
    });
  });
}
