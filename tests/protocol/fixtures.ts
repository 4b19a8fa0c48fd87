/** Request bodies shared by the protocol tests. */
export function poolBody(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    vmSize: "standard_d2s_v3",
    virtualMachineConfiguration: {
      imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts", version: "latest" },
      nodeAgentSKUId: "batch.node.ubuntu 22.04",
    },
    targetDedicatedNodes: 0,
    ...overrides,
  };
}
