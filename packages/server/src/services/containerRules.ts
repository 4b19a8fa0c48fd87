/**
 * What pools and tasks may ask of containers (docs/containers.md), checked when they are added so that a
 * specification that cannot work is a 400 naming the property:
 *
 * - `containerSettings` (tasks, job manager, preparation, release and start tasks): `imageName` a valid image
 *   reference (docker's grammar; `-…` could pass for an option), `registry.identityReference` refused (nodes have
 *   no managed identities), `containerRunOptions` parsed and checked (core containerRunOptions.ts) — options that
 *   reach outside the container only for accounts the server lets use them (`unrestrictedContainerAccounts`);
 * - `containerConfiguration` (pools): only where the nodes will have a container runtime (the local agents' probe,
 *   providers/poolCapabilities.ts), valid image names, registries without identityReference, and a password with
 *   every user name.
 * The agent checks all of it again before it runs anything.
 */
import { checkContainerRunOptions, ContainerOptionsError, propertyDetails, qualifiedImageName, serviceError } from "@openbatch/core";
import type { ContainerConfiguration, ContainerRegistry, JobSpecification, TaskContainerSettings } from "@openbatch/protocol";

export interface ContainerPolicy {
  /** Accounts whose tasks may use every containerRunOptions (privileged, host namespaces, devices, host paths). */
  readonly unrestrictedAccounts: ReadonlySet<string>;
}

export const restrictedContainers: ContainerPolicy = { unrestrictedAccounts: new Set() };

function invalid(property: string, reason: string, value?: unknown) {
  return serviceError("InvalidPropertyValue", {
    message: `The value provided for the property '${property}' is invalid. ${reason}`,
    values: propertyDetails(property, reason, value),
  });
}

function unsupported(property: string, reason: string) {
  return serviceError("UnsupportedProperty", { message: `${property}: ${reason}`, values: propertyDetails(property, reason) });
}

function checkImageName(imageName: string, property: string): void {
  if (qualifiedImageName(imageName) === undefined) {
    throw invalid(property, "The image name must be a container image reference such as 'ubuntu:22.04' or 'myregistry.azurecr.io/tools/app:1.2'.", imageName);
  }
}

function checkRegistry(registry: ContainerRegistry | undefined, property: string): void {
  if (registry === undefined) return;
  if (registry.identityReference !== undefined) {
    throw unsupported(`${property}.identityReference`, "Managed identities are not supported by OpenBatch nodes; give the registry's username and password.");
  }
  if ((registry.username === undefined) !== (registry.password === undefined)) {
    throw invalid(property, "A registry needs both username and password, or neither.");
  }
  if (registry.registryServer !== undefined && !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(registry.registryServer.replace(/^https?:\/\//, "").replace(/\/+$/, ""))) {
    throw invalid(`${property}.registryServer`, "The registry server must be a host name, optionally with a port.", registry.registryServer);
  }
}

/** A task's (or job manager's, preparation's, release or start task's) containerSettings. */
export function checkContainerSettings(settings: TaskContainerSettings | undefined, property: string, account: string | undefined, policy: ContainerPolicy): void {
  if (settings === undefined) return;
  checkImageName(settings.imageName, `${property}.imageName`);
  checkRegistry(settings.registry, `${property}.registry`);
  // Where the account is not known here (a pool's start task), only what no account may use is refused now; the
  // node refuses the rest for accounts that may not use it.
  const unrestricted = account === undefined || policy.unrestrictedAccounts.has(account);
  try {
    checkContainerRunOptions(settings.containerRunOptions, { unrestricted });
  } catch (error) {
    if (error instanceof ContainerOptionsError) throw invalid(`${property}.containerRunOptions`, error.message, settings.containerRunOptions);
    throw error;
  }
  const sources = new Set<string>();
  for (const [index, mount] of (settings.containerHostBatchBindMounts ?? []).entries()) {
    if (mount.source === undefined) throw invalid(`${property}.containerHostBatchBindMounts[${index}].source`, "Name the node directory to mount.");
    if (sources.has(mount.source)) throw invalid(`${property}.containerHostBatchBindMounts[${index}].source`, `${mount.source} is mounted twice.`);
    sources.add(mount.source);
  }
}

/** A pool's containerConfiguration; `runtime` says whether its nodes will have a container runtime, and why not. */
export function checkContainerConfiguration(configuration: ContainerConfiguration | undefined, runtime: { readonly available: boolean; readonly reason?: string }): void {
  if (configuration === undefined) return;
  const property = "virtualMachineConfiguration.containerConfiguration";
  if (!runtime.available) throw invalid(property, `The nodes of this server have no container runtime${runtime.reason === undefined ? "" : ` (${runtime.reason})`}; see docs/containers.md.`);
  for (const [index, imageName] of (configuration.containerImageNames ?? []).entries()) checkImageName(imageName, `${property}.containerImageNames[${index}]`);
  for (const [index, registry] of (configuration.containerRegistries ?? []).entries()) checkRegistry(registry, `${property}.containerRegistries[${index}]`);
}

/** The containerSettings of a job's manager, preparation and release tasks. */
export function checkJobContainerSettings(job: JobSpecification, account: string | undefined, policy: ContainerPolicy): void {
  checkContainerSettings(job.jobManagerTask?.containerSettings, "jobManagerTask.containerSettings", account, policy);
  checkContainerSettings(job.jobPreparationTask?.containerSettings, "jobPreparationTask.containerSettings", account, policy);
  checkContainerSettings(job.jobReleaseTask?.containerSettings, "jobReleaseTask.containerSettings", account, policy);
}
