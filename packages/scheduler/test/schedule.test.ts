import { describe } from "node:test";
import type { ComputeNodeStateValue } from "@openbatch/core";
import { schedulerJobStates } from "../src/index.js";
import { runCases, type Case } from "./harness.js";

describe("priority order across jobs", () => {
  runCases([
    {
      name: "the higher-priority job takes the only slot, even when created later",
      given: (h) => {
        h.pool("p").nodes(1);
        h.job("low", { priority: 0 }).tasks(1);
        h.job("high", { priority: 10 }).tasks(1);
      },
      expect: { placed: ["high/t1@n1"], unplaced: ["low/t1:noCapacity"] },
    },
    {
      name: "equal priority: the older job (lower creation sequence) first",
      given: (h) => {
        h.pool("p").nodes(1);
        h.job("b-older").tasks(1);
        h.job("a-newer").tasks(1);
      },
      expect: { placed: ["b-older/t1@n1"], unplaced: ["a-newer/t1:noCapacity"] },
    },
    {
      name: "extremes −1000 and 1000",
      given: (h) => {
        h.pool("p").nodes(2);
        h.job("min", { priority: -1000 }).tasks(2);
        h.job("max", { priority: 1000 }).tasks(1);
        h.job("mid").tasks(1);
      },
      expect: { placed: ["max/t1@n1", "mid/t1@n2"], unplaced: ["min/t1:noCapacity"] },
    },
    {
      name: "a job's tasks all go before a lower-priority job's",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 2 }).nodes(2);
        h.job("low", { priority: 1 }).tasks(2);
        h.job("high", { priority: 2 }).tasks(3);
      },
      expect: { placed: ["high/t1@n1", "high/t2@n2", "high/t3@n1", "low/t1@n2"], unplaced: ["low/t2:noCapacity"] },
    },
    {
      name: "priority never crosses pools",
      given: (h) => {
        h.pool("a").nodes(1);
        h.pool("b").nodes(1, { prefix: "m" });
        h.job("high", { pool: "a", priority: 100 }).tasks(2);
        h.job("low", { pool: "b", priority: -100 }).tasks(1);
      },
      expect: { placed: ["high/t1@n1", "low/t1@m1"], unplaced: ["high/t2:noCapacity"] },
    },
    {
      name: "pool ids match case-insensitively; an unknown pool leaves the job waiting",
      given: (h) => {
        h.pool("Pool-A").nodes(1);
        h.job("j", { pool: "pool-a" }).tasks(1);
        h.job("lost", { pool: "nowhere" }).tasks(2);
      },
      expect: { placed: ["j/t1@n1"], unplaced: ["lost/t1:poolNotFound"] },
    },
  ]);
});

