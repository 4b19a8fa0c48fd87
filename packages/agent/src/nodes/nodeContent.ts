/**
 * What a node needs before it turns ready, beyond its directories: the pool's application packages
 * (applicationPackages.ts) and its container images (containers/prefetch.ts), and how its runs use containers.
 * What cannot be had becomes the node's `errors` (the server turns it `unusable`); other failures (the disk) are
 * thrown, and the node retries the step.
 */
import type { DesiredNode, NodeErrorReport } from "@openbatch/protocol";
import { removeNodeContainers } from "../containers/containerRun.js";
import { prefetchPoolImages } from "../containers/prefetch.js";
import type { RuntimeDetection } from "../containers/runtime.js";
import type { Logger } from "../log.js";
import { ApplicationPackageFailure, type ApplicationPackageInstaller } from "./applicationPackages.js";
import type { NodeContainers } from "./processLaunch.js";

/** Installs the pool's packages and pulls its images; the node's errors (empty: ready). */
export async function prepareNodeContent(
  installer: ApplicationPackageInstaller,
  containers: RuntimeDetection,
  applicationsDirectory: string,
  desired: DesiredNode,
  logger: Logger,
): Promise<NodeErrorReport[]> {
  try {
    await installer.install(applicationsDirectory, desired.applicationPackages);
  } catch (error) {
    if (!(error instanceof ApplicationPackageFailure)) throw error;
    const details = error.deployment === undefined ? [] : [{ name: "ApplicationId", value: error.deployment.applicationId }, { name: "Version", value: error.deployment.version }];
    logger.log("error", "a pool application package could not be installed; the node is unusable", { error });
    return [{ code: error.code, message: error.message, ...(details.length === 0 ? {} : { errorDetails: details }) }];
  }
  const imageErrors = await prefetchPoolImages(containers, desired.containerConfiguration);
  if (imageErrors.length > 0) logger.log("error", "the pool's container images could not be pulled; the node is unusable", { code: imageErrors[0]?.code, message: imageErrors[0]?.message });
  return imageErrors;
}

/** How the node's runs use containers. */
export function nodeContainers(containers: RuntimeDetection, desired: DesiredNode): NodeContainers {
  const registries = desired.containerConfiguration?.containerRegistries;
  return { detection: containers, ...(registries === undefined ? {} : { registries }), unrestricted: desired.unrestrictedContainerOptions === true };
}

/** Removes every container of a node (each run removes its own; this catches what a crash or a race left). */
export async function removeContainersOf(containers: RuntimeDetection, nodeRoot: string, logger: Logger): Promise<void> {
  if (containers.runtime === undefined) return;
  await removeNodeContainers(containers.runtime, nodeRoot).catch((error: unknown) => logger.log("error", "removing the node's containers failed", { error }));
}
