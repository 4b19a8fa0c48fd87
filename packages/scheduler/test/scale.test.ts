import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { schedule, type SchedulerState } from "../src/index.js";
import { createHarness, summarize } from "./harness.js";

/** A small seeded generator (mulberry32), so the shuffles are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function mixedState(): SchedulerState {
  const h = createHarness();
  h.pool("a", { taskSlotsPerNode: 4 }).nodes(6);
  h.pool("b", { taskSlotsPerNode: 1, enableInterNodeCommunication: true }).nodes(5, { prefix: "m" });
  h.job("low-a", { pool: "a", priority: -5, allowTaskPreemption: true }).runs("r1", "n1", { slots: 4 }).runs("r2", "n2", { slots: 2 }).tasks(8);
  h.job("high-a", { pool: "a", priority: 50, maxParallelTasks: 9 }).jobManager("jm").tasks(12, { requiredSlots: 2 });
  h.job("mid-a", { pool: "a", priority: 0 }).parent("1", "satisfied").parent("2", "blocked")
    .task("x", { dependsOn: { taskIds: ["1"] } }).task("y", { dependsOn: { taskIdRanges: [{ start: 1, end: 2 }] } }).tasks(6, { affinityId: "n6" });
  h.job("tie-1", { pool: "b" }).task("mpi", { numberOfInstances: 3 }).tasks(3);
  h.job("tie-2", { pool: "b" }).tasks(3);
  return h.state();
}

describe("determinism", () => {
  it("the same state gives the same plan", () => {
    const state = mixedState();
    const first = schedule(state);
    assert.ok(first.placements.length > 0 && first.preemptions.length > 0, "the fixture exercises placement and preemption");
    assert.deepEqual(schedule(state), first);
    assert.deepEqual(schedule(mixedState()), first);
  });

  it("the order in which the state lists things does not matter", () => {
    const state = mixedState();
    const expected = schedule(state);
    const next = random(42);
    for (let round = 0; round < 20; round++) {
      const permuted: SchedulerState = {
        pools: shuffled(state.pools, next).map((pool) => ({ ...pool, nodes: shuffled(pool.nodes, next) })),
        jobs: shuffled(state.jobs, next).map((job) => ({ ...job, tasks: shuffled(job.tasks, next) })),
        running: shuffled(state.running ?? [], next),
      };
      assert.deepEqual(schedule(permuted), expected);
    }
  });

  it("does not change its input", () => {
    const state = mixedState();
    const snapshot = JSON.stringify(state);
    schedule(state);
    assert.equal(JSON.stringify(state), snapshot);
  });
});

describe("bounded work", () => {
  it("100,000 candidates over 100 nodes × 4 slots: 400 placements, and the scan stops when the pool is full", () => {
    const h = createHarness();
    h.pool("p", { taskSlotsPerNode: 4 }).nodes(100);
    h.job("j").tasks(100_000);
    const plan = h.run();
    assert.equal(plan.placements.length, 400);
    assert.equal(new Set(plan.placements.map((p) => p.taskId)).size, 400);
    assert.deepEqual(plan.placements.at(-1)?.taskId, "t400");
    const perNode = new Map<string, number>();
    for (const p of plan.placements) for (const id of p.nodeIds) perNode.set(id, (perNode.get(id) ?? 0) + p.slots);
    assert.equal(perNode.size, 100);
    assert.ok([...perNode.values()].every((slots) => slots === 4));
    assert.deepEqual(plan.unplaced, [{ jobId: "j", taskId: "t401", reason: "noCapacity" }]);
    assert.equal(plan.examinedTasks, 400);
    assert.equal(plan.truncated, false);
  });

  it("maxPlacements ends the round and marks it truncated", () => {
    const h = createHarness();
    h.pool("p", { taskSlotsPerNode: 4 }).nodes(10);
    h.job("j").tasks(100);
    const plan = h.run({ maxPlacements: 7 });
    assert.equal(plan.placements.length, 7);
    assert.equal(plan.truncated, true);
  });

  it("maxExaminedTasks ends the round and marks it truncated", () => {
    const h = createHarness();
    h.pool("p").nodes(10);
    h.job("j").tasks(20, { dependsOn: { taskIds: ["never"] } });
    const plan = h.run({ maxExaminedTasks: 5 });
    assert.equal(plan.examinedTasks, 5);
    assert.equal(plan.unplaced.length, 5);
    assert.equal(plan.truncated, true);
  });

  it("a round that ends on its own is not truncated", () => {
    const h = createHarness();
    h.pool("p").nodes(2);
    h.job("j").tasks(2);
    const plan = h.run({ maxPlacements: 2 });
    assert.deepEqual(summarize(plan).placed, ["j/t1@n1", "j/t2@n2"]);
    assert.equal(plan.truncated, false);
  });
});