describe("tasks within a job", () => {
  runCases([
    {
      name: "tasks go in sequence order, not in the order listed",
      given: (h) => {
        h.pool("p").nodes(2);
        h.job("j").tasks(3);
      },
      expect: { placed: ["j/t1@n1", "j/t2@n2"], unplaced: ["j/t3:noCapacity"] },
    },
    {
      name: "the job manager goes first, exclusively on its own node",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 2 }).nodes(2);
        h.job("j").tasks(3).jobManager("jm");
      },
      expect: { placed: ["j/jm@n1", "j/t1@n2", "j/t2@n2"], unplaced: ["j/t3:noCapacity"] },
    },
    {
      name: "a job manager with runExclusive false shares its node",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 2 }).nodes(1);
        h.job("j").tasks(2).jobManager("jm", { runExclusive: false });
      },
      expect: { placed: ["j/jm@n1", "j/t1@n1"], unplaced: ["j/t2:noCapacity"] },
    },
    {
      name: "an exclusive job manager needs an empty node",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 4 }).nodes(2);
        h.job("other").runs("o1", "n1").runs("o2", "n2");
        h.job("j").tasks(1).jobManager("jm");
      },
      expect: { placed: [], unplaced: ["j/jm:noCapacity", "j/t1:waitingForJobManager"] },
    },
    {
      name: "an exclusive job manager running on a node keeps every other task off it",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 4 }).nodes(2);
        h.job("j").runs("jm", "n1", { runExclusive: true }).tasks(2);
      },
      expect: { placed: ["j/t1@n2", "j/t2@n2"] },
    },
    {
      name: "job manager with allowLowPriorityNode false uses dedicated nodes only",
      given: (h) => {
        h.pool("p").node("n1", { isDedicated: false }).node("n2");
        h.job("j").jobManager("jm", { allowLowPriorityNode: false }).tasks(1);
      },
      expect: { placed: ["j/jm@n2", "j/t1@n1"] },
    },
    {
      name: "job manager with allowLowPriorityNode false and only Spot nodes waits, and its job with it",
      given: (h) => {
        h.pool("p").nodes(2, { isDedicated: false });
        h.job("j").jobManager("jm", { allowLowPriorityNode: false }).tasks(1);
      },
      expect: { placed: [], unplaced: ["j/jm:noCapacity", "j/t1:waitingForJobManager"] },
    },
    {
      name: "job manager (default) and regular tasks run on Spot nodes",
      given: (h) => {
        h.pool("p").nodes(2, { isDedicated: false });
        h.job("j").jobManager("jm").tasks(1);
      },
      expect: { placed: ["j/jm@n1", "j/t1@n2"] },
    },
    {
      name: "the job manager counts toward maxParallelTasks",
      given: (h) => {
        h.pool("p").nodes(3);
        h.job("j", { maxParallelTasks: 1 }).jobManager("jm").tasks(2);
      },
      expect: { placed: ["j/jm@n1"], unplaced: ["j/t1:maxParallelTasksReached"] },
    },
  ]);
});

describe("node fill: spread and pack", () => {
  runCases([
    {
      name: "spread: one task per node first",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 2 }).nodes(3);
        h.job("j").tasks(4);
      },
      expect: { placed: ["j/t1@n1", "j/t2@n2", "j/t3@n3", "j/t4@n1"] },
    },
    {
      name: "pack: fill a node before the next",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 2, nodeFillType: "pack" }).nodes(3);
        h.job("j").tasks(4);
      },
      expect: { placed: ["j/t1@n1", "j/t2@n1", "j/t3@n2", "j/t4@n2"] },
    },
    {
      name: "spread: most free slots first, ties by node id",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 2 }).node("n1", { usedSlots: 1 }).node("n2");
        h.job("j").tasks(3);
      },
      expect: { placed: ["j/t1@n2", "j/t2@n1", "j/t3@n2"] },
    },
    {
      name: "pack: fewest free slots that still fit",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 4, nodeFillType: "pack" })
          .node("n1", { usedSlots: 3 })
          .node("n2", { usedSlots: 1 })
          .node("n3", { usedSlots: 2 });
        h.job("j").task("big", { requiredSlots: 2 }).task("small");
      },
      expect: { placed: ["j/big@n3", "j/small@n1"] },
    },
    {
      name: "nodes are ordered by id whatever order the pool lists them in",
      given: (h) => {
        h.pool("p").node("c").node("a").node("b");
        h.job("j").tasks(3);
      },
      expect: { placed: ["j/t1@a", "j/t2@b", "j/t3@c"] },
    },
  ]);
});

describe("requiredSlots", () => {
  runCases([
    {
      name: "a task takes requiredSlots on one node",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 4 }).nodes(2);
        h.job("j").tasks(2, { requiredSlots: 3 }).task("s");
      },
      expect: { placed: ["j/t1@n1", "j/t2@n2", "j/s@n1"] },
    },
    {
      name: "requiredSlots above taskSlotsPerNode is never placed; later tasks still are",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 2 }).nodes(1);
        h.job("j").task("huge", { requiredSlots: 3 }).task("ok");
      },
      expect: { placed: ["j/ok@n1"], unplaced: ["j/huge:requiredSlotsExceedNodeSlots"] },
    },
    {
      name: "a task that does not fit now does not stop smaller ones",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 4 }).node("n1", { usedSlots: 2 }).node("n2", { usedSlots: 3 });
        h.job("j").task("three", { requiredSlots: 3 }).task("four", { requiredSlots: 4 }).task("two", { requiredSlots: 2 }).task("one");
      },
      expect: { placed: ["j/two@n1", "j/one@n2"], unplaced: ["j/three:noCapacity", "j/four:noCapacity"] },
    },
    {
      name: "once nothing fits, the job's scan stops with one report",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 2 }).nodes(1);
        h.job("j").tasks(50);
      },
      expect: { placed: ["j/t1@n1", "j/t2@n1"], unplaced: ["j/t3:noCapacity"] },
    },
  ]);
});

