/**
 * `openbatch store copy`: a deployment made through the API on SQLite is copied to PostgreSQL, entity by entity
 * (ids, ETags, times, bodies), verified by counts, and then served from PostgreSQL as it was.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PostgresStore, SqliteStore, type EntityKind, type EntityRow } from "@openbatch/store";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { sharedPostgresCluster, type PostgresCluster } from "../support/postgresCluster.js";
import { ubuntuVm } from "../support/pools.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const main = new URL("../../../packages/cli/dist/src/main.js", import.meta.url).pathname;

function openbatch(...args: string[]) {
  return spawnSync(process.execPath, [main, ...args], { encoding: "utf8" });
}

describe("openbatch store copy", () => {
  let cluster: PostgresCluster;
  let server: TestServer;
  let sqliteFile: string;
  let target: string;
  let copiedJob: { eTag: string | null; lastModified: string | null };
  let rows: EntityRow[];
  before(async () => {
    cluster = await sharedPostgresCluster();
    target = await cluster.createDatabase();
    // SQLite named explicitly: the source stays SQLite also when OPENBATCH_TEST_STORE picks PostgreSQL for servers.
    const dataDir = mkdtempSync(join(tmpdir(), "openbatch-copy-"));
    sqliteFile = join(dataDir, "openbatch.db");
    server = await startTestServer({ keepDataDir: dataDir, store: `sqlite:${sqliteFile}`, localAgentEntry: undefined });
    const as = (account: { name: string; key: string }) => (options: Parameters<typeof batchRequest>[1]) => batchRequest(server.url, { account, ...options });
    const alpha = as(testAccounts.alpha);
    const beta = as(testAccounts.beta);
    const ok = async (response: Promise<{ status: number; text: string }>) => {
      const { status, text } = await response;
      assert.ok(status < 300, text);
    };
    await ok(alpha({ method: "POST", path: `/pools?api-version=${apiVersion}`, body: { id: "pool1", vmSize: "standard_d2s_v3", targetDedicatedNodes: 2, virtualMachineConfiguration: ubuntuVm } }));
    await ok(alpha({ method: "POST", path: `/jobs?api-version=${apiVersion}`, body: { id: "job1", poolInfo: { poolId: "pool1" }, metadata: [{ name: "note", value: "é \"quoted\" \u2028" }] } }));
    for (let batch = 0; batch < 3; batch++) {
      const value = Array.from({ length: batch === 2 ? 50 : 100 }, (_, i) => ({ id: `task-${batch}-${i}`, commandLine: `echo ${batch} ${i}` }));
      await ok(alpha({ method: "POST", path: `/jobs/job1/addtaskcollection?api-version=${apiVersion}`, body: { value } }));
    }
    await ok(alpha({ method: "POST", path: `/jobschedules?api-version=${apiVersion}`, body: { id: "nightly", schedule: { recurrenceInterval: "P1D" }, jobSpecification: { poolInfo: { poolId: "pool1" } } } }));
    await ok(beta({ method: "POST", path: `/jobs?api-version=${apiVersion}`, body: { id: "job1", poolInfo: { poolId: "elsewhere" } } }));
    await ok(beta({ method: "POST", path: `/jobs/job1/tasks?api-version=${apiVersion}`, body: { id: "only", commandLine: "true" } }));
    await server.services.applications.register(testAccounts.alpha.name, { applicationId: "render", version: "1.0" }, new Date());
    const job = await alpha({ path: `/jobs/job1?api-version=${apiVersion}` });
    copiedJob = { eTag: job.headers.get("etag"), lastModified: job.headers.get("last-modified") };
    await server.close();
    const sqlite = new SqliteStore({ filename: sqliteFile, now: new Date() });
    try {
      rows = [...sqlite.exportEntities(100)].flat();
    } finally {
      await sqlite.close();
    }
  });
  after(async () => {
    await server.dispose();
    await cluster.dropDatabase(target);
  });

  it("copies every entity as stored and verifies the counts per account and kind", async () => {
    const copy = openbatch("store", "copy", "--from", `sqlite:${sqliteFile}`, "--to", target);
    assert.equal(copy.status, 0, copy.stderr + copy.stdout);
    assert.match(copy.stdout, new RegExp(`Copied ${rows.length} entities`));
    assert.match(copy.stdout, /alphaacct\s+task\s+250\s+250\n/);
    assert.match(copy.stdout, /betaacct\s+task\s+1\s+1\n/);
    assert.match(copy.stdout, /Verified/);
    assert.doesNotMatch(copy.stdout, /postgres:[^*@]+@/, "the password is not printed");
    const kinds = new Set(rows.map((row) => `${row.account}/${row.kind}`));
    for (const kind of ["alphaacct/pool", "alphaacct/node", "alphaacct/job", "alphaacct/task", "alphaacct/jobSchedule", "alphaacct/application", "betaacct/job", "betaacct/task"]) {
      assert.ok(kinds.has(kind), `the deployment has ${kind} entities to copy`);
    }

    const store = await PostgresStore.open({ connectionString: target, now: new Date() });
    try {
      for (const row of rows) {
        const copied = await store.read((tx) => tx.get({ account: row.account, kind: row.kind as EntityKind, scope: row.scope, id: row.id }));
        assert.ok(copied, `${row.account}/${row.kind}/${row.scope}/${row.id} was copied`);
        assert.equal(copied.id, row.id);
        assert.equal(copied.eTag, row.eTag);
        assert.deepEqual(copied.creationTime, new Date(row.createdAt));
        assert.deepEqual(copied.lastModified, new Date(row.modifiedAt));
        assert.deepEqual(copied.body, JSON.parse(row.body));
      }
    } finally {
      await store.close();
    }
  });

  it("serves the copied deployment from PostgreSQL as it was, with new ETags beyond the copied ones", async () => {
    const onPostgres = await startTestServer({ store: target, localAgentEntry: undefined });
    try {
      const alpha = (options: Parameters<typeof batchRequest>[1]) => batchRequest(onPostgres.url, { account: testAccounts.alpha, ...options });
      const job = await alpha({ path: `/jobs/job1?api-version=${apiVersion}` });
      assert.equal(job.status, 200, job.text);
      assert.deepEqual({ eTag: job.headers.get("etag"), lastModified: job.headers.get("last-modified") }, copiedJob);
      assert.equal(job.json.metadata[0].value, "é \"quoted\" \u2028");
      const counts = await alpha({ path: `/jobs/job1/taskcounts?api-version=${apiVersion}` });
      assert.equal(counts.json.taskCounts.active, 250, counts.text);
      const added = await alpha({ method: "POST", path: `/jobs/job1/tasks?api-version=${apiVersion}`, body: { id: "after-copy", commandLine: "true" } });
      assert.equal(added.status, 201, added.text);
      const eTag = added.headers.get("etag") as string;
      assert.ok(rows.every((row) => BigInt(eTag) > BigInt(row.eTag)), `new ETag ${eTag} is beyond every copied one`);
    } finally {
      await onPostgres.dispose();
    }
  });

  it("refuses to copy into a database that holds entities, and a source that does not exist", async () => {
    const again = openbatch("store", "copy", "--from", `sqlite:${sqliteFile}`, "--to", target);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already holds entities/);
    const missing = openbatch("store", "copy", "--from", `sqlite:${join(server.dataDir, "nothing.db")}`, "--to", target);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /There is no SQLite store at/);
    const wrongWay = openbatch("store", "copy", "--from", target, "--to", `sqlite:${sqliteFile}`);
    assert.equal(wrongWay.status, 1);
    assert.match(wrongWay.stderr, /moves a SQLite store to PostgreSQL/);
    const store = await PostgresStore.open({ connectionString: target, now: new Date() });
    try {
      // The server that served the copy was a replica: it recorded its term for each account (kind `leadership`).
      const total = (await store.entityCounts()).filter((count) => count.kind !== "leadership").reduce((sum, count) => sum + count.count, 0);
      assert.equal(total, rows.length + 1, "the failed copies changed nothing");
    } finally {
      await store.close();
    }
  });
});
