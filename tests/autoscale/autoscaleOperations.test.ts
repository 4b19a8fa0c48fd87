/**
 * Autoscale through the REST API on a real server with our own clock and no agents (nodes stay `creating`, tasks
 * stay `active`): enable/disable/evaluate rules, evaluation at creation and every interval, metric samples that
 * survive a restart, and the simulator replaying the recorded history to the same targets.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseHistoryDocument, simulate } from "@openbatch/autoscale";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;
const image = { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" };
const minute = 60_000;

describe("autoscale operations", () => {
  let server: TestServer;
  let now = new Date("2026-01-05T10:00:00.000Z");
  let dataDir: string;
  const start = () => startTestServer({ localAgentEntry: undefined, clock: { now: () => now }, autoscaleTickInMs: 50, nodeHeartbeatTimeoutInSeconds: 86_400, ...(dataDir === undefined ? {} : { keepDataDir: dataDir }) });
  before(async () => {
    server = await start();
    dataDir = server.dataDir;
  });
  after(() => server.dispose());

  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`, account, date: now, ...(body === undefined ? {} : { body }) });
  const addPool = (id: string, extra: object) => call("POST", "/pools", { id, vmSize: "Standard_D2s_v3", virtualMachineConfiguration: image, ...extra });

  it("a pool created with autoscale is evaluated at once and shows its autoScaleRun", async () => {
    const created = await addPool("as-created", { enableAutoScale: true, autoScaleFormula: "$TargetDedicatedNodes = 2; note = 1" });
    assert.equal(created.status, 201, created.text);
    const pool = (await call("GET", "/pools/as-created")).json;
    assert.equal(pool.enableAutoScale, true);
    assert.equal(pool.autoScaleEvaluationInterval, "PT15M");
    assert.equal(pool.targetDedicatedNodes, 2);
    assert.equal(pool.allocationState, "resizing");
    assert.equal(pool.autoScaleRun.results, "$TargetDedicatedNodes=2;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;note=1");
    assert.equal(pool.autoScaleRun.timestamp, "2026-01-05T10:00:00.0000000Z");
    await waitFor("two nodes", async () => ((await call("GET", "/pools/as-created/nodes")).json.value.length === 2 ? true : undefined));
  });

  it("refuses bad settings at creation with the service's codes, creating nothing", async () => {
    const syntax = await addPool("as-bad", { enableAutoScale: true, autoScaleFormula: "$TargetDedicatedNodes = (1 +" });
    assert.equal(syntax.status, 400);
    assert.equal(syntax.json.code, "AutoScalingFormulaSyntaxError");
    assert.match(syntax.json.values.find((v: { key: string }) => v.key === "Message").value, /^Line 1, Col 29: /);
    const long = await addPool("as-bad", { enableAutoScale: true, autoScaleFormula: `x = 1;${" ".repeat(8200)}` });
    assert.equal(long.json.code, "AutoScalingFormulaTooLong");
    const interval = await addPool("as-bad", { enableAutoScale: true, autoScaleFormula: "x = 1", autoScaleEvaluationInterval: "PT4M" });
    assert.equal(interval.status, 400);
    assert.equal(interval.json.code, "InvalidPropertyValue");
    assert.ok(interval.json.values.some((v: { value: string }) => v.value === "autoScaleEvaluationInterval"));
    const longInterval = await addPool("as-bad", { enableAutoScale: true, autoScaleFormula: "x = 1", autoScaleEvaluationInterval: "PT169H" });
    assert.equal(longInterval.json.code, "InvalidPropertyValue");
    const targets = await addPool("as-bad", { enableAutoScale: true, autoScaleFormula: "x = 1", targetDedicatedNodes: 1 });
    assert.equal(targets.status, 400);
    assert.equal((await call("GET", "/pools/as-bad")).status, 404);
  });

  it("enable, evaluate and disable follow the service's rules", async () => {
    assert.equal((await addPool("as-ops", { targetDedicatedNodes: 0 })).status, 201);
    const notEnabled = await call("POST", "/pools/as-ops/evaluateautoscale", { autoScaleFormula: "$TargetDedicatedNodes = 1" });
    assert.equal(notEnabled.status, 409);
    assert.equal(notEnabled.json.code, "OperationNotValidOnPool");
    const noFormula = await call("POST", "/pools/as-ops/enableautoscale", {});
    assert.equal(noFormula.status, 400);
    assert.equal(noFormula.json.code, "MissingRequiredProperty");

    const enabled = await call("POST", "/pools/as-ops/enableautoscale", { autoScaleFormula: "$TargetDedicatedNodes = 0; $NodeDeallocationOption = terminate", autoScaleEvaluationInterval: "PT5M" });
    assert.equal(enabled.status, 200, enabled.text);
    assert.ok(enabled.headers.get("etag"));
    let pool = (await call("GET", "/pools/as-ops")).json;
    assert.equal(pool.enableAutoScale, true);
    assert.equal(pool.autoScaleEvaluationInterval, "PT5M");
    assert.equal(pool.autoScaleRun.results, "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=terminate");

    const tooSoon = await call("POST", "/pools/as-ops/enableautoscale", { autoScaleFormula: "$TargetDedicatedNodes = 0" });
    assert.equal(tooSoon.status, 503);
    assert.equal(tooSoon.json.code, "TooManyEnableAutoScaleRequests");

    const resize = await call("POST", "/pools/as-ops/resize", { targetDedicatedNodes: 3 });
    assert.equal(resize.status, 409, "no manual resize of an autoscale pool");

    const evaluated = await call("POST", "/pools/as-ops/evaluateautoscale", { autoScaleFormula: "$TargetLowPriorityNodes = 4; b = 2; a = time()" });
    assert.equal(evaluated.status, 200, evaluated.text);
    assert.equal(evaluated.json.results, "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=4;$NodeDeallocationOption=requeue;a=2026-01-05T10:00:00.000Z;b=2");
    assert.equal((await call("GET", "/pools/as-ops")).json.targetLowPriorityNodes, 0, "evaluate changes nothing");

    const failing = await call("POST", "/pools/as-ops/evaluateautoscale", { autoScaleFormula: "$TargetDedicatedNodes = avg($PendingTasks.GetSample(TimeInterval_Minute * 10, 90))" });
    assert.equal(failing.status, 200);
    assert.equal(failing.json.error.code, "InsufficientSampleData");
    assert.equal(failing.json.error.message, "Autoscale evaluation failed due to insufficient sample data");
    assert.match(failing.json.error.values[0].value, /^Line 1, Col 43: Insufficient data from data set: \$PendingTasks wanted 90%, received 5%$/);

    const syntax = await call("POST", "/pools/as-ops/evaluateautoscale", { autoScaleFormula: "x = = 1" });
    assert.equal(syntax.status, 400);
    assert.equal(syntax.json.code, "AutoScalingFormulaSyntaxError");

    // 30 s later a new interval is accepted and the formula kept.
    now = new Date(now.getTime() + 31_000);
    const again = await call("POST", "/pools/as-ops/enableautoscale", { autoScaleEvaluationInterval: "PT10M" });
    assert.equal(again.status, 200, again.text);
    pool = (await call("GET", "/pools/as-ops")).json;
    assert.equal(pool.autoScaleFormula, "$TargetDedicatedNodes = 0; $NodeDeallocationOption = terminate");
    assert.equal(pool.autoScaleEvaluationInterval, "PT10M");
    assert.equal(pool.autoScaleRun.timestamp, "2026-01-05T10:00:31.0000000Z", "a new interval restarts the schedule at request time");

    const disabled = await call("POST", "/pools/as-ops/disableautoscale");
    assert.equal(disabled.status, 200, disabled.text);
    pool = (await call("GET", "/pools/as-ops")).json;
    assert.equal(pool.enableAutoScale, false);
    assert.equal(pool.autoScaleFormula, undefined);
    assert.equal((await call("POST", "/pools/as-ops/resize", { targetDedicatedNodes: 1 })).status, 202, "manual resize works again");
  });

  it("evaluates every interval from pending tasks, keeps samples across a restart, and the simulator replays them", async () => {
    const formula = "$TargetDedicatedNodes = min(5, max($PendingTasks.GetSample(1)));\nbusy = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 5)";
    assert.equal((await addPool("as-loop", { enableAutoScale: true, autoScaleFormula: formula, autoScaleEvaluationInterval: "PT5M" })).status, 201);
    const firstRun = (await call("GET", "/pools/as-loop")).json.autoScaleRun;
    assert.match(firstRun.results, /^\$TargetDedicatedNodes=0;/);

    assert.equal((await call("POST", "/jobs", { id: "as-job", poolInfo: { poolId: "as-loop" } })).status, 201);
    for (const id of ["t1", "t2", "t3"]) assert.equal((await call("POST", "/jobs/as-job/tasks", { id, commandLine: "/bin/true" })).status, 201);

    // Samples every 30 s of clock time, then the evaluation 5 minutes after the first.
    for (let step = 1; step <= 10; step++) {
      now = new Date(now.getTime() + 30_000);
      const at = now.getTime();
      await waitFor(`the pass at step ${step}`, async () => {
        const history = (await call("GET", "/pools/as-loop/autoscalehistory")).json;
        return history.series.$PendingTasks?.some((s: { time: string }) => Date.parse(s.time) === at) ? true : undefined;
      });
    }
    const grown = (await call("GET", "/pools/as-loop")).json;
    assert.equal(grown.targetDedicatedNodes, 3, grown.autoScaleRun.results ?? JSON.stringify(grown.autoScaleRun.error));
    assert.equal(grown.autoScaleRun.timestamp.slice(0, 19), new Date(now).toISOString().slice(0, 19));

    // The samples are stored: a restarted server sees them.
    await server.close();
    server = await start();
    const history = (await call("GET", "/pools/as-loop/autoscalehistory")).json;
    assert.ok(history.series.$PendingTasks.length >= 11, `samples after restart: ${history.series.$PendingTasks.length}`);
    assert.equal(history.series.$CurrentDedicatedNodes.length, history.series.$PendingTasks.length);

    // Tasks finish (deleted here: no agents), the next evaluation shrinks the pool.
    for (const id of ["t1", "t2", "t3"]) assert.equal((await call("DELETE", `/jobs/as-job/tasks/${id}`)).status, 200);
    now = new Date(now.getTime() + 5 * minute);
    const shrunk = await waitFor("the evaluation after the tasks went", async () => {
      const pool = (await call("GET", "/pools/as-loop")).json;
      return pool.autoScaleRun.timestamp.startsWith(now.toISOString().slice(0, 19)) ? pool : undefined;
    });
    assert.equal(shrunk.targetDedicatedNodes, 0);

    // The simulator, given the recorded history and the instants the server evaluated at, decides the same.
    const recorded = parseHistoryDocument((await call("GET", "/pools/as-loop/autoscalehistory")).json);
    assert.ok(recorded.evaluations.length >= 3);
    const steps = simulate(formula, recorded.history, { evaluationTimesMs: recorded.evaluations.map((e) => Date.parse(e.time)) });
    assert.deepEqual(
      steps.map((step) => [step.targetDedicatedNodes, step.ok ? step.results : step.error.code]),
      recorded.evaluations.map((e) => [e.targetDedicatedNodes, e.results ?? e.error?.code]),
    );
    assert.deepEqual(recorded.evaluations.map((e) => e.targetDedicatedNodes), [0, 3, 0]);
  });
});
