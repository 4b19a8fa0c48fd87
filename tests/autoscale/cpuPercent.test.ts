import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiVersion, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { ubuntuVm } from "../support/pools.js";
import { waitFor } from "../support/waitFor.js";

const account = testAccounts.alpha;

describe("$CPUPercent from the agents' measurements", () => {
  let server: TestServer;
  const call = (method: string, path: string, body?: object) =>
    batchRequest(server.url, { method, path: `${path}?api-version=${apiVersion}`, account, ...(body === undefined ? {} : { body }) });

  before(async () => {
    server = await startTestServer({ agentHeartbeatIntervalInSeconds: 1 });
  });
  after(() => server.dispose());

  it("samples the host CPU use the agents report, and a formula reads it", async () => {
    const created = await call("POST", "/pools", {
      id: "cpu", vmSize: "Standard_D2s_v3", enableAutoScale: true, autoScaleFormula: "$TargetDedicatedNodes = 1",
      virtualMachineConfiguration: ubuntuVm,
    });
    assert.equal(created.status, 201, created.text);
    await waitFor("the node to be idle", async () => ((await call("GET", "/pools/cpu/nodes")).json.value[0]?.state === "idle" ? true : undefined));
    const results = await waitFor("a CPU sample", async () => {
      const evaluated = await call("POST", "/pools/cpu/evaluateautoscale", { autoScaleFormula: "cpu = avg($CPUPercent.GetSample(1)); $TargetDedicatedNodes = 1" });
      return evaluated.status === 200 && /cpu=/.test(evaluated.json.results) ? (evaluated.json.results as string) : undefined;
    }, 30_000, 500);
    const cpu = Number(/cpu=([0-9.]+)/.exec(results)?.[1]);
    assert.ok(cpu >= 0 && cpu <= 100, results);
  });
});
