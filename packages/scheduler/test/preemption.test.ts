import { describe } from "node:test";
import { runCases } from "./harness.js";

describe("preemption", () => {
  runCases([
    {
      name: "a higher-priority task preempts a preemptible lower-priority one",
      given: (h) => {
        h.pool("p").nodes(1);
        h.job("low", { allowTaskPreemption: true }).runs("r1", "n1");
        h.job("high", { priority: 10 }).tasks(2);
      },
      expect: { placed: ["high/t1@n1*"], preempted: ["low/r1@n1>high/t1"], unplaced: ["high/t2:noCapacity"] },
    },
    {
      name: "never without allowTaskPreemption",
      given: (h) => {
        h.pool("p").nodes(1);
        h.job("low").runs("r1", "n1");
        h.job("high", { priority: 10 }).tasks(1);
      },
      expect: { placed: [], preempted: [], unplaced: ["high/t1:noCapacity"] },
    },
    {
      name: "never a task of equal priority",
      given: (h) => {
        h.pool("p").nodes(1);
        h.job("same", { priority: 5, allowTaskPreemption: true }).runs("r1", "n1");
        h.job("other", { priority: 5 }).tasks(1);
      },
      expect: { placed: [], preempted: [] },
    },
    {
      name: "never a task of higher priority",
      given: (h) => {
        h.pool("p").nodes(1);
        h.job("higher", { priority: 9, allowTaskPreemption: true }).runs("r1", "n1");
        h.job("j", { priority: 5 }).tasks(1);
      },
      expect: { placed: [], preempted: [] },
    },
    {
      name: "never across pools",
      given: (h) => {
        h.pool("a").nodes(1);
        h.pool("b").nodes(1, { prefix: "m" });
        h.job("low", { pool: "b", allowTaskPreemption: true }).runs("r1", "m1");
        h.job("filler", { pool: "a" }).runs("f1", "n1");
        h.job("high", { pool: "a", priority: 10 }).tasks(1);
      },
      expect: { placed: [], preempted: [], unplaced: ["high/t1:noCapacity"] },
    },
    {
      name: "free slots are used before anything is preempted",
      given: (h) => {
        h.pool("p").nodes(2);
        h.job("low", { allowTaskPreemption: true }).runs("r1", "n1");
        h.job("high", { priority: 10 }).tasks(1);
      },
      expect: { placed: ["high/t1@n2"], preempted: [] },
    },
    {
      name: "victims: lowest priority first, then most recently started",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 4 }).nodes(1);
        h.job("minus1", { priority: -1, allowTaskPreemption: true }).runs("a", "n1").runs("b", "n1");
        h.job("minus2", { priority: -2, allowTaskPreemption: true }).runs("c", "n1").runs("d", "n1");
        h.job("high", { priority: 10 }).task("big", { requiredSlots: 4 });
      },
      expect: {
        placed: ["high/big@n1*"],
        preempted: ["minus2/d@n1>high/big", "minus2/c@n1>high/big", "minus1/b@n1>high/big", "minus1/a@n1>high/big"],
      },
    },
    {
      name: "minimal set: only as many victims as the task needs, least protected first",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 4 }).nodes(1);
        h.job("low", { priority: 1, allowTaskPreemption: true }).runs("a", "n1").runs("b", "n1").runs("c", "n1").runs("d", "n1");
        h.job("high", { priority: 10 }).task("two", { requiredSlots: 2 });
      },
      expect: { placed: ["high/two@n1*"], preempted: ["low/d@n1>high/two", "low/c@n1>high/two"] },
    },
    {
      name: "minimal set: a victim that turns out unneeded is spared",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 3 }).nodes(1);
        h.job("lowest", { priority: -5, allowTaskPreemption: true }).runs("small", "n1");
        h.job("low", { priority: 0, allowTaskPreemption: true }).runs("wide", "n1", { slots: 2 });
        h.job("high", { priority: 10 }).task("two", { requiredSlots: 2 });
      },
      expect: { placed: ["high/two@n1*"], preempted: ["low/wide@n1>high/two"] },
    },
    {
      name: "the node whose victims have the lowest priority is chosen",
      given: (h) => {
        h.pool("p").nodes(3);
        h.job("five", { priority: 5, allowTaskPreemption: true }).runs("a", "n1");
        h.job("one", { priority: 1, allowTaskPreemption: true }).runs("b", "n2");
        h.job("three", { priority: 3, allowTaskPreemption: true }).runs("c", "n3");
        h.job("high", { priority: 10 }).tasks(1);
      },
      expect: { placed: ["high/t1@n2*"], preempted: ["one/b@n2>high/t1"] },
    },
    {
      name: "then the node needing the fewest victims",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 2 }).nodes(2);
        h.job("low", { allowTaskPreemption: true }).runs("a", "n1").runs("b", "n1").runs("c", "n2", { slots: 2 });
        h.job("high", { priority: 10 }).task("two", { requiredSlots: 2 });
      },
      expect: { placed: ["high/two@n2*"], preempted: ["low/c@n2>high/two"] },
    },
    {
      name: "a node held by an exclusive job manager is freed only by preempting it",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 2 }).nodes(1);
        h.job("low", { allowTaskPreemption: true }).runs("jm", "n1", { runExclusive: true });
        h.job("high", { priority: 10 }).tasks(3);
      },
      expect: { placed: ["high/t1@n1*", "high/t2@n1*"], preempted: ["low/jm@n1>high/t1"], unplaced: ["high/t3:noCapacity"] },
    },
    {
      name: "preempting one exclusive job manager beats preempting several tasks",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 4 }).nodes(2);
        h.job("low", { allowTaskPreemption: true }).runs("a", "n1").runs("b", "n1").runs("c", "n1").runs("d", "n1")
          .runs("jm", "n2", { runExclusive: true });
        h.job("high", { priority: 10 }).task("big", { requiredSlots: 4 });
      },
      expect: { placed: ["high/big@n2*"], preempted: ["low/jm@n2>high/big"] },
    },
    {
      name: "an exclusive job manager preempts everything on one node",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 2 }).nodes(2);
        h.job("low", { allowTaskPreemption: true }).runs("a", "n1").runs("b", "n1").runs("c", "n2");
        h.job("keep").runs("k", "n2");
        h.job("high", { priority: 10 }).jobManager("jm");
      },
      expect: { placed: ["high/jm@n1*"], preempted: ["low/b@n1>high/jm", "low/a@n1>high/jm"] },
    },
    {
      name: "slots left over by a preemption go to the next task, which waits for it too",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 2 }).nodes(1);
        h.job("low", { allowTaskPreemption: true }).runs("wide", "n1", { slots: 2 });
        h.job("high", { priority: 10 }).tasks(3);
      },
      expect: { placed: ["high/t1@n1*", "high/t2@n1*"], preempted: ["low/wide@n1>high/t1"], unplaced: ["high/t3:noCapacity"] },
    },
    {
      name: "preempts only as long as victims last, then stops the job",
      given: (h) => {
        h.pool("p").nodes(3);
        h.job("low", { allowTaskPreemption: true }).runs("a", "n1").runs("b", "n2");
        h.job("keep").runs("k", "n3");
        h.job("high", { priority: 10 }).tasks(10);
      },
      expect: {
        placed: ["high/t1@n1*", "high/t2@n2*"],
        preempted: ["low/a@n1>high/t1", "low/b@n2>high/t2"],
        unplaced: ["high/t3:noCapacity"],
      },
    },
    {
      name: "a preempted multi-instance task frees its slot on every node",
      given: (h) => {
        h.pool("p", { enableInterNodeCommunication: true }).nodes(2);
        h.job("low", { allowTaskPreemption: true }).runs("mpi", ["n1", "n2"]);
        h.job("high", { priority: 10 }).tasks(2);
      },
      expect: { placed: ["high/t1@n1*", "high/t2@n2*"], preempted: ["low/mpi@n1+n2>high/t1"] },
    },
    {
      name: "a lower-priority job later in the round does not preempt what a higher one left",
      given: (h) => {
        h.pool("p").nodes(1);
        h.job("lowest", { priority: -10, allowTaskPreemption: true }).runs("r", "n1");
        h.job("high", { priority: 10 }).tasks(1);
        h.job("mid", { priority: 0 }).tasks(1);
      },
      expect: { placed: ["high/t1@n1*"], preempted: ["lowest/r@n1>high/t1"], unplaced: ["mid/t1:noCapacity"] },
    },
    {
      name: "respects excluded nodes and dedicated-only job managers",
      given: (h) => {
        h.pool("p").node("n1", { isDedicated: false }).node("n2").node("n3");
        h.job("low", { allowTaskPreemption: true }).runs("a", "n1").runs("b", "n2").runs("c", "n3");
        h.job("high", { priority: 10, excludedNodeIds: ["n2"] }).jobManager("jm", { allowLowPriorityNode: false });
      },
      expect: { placed: ["high/jm@n3*"], preempted: ["low/c@n3>high/jm"] },
    },
  ]);
});
