/**
 * Randomised states (seeded, so every run checks the same ones) against the rules every plan must keep, whatever
 * the state: capacity, exclusivity, eligibility, preemption limits, maxParallelTasks, dependencies, and no task
 * reported without room while room was left.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ComputeNodeStateValue } from "@openbatch/core";
import { idKey } from "@openbatch/core";
import {
  createDependencyIndex,
  evaluateDependencies,
  schedule,
  type ParentState,
  type Plan,
  type RunningTask,
  type SchedulerJob,
  type SchedulerNode,
  type SchedulerPool,
  type SchedulerState,
  type SchedulerTask,
} from "../src/index.js";

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

function generate(seed: number): SchedulerState {
  const next = random(seed);
  const int = (low: number, high: number): number => low + Math.floor(next() * (high - low + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const nodeStates: readonly ComputeNodeStateValue[] = ["idle", "idle", "idle", "running", "running", "offline", "starttaskfailed", "unusable"];
  let sequence = 0;

  const pools: SchedulerPool[] = [];
  const jobs: SchedulerJob[] = [];
  const running: RunningTask[] = [];
  const poolCount = int(1, 3);
  for (let p = 0; p < poolCount; p++) {
    const taskSlotsPerNode = pick([1, 1, 2, 4]);
    const nodes: SchedulerNode[] = [];
    const poolJobs: SchedulerJob[] = [];
    for (let j = 0, count = int(1, 4); j < count; j++) {
      const id = `p${p}j${j}`;
      const taskCount = int(0, 8);
      const tasks: SchedulerTask[] = [];
      const parents: [string, ParentState][] = [];
      for (let t = 0; t < taskCount; t++) {
        const kind = next();
        const task: SchedulerTask = {
          id: String(t + 1),
          sequence: ++sequence,
          requiredSlots: int(1, taskSlotsPerNode + (next() < 0.1 ? 1 : 0)),
          ...(kind < 0.1 ? { isJobManager: true, runExclusive: next() < 0.6, allowLowPriorityNode: next() < 0.5 } : {}),
          ...(kind >= 0.1 && kind < 0.2 ? { numberOfInstances: int(1, 3) } : {}),
          ...(next() < 0.2 ? { affinityId: `p${p}n${int(0, 5)}` } : {}),
          ...(next() < 0.25 ? { dependsOn: next() < 0.5 ? { taskIds: [`d${int(1, 4)}`] } : { taskIdRanges: [{ start: 100, end: 100 + int(0, 2) }] } } : {}),
        };
        tasks.push(task);
      }
      for (const parent of ["d1", "d2", "d3", "d4", "100", "101", "102"]) {
        if (next() < 0.7) parents.push([parent, pick(["satisfied", "satisfied", "pending", "blocked"] as const)]);
      }
      poolJobs.push({
        id,
        poolId: next() < 0.05 ? "missing-pool" : `pool${p}`,
        state: next() < 0.85 ? "active" : pick(["disabled", "terminating", "completed"] as const),
        priority: int(-2, 2),
        maxParallelTasks: pick([-1, -1, 1, 2, 4]),
        allowTaskPreemption: next() < 0.5,
        sequence: ++sequence,
        runningTaskCount: 0,
        hasJobPreparationTask: next() < 0.3,
        preparedNodeIds: next() < 0.5 ? [`p${p}n0`] : [],
        excludedNodeIds: next() < 0.2 ? [`p${p}n${int(0, 5)}`] : [],
        tasks,
        dependencies: createDependencyIndex(parents),
      });
    }
    for (let n = 0, count = int(0, 6); n < count; n++) {
      const id = `p${p}n${n}`;
      let usedSlots = 0;
      let exclusive = false;
      const state = pick(nodeStates);
      if (state === "running" || state === "idle") {
        for (let r = 0, runs = int(0, taskSlotsPerNode); r < runs && usedSlots < taskSlotsPerNode && !exclusive; r++) {
          const job = pick(poolJobs);
          const slots = int(1, taskSlotsPerNode - usedSlots);
          const runExclusive = usedSlots === 0 && next() < 0.1;
          exclusive = runExclusive;
          usedSlots += slots;
          running.push({
            poolId: `pool${p}`, jobId: job.id, taskId: `r${sequence}`, nodeIds: [id], slots, jobPriority: job.priority ?? 0,
            allowTaskPreemption: job.allowTaskPreemption ?? false, sequence: ++sequence, runExclusive,
          });
          poolJobs[poolJobs.indexOf(job)] = { ...job, runningTaskCount: (job.runningTaskCount ?? 0) + 1 };
        }
      }
      nodes.push({ id, state, schedulingState: next() < 0.9 ? "enabled" : "disabled", isDedicated: next() < 0.6, usedSlots, exclusive });
    }
    pools.push({ id: `pool${p}`, taskSlotsPerNode, nodeFillType: pick(["spread", "pack"] as const), enableInterNodeCommunication: taskSlotsPerNode === 1 && next() < 0.7, nodes });
    jobs.push(...poolJobs);
  }
  return { pools, jobs, running };
}

function check(state: SchedulerState, plan: Plan): void {
  const jobs = new Map(state.jobs.map((job) => [job.id, job]));
  const pools = new Map(state.pools.map((pool) => [pool.id, pool]));
  const running = new Map((state.running ?? []).map((task) => [`${task.jobId}/${task.taskId}`, task]));
  const capacity = new Map<string, { free: number; exclusive: boolean; exclusiveHolder: string | undefined }>();
  for (const pool of state.pools) {
    for (const node of pool.nodes) {
      const holder = (state.running ?? []).find((r) => r.runExclusive === true && r.nodeIds.includes(node.id));
      capacity.set(node.id, {
        free: (pool.taskSlotsPerNode ?? 1) - (node.usedSlots ?? 0),
        exclusive: node.exclusive === true,
        exclusiveHolder: holder && `${holder.jobId}/${holder.taskId}`,
      });
    }
  }
  // Preemptions are checked and applied just before the placement they serve, in plan order.
  const preemptedOn = new Set<string>();
  const victims = new Set<string>();
  const served = new Set<string>();
  const applyPreemptionsFor = (jobId: string, taskId: string): void => {
    for (const p of plan.preemptions) {
      if (p.forJobId !== jobId || p.forTaskId !== taskId) continue;
      const key = `${p.jobId}/${p.taskId}`;
      const victim = running.get(key);
      const forJob = jobs.get(p.forJobId);
      assert.ok(victim && forJob, `preemption of a known running task for a known job: ${key}`);
      assert.ok(!victims.has(key), `${key} preempted once`);
      victims.add(key);
      assert.equal(victim.allowTaskPreemption, true, `${key} allows preemption`);
      assert.ok((victim.jobPriority ?? 0) < (forJob.priority ?? 0), `${key} has lower priority than ${p.forJobId}`);
      assert.equal(idKey(victim.poolId), idKey(forJob.poolId), `${key} is in ${p.forJobId}'s pool`);
      for (const nodeId of victim.nodeIds) {
        const node = capacity.get(nodeId);
        if (node === undefined) continue;
        node.free += victim.slots ?? 1;
        if (node.exclusiveHolder === key) node.exclusive = false;
        preemptedOn.add(nodeId);
      }
    }
    served.add(`${jobId}/${taskId}`);
  };
  const placedCount = new Map<string, number>();
  const placed = new Set<string>();
  const exclusivePlacements = new Set<string>();
  const nodesUsed = new Map<string, number>();
  for (const p of plan.placements) {
    const key = `${p.jobId}/${p.taskId}`;
    assert.ok(!placed.has(key), `${key} placed once`);
    placed.add(key);
    const job = jobs.get(p.jobId);
    assert.ok(job && job.state === "active", `${key}: active job`);
    const task = job.tasks.find((t) => t.id === p.taskId);
    assert.ok(task, `${key}: a candidate`);
    const pool = pools.get(job.poolId);
    assert.ok(pool, `${key}: known pool`);
    assert.equal(evaluateDependencies(task.dependsOn, job.dependencies).state, "satisfied", `${key}: dependencies satisfied`);
    assert.equal(p.nodeIds.length, task.numberOfInstances ?? 1, `${key}: node count`);
    assert.equal(new Set(p.nodeIds).size, p.nodeIds.length, `${key}: distinct nodes`);
    if (task.numberOfInstances !== undefined) {
      assert.ok(pool.enableInterNodeCommunication === true && (pool.taskSlotsPerNode ?? 1) === 1, `${key}: MI pool`);
    }
    placedCount.set(job.id, (placedCount.get(job.id) ?? 0) + 1);
    applyPreemptionsFor(p.jobId, p.taskId);
    const exclusive = task.isJobManager === true && task.runExclusive !== false;
    assert.equal(p.needsPreemption, p.nodeIds.some((id) => preemptedOn.has(id)), `${key}: needsPreemption`);
    for (const nodeId of p.nodeIds) {
      const node = pool.nodes.find((n) => n.id === nodeId);
      assert.ok(node, `${key}: node ${nodeId} in the job's pool`);
      assert.ok((node.state === "idle" || node.state === "running") && node.schedulingState === "enabled", `${key}: ${nodeId} schedulable`);
      assert.ok(!(job.excludedNodeIds ?? []).includes(nodeId), `${key}: ${nodeId} not excluded`);
      if (task.isJobManager === true && task.allowLowPriorityNode === false) assert.ok(node.isDedicated, `${key}: dedicated node`);
      const slotState = capacity.get(nodeId);
      assert.ok(slotState, nodeId);
      for (const victim of plan.preemptions.filter((v) => v.forJobId === p.jobId && v.forTaskId === p.taskId)) {
        // Minimal: without any one of its victims the task would not fit.
        const held = running.get(`${victim.jobId}/${victim.taskId}`) as RunningTask;
        if (slotState.exclusiveHolder === `${victim.jobId}/${victim.taskId}`) continue;
        const needed = exclusive ? (pool.taskSlotsPerNode ?? 1) : p.slots;
        assert.ok(slotState.free - (held.slots ?? 1) < needed, `${key}: victim ${victim.taskId} was not needed`);
      }
      assert.ok(!slotState.exclusive, `${key}: ${nodeId} not held exclusively`);
      assert.ok(!exclusivePlacements.has(nodeId), `${key}: ${nodeId} not taken by an exclusive job manager of this plan`);
      if (exclusive) {
        assert.equal(slotState.free, pool.taskSlotsPerNode ?? 1, `${key}: exclusive job manager on an empty node`);
        assert.ok(!nodesUsed.has(nodeId), `${key}: exclusive job manager alone on ${nodeId}`);
        exclusivePlacements.add(nodeId);
      }
      slotState.free -= p.slots;
      nodesUsed.set(nodeId, (nodesUsed.get(nodeId) ?? 0) + 1);
      assert.ok(slotState.free >= 0, `${key}: ${nodeId} over capacity`);
    }
    const expectedPrep = job.hasJobPreparationTask === true ? p.nodeIds.filter((id) => !(job.preparedNodeIds ?? []).includes(id)) : [];
    assert.deepEqual(p.jobPreparationNodeIds, expectedPrep, `${key}: preparation nodes`);
  }
  for (const p of plan.preemptions) assert.ok(served.has(`${p.forJobId}/${p.forTaskId}`), "every preemption serves a placement");
  for (const job of state.jobs) {
    const cap = job.maxParallelTasks ?? -1;
    if (cap >= 0) assert.ok((placedCount.get(job.id) ?? 0) <= Math.max(0, cap - (job.runningTaskCount ?? 0)), `${job.id}: maxParallelTasks`);
  }
  if (plan.preemptions.length === 0) {
    // Without preemption, room only shrinks during a round: a plain task reported without room had none at the end.
    for (const u of plan.unplaced) {
      if (u.reason !== "noCapacity") continue;
      const job = jobs.get(u.jobId) as SchedulerJob;
      const task = job.tasks.find((t) => t.id === u.taskId) as SchedulerTask;
      if (task.isJobManager === true || task.numberOfInstances !== undefined) continue;
      const pool = pools.get(job.poolId) as SchedulerPool;
      for (const node of pool.nodes) {
        if (!(node.state === "idle" || node.state === "running") || node.schedulingState !== "enabled") continue;
        if ((job.excludedNodeIds ?? []).includes(node.id)) continue;
        const slotState = capacity.get(node.id);
        const room = slotState === undefined || slotState.exclusive || exclusivePlacements.has(node.id) ? 0 : slotState.free;
        assert.ok(room < (task.requiredSlots ?? 1), `${u.jobId}/${u.taskId} reported noCapacity but ${node.id} has ${room} free`);
      }
    }
  }
}

describe("invariants over random states", () => {
  it("hold for 500 seeded states, and each plan is reproducible", () => {
    let placements = 0;
    let preemptions = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const state = generate(seed);
      const plan = schedule(state);
      try {
        check(state, plan);
      } catch (error) {
        assert.fail(`seed ${seed}: ${(error as Error).message}`);
      }
      assert.deepEqual(schedule(state), plan);
      placements += plan.placements.length;
      preemptions += plan.preemptions.length;
    }
    assert.ok(placements > 500 && preemptions > 20, `the states exercise the scheduler (${placements} placements, ${preemptions} preemptions)`);
  });
});
