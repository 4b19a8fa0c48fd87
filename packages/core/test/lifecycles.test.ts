import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  allocationMachine, certificateMachine, jobMachine, jobScheduleMachine, nextNodeState, nodeMachine, poolMachine, taskMachine, transitionProblem,
  type ComputeNodeStateValue, type NodeLifecycleInput, type StateMachine,
} from "../src/index.js";

const machines: StateMachine<string, string>[] = [taskMachine, jobMachine, jobScheduleMachine, poolMachine, allocationMachine, nodeMachine, certificateMachine];

describe("state machines", () => {
  it("name only their own states", () => {
    for (const machine of machines) {
      const states = new Set(machine.states);
      for (const state of machine.initial) assert.ok(states.has(state), `${machine.name}: initial ${state}`);
      for (const [event, rule] of Object.entries(machine.transitions)) {
        for (const state of [...rule.from, ...rule.to]) assert.ok(states.has(state), `${machine.name} ${event}: ${state}`);
        assert.ok(rule.from.length > 0 && rule.to.length > 0, `${machine.name} ${event} has both ends`);
      }
    }
  });

  it("allow a change only from and to the states its rule names", () => {
    assert.equal(transitionProblem(taskMachine, "requeue", "running", "active"), undefined);
    assert.equal(transitionProblem(taskMachine, "requeue", "completed", "active"), "a task cannot requeue from completed");
    assert.equal(transitionProblem(taskMachine, "complete", "running", "active"), "a task that does complete cannot become active");
    assert.equal(transitionProblem(jobMachine, "enable", "disabled", "active"), undefined);
    assert.equal(transitionProblem(jobMachine, "enable", "completed", "active"), "a job cannot enable from completed");
    assert.equal(transitionProblem(jobMachine, "scheduleTerminated", "deleting", "completed"), "a job cannot scheduleTerminated from deleting");
    assert.equal(transitionProblem(certificateMachine, "cancelDeletion", "active", "deletefailed"), "a certificate cannot cancelDeletion from active");
  });

  it("treat creation by the initial states, and an unchanged state as no transition", () => {
    assert.equal(transitionProblem(taskMachine, "place", undefined, "active"), undefined);
    assert.equal(transitionProblem(taskMachine, "place", undefined, "running"), "a task cannot be created running");
    assert.equal(transitionProblem(jobMachine, "end", undefined, "completed"), undefined);
    assert.equal(transitionProblem(nodeMachine, "place", "running", "running"), undefined);
  });

  it("allow every node state an agent report can lead to (nextNodeState over its inputs)", () => {
    // Only states something leads to (`upgradingos` is never entered by this server).
    const reachable = new Set<ComputeNodeStateValue>([...nodeMachine.initial, ...Object.values(nodeMachine.transitions).flatMap((rule) => rule.to)]);
    const states = nodeMachine.states.filter((state) => reachable.has(state));
    assert.ok(!states.includes("upgradingos") && states.includes("leavingpool"));
    const outcomes = [
      undefined,
      { attempt: 1, state: "running" as const, startTime: "t" },
      { attempt: 1, state: "completed" as const, startTime: "t", exitCode: 0 },
      { attempt: 1, state: "completed" as const, startTime: "t", exitCode: 1 },
    ];
    let checked = 0;
    for (const state of states) {
      for (const phase of ["preparing", "ready", "removed"] as const) {
        for (const reportedGeneration of [0, 1]) {
          for (const startTask of [undefined, {}, { waitForSuccess: false }, { maxTaskRetryCount: 1 }]) {
            for (const outcome of outcomes) {
              for (const runningTasks of [0, 1]) {
                for (const schedulingEnabled of [true, false]) {
                  for (const hasErrors of [false, true]) {
                    for (const restartPending of [false, true]) {
                      const input: NodeLifecycleInput = {
                        state, desiredGeneration: 1, reportedGeneration, phase, startTask, startTaskAttempt: 1, outcome, runningTasks, schedulingEnabled, hasErrors, restartPending,
                      };
                      const next = nextNodeState(input).state;
                      assert.equal(transitionProblem(nodeMachine, "agentReport", state, next), undefined, `${JSON.stringify(input)} → ${next}`);
                      checked++;
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    assert.ok(checked > 10_000);
  });
});
