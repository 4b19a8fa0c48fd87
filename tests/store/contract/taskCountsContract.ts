/**
 * The Store contract, part 3: the task counts the store maintains with every write (ReadTx.taskCounts, and counts
 * by state and result answered from them) always equal what a tally and a filtered list over the tasks find —
 * through inserts, replaces that change a task's group or keep it, deletes, whole collections deleted, rolled-back
 * transactions and concurrent writers.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Predicate } from "@openbatch/core";
import type { ReadTx, Store, TaskCountGroup, WriteTx } from "@openbatch/store";
import type { OpenedStore, StoreBackend } from "./backends.js";

const t0 = new Date("2024-03-05T10:00:00.000Z");

/** A small deterministic generator (mulberry32), so a failure can be run again as it was. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const states = ["active", "preparing", "running", "completed", "Completed", undefined];
const results = ["success", "failure", "Failure", undefined, null];
const slots = [undefined, null, 1, 2, 5];

function taskBody(next: () => number): Record<string, unknown> {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const state = pick(states);
  const result = state?.toLowerCase() === "completed" ? pick(results) : undefined;
  const required = pick(slots);
  return {
    ...(state === undefined ? {} : { state }),
    ...(result === undefined ? {} : { executionInfo: { exitCode: 0, result } }),
    ...(required === undefined ? {} : { requiredSlots: required }),
    commandLine: "/bin/true",
  };
}

/** Groups as `state/result` → [count, slots], without empty groups. */
function byGroup(groups: readonly { key: string; count: number; slots: number }[]): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const { key, count, slots: weight } of groups) {
    const [c, w] = out[key] ?? [0, 0];
    out[key] = [c + count, w + weight];
  }
  return Object.fromEntries(Object.entries(out).filter(([, [count]]) => count !== 0).sort(([a], [b]) => (a < b ? -1 : 1)));
}

const counted = (groups: readonly TaskCountGroup[]) => byGroup(groups.map((group) => ({ key: `${group.state}/${group.result}`, count: group.count, slots: group.slots })));

async function tallied(tx: ReadTx, account: string, job: string) {
  const groups = await tx.tally({ account, kind: "task", scope: job }, [{ path: ["state"], kind: "enum" }, { path: ["executionInfo", "result"], kind: "enum" }], { path: ["requiredSlots"], default: 1 });
  return byGroup(groups.map((group) => ({ key: `${group.values[0]}/${group.values[1]}`, count: group.count, slots: group.weight })));
}

const stateIs = (value: string | null): Predicate => ({ op: "eq", path: ["state"], kind: "enum", value });
const filters: Predicate[] = [
  stateIs("completed"),
  stateIs(null),
  { op: "ne", path: ["state"], kind: "enum", value: "completed" },
  { op: "or", left: stateIs("running"), right: stateIs("preparing") },
  { op: "and", left: stateIs("completed"), right: { op: "eq", path: ["executionInfo", "result"], kind: "enum", value: "failure" } },
  { op: "not", operand: { op: "eq", path: ["executionInfo", "result"], kind: "enum", value: null } },
  { op: "gt", path: ["state"], kind: "enum", value: "p" },
  { op: "startswith", path: ["state"], kind: "enum", value: "runn" },
];

