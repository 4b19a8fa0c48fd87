/**
 * Format rules of the pool configuration OpenBatch records but does not act on (its nodes are directories on this
 * machine): what the service refuses of it is refused here too, so code that passes here passes there
 * (issue #14 item 2). Each refusal is 400 `InvalidPropertyValue` naming the property (docs/compatibility.md):
 *
 * - ARM ids (armIds.ts) in the account's subscription: `networkConfiguration.subnetId`,
 *   `imageReference.virtualMachineImageId`, `publicIPAddressConfiguration.ipAddressIds` (only with `usermanaged`
 *   provisioning, which needs them), `serviceArtifactReference.id`;
 * - `endpointConfiguration` (endpointRules.ts);
 * - data disks with distinct `lun`s and a positive `diskSizeGB`; an OS disk's `diskSizeGB` positive;
 * - disk encryption on a Linux pool only of the temporary disk, and not with a custom (gallery) image;
 * - extensions with non-empty, unique names whose `provisionAfterExtensions` name other extensions of the pool;
 * - `securityProfile.uefiSettings` only with a `securityType`;
 * - `licenseType` `Windows_Server` or `Windows_Client`;
 * - an upgrade policy's `pauseTimeBetweenBatches` an ISO 8601 duration, and `maxBatchInstancePercent` at most
 *   `maxUnhealthyInstancePercent`.
 * Pure.
 */
import { parseDuration } from "@openbatch/core";
import type { NetworkConfiguration, PoolAddParameter, UpgradePolicy, VirtualMachineConfiguration } from "@openbatch/protocol";
import { armForms, checkArmId, invalidArmProperty, type ArmContext } from "./armIds.js";
import { checkEndpointConfiguration } from "./endpointRules.js";

function fail(name: string, path: string, value: unknown, reason: string): never {
  throw invalidArmProperty(name, path, typeof value === "string" ? value : JSON.stringify(value), reason);
}

function isWindows(vm: VirtualMachineConfiguration): boolean {
  return vm.nodeAgentSKUId.toLowerCase().includes("windows") || vm.windowsConfiguration !== undefined;
}

function checkVirtualMachine(vm: VirtualMachineConfiguration | undefined, context: ArmContext): void {
  if (vm === undefined) return;
  const path = "virtualMachineConfiguration";
  const imageId = vm.imageReference.virtualMachineImageId;
  if (imageId !== undefined && imageId !== "") {
    checkArmId(imageId, armForms.image, "virtualMachineImageId", `${path}.imageReference.virtualMachineImageId`, context, "resource id");
  }
  const luns = new Set<number>();
  for (const [index, disk] of (vm.dataDisks ?? []).entries()) {
    if (luns.has(disk.lun)) fail("lun", `${path}.dataDisks[${index}].lun`, String(disk.lun), "Each data disk must have a distinct lun.");
    luns.add(disk.lun);
    if (disk.diskSizeGB < 1) fail("diskSizeGB", `${path}.dataDisks[${index}].diskSizeGB`, String(disk.diskSizeGB), "The disk size must be at least 1 GB.");
  }
  if (vm.osDisk?.diskSizeGB !== undefined && vm.osDisk.diskSizeGB < 1) {
    fail("diskSizeGB", `${path}.osDisk.diskSizeGB`, String(vm.osDisk.diskSizeGB), "The disk size must be at least 1 GB.");
  }
  const targets = vm.diskEncryptionConfiguration?.targets ?? [];
  if (targets.length > 0 && !isWindows(vm)) {
    if (targets.some((target) => target !== "temporarydisk")) {
      fail("targets", `${path}.diskEncryptionConfiguration.targets`, targets, "On a Linux pool only TemporaryDisk can be encrypted.");
    }
    if (imageId !== undefined) {
      fail("diskEncryptionConfiguration", `${path}.diskEncryptionConfiguration`, targets, "Disk encryption is not supported on a Linux pool created with a Shared Image Gallery image.");
    }
  }
  const names = new Set<string>();
  const extensions = vm.extensions ?? [];
  for (const [index, extension] of extensions.entries()) {
    const extensionPath = `${path}.extensions[${index}]`;
    for (const field of ["name", "publisher", "type"] as const) {
      if (extension[field].trim() === "") fail(field, `${extensionPath}.${field}`, extension[field], `The extension's ${field} must not be empty.`);
    }
    if (names.has(extension.name.toLowerCase())) fail("name", `${extensionPath}.name`, extension.name, "The names of a pool's extensions must be unique.");
    names.add(extension.name.toLowerCase());
  }
  for (const [index, extension] of extensions.entries()) {
    for (const [after, name] of (extension.provisionAfterExtensions ?? []).entries()) {
      if (name.toLowerCase() === extension.name.toLowerCase() || !names.has(name.toLowerCase())) {
        fail("provisionAfterExtensions", `${path}.extensions[${index}].provisionAfterExtensions[${after}]`, name, "provisionAfterExtensions must name other extensions of the pool.");
      }
    }
  }
  const security = vm.securityProfile;
  if (security?.uefiSettings !== undefined && security.securityType === undefined) {
    fail("uefiSettings", `${path}.securityProfile.uefiSettings`, security.uefiSettings, "securityType must be set to enable uefiSettings.");
  }
  if (vm.licenseType !== undefined && !["windows_server", "windows_client"].includes(vm.licenseType.toLowerCase())) {
    fail("licenseType", `${path}.licenseType`, vm.licenseType, "The license type must be Windows_Server or Windows_Client.");
  }
  if (vm.serviceArtifactReference !== undefined) {
    checkArmId(vm.serviceArtifactReference.id, armForms.serviceArtifact, "id", `${path}.serviceArtifactReference.id`, context, "serviceArtifactReference id");
  }
}

