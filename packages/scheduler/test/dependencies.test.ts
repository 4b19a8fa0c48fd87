import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createDependencyIndex,
  dependencyParents,
  dependsOnTask,
  evaluateDependencies,
  schedule,
  taskIdNumber,
  type DependencyVerdict,
  type ParentState,
  type TaskDependencies,
} from "../src/index.js";
import { runCases } from "./harness.js";

describe("dependencies in a scheduling round", () => {
  runCases([
    {
      name: "all parents satisfied: the task runs",
      given: (h) => {
        h.pool("p").nodes(2);
        h.job("j").parent("a", "satisfied").parent("b", "satisfied").task("c", { dependsOn: { taskIds: ["a", "b"] } });
      },
      expect: { placed: ["j/c@n1"], unplaced: [], blocked: [] },
    },
    {
      name: "a pending parent: the task waits and the next one runs",
      given: (h) => {
        h.pool("p").nodes(2);
        h.job("j").parent("a", "satisfied").parent("b", "pending").task("c", { dependsOn: { taskIds: ["a", "b"] } }).task("d");
      },
      expect: { placed: ["j/d@n1"], unplaced: ["j/c:dependenciesPending"] },
    },
    {
      name: "a missing parent counts as pending",
      given: (h) => {
        h.pool("p").nodes(1);
        h.job("j").task("c", { dependsOn: { taskIds: ["not-yet"] } });
      },
      expect: { placed: [], unplaced: ["j/c:dependenciesPending"], blocked: [] },
    },
    {
      name: "a blocked parent blocks the task (and wins over pending ones)",
      given: (h) => {
        h.pool("p").nodes(1);
        h.job("j").parent("a", "pending").parent("b", "blocked").task("c", { dependsOn: { taskIds: ["a", "b", "B"] } });
      },
      expect: { placed: [], unplaced: [], blocked: ["j/c<b"] },
    },
    {
      name: "parent ids compare case-insensitively",
      given: (h) => {
        h.pool("p").nodes(1);
        h.job("j").parent("Prep", "satisfied").task("c", { dependsOn: { taskIds: ["pREP"] } });
      },
      expect: { placed: ["j/c@n1"] },
    },
    {
      name: "a range of satisfied parents (leading zeros ignored)",
      given: (h) => {
        h.pool("p").nodes(1);
        h.job("j").parent("01", "satisfied").parent("002", "satisfied").parent("3", "satisfied")
          .parent("5flamingoes", "pending").task("merge", { dependsOn: { taskIdRanges: [{ start: 1, end: 3 }] } });
      },
      expect: { placed: ["j/merge@n1"] },
    },
    {
      name: "a range with a number no task has yet waits",
      given: (h) => {
        h.pool("p").nodes(1);
        h.job("j").parent("1", "satisfied").parent("3", "satisfied").task("merge", { dependsOn: { taskIdRanges: [{ start: 1, end: 3 }] } });
      },
      expect: { placed: [], unplaced: ["j/merge:dependenciesPending"] },
    },
    {
      name: "a range with a blocked parent blocks, naming it",
      given: (h) => {
        h.pool("p").nodes(1);
        h.job("j").parent("1", "blocked").parent("2", "pending").parent("03", "blocked")
          .task("merge", { dependsOn: { taskIdRanges: [{ start: 1, end: 3 }] } });
      },
      expect: { placed: [], blocked: ["j/merge<1,03"] },
    },
    {
      name: "ids and ranges together",
      given: (h) => {
        h.pool("p").nodes(2);
        h.job("j").parent("setup", "satisfied").parent("1", "satisfied").parent("2", "satisfied")
          .task("ok", { dependsOn: { taskIds: ["setup"], taskIdRanges: [{ start: 1, end: 2 }] } })
          .task("waits", { dependsOn: { taskIds: ["setup"], taskIdRanges: [{ start: 1, end: 3 }] } });
      },
      expect: { placed: ["j/ok@n1"], unplaced: ["j/waits:dependenciesPending"] },
    },
  ]);

  it("without an oracle every parent is missing, so dependants wait", () => {
    const plan = schedule({
      pools: [{ id: "p", nodes: [{ id: "n1", state: "idle", schedulingState: "enabled", isDedicated: true }] }],
      jobs: [{ id: "j", poolId: "p", state: "active", sequence: 1, tasks: [{ id: "t", sequence: 1, dependsOn: { taskIds: ["a"] } }] }],
    });
    assert.deepEqual(plan.unplaced, [{ jobId: "j", taskId: "t", reason: "dependenciesPending" }]);
  });
});

