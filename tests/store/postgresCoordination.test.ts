/**
 * What replicas coordinate through on PostgreSQL (packages/store/src/postgres/coordination.ts, sharedData.ts):
 * transactional notifications, advisory locks that die with their session (closed, terminated, or silent past the
 * session timeout), the replica registry, shared secrets and files. A real throwaway cluster.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { maxNotifyBytes, PgCoordination, PostgresStore } from "@openbatch/store";
import { sharedPostgresCluster, type PostgresCluster } from "../support/postgresCluster.js";
import { waitFor } from "../support/waitFor.js";

const now = new Date("2026-12-01T00:00:00Z");
const ref = (id: string) => ({ account: "a1", kind: "pool" as const, scope: "", id });

function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

function replica(id: string) {
  return { id, url: `http://127.0.0.1:1/${id}`, host: "test", pid: process.pid };
}

describe("PostgreSQL coordination", () => {
  let cluster: PostgresCluster;
  let url: string;
  let store: PostgresStore;
  const opened: PgCoordination[] = [];
  const coordinate = async (id: string, options: Partial<Parameters<typeof PgCoordination.open>[0]> = {}) => {
    const messages: string[] = [];
    const lost: unknown[] = [];
    const coordination = await store.coordinate({ replica: replica(id), onMessage: (payload) => messages.push(payload), onLost: (error) => lost.push(error), ...options });
    opened.push(coordination);
    return { coordination, messages, lost };
  };

  before(async () => {
    cluster = await sharedPostgresCluster();
    url = await cluster.createDatabase();
    store = await PostgresStore.open({ connectionString: url, now });
  });
  after(async () => {
    for (const coordination of opened) await coordination.close();
    await store.close();
  });

  it("delivers what a transaction notifies once it commits, in commit order, and nothing of a rolled-back attempt or of a retried one but the last", async () => {
    const { messages } = await coordinate("listener");
    await store.write(async (tx) => {
      await tx.insert(ref("n1"), { n: 0 }, now);
      tx.notify("first");
    });
    await assert.rejects(
      store.write(async (tx) => {
        tx.notify("rolled back");
        throw new Error("no");
      }),
    );
    // Two transactions that read the same row and then write it: one of them runs again (serialization failure).
    const ready = { a: signal(), b: signal() };
    let attempts = 0;
    const contend = (name: "a" | "b", other: "a" | "b") =>
      store.write(async (tx) => {
        attempts++;
        const row = await tx.get<{ n: number }>(ref("n1"));
        ready[name].fire();
        await ready[other].promise;
        tx.notify(`contender ${name}`);
        await tx.replace(ref("n1"), { n: (row?.body.n ?? 0) + 1 }, now);
      });
    await Promise.all([contend("a", "b"), contend("b", "a")]);
    assert.ok(attempts > 2, `one of the two ran again (${attempts} attempts)`);
    await store.write(async (tx) => tx.notify("last"));
    await waitFor("the notifications", async () => messages.includes("last"));
    assert.equal(messages[0], "first");
    assert.equal(messages.at(-1), "last");
    assert.deepEqual([...messages].sort(), ["contender a", "contender b", "first", "last"], "each committed transaction's message once");
  });

  it("refuses a message over PostgreSQL's payload limit before anything is sent", async () => {
    await assert.rejects(
      store.write(async (tx) => tx.notify("x".repeat(maxNotifyBytes + 1))),
      (error) => error instanceof RangeError,
    );
  });

  it("gives an advisory lock to one session at a time, and frees it when the holder closes or its session is terminated", async () => {
    const a = await coordinate("lock-a");
    const b = await coordinate("lock-b");
    assert.deepEqual([...(await a.coordination.tryLock(["account:x", "account:y"]))].sort(), ["account:x", "account:y"]);
    assert.deepEqual([...(await b.coordination.tryLock(["account:x", "account:y"]))], []);
    await a.coordination.unlock("account:y");
    assert.deepEqual([...(await b.coordination.tryLock(["account:x", "account:y"]))], ["account:y"]);
    // Terminated by the database (an operator, or a crash of its backend): the holder hears it, the lock is free.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // The holder of account:x's lock (the election's key space is 0x4f42; the key the name's hashtext).
      const { rows } = await admin.query<{ terminated: boolean }>(
        "SELECT pg_terminate_backend(pid) AS terminated FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 20290 AND objid = hashtext('account:x')::oid",
      );
      assert.deepEqual(rows, [{ terminated: true }]);
    } finally {
      await admin.end();
    }
    await waitFor("the holder to hear that its session ended", async () => a.lost.length > 0);
    assert.equal(a.coordination.locks.size, 0);
    assert.deepEqual([...(await b.coordination.tryLock(["account:x"]))], ["account:x"]);
    // And the terminated one connects again by itself, holding nothing.
    await waitFor("the terminated coordination to reconnect", async () => a.coordination.connected, 10_000);
    assert.deepEqual([...(await a.coordination.tryLock(["account:x"]))], []);
  });

  it("frees the locks of a session that stops talking once the session timeout passes (a frozen or cut-off process)", async () => {
    // A heartbeat far beyond the session timeout: this session goes silent, as a frozen process's would.
    const silent = await coordinate("silent", { heartbeatInMs: 600_000, sessionTimeoutInMs: 1000 });
    const other = await coordinate("patient");
    assert.deepEqual([...(await silent.coordination.tryLock(["account:z"]))], ["account:z"]);
    assert.deepEqual([...(await other.coordination.tryLock(["account:z"]))], []);
    const taken = await waitFor("the silent session's lock to be free", async () => (await other.coordination.tryLock(["account:z"])).has("account:z"), 15_000, 200);
    assert.equal(taken, true);
    await waitFor("the silent side to count its connection lost", async () => silent.lost.length > 0, 15_000);
  });

  it("lists the live replicas, hears its own notifications after everything committed before them, and forgets a replica that leaves", async () => {
    const first = await coordinate("registry-1");
    const second = await coordinate("registry-2");
    const ids = (await first.coordination.replicas()).map((entry) => entry.id);
    assert.ok(ids.includes("registry-1") && ids.includes("registry-2"), ids.join());
    await store.write(async (tx) => tx.notify("before the barrier"));
    await first.coordination.notify("barrier");
    await waitFor("the barrier", async () => first.messages.includes("barrier"));
    assert.ok(first.messages.indexOf("before the barrier") < first.messages.indexOf("barrier"));
    await second.coordination.close();
    assert.ok(!(await first.coordination.replicas()).some((entry) => entry.id === "registry-2"));
  });

  it("keeps the first secret any replica stored, and files whole, in chunks", async () => {
    const shared = store.sharedData();
    assert.equal(await shared.secret("s1", "proposed first"), "proposed first");
    assert.equal(await store.sharedData().secret("s1", "proposed second"), "proposed first");
    const directory = mkdtempSync(join(tmpdir(), "openbatch-shared-"));
    try {
      const content = randomBytes(3 * 1024 * 1024 + 17);
      writeFileSync(join(directory, "in.zip"), content);
      assert.equal(await shared.hasFile("a1", "f.zip"), false);
      await shared.putFile("a1", "f.zip", join(directory, "in.zip"));
      assert.equal(await shared.hasFile("a1", "f.zip"), true);
      assert.equal(await shared.hasFile("a2", "f.zip"), false, "files belong to an account");
      assert.equal(await shared.readFile("a1", "f.zip", join(directory, "out.zip")), true);
      assert.ok(readFileSync(join(directory, "out.zip")).equals(content));
      assert.equal(await shared.readFile("a1", "missing.zip", join(directory, "none.zip")), false);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
