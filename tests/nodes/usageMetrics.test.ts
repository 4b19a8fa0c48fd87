/**
 * Pool_ListUsageMetrics from real node allocations, on a server whose clock the test moves: core-hours per pool and
 * 30-minute interval, the latest-interval default, starttime/endtime windows, `$filter` on poolId, paging, deleted
 * pools, and the validation of starttime/endtime. Figures are read through the raw protocol and the Python SDK.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { apiVersion, batchErrorCode, batchRequest, type BatchResponse } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const run = promisify(execFile);
const account = testAccounts.alpha;
const script = fileURLToPath(new URL("../../conformance/python/usage_metrics.py", import.meta.url));

interface Metric {
  poolId: string;
  startTime: string;
  endTime: string;
  vmSize: string;
  totalCoreHours: number;
}

/** The server's clock: stands still until the test moves it. */
let current = Date.parse("2024-03-05T10:05:00.000Z");
const at = (time: string) => {
  current = Date.parse(time);
};


function pool(id: string, vmSize: string, targetDedicatedNodes: number) {
  return {
    id,
    vmSize,
    virtualMachineConfiguration: {
      imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
      nodeAgentSKUId: "batch.node.ubuntu 22.04",
    },
    targetDedicatedNodes,
  };
}

/** Rounds figures so float sums compare. */
function rounded(metrics: Metric[]): Metric[] {
  return metrics.map((metric) => ({ ...metric, totalCoreHours: Math.round(metric.totalCoreHours * 1e6) / 1e6 }));
}

const row = (poolId: string, startTime: string, endTime: string, vmSize: string, totalCoreHours: number): Metric => ({
  poolId, startTime, endTime, vmSize, totalCoreHours: Math.round(totalCoreHours * 1e6) / 1e6,
});

