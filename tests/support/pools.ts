/** The image every local test pool uses (the local provider runs any Linux image the catalogue lists). */
export const ubuntuVm = {
  imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
  nodeAgentSKUId: "batch.node.ubuntu 22.04",
} as const;
