/**
 * What the compute providers can honour of a pool's configuration. Everything a pool asks for is either applied in
 * the closest real way, recorded (and returned) where it has no local meaning, or refused here with 400 naming the
 * field — never silently dropped.
 *
 * Every provider runs Linux nodes as directories and processes of an OpenBatch agent (on this machine, on a joined
 * host or in a Slurm pilot job), so they all refuse Windows images, retired cloud-service pools and file-system
 * mounts; container pools are refused where the nodes will have no container runtime (local agents: the start-up
 * probe, security/taskIsolation.ts; a remote agent reports its own and makes its nodes unusable without one); VM
 * details such as data disks, extensions, OS disk and security profiles are recorded and returned as given.
 */
import { maxTaskSlots, propertyDetails, serviceError, vmSizeInfo } from "@openbatch/core";
import type { PoolAddParameter } from "@openbatch/protocol";
import { supportedImages } from "../catalogue/supportedImages.js";
import { checkContainerConfiguration } from "../services/containerRules.js";

function refuse(property: string, reason: string) {
  return serviceError("InvalidPropertyValue", {
    message: `The value provided for the property '${property}' is invalid. ${reason}`,
    values: propertyDetails(property, reason),
  });
}

/** Whether the nodes will have a container runtime, and why not. */
export interface ContainerRuntimeAvailability {
  readonly available: boolean;
  readonly reason?: string;
}

export function checkLocalPoolCapabilities(pool: PoolAddParameter, containers: ContainerRuntimeAvailability = { available: false, reason: "none was found" }): void {
  const size = vmSizeInfo(pool.vmSize);
  if (size === undefined) throw refuse("vmSize", `'${pool.vmSize}' is not a VM size this server knows (for example Standard_D2s_v3).`);
  const slots = pool.taskSlotsPerNode ?? 1;
  if (slots > maxTaskSlots(size)) {
    throw refuse("taskSlotsPerNode", `A ${size.name} node (${size.cores} cores) allows at most ${maxTaskSlots(size)} task slots.`);
  }
  if (pool.cloudServiceConfiguration !== undefined) {
    throw refuse("cloudServiceConfiguration", "Cloud service pools are retired; use virtualMachineConfiguration.");
  }
  const vm = pool.virtualMachineConfiguration;
  if (vm !== undefined) {
    const sku = vm.nodeAgentSKUId.toLowerCase();
    const image = supportedImages.find((entry) => (entry.item.nodeAgentSKUId ?? "").toLowerCase() === sku);
    if (image === undefined) {
      throw refuse("virtualMachineConfiguration.nodeAgentSKUId", `'${vm.nodeAgentSKUId}' is not a node agent SKU of this server (see list supported images).`);
    }
    if (image.item.osType === "windows" || vm.windowsConfiguration !== undefined) {
      throw refuse("virtualMachineConfiguration.nodeAgentSKUId", "OpenBatch nodes run Linux only.");
    }
    checkContainerConfiguration(vm.containerConfiguration, containers);
  }
  if (pool.mountConfiguration !== undefined && pool.mountConfiguration.length > 0) {
    throw refuse("mountConfiguration", "OpenBatch cannot mount file systems on its nodes.");
  }
}
