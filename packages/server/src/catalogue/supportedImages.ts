/**
 * The images this server offers (Account_ListSupportedImages): the Marketplace images Azure Batch lists, with the
 * node agent SKU that goes with each. The local provider runs every Linux image on this machine's own OS;
 * Windows images are listed as the service lists them, and pools on them are refused by the provider.
 */
import type { ImageInformation } from "@openbatch/protocol";

type Entry = [nodeAgentSKUId: string, publisher: string, offer: string, sku: string, osType: "linux" | "windows", verification: "verified" | "unverified", capabilities: string[], endOfLife?: string];

const entries: Entry[] = [
  ["batch.node.ubuntu 24.04", "canonical", "ubuntu-24_04-lts", "server", "linux", "verified", [], "2029-05-31T00:00:00Z"],
  ["batch.node.ubuntu 22.04", "canonical", "0001-com-ubuntu-server-jammy", "22_04-lts", "linux", "verified", [], "2027-04-30T00:00:00Z"],
  ["batch.node.ubuntu 22.04", "canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "linux", "verified", [], "2027-04-30T00:00:00Z"],
  ["batch.node.ubuntu 22.04", "microsoft-dsvm", "ubuntu-hpc", "2204", "linux", "verified", ["NvidiaTeslaDriverInstalled"], "2027-04-30T00:00:00Z"],
  ["batch.node.ubuntu 20.04", "canonical", "0001-com-ubuntu-server-focal", "20_04-lts", "linux", "verified", [], "2025-04-23T00:00:00Z"],
  ["batch.node.ubuntu 20.04", "microsoft-azure-batch", "ubuntu-server-container", "20-04-lts", "linux", "verified", ["DockerCompatible", "NvidiaTeslaDriverInstalled"], "2025-04-23T00:00:00Z"],
  ["batch.node.ubuntu 20.04", "microsoft-dsvm", "ubuntu-hpc", "2004", "linux", "verified", ["NvidiaTeslaDriverInstalled"], "2025-04-23T00:00:00Z"],
  ["batch.node.debian 12", "debian", "debian-12", "12", "linux", "verified", [], "2028-06-30T00:00:00Z"],
  ["batch.node.debian 12", "debian", "debian-12", "12-gen2", "linux", "verified", [], "2028-06-30T00:00:00Z"],
  ["batch.node.debian 11", "debian", "debian-11", "11", "linux", "verified", [], "2026-06-30T00:00:00Z"],
  ["batch.node.el 9", "almalinux", "almalinux-x86_64", "9-gen2", "linux", "verified", [], "2032-05-31T00:00:00Z"],
  ["batch.node.el 9", "erockyenterprisesoftwarefoundationinc1653071250513", "rockylinux-9", "rockylinux-9", "linux", "verified", [], "2032-05-31T00:00:00Z"],
  ["batch.node.el 8", "almalinux", "almalinux-hpc", "8_7-hpc-gen2", "linux", "verified", ["NvidiaTeslaDriverInstalled"], "2029-05-31T00:00:00Z"],
  ["batch.node.el 8", "microsoft-azure-batch", "centos-container", "8-gen2", "linux", "unverified", ["DockerCompatible"]],
  ["batch.node.mariner 2.0", "microsoftcblmariner", "cbl-mariner", "cbl-mariner-2-gen2", "linux", "verified", [], "2025-07-31T00:00:00Z"],
  ["batch.node.azurelinux 3.0", "microsoftcblmariner", "azure-linux-3", "azure-linux-3-gen2", "linux", "verified", [], "2027-07-31T00:00:00Z"],
  ["batch.node.windows amd64", "microsoftwindowsserver", "windowsserver", "2022-datacenter", "windows", "verified", [], "2026-10-14T00:00:00Z"],
  ["batch.node.windows amd64", "microsoftwindowsserver", "windowsserver", "2022-datacenter-core-smalldisk", "windows", "verified", [], "2026-10-14T00:00:00Z"],
  ["batch.node.windows amd64", "microsoftwindowsserver", "windowsserver", "2019-datacenter", "windows", "verified", [], "2029-01-09T00:00:00Z"],
  ["batch.node.windows amd64", "microsoft-azure-batch", "windowsserver-container", "2019-datacenter-with-containers", "windows", "verified", ["DockerCompatible"]],
];

/** A stable sort key per image, which is also its paging cursor. */
export interface CatalogueEntry<T> {
  readonly key: string;
  readonly item: T;
}

export const supportedImages: readonly CatalogueEntry<ImageInformation>[] = entries
  .map(([nodeAgentSKUId, publisher, offer, sku, osType, verificationType, capabilities, endOfLife]) => {
    const item: ImageInformation = {
      nodeAgentSKUId,
      imageReference: { publisher, offer, sku, version: "latest" },
      osType,
      ...(capabilities.length > 0 ? { capabilities } : {}),
      ...(endOfLife === undefined ? {} : { batchSupportEndOfLife: endOfLife }),
      verificationType,
    };
    return { key: `${nodeAgentSKUId}|${publisher}|${offer}|${sku}`.toLowerCase(), item };
  })
  .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

/** The node agent SKUs the catalogue knows, for validating pools. */
export const nodeAgentSkuIds: ReadonlySet<string> = new Set(supportedImages.map((entry) => (entry.item.nodeAgentSKUId ?? "").toLowerCase()));