describe("maxParallelTasks", () => {
  runCases([
    {
      name: "caps the tasks placed",
      given: (h) => {
        h.pool("p").nodes(5);
        h.job("j", { maxParallelTasks: 2 }).tasks(5);
      },
      expect: { placed: ["j/t1@n1", "j/t2@n2"], unplaced: ["j/t3:maxParallelTasksReached"] },
    },
    {
      name: "counts running tasks",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 4 }).nodes(2);
        h.job("j", { maxParallelTasks: 3 }).runs("r1", "n1").runs("r2", "n1").tasks(3);
      },
      expect: { placed: ["j/t1@n2"], unplaced: ["j/t2:maxParallelTasksReached"] },
    },
    {
      name: "−1 is unlimited",
      given: (h) => {
        h.pool("p").nodes(3);
        h.job("j", { maxParallelTasks: -1 }).tasks(3);
      },
      expect: { placed: ["j/t1@n1", "j/t2@n2", "j/t3@n3"], unplaced: [] },
    },
    {
      name: "tasks that wait for dependencies do not use the cap",
      given: (h) => {
        h.pool("p").nodes(3);
        h.job("j", { maxParallelTasks: 1 }).task("waits", { dependsOn: { taskIds: ["x"] } }).tasks(2);
      },
      expect: { placed: ["j/t1@n1"], unplaced: ["j/waits:dependenciesPending", "j/t2:maxParallelTasksReached"] },
    },
    {
      name: "one job at its cap leaves the slots to the next job",
      given: (h) => {
        h.pool("p").nodes(3);
        h.job("capped", { priority: 5, maxParallelTasks: 1 }).tasks(3);
        h.job("other").tasks(3);
      },
      expect: { placed: ["capped/t1@n1", "other/t1@n2", "other/t2@n3"] },
    },
  ]);
});

describe("node eligibility", () => {
  const states: readonly ComputeNodeStateValue[] = [
    "idle", "running", "rebooting", "reimaging", "unusable", "creating", "starting", "waitingforstarttask",
    "starttaskfailed", "unknown", "leavingpool", "offline", "preempted", "upgradingos",
  ];
  runCases(
    states.map((state): Case => {
      const usable = state === "idle" || state === "running";
      return {
        name: `a ${state} node ${usable ? "takes" : "takes no"} tasks`,
        given: (h) => {
          h.pool("p").node("n1", { state });
          h.job("j").tasks(1);
        },
        expect: usable ? { placed: ["j/t1@n1"] } : { placed: [], unplaced: ["j/t1:noCapacity"] },
      };
    }),
  );
  runCases([
    {
      name: "a node with scheduling disabled takes no tasks",
      given: (h) => {
        h.pool("p").node("n1", { schedulingState: "disabled" }).node("n2");
        h.job("j").tasks(2);
      },
      expect: { placed: ["j/t1@n2"], unplaced: ["j/t2:noCapacity"] },
    },
    {
      name: "a job's excluded nodes are not used for it, but are for other jobs",
      given: (h) => {
        h.pool("p").nodes(3);
        h.job("j", { excludedNodeIds: ["N1"] }).tasks(1);
        h.job("k").tasks(2);
      },
      expect: { placed: ["j/t1@n2", "k/t1@n1", "k/t2@n3"] },
    },
    {
      name: "placements name the nodes where the job preparation task has not run",
      given: (h) => {
        h.pool("p").nodes(3);
        h.job("j", { hasJobPreparationTask: true, preparedNodeIds: ["n2"] }).tasks(3);
      },
      expect: { placed: ["j/t1@n1[prep:n1]", "j/t2@n2", "j/t3@n3[prep:n3]"] },
    },
  ]);
});

