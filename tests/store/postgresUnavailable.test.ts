/**
 * A PostgreSQL server that is down or restarting: the store reports `unavailable`, the API answers 503 ServerBusy
 * (retryable; never 500), and both carry on once the database is back. Its own cluster, as it stops it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isStoreError, PostgresStore } from "@openbatch/store";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startPostgresCluster, type PostgresCluster } from "../support/postgresCluster.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const ref = (id: string) => ({ account: "a1", kind: "pool" as const, scope: "", id });

describe("PostgreSQL unavailable", () => {
  let cluster: PostgresCluster;
  before(async () => {
    cluster = await startPostgresCluster();
  });
  after(() => cluster.stop());

  it("surfaces as StoreError `unavailable` while the server is down, and the store recovers without reopening", async () => {
    const store = await PostgresStore.open({ connectionString: await cluster.createDatabase(), now: new Date(), connectTimeoutInMs: 2000 });
    try {
      await store.write((tx) => tx.insert(ref("before"), { n: 1 }, new Date()));
      // A read is in flight, holding a connection, when the server goes down.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const inFlight = store.read(async (tx) => {
        await tx.get(ref("before"));
        await gate;
        return tx.get(ref("before"));
      });
      await cluster.stopServer();
      release();
      await assert.rejects(inFlight, (error) => isStoreError(error, "unavailable"));
      await assert.rejects(store.read((tx) => tx.get(ref("before"))), (error) => isStoreError(error, "unavailable"));
      await assert.rejects(store.write((tx) => tx.insert(ref("during"), {}, new Date())), (error) => isStoreError(error, "unavailable"));
      await cluster.startServer();
      const read = await waitFor("the store to reconnect", () => store.read((tx) => tx.get<{ n: number }>(ref("before"))));
      assert.equal(read.body.n, 1);
      await store.write((tx) => tx.insert(ref("after"), {}, new Date()));
      assert.equal(await store.read((tx) => tx.get(ref("during"))), undefined);
    } finally {
      await store.close();
    }
  });

  describe("through the API", () => {
    let server: TestServer;
    const request = (options: Parameters<typeof batchRequest>[1]) => batchRequest(server.url, { account: testAccounts.alpha, ...options });
    before(async () => {
      server = await startTestServer({ store: await cluster.createDatabase(), localAgentEntry: undefined });
      const created = await request({ method: "POST", path: `/jobs?api-version=${apiVersion}`, body: { id: "job1", poolInfo: { poolId: "p" } } });
      assert.equal(created.status, 201, created.text);
    });
    after(() => server.dispose());

    it("answers 503 ServerBusy while the database is down, and serves again once it is back", async () => {
      await cluster.stopServer();
      try {
        const read = await request({ path: `/jobs/job1?api-version=${apiVersion}` });
        assert.equal(read.status, 503, read.text);
        assert.equal(read.json.code, "ServerBusy");
        const write = await request({ method: "POST", path: `/jobs/job1/tasks?api-version=${apiVersion}`, body: { id: "t1", commandLine: "true" } });
        assert.equal(write.status, 503, write.text);
        assert.equal(write.json.code, "ServerBusy");
      } finally {
        await cluster.startServer();
      }
      await waitFor("the job to be served again", async () => (await request({ path: `/jobs/job1?api-version=${apiVersion}` })).status === 200);
      const added = await request({ method: "POST", path: `/jobs/job1/tasks?api-version=${apiVersion}`, body: { id: "t1", commandLine: "true" } });
      assert.equal(added.status, 201, added.text);
    });

    it("answers only successes and 503s while the database restarts under load (`pg_ctl restart -m fast`), and loses no acknowledged task", async () => {
      const statuses: number[] = [];
      const acknowledged: string[] = [];
      let stop = false;
      const worker = async (name: string) => {
        for (let i = 0; !stop; i++) {
          const id = `${name}-${i}`;
          const added = await request({ method: "POST", path: `/jobs/job1/tasks?api-version=${apiVersion}`, body: { id, commandLine: "true" } });
          statuses.push(added.status);
          if (added.status === 201) acknowledged.push(id);
          statuses.push((await request({ path: `/jobs/job1/tasks?api-version=${apiVersion}&$filter=state eq 'active'` })).status);
        }
      };
      const workers = ["w1", "w2", "w3"].map(worker);
      await waitFor("requests before the restart", async () => acknowledged.length >= 10);
      const before = acknowledged.length;
      await cluster.restart();
      await waitFor("tasks added after the restart", async () => acknowledged.length >= before + 10);
      stop = true;
      await Promise.all(workers);
      const unexpected = statuses.filter((status) => status !== 200 && status !== 201 && status !== 503);
      assert.deepEqual(unexpected, [], "only successes and retryable 503s");
      for (const id of acknowledged) {
        const task = await request({ path: `/jobs/job1/tasks/${id}?api-version=${apiVersion}` });
        assert.equal(task.status, 200, `acknowledged task ${id}: ${task.text}`);
      }
    });
  });
});
