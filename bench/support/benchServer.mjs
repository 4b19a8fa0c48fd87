// Shared by the benchmarks: a real server on a temporary data directory, signed requests, a local pool, cleanup.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "@openbatch/server";
import { batchRequest } from "../../tests/dist/support/batchRequest.js";
import { removeTaskAccounts } from "../../tests/dist/support/taskAccounts.js";

export const api = "api-version=2024-02-01.19.0";

export async function startBenchServer(options = {}) {
  const key = Buffer.from("benchmark-account-key-0123456789").toString("base64");
  const account = { name: "benchacct", key };
  const dataDir = mkdtempSync(join(tmpdir(), "openbatch-bench-"));
  const server = await startServer({
    port: 0, dataDir, logLevel: "silent", accounts: [`${account.name}:${key}`],
    localAgentEntry: fileURLToPath(import.meta.resolve("@openbatch/agent/main")),
    taskIsolation: process.env.TASK_ISOLATION !== "off",
    ...options,
  });
  const request = (requestOptions) => batchRequest(server.url, { account, ...requestOptions });
  return {
    server,
    dataDir,
    account,
    request,
    async pool(id, nodes, slotsPerNode, vmSize = "Standard_D4s_v3") {
      const added = await request({
        method: "POST", path: `/pools?${api}`,
        body: {
          id, vmSize, targetDedicatedNodes: nodes, taskSlotsPerNode: slotsPerNode,
          virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" },
        },
      });
      if (added.status !== 201) throw new Error(added.text);
      await until(async () => {
        const list = await request({ path: `/pools/${id}/nodes?${api}` });
        return list.json.value.length === nodes && list.json.value.every((node) => node.state === "idle");
      });
    },
    async close() {
      await server.close();
      spawnSync("pkill", ["-KILL", "-f", "--", `--data-dir ${join(dataDir, "nodes")}`]);
      // As root, the tasks' OS accounts go with the agents (docs/security.md).
      removeTaskAccounts(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function until(probe, intervalInMs = 20) {
  for (;;) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalInMs));
  }
}

export function percentile(sorted, fraction) {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}