export function describeTaskCountsContract(backend: StoreBackend): void {
  describe(`Store contract on ${backend.name}: task counts`, () => {
    let opened: OpenedStore;
    let store: Store;
    before(async () => {
      opened = await backend.create(t0);
      store = opened.store;
    });
    after(() => opened.dispose());

    /** Every job's counts, the account's, and counts by state and result, against the tasks themselves. */
    async function check(account: string, jobs: readonly string[], when: string): Promise<void> {
      await store.read(async (tx) => {
        const all: { key: string; count: number; slots: number }[] = [];
        for (const job of jobs) {
          const expected = await tallied(tx, account, job);
          assert.deepEqual(counted(await tx.taskCounts(account, job)), expected, `${when}: counts of ${job}`);
          assert.deepEqual(counted(await tx.taskCounts(account, job.toUpperCase())), expected, `${when}: a job's id in any case`);
          all.push(...Object.entries(expected).map(([key, [count, weight]]) => ({ key, count, slots: weight })));
          for (const filter of filters) {
            const listed = await tx.list({ account, kind: "task", scope: job }, { limit: 100_000, filter });
            assert.equal(await tx.count({ account, kind: "task", scope: job }, filter), listed.items.length, `${when}: count ${JSON.stringify(filter)} in ${job}`);
          }
        }
        assert.deepEqual(counted(await tx.taskCounts(account)), byGroup(all), `${when}: the account's counts`);
      });
    }

    it("keeps the counts equal to the tasks through every kind of write", async () => {
      const account = "counts";
      const jobs = ["JobA", "job-b", "job-c"];
      const next = random(16);
      // Entities of other kinds with a state, and tasks of another account, are not this account's tasks.
      await store.write(async (tx) => {
        await tx.insert({ account, kind: "node", scope: "JobA", id: "n1" }, { state: "idle" }, t0);
        await tx.insert({ account: "other", kind: "task", scope: "JobA", id: "t1" }, { state: "active" }, t0);
      });
      let serial = 0;
      for (let round = 0; round < 40; round++) {
        const job = jobs[Math.floor(next() * jobs.length)] as string;
        const collection = { account, kind: "task" as const, scope: job };
        const existing = (await store.read((tx) => tx.list(collection, { limit: 100_000 }))).items.map((item) => item.id);
        const rollBack = round % 9 === 4;
        const work = async (tx: WriteTx) => {
          const ids = new Set(existing);
          for (let op = 0; op < 1 + Math.floor(next() * 25); op++) {
            const roll = next();
            const id = [...ids][Math.floor(next() * ids.size)];
            if (roll < 0.5 || id === undefined) {
              const fresh = `T${serial++}`;
              await tx.insert({ ...collection, id: fresh }, taskBody(next), t0);
              ids.add(fresh);
            } else if (roll < 0.8) {
              await tx.replace({ ...collection, id }, taskBody(next), t0);
            } else if (roll < 0.9) {
              // A write that keeps the task's group: the counts must not move.
              const current = await tx.get<Record<string, unknown>>({ ...collection, id });
              await tx.replace({ ...collection, id }, { ...current?.body, note: round }, t0);
            } else {
              await tx.delete({ ...collection, id });
              ids.delete(id);
            }
          }
          if (rollBack) throw new Error("rolled back");
        };
        if (rollBack) await assert.rejects(store.write(work), /rolled back/);
        else await store.write(work);
        if (round === 25) {
          const deleted = await store.write(async (tx) => {
            await tx.insert({ account, kind: "task", scope: "job-b", id: "doomed" }, { state: "running" }, t0);
            return tx.deleteAll({ account, kind: "task", scope: "JOB-B" });
          });
          assert.ok(deleted >= 1);
        }
        await check(account, jobs, `round ${round}`);
      }
      assert.deepEqual(counted(await store.read((tx) => tx.taskCounts("other", "joba"))), { "active/null": [1, 1] });
      assert.deepEqual(await store.read((tx) => tx.taskCounts(account, "no-such-job")), []);
    });

    it("counts within a write transaction, including the transaction's own changes", async () => {
      const job = { account: "own", kind: "task" as const, scope: "job" };
      const seen = await store.write(async (tx) => {
        for (let i = 0; i < 5; i++) await tx.insert({ ...job, id: `t${i}` }, { state: i < 3 ? "active" : "running" }, t0);
        await tx.replace({ ...job, id: "t0" }, { state: "completed", executionInfo: { result: "success" } }, t0);
        await tx.delete({ ...job, id: "t4" });
        return [await tx.count(job, stateIs("active")), await tx.count(job, { op: "ne", path: ["state"], kind: "enum", value: "completed" }), counted(await tx.taskCounts("own", "job"))];
      });
      assert.deepEqual(seen, [2, 3, { "active/null": [2, 2], "completed/success": [1, 1], "running/null": [1, 1] }]);
    });

    it("keeps the counts of one job right under concurrent writers", async () => {
      const account = "busy";
      const job = { account, kind: "task" as const, scope: "job" };
      // Four writers adding and moving tasks of one job at once (several at a time on PostgreSQL).
      await Promise.all(
        Array.from({ length: 4 }, (_, writer) =>
          (async () => {
            for (let batch = 0; batch < 10; batch++) {
              await store.write(async (tx) => {
                for (let i = 0; i < 10; i++) await tx.insert({ ...job, id: `w${writer}-${batch}-${i}` }, { state: "active", requiredSlots: writer + 1 }, t0);
                if (batch > 0) await tx.replace({ ...job, id: `w${writer}-${batch - 1}-0` }, { state: "completed", executionInfo: { result: "success" }, requiredSlots: writer + 1 }, t0);
              });
            }
          })(),
        ),
      );
      assert.deepEqual(counted(await store.read((tx) => tx.taskCounts(account, "job"))), { "active/null": [4 * 91, 91 * 10], "completed/success": [4 * 9, 9 * 10] });
      await check(account, ["job"], "after concurrent writers");
    });
  });
}