describe("evaluateDependencies with an index", () => {
  const index = createDependencyIndex([
    ["setup", "satisfied"],
    ["1", "satisfied"],
    ["02", "satisfied"],
    ["3", "pending"],
    ["4", "blocked"],
    ["004", "satisfied"],
    ["10", "satisfied"],
  ]);
  const cases: [string, TaskDependencies | undefined, DependencyVerdict][] = [
    ["no dependencies", undefined, { state: "satisfied", blockedTaskIds: [] }],
    ["empty lists", { taskIds: [], taskIdRanges: [] }, { state: "satisfied", blockedTaskIds: [] }],
    ["satisfied id", { taskIds: ["SETUP"] }, { state: "satisfied", blockedTaskIds: [] }],
    ["pending id", { taskIds: ["3"] }, { state: "pending", blockedTaskIds: [] }],
    ["missing id", { taskIds: ["x"] }, { state: "pending", blockedTaskIds: [] }],
    ["satisfied range", { taskIdRanges: [{ start: 1, end: 2 }] }, { state: "satisfied", blockedTaskIds: [] }],
    ["range over a pending task", { taskIdRanges: [{ start: 1, end: 3 }] }, { state: "pending", blockedTaskIds: [] }],
    ["range over a number two ids share, one blocked", { taskIdRanges: [{ start: 4, end: 4 }] }, { state: "blocked", blockedTaskIds: ["4"] }],
    ["range with gaps", { taskIdRanges: [{ start: 9, end: 11 }] }, { state: "pending", blockedTaskIds: [] }],
    ["empty range (end < start)", { taskIdRanges: [{ start: 5, end: 4 }] }, { state: "satisfied", blockedTaskIds: [] }],
    ["blocked named twice is listed once", { taskIds: ["4"], taskIdRanges: [{ start: 1, end: 10 }] }, { state: "blocked", blockedTaskIds: ["4"] }],
  ];
  for (const [name, dependsOn, expected] of cases) {
    it(name, () => assert.deepEqual(evaluateDependencies(dependsOn, index), expected));
  }

  it("follows updates, deletions and re-spelled ids", () => {
    const live = createDependencyIndex();
    const range = { taskIdRanges: [{ start: 1, end: 3 }] };
    live.set("1", "satisfied");
    live.set("2", "satisfied");
    assert.equal(evaluateDependencies(range, live).state, "pending");
    live.set("3", "pending");
    assert.equal(evaluateDependencies(range, live).state, "pending");
    live.set("3", "satisfied");
    assert.equal(evaluateDependencies(range, live).state, "satisfied");
    live.set("2", "blocked");
    assert.deepEqual(evaluateDependencies(range, live), { state: "blocked", blockedTaskIds: ["2"] });
    live.delete("2");
    assert.equal(evaluateDependencies(range, live).state, "pending");
    live.set("02", "satisfied");
    assert.equal(evaluateDependencies(range, live).state, "satisfied");
    live.set("Abc", "pending");
    live.set("ABC", "satisfied");
    assert.equal(live.size, 4);
    assert.equal(live.stateOf("abc"), "satisfied");
    assert.equal(live.stateOf("nope"), "missing");
  });

  it("answers large ranges without walking them", () => {
    const big = createDependencyIndex(Array.from({ length: 50_000 }, (_, i): [string, ParentState] => [String(i + 1), "satisfied"]));
    assert.equal(evaluateDependencies({ taskIdRanges: [{ start: 1, end: 50_000 }] }, big).state, "satisfied");
    assert.equal(evaluateDependencies({ taskIdRanges: [{ start: 1, end: 2_000_000_000 }] }, big).state, "pending");
  });
});

describe("dependency helpers", () => {
  it("taskIdNumber reads decimal integers only", () => {
    const cases: [string, number | undefined][] = [
      ["4", 4], ["04", 4], ["004", 4], ["0", 0], ["-0", 0], ["-7", -7], ["5flamingoes", undefined], ["", undefined],
      ["1e3", undefined], [" 1", undefined], ["99999999999999999999", undefined],
    ];
    for (const [id, expected] of cases) assert.equal(taskIdNumber(id), expected, id);
  });

  it("dependencyParents lists ids then range numbers", () => {
    assert.deepEqual([...dependencyParents({ taskIds: ["a", "B"], taskIdRanges: [{ start: 3, end: 5 }, { start: 9, end: 9 }] })], [
      "a", "B", "3", "4", "5", "9",
    ]);
    assert.deepEqual([...dependencyParents(undefined)], []);
  });

  it("dependsOnTask matches ids case-insensitively and numbers in ranges", () => {
    const dependsOn: TaskDependencies = { taskIds: ["Setup"], taskIdRanges: [{ start: 10, end: 20 }] };
    const cases: [string, boolean][] = [["setup", true], ["SETUP", true], ["other", false], ["15", true], ["010", true], ["21", false], ["15x", false]];
    for (const [taskId, expected] of cases) assert.equal(dependsOnTask(dependsOn, taskId), expected, taskId);
    assert.equal(dependsOnTask(undefined, "x"), false);
  });
});