function checkNetwork(network: NetworkConfiguration | undefined, context: ArmContext): void {
  if (network === undefined) return;
  const path = "networkConfiguration";
  if (network.subnetId !== undefined) checkArmId(network.subnetId, armForms.subnet, "subnetId", `${path}.subnetId`, context);
  const publicIPs = network.publicIPAddressConfiguration;
  if (publicIPs !== undefined) {
    const ids = publicIPs.ipAddressIds ?? [];
    const provision = publicIPs.provision ?? "batchmanaged";
    if (provision === "usermanaged" && ids.length === 0) {
      fail("ipAddressIds", `${path}.publicIPAddressConfiguration.ipAddressIds`, ids, "User-managed public IP addresses need ipAddressIds.");
    }
    if (provision !== "usermanaged" && ids.length > 0) {
      fail("ipAddressIds", `${path}.publicIPAddressConfiguration.ipAddressIds`, ids, "ipAddressIds can only be given with provision userManaged.");
    }
    for (const [index, id] of ids.entries()) {
      checkArmId(id, armForms.publicIPAddress, "ipAddressIds", `${path}.publicIPAddressConfiguration.ipAddressIds[${index}]`, context, "public IP address id");
    }
  }
  checkEndpointConfiguration(network.endpointConfiguration, `${path}.endpointConfiguration`);
}

function checkUpgradePolicy(policy: UpgradePolicy | undefined): void {
  const rolling = policy?.rollingUpgradePolicy;
  if (rolling === undefined) return;
  const path = "upgradePolicy.rollingUpgradePolicy";
  if (rolling.pauseTimeBetweenBatches !== undefined && parseDuration(rolling.pauseTimeBetweenBatches) === undefined) {
    fail("pauseTimeBetweenBatches", `${path}.pauseTimeBetweenBatches`, rolling.pauseTimeBetweenBatches, "The pause must be an ISO 8601 duration, such as PT5S.");
  }
  const batch = rolling.maxBatchInstancePercent;
  const unhealthy = rolling.maxUnhealthyInstancePercent;
  if (batch !== undefined && unhealthy !== undefined && batch > unhealthy) {
    fail("maxBatchInstancePercent", `${path}.maxBatchInstancePercent`, String(batch), "maxBatchInstancePercent must not be more than maxUnhealthyInstancePercent.");
  }
}

/** The rules above, for a pool added directly or from an auto pool specification. */
export function checkPoolConfiguration(pool: PoolAddParameter, context: ArmContext): void {
  checkVirtualMachine(pool.virtualMachineConfiguration, context);
  checkNetwork(pool.networkConfiguration, context);
  checkUpgradePolicy(pool.upgradePolicy);
}
