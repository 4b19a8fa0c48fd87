/**
 * The look-ahead pass (src/lookAhead.ts): runs given to nodes beyond their free slots, and the waiting runs the plan
 * withdraws. States are written out in full: nodes carry their waiting runs (part of `usedSlots`), running tasks are
 * in `running`, and a job's `runningTaskCount` counts its running and waiting tasks, as the server's snapshot does.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { schedule, type Plan, type RunningTask, type SchedulerJob, type SchedulerNode, type SchedulerPool, type SchedulerTask, type WaitingRun } from "../src/index.js";

const node = (id: string, usedSlots = 0, waiting: WaitingRun[] = []): SchedulerNode => ({
  id, state: usedSlots > 0 ? "running" : "idle", schedulingState: "enabled", isDedicated: true, usedSlots, ...(waiting.length === 0 ? {} : { waiting }),
});
const pool = (nodes: SchedulerNode[], lookAheadSlotsPerNode = 2, taskSlotsPerNode = 1): SchedulerPool => ({ id: "p", taskSlotsPerNode, lookAheadSlotsPerNode, nodes });
const tasks = (prefix: string, count: number, from = 1): SchedulerTask[] => Array.from({ length: count }, (_, i) => ({ id: `${prefix}${from + i}`, sequence: from + i }));
const job = (id: string, sequence: number, jobTasks: SchedulerTask[], fields: Partial<SchedulerJob> = {}): SchedulerJob => ({ id, poolId: "p", state: "active", sequence, tasks: jobTasks, ...fields });
const waitingRun = (jobId: string, taskId: string, sequence: number): WaitingRun => ({ jobId, taskId, assignmentId: `${jobId}-${taskId}`, sequence });
const running = (jobId: string, taskId: string, nodeId: string, sequence: number, jobPriority = 0): RunningTask => ({ poolId: "p", jobId, taskId, nodeIds: [nodeId], slots: 1, jobPriority, sequence });

const placed = (plan: Plan, lookAhead: boolean): string[] =>
  plan.placements.filter((entry) => entry.lookAhead === lookAhead).map((entry) => `${entry.jobId}/${entry.taskId}@${entry.nodeIds.join("+")}`);
const withdrawn = (plan: Plan): string[] => plan.withdrawals.map((entry) => `${entry.jobId}/${entry.taskId}@${entry.nodeId}:${entry.reason}`);

describe("look-ahead", () => {
  it("fills free slots first, then spreads up to the look-ahead over the nodes, and no further", () => {
    const plan = schedule({ pools: [pool([node("n1"), node("n2")])], jobs: [job("j", 1, tasks("t", 7))] });
    assert.deepEqual(placed(plan, false), ["j/t1@n1", "j/t2@n2"]);
    assert.deepEqual(placed(plan, true), ["j/t3@n1", "j/t4@n2", "j/t5@n1", "j/t6@n2"]);
    assert.deepEqual(plan.withdrawals, []);
  });

  it("gives nothing beyond the free slots without a look-ahead", () => {
    const plan = schedule({ pools: [pool([node("n1"), node("n2")], 0)], jobs: [job("j", 1, tasks("t", 7))] });
    assert.deepEqual(placed(plan, true), []);
    assert.equal(plan.placements.length, 2);
  });

  it("counts waiting runs toward maxParallelTasks", () => {
    const plan = schedule({ pools: [pool([node("n1")])], jobs: [job("j", 1, tasks("t", 5), { maxParallelTasks: 2 })] });
    assert.deepEqual(placed(plan, false), ["j/t1@n1"]);
    assert.deepEqual(placed(plan, true), ["j/t2@n1"]);
  });

  it("withdraws waiting runs, the last to start first, when maxParallelTasks went below the job's tasks", () => {
    const n1 = node("n1", 3, [waitingRun("j", "w1", 2), waitingRun("j", "w2", 3)]);
    const plan = schedule({
      pools: [pool([n1])],
      jobs: [job("j", 1, tasks("t", 2, 4), { maxParallelTasks: 2, runningTaskCount: 3 })],
      running: [running("j", "r1", "n1", 1)],
    });
    assert.deepEqual(withdrawn(plan), ["j/w2@n1:maxParallelTasks"]);
    assert.deepEqual(plan.placements, []);
  });

  it("lets a higher-priority job's task take a lower one's waiting place, withdrawing the run that would start last", () => {
    const n1 = node("n1", 3, [waitingRun("low", "w1", 2), waitingRun("low", "w2", 3)]);
    const plan = schedule({
      pools: [pool([n1])],
      jobs: [job("low", 1, [], { priority: -10, runningTaskCount: 3 }), job("high", 2, tasks("h", 1), { priority: 10 })],
      running: [running("low", "r1", "n1", 1, -10)],
    });
    assert.deepEqual(withdrawn(plan), ["low/w2@n1:priority"]);
    assert.deepEqual(placed(plan, true), ["high/h1@n1"]);
    assert.deepEqual(plan.preemptions, [], "a running task of a job that does not allow preemption stays");
  });

  it("withdraws waiting runs before preempting a running task, and preempts only when they are not enough", () => {
    const n1 = node("n1", 3, [waitingRun("low", "w1", 2), waitingRun("low", "w2", 3)]);
    const plan = schedule({
      pools: [pool([n1])],
      jobs: [job("low", 1, [], { priority: 0, allowTaskPreemption: true, runningTaskCount: 3 }), job("high", 2, tasks("h", 1), { priority: 100 })],
      running: [{ ...running("low", "r1", "n1", 1), allowTaskPreemption: true }],
    });
    assert.deepEqual(placed(plan, false), ["high/h1@n1"]);
    assert.deepEqual(withdrawn(plan).sort(), ["low/w1@n1:priority", "low/w2@n1:priority"]);
    assert.deepEqual(plan.preemptions.map((entry) => `${entry.jobId}/${entry.taskId}`), ["low/r1"]);
  });

  it("never displaces waiting runs of an equal or higher priority", () => {
    const n1 = node("n1", 3, [waitingRun("first", "w1", 2), waitingRun("first", "w2", 3)]);
    const plan = schedule({
      pools: [pool([n1])],
      jobs: [job("first", 1, [], { runningTaskCount: 3 }), job("second", 2, tasks("s", 1))],
      running: [running("first", "r1", "n1", 1)],
    });
    assert.deepEqual(plan.withdrawals, []);
    assert.deepEqual(plan.placements, []);
  });

  it("withdraws runs waiting on a busy node when another node has free slots nobody takes", () => {
    const n1 = node("n1", 3, [waitingRun("j", "w1", 2), waitingRun("j", "w2", 3)]);
    const plan = schedule({
      pools: [pool([n1, node("n2")])],
      jobs: [job("j", 1, [], { runningTaskCount: 3 })],
      running: [running("j", "r1", "n1", 1)],
    });
    assert.deepEqual(withdrawn(plan), ["j/w2@n1:rebalance"]);
  });

  it("never gives a look-ahead place to a job manager or a multi-instance task, nor to tasks of a job whose manager waits", () => {
    const busy = [node("n1", 1)];
    const withManager = schedule({
      pools: [pool(busy)],
      jobs: [job("m", 1, [{ id: "jm", sequence: 1, isJobManager: true }, ...tasks("t", 2, 2)])],
      running: [running("other", "r1", "n1", 1)],
    });
    assert.deepEqual(placed(withManager, true), []);
    const multi = schedule({
      pools: [{ ...pool(busy), enableInterNodeCommunication: true }],
      jobs: [job("mi", 1, [{ id: "x", sequence: 1, numberOfInstances: 1 }])],
      running: [running("other", "r1", "n1", 1)],
    });
    assert.deepEqual(placed(multi, true), []);
  });
});
