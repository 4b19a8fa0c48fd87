/**
 * The external provider: nothing is started here. Agents started by hand on other machines
 * (`openbatch agent --server URL --join-token T --nodes N`) join the pool (nodes/agentJoin.ts), and the reconciler
 * gives each as many new nodes as it offered while the pool's targets want more. Missing nodes keep the pool
 * `resizing` until its `resizeTimeout`, which then records Azure's `AllocationTimedOut` resize error; joiners beyond
 * the targets are refused. The server cannot restart such an agent: a silent one leaves its nodes `unknown` until it
 * comes back.
 */
import type { ComputeProvider } from "../computeProvider.js";
import { checkLocalPoolCapabilities } from "../poolCapabilities.js";

export function createExternalProvider(): ComputeProvider {
  return {
    kind: "external",
    placement: { kind: "joined" },
    // Joined hosts run the same agent as local nodes: the same Linux-only rules apply; a joined agent reports its
    // own container runtime and makes its nodes unusable without one.
    checkPool: (pool) => checkLocalPoolCapabilities(pool, { available: true }),
    async startAgent() {},
    async isAgentGone() {
      return undefined;
    },
    async close() {},
  };
}