describe("pool usage metrics", () => {
  let server: TestServer;

  const request = (options: { method?: string; path: string; body?: object }): Promise<BatchResponse> =>
    batchRequest(server.url, { ...options, account, date: new Date(current) });

  async function metrics(query = ""): Promise<Metric[]> {
    const response = await request({ path: `/poolusagemetrics?api-version=${apiVersion}${query}` });
    assert.equal(response.status, 200, response.text);
    assert.match(response.json["odata.metadata"], /\/\$metadata#poolusagemetrics$/);
    return rounded(response.json.value as Metric[]);
  }

  async function python(args: string[]): Promise<{ metrics: Metric[]; pageSizes: number[] }> {
    const { stdout } = await run("/usr/bin/python3", [script, server.url, account.name, account.key, ...args], {
      timeout: 60_000,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    const result = JSON.parse(stdout);
    assert.equal(result.ok, true, stdout);
    return { metrics: result.metrics as Metric[], pageSizes: result.pageSizes as number[] };
  }

  async function nodeStates(poolId: string): Promise<string[]> {
    const response = await request({ path: `/pools/${poolId}/nodes?api-version=${apiVersion}` });
    assert.equal(response.status, 200, response.text);
    return (response.json.value as { state: string }[]).map((node) => node.state);
  }

  before(async () => {
    server = await startTestServer({
      clock: { now: () => new Date(current) },
      // The Python SDK signs with the real time; the server's clock is in 2024.
      clockSkewInSeconds: 20 * 365 * 24 * 3600,
      // The clock jumps by half hours: no agent may be declared lost for it.
      nodeHeartbeatTimeoutInSeconds: 100_000,
      agentHeartbeatIntervalInSeconds: 1,
    });
  });
  after(() => server.dispose());

  it("reports the core-hours of allocated nodes per pool and 30-minute interval", async () => {
    // 10:05 — pool "usage-a": 2 nodes of 2 cores; pool "usage-b": 1 node of 1 core.
    at("2024-03-05T10:05:00.000Z");
    for (const body of [pool("usage-a", "STANDARD_D2s_v3", 2), pool("usage-b", "standard_a1_v2", 1)]) {
      const created = await request({ method: "POST", path: `/pools?api-version=${apiVersion}`, body });
      assert.equal(created.status, 201, created.text);
    }
    await waitFor("the nodes to be idle", async () => {
      const [a, b] = [await nodeStates("usage-a"), await nodeStates("usage-b")];
      return a.length === 2 && b.length === 1 && [...a, ...b].every((state) => state === "idle") ? true : undefined;
    });
    // Nothing complete yet: the 10:00 interval is still running.
    assert.deepEqual(await metrics(), []);

    // 10:20 — usage-a shrinks to 1 node; the other is released once its agent has removed it.
    at("2024-03-05T10:20:00.000Z");
    const resized = await request({ method: "POST", path: `/pools/usage-a/resize?api-version=${apiVersion}`, body: { targetDedicatedNodes: 1 } });
    assert.equal(resized.status, 202, resized.text);
    await waitFor("one node to leave usage-a", async () => ((await nodeStates("usage-a")).length === 1 ? true : undefined));

    // 10:45 — the latest complete interval is 10:00–10:30.
    at("2024-03-05T10:45:00.000Z");
    const first = [
      // 25 min × 2 cores (the node that stays) + 15 min × 2 cores (the one that left at 10:20)
      row("usage-a", "2024-03-05T10:00:00.0000000Z", "2024-03-05T10:30:00.0000000Z", "standard_d2s_v3", (25 / 60) * 2 + (15 / 60) * 2),
      row("usage-b", "2024-03-05T10:00:00.0000000Z", "2024-03-05T10:30:00.0000000Z", "standard_a1_v2", 25 / 60),
    ];
    assert.deepEqual(await metrics(), first);

    // 11:10 — the latest complete interval is now 10:30–11:00, a whole half hour for each remaining node.
    at("2024-03-05T11:10:00.000Z");
    const second = [
      row("usage-a", "2024-03-05T10:30:00.0000000Z", "2024-03-05T11:00:00.0000000Z", "standard_d2s_v3", 1),
      row("usage-b", "2024-03-05T10:30:00.0000000Z", "2024-03-05T11:00:00.0000000Z", "standard_a1_v2", 0.5),
    ];
    assert.deepEqual(await metrics(), second);

    // An explicit window: every complete interval it overlaps, in interval then pool order.
    const window = `&starttime=${encodeURIComponent("2024-03-05T10:00:00Z")}&endtime=${encodeURIComponent("2024-03-05T11:00:00Z")}`;
    assert.deepEqual(await metrics(window), [...first, ...second]);
    // starttime alone runs to the latest complete interval; a window inside one interval reports it whole.
    assert.deepEqual(await metrics(`&starttime=${encodeURIComponent("2024-03-05T10:10:00.000Z")}`), [...first, ...second]);
    assert.deepEqual(await metrics(`&starttime=2024-03-05T10:40:00Z&endtime=2024-03-05T10:50:00Z`), second);
    // endtime alone: the one interval ending there.
    assert.deepEqual(await metrics(`&endtime=2024-03-05T10:30:00Z`), first);
    // Intervals not complete yet are not reported.
    assert.deepEqual(await metrics(`&starttime=2024-03-05T11:00:00Z&endtime=2024-03-05T12:00:00Z`), []);

    // $filter on poolId.
    assert.deepEqual(await metrics(`${window}&$filter=${encodeURIComponent("poolId eq 'USAGE-A'")}`), [first[0], second[0]]);
    assert.deepEqual(await metrics(`${window}&$filter=${encodeURIComponent("startswith(poolId,'usage-b')")}`), [first[1], second[1]]);
    assert.deepEqual(await metrics(`${window}&$filter=${encodeURIComponent("poolId gt 'usage-a'")}`), [first[1], second[1]]);

    // The Python SDK: the same figures, and paging through odata.nextLink.
    const sdk = await python(["--start-time", "2024-03-05T10:00:00Z", "--end-time", "2024-03-05T11:00:00Z", "--max-results", "3"]);
    assert.deepEqual(sdk.pageSizes, [3, 1]);
    assert.deepEqual(
      rounded(sdk.metrics),
      [...first, ...second].map((metric) => ({ ...metric, startTime: metric.startTime.replace(/\.0000000Z$/, "Z"), endTime: metric.endTime.replace(/\.0000000Z$/, "Z") })),
    );
    const filtered = await python(["--filter", "poolId eq 'usage-b'"]);
    assert.deepEqual(rounded(filtered.metrics).map((metric) => [metric.poolId, metric.startTime, metric.totalCoreHours]), [["usage-b", "2024-03-05T10:30:00Z", 0.5]]);
  });

  it("keeps reporting a deleted pool's usage", async () => {
    // 11:10 — usage-b is deleted; its node is released when its agent has removed it.
    at("2024-03-05T11:10:00.000Z");
    const deleted = await request({ method: "DELETE", path: `/pools/usage-b?api-version=${apiVersion}` });
    assert.equal(deleted.status, 202, deleted.text);
    await waitFor("usage-b to be gone", async () => {
      const response = await request({ path: `/pools/usage-b?api-version=${apiVersion}` });
      return response.status === 404 ? true : undefined;
    });
    at("2024-03-05T11:40:00.000Z");
    assert.deepEqual(await metrics(), [
      row("usage-a", "2024-03-05T11:00:00.0000000Z", "2024-03-05T11:30:00.0000000Z", "standard_d2s_v3", 1),
      row("usage-b", "2024-03-05T11:00:00.0000000Z", "2024-03-05T11:30:00.0000000Z", "standard_a1_v2", 10 / 60),
    ]);
  });

  it("refuses malformed or reversed starttime/endtime, naming the parameter", async () => {
    const cases: [string, string][] = [
      ["&starttime=yesterday", "starttime"],
      ["&endtime=2024-13-45T99:00:00Z", "endtime"],
      ["&starttime=2024-03-05T11:00:00Z&endtime=2024-03-05T10:00:00Z", "endtime"],
      ["&starttime=2024-03-05T10:00:00Z&endtime=2024-03-05T10:00:00Z", "endtime"],
    ];
    for (const [query, parameter] of cases) {
      const response = await request({ path: `/poolusagemetrics?api-version=${apiVersion}${query}` });
      assert.equal(response.status, 400, `${query}: ${response.text}`);
      assert.equal(batchErrorCode(response), "InvalidQueryParameterValue", query);
      assert.equal(response.json.values.find((entry: { key: string }) => entry.key === "QueryParameterName")?.value, parameter, query);
    }
    const badFilter = await request({ path: `/poolusagemetrics?api-version=${apiVersion}&$filter=${encodeURIComponent("vmSize eq 'x'")}` });
    assert.equal(badFilter.status, 400, badFilter.text);
  });
});
