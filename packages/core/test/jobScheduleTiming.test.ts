import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideSchedule, firstRunTime, SimulatedClock, type ScheduleDecision, type ScheduleTiming } from "../src/index.js";

const t = (minutes: number) => new Date(Date.UTC(2030, 0, 1) + minutes * 60_000);
const m = (minutes: number) => minutes * 60_000;

function summary(decision: ScheduleDecision): string {
  switch (decision.kind) {
    case "complete":
      return "complete";
    case "wait":
      return `wait next=${decision.nextRunTime === undefined ? "-" : (decision.nextRunTime.getTime() - t(0).getTime()) / 60_000} wake=${decision.wakeAt === undefined ? "-" : (decision.wakeAt.getTime() - t(0).getTime()) / 60_000}`;
    case "createJob":
      return `create run=${(decision.runTime.getTime() - t(0).getTime()) / 60_000} next=${decision.nextRunTime === undefined ? "-" : (decision.nextRunTime.getTime() - t(0).getTime()) / 60_000}`;
  }
}

describe("job schedule timing", () => {
  const recurring: ScheduleTiming = { recurrenceIntervalInMs: m(1) };
  const cases: [string, ScheduleTiming, number | undefined, boolean, number, string][] = [
    ["not due yet", recurring, 5, false, 4, "wait next=5 wake=5"],
    ["due, no active job", recurring, 5, false, 5, "create run=5 next=6"],
    ["due, a job still active: wait until the window (= interval) closes", recurring, 5, true, 5.5, "wait next=5 wake=6"],
    ["window closed while the job ran: that occurrence is skipped", recurring, 5, true, 6.5, "wait next=6 wake=7"],
    ["many windows closed at once", recurring, 5, false, 9.25, "create run=9 next=10"],
    ["short start window missed", { recurrenceIntervalInMs: m(10), startWindowInMs: m(1) }, 0, false, 2, "wait next=10 wake=10"],
    ["no more runs after doNotRunAfter, before the deadline", { ...recurring, doNotRunAfter: t(2.5) }, 2, false, 2, "create run=2 next=-"],
    ["recurring: waits for the deadline", { ...recurring, doNotRunAfter: t(2.5) }, undefined, false, 2.2, "wait next=- wake=2.5000166666666668"],
    ["recurring: completes after the deadline", { ...recurring, doNotRunAfter: t(2.5) }, undefined, false, 3, "complete"],
    ["recurring: after the deadline, waits for its active job", { ...recurring, doNotRunAfter: t(2.5) }, undefined, true, 3, "wait next=- wake=-"],
    ["one-shot: due", {}, 0, false, 0, "create run=0 next=-"],
    ["one-shot: job done", {}, undefined, false, 1, "complete"],
    ["one-shot: job running", {}, undefined, true, 1, "wait next=- wake=-"],
    ["one-shot: unlimited window waits for ever", {}, 0, false, 100_000, "create run=0 next=-"],
    ["one-shot: window missed", { startWindowInMs: m(1) }, 0, false, 1, "complete"],
  ];
  for (const [name, timing, next, active, now, expected] of cases) {
    it(name, () => {
      assert.equal(summary(decideSchedule({ timing, nextRunTime: next === undefined ? undefined : t(next), hasActiveJob: active, now: t(now) })), expected);
    });
  }

  it("first run: doNotRunUntil or now, then the rhythm of the last run", () => {
    assert.deepEqual(firstRunTime({}, t(3)), t(3));
    assert.deepEqual(firstRunTime({ doNotRunUntil: t(7) }, t(3)), t(7));
    assert.deepEqual(firstRunTime({ doNotRunUntil: t(7), doNotRunAfter: t(5) }, t(3)), undefined);
    assert.deepEqual(firstRunTime({ recurrenceIntervalInMs: m(2) }, t(3), t(2)), t(4));
    assert.deepEqual(firstRunTime({}, t(3), t(2)), undefined, "a one-shot schedule that ran has no further run");
  });

  it("a simulated clock moves only forward and announces each move", () => {
    const clock = new SimulatedClock(t(0));
    let moves = 0;
    const stop = clock.onAdvance(() => moves++);
    clock.advance(m(1));
    assert.deepEqual(clock.now(), t(1));
    assert.throws(() => clock.set(t(0)), RangeError);
    stop();
    clock.advance(1);
    assert.equal(moves, 1);
  });
});
