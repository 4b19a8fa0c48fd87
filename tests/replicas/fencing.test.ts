/**
 * The fence that keeps a replica whose term ended from writing (packages/server/src/cluster/leadership.ts), on a
 * real PostgreSQL database: a background transaction that passed its term's check before another replica began
 * the next term cannot commit anything that conflicts with what the new term did — PostgreSQL's SERIALIZABLE
 * isolation makes it run again, and the check then fails — so two terms never both act on one task.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PostgresStore } from "@openbatch/store";
import { beginTerm, fencedStore, isLeadershipLost } from "@openbatch/server";
import { sharedPostgresCluster } from "../support/postgresCluster.js";

const now = new Date("2026-12-01T00:00:00Z");
const taskRef = (id: string) => ({ account: "acct", kind: "task" as const, scope: "job", id });

function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

describe("the term fence", () => {
  let store: PostgresStore;
  before(async () => {
    store = await PostgresStore.open({ connectionString: await (await sharedPostgresCluster()).createDatabase(), now });
  });
  after(() => store.close());

  it("numbers terms: each one begun is the previous one's epoch + 1, naming its replica", async () => {
    const first = await beginTerm(store, "numbered", "r1", "host-1", now);
    assert.equal(first.term.epoch, 1);
    assert.equal(first.previous, undefined);
    const second = await beginTerm(store, "numbered", "r2", "host-2", now);
    assert.equal(second.term.epoch, 2);
    assert.equal(second.previous?.replica, "r1");
    assert.equal(second.previous?.host, "host-1");
  });

  it("refuses the writes of an ended term, and lets the current one's through", async () => {
    const old = await beginTerm(store, "acct-a", "old", "h", now);
    const current = await beginTerm(store, "acct-a", "new", "h", now);
    let lost = 0;
    const stale = fencedStore(store, old.term, () => lost++);
    await assert.rejects(
      stale.write((tx) => tx.insert({ ...taskRef("by-old"), account: "acct-a" }, { state: "active" }, now)),
      (error) => isLeadershipLost(error),
    );
    assert.equal(lost, 1);
    assert.equal(await store.read((tx) => tx.get({ ...taskRef("by-old"), account: "acct-a" })), undefined, "nothing written");
    await fencedStore(store, current.term, () => lost++).write((tx) => tx.insert({ ...taskRef("by-new"), account: "acct-a" }, { state: "active" }, now));
    assert.equal(lost, 1);
  });

  it("a transaction of the old term in flight when the new term begins cannot place a task the new term placed", async () => {
    await store.write((tx) => tx.insert(taskRef("t1"), { state: "active" }, now));
    const old = await beginTerm(store, "acct", "old", "h", now);
    let oldLost = 0;
    const oldStore = fencedStore(store, old.term, () => oldLost++);
    const checked = signal();
    const resume = signal();
    let attempts = 0;
    // The old leader's placement: past its fence, it reads the task as active, then stalls (a GC pause, a slow
    // network) while another replica takes over and places the same task.
    const oldPlacement = oldStore.write(async (tx) => {
      attempts++;
      const task = await tx.get<{ state: string }>(taskRef("t1"));
      if (attempts === 1) {
        checked.fire();
        await resume.promise;
      }
      if (task?.body.state === "active") await tx.replace(taskRef("t1"), { state: "running", by: "old" }, now);
    });
    await checked.promise;
    const next = await beginTerm(store, "acct", "new", "h", now);
    await fencedStore(store, next.term, () => assert.fail("the new term is current")).write(async (tx) => {
      const task = await tx.get<{ state: string }>(taskRef("t1"));
      assert.equal(task?.body.state, "active");
      await tx.replace(taskRef("t1"), { state: "running", by: "new" }, now);
    });
    resume.fire();
    await assert.rejects(oldPlacement, (error) => isLeadershipLost(error));
    // It lost the conflict with the new term's placement and was run again; the run again stopped at the fence.
    assert.equal(attempts, 1, "its body never ran a second time");
    assert.equal(oldLost, 1);
    assert.deepEqual((await store.read((tx) => tx.get(taskRef("t1"))))?.body, { state: "running", by: "new" });
  });

  it("a transaction of the old term cannot write what the new term's decisions read either (write skew)", async () => {
    // Both would put a task on the one free slot of a node: the old term read the slot free before the new term
    // began, the new term reads it free too and takes it for another task.
    await store.write((tx) => tx.insert({ ...taskRef("slot"), scope: "node" }, { free: 1 }, now));
    const old = await beginTerm(store, "acct", "old-2", "h", now);
    const checked = signal();
    const resume = signal();
    let attempts = 0;
    const oldPlacement = fencedStore(store, old.term, () => undefined).write(async (tx) => {
      attempts++;
      const slot = await tx.get<{ free: number }>({ ...taskRef("slot"), scope: "node" });
      if (attempts === 1) {
        checked.fire();
        await resume.promise;
      }
      if (slot?.body.free === 1) await tx.insert(taskRef("placed-by-old"), { on: "slot" }, now);
    });
    await checked.promise;
    const next = await beginTerm(store, "acct", "new-2", "h", now);
    await fencedStore(store, next.term, () => undefined).write(async (tx) => {
      const slot = await tx.get<{ free: number }>({ ...taskRef("slot"), scope: "node" });
      assert.equal(slot?.body.free, 1);
      // The new term takes the slot; it does not touch what the old one is about to insert.
      await tx.replace({ ...taskRef("slot"), scope: "node" }, { free: 0 }, now);
      await tx.insert(taskRef("placed-by-new"), { on: "slot" }, now);
    });
    resume.fire();
    await assert.rejects(oldPlacement, (error) => isLeadershipLost(error));
    assert.equal(await store.read((tx) => tx.get(taskRef("placed-by-old"))), undefined, "the slot was not given twice");
  });
});
