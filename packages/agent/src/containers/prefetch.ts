/**
 * A container pool's images on a node being prepared (`containerConfiguration.containerImageNames`), pulled before
 * the node turns idle, as Azure does. What goes wrong becomes the node's `errors`, which make it `unusable`
 * (semantics.md: container download failures are not recovered; a reboot or reimage tries again):
 * `ContainerInvalidImage` / `ContainerInvalidRegistry` for a pull (images.ts), with the image and the runtime's
 * message in `errorDetails`; `ContainerRuntimeNotAvailable` (OpenBatch's code) for an agent without a runtime — a
 * remote agent joined to a container pool; the server refuses such pools where it starts the agents itself.
 */
import type { ContainerConfiguration, NodeErrorReport } from "@openbatch/protocol";
import { credentialsFor, ensureImage, ImageError, qualifyOrFail } from "./images.js";
import type { RuntimeDetection } from "./runtime.js";

export async function prefetchPoolImages(detection: RuntimeDetection, configuration: ContainerConfiguration | undefined, signal?: AbortSignal): Promise<NodeErrorReport[]> {
  if (configuration === undefined) return [];
  const runtime = detection.runtime;
  if (runtime === undefined) {
    return [{ code: "ContainerRuntimeNotAvailable", message: `The pool runs containers, and this node's agent has no container runtime: ${detection.reason}.` }];
  }
  for (const imageName of configuration.containerImageNames ?? []) {
    try {
      const qualified = qualifyOrFail(imageName);
      await ensureImage(runtime, qualified, credentialsFor(qualified, undefined, configuration.containerRegistries), signal);
    } catch (error) {
      if (!(error instanceof ImageError)) throw error;
      return [{ code: error.code, message: error.message, errorDetails: [{ name: "ImageName", value: imageName }, { name: "Message", value: error.detail }] }];
    }
  }
  return [];
}
