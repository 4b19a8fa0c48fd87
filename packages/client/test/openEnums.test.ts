import assert from "node:assert/strict";
import { it } from "node:test";
import type { CloudPool, ComputeNode, ComputeNodeState, KnownComputeNodeState } from "../src/index.js";

// Compile-time checks: these lines would not type-check if the client's enums were closed.
const fromNewerService: ComputeNode = { id: "tvm-1", state: "hibernating", schedulingState: "paused" };
const pool: CloudPool = { id: "p", allocationState: "rebalancing", virtualMachineConfiguration: { imageReference: {}, nodeAgentSKUId: "x", osDisk: { caching: "writeback" } } };

it("accepts enum values a newer service may send, and still names the known ones", () => {
  const state: ComputeNodeState | undefined = fromNewerService.state;
  assert.equal(state, "hibernating");
  assert.equal(pool.allocationState, "rebalancing");
  const known: KnownComputeNodeState[] = ["idle", "running", "upgradingos"];
  assert.equal(known.length, 3);
});
