import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteStore } from "@openbatch/store";
import type { Effect } from "../../src/effects/effects.js";
import { EffectStore, recordEffect } from "../../src/effects/transaction.js";
import { created, IllegalTransitionError, jobLifecycle, move, taskLifecycle } from "../../src/lifecycle/transitions.js";

const time = "2030-01-01T00:00:00.0000000Z";
const ref = { account: "acct", kind: "task" as const, scope: "job", id: "t1" };

describe("the lifecycle gate and effects per transaction", () => {
  let directory: string;
  let sqlite: SqliteStore;
  const handled: Effect[] = [];
  const stores = (strictTransitions: boolean) => new EffectStore(sqlite, { handle: (effect) => handled.push(effect), strictTransitions });
  before(() => {
    directory = mkdtempSync(join(tmpdir(), "openbatch-lifecycle-"));
    sqlite = new SqliteStore({ filename: join(directory, "store.db"), now: new Date() });
  });
  after(async () => {
    await sqlite.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it("moves a record, keeping its previous state, and records what entering the state implies once per transaction", async () => {
    handled.length = 0;
    const moved = await stores(true).write(async (tx) => {
      const task = { state: "running", stateTransitionTime: "earlier" };
      recordEffect(tx, { kind: "wakeScheduler", account: "acct" });
      return move(tx, ref, taskLifecycle, task, "requeue", "active", time);
    });
    assert.deepEqual(moved, { state: "active", stateTransitionTime: time, previousState: "running", previousStateTransitionTime: "earlier" });
    assert.deepEqual(handled, [{ kind: "wakeScheduler", account: "acct" }], "recorded twice (by hand and by entering active), run once");
  });

  it("runs nothing when the transaction rolls back", async () => {
    handled.length = 0;
    await assert.rejects(
      stores(true).write(async (tx) => {
        created(tx, { ...ref, kind: "job" }, jobLifecycle, "active");
        throw new Error("rolled back");
      }),
    );
    assert.deepEqual(handled, []);
  });

  it("throws on an illegal transition in strict mode, and counts it", async () => {
    const store = stores(true);
    await assert.rejects(
      store.write(async (tx) => move(tx, ref, taskLifecycle, { state: "completed" }, "requeue", "active", time)),
      (error) => error instanceof IllegalTransitionError && /a task cannot requeue from completed/.test(error.message),
    );
    await assert.rejects(store.write(async (tx) => created(tx, ref, taskLifecycle, "running")), IllegalTransitionError);
    assert.equal(store.illegalTransitions, 2);
  });

  it("otherwise writes it and reports it as an effect to log", async () => {
    handled.length = 0;
    const store = stores(false);
    const moved = await store.write(async (tx) => move(tx, ref, taskLifecycle, { state: "completed" }, "requeue", "active", time));
    assert.equal(moved.state, "active");
    assert.equal(store.illegalTransitions, 1);
    assert.deepEqual(handled, [
      { kind: "illegalTransition", account: "acct", entity: "task", id: "t1", problem: "a task cannot requeue from completed" },
      { kind: "wakeScheduler", account: "acct" },
    ]);
  });

  it("refuses effects on a transaction that did not come through the server's store", async () => {
    await assert.rejects(sqlite.write(async (tx) => recordEffect(tx, { kind: "kickDeadlines", account: "acct" })), /not opened through the server's store/);
  });
});