describe("affinity", () => {
  runCases([
    {
      name: "the affinity node is preferred when it has room",
      given: (h) => {
        h.pool("p", { taskSlotsPerNode: 2 }).nodes(3);
        h.job("j").task("a", { affinityId: "n3" }).task("b");
      },
      expect: { placed: ["j/a@n3", "j/b@n1"] },
    },
    {
      name: "affinity ids match case-insensitively and through the node's affinityId",
      given: (h) => {
        h.pool("p").node("n1").node("n2", { affinityId: "TVM-2" }).node("n3");
        h.job("j").task("a", { affinityId: "N3" }).task("b", { affinityId: "tvm-2" });
      },
      expect: { placed: ["j/a@n3", "j/b@n2"] },
    },
    {
      name: "a full affinity node is only a hint: the task goes elsewhere",
      given: (h) => {
        h.pool("p").node("n1").node("n2", { usedSlots: 1 });
        h.job("j").task("a", { affinityId: "n2" });
      },
      expect: { placed: ["j/a@n1"] },
    },
    {
      name: "an unusable or unknown affinity node is ignored",
      given: (h) => {
        h.pool("p").node("n1").node("n2", { state: "offline" });
        h.job("j").task("a", { affinityId: "n2" }).task("b", { affinityId: "gone" });
      },
      expect: { placed: ["j/a@n1"], unplaced: ["j/b:noCapacity"] },
    },
  ]);
});

describe("multi-instance tasks", () => {
  const mpi = { enableInterNodeCommunication: true };
  runCases([
    {
      name: "takes numberOfInstances distinct nodes, 1 slot each, primary first",
      given: (h) => {
        h.pool("p", mpi).nodes(4);
        h.job("j").task("mpi", { numberOfInstances: 3 }).task("t");
      },
      expect: { placed: ["j/mpi@n1+n2+n3", "j/t@n4"] },
    },
    {
      name: "all or nothing: too few free nodes leaves every node free",
      given: (h) => {
        h.pool("p", mpi).nodes(3);
        h.job("other").runs("o", "n2");
        h.job("j").task("mpi", { numberOfInstances: 3 }).tasks(2);
      },
      expect: { placed: ["j/t1@n1", "j/t2@n3"], unplaced: ["j/mpi:noCapacity"] },
    },
    {
      name: "needs inter-node communication",
      given: (h) => {
        h.pool("p").nodes(3);
        h.job("j").task("mpi", { numberOfInstances: 2 });
      },
      expect: { placed: [], unplaced: ["j/mpi:multiInstanceUnsupportedByPool"] },
    },
    {
      name: "needs taskSlotsPerNode 1",
      given: (h) => {
        h.pool("p", { ...mpi, taskSlotsPerNode: 2 }).nodes(3);
        h.job("j").task("mpi", { numberOfInstances: 2 });
      },
      expect: { placed: [], unplaced: ["j/mpi:multiInstanceUnsupportedByPool"] },
    },
    {
      name: "never preempts",
      given: (h) => {
        h.pool("p", mpi).nodes(2);
        h.job("low", { allowTaskPreemption: true }).runs("r1", "n1").runs("r2", "n2");
        h.job("high", { priority: 10 }).task("mpi", { numberOfInstances: 2 });
      },
      expect: { placed: [], preempted: [], unplaced: ["high/mpi:noCapacity"] },
    },
    {
      name: "skips excluded nodes",
      given: (h) => {
        h.pool("p", mpi).nodes(3);
        h.job("j", { excludedNodeIds: ["n2"] }).task("mpi", { numberOfInstances: 2 });
      },
      expect: { placed: ["j/mpi@n1+n3"] },
    },
  ]);
});

describe("job states", () => {
  runCases(
    schedulerJobStates.map((state): Case => ({
      name: `a ${state} job ${state === "active" ? "places its tasks" : "places nothing"}`,
      given: (h) => {
        h.pool("p").nodes(2);
        h.job("j", { state }).tasks(1);
      },
      expect: state === "active" ? { placed: ["j/t1@n1"] } : { placed: [], unplaced: [], blocked: [] },
    })),
  );
});
