/**
 * Container images on a node: pulled before a container runs, and for a pool's `containerImageNames` while its
 * node prepares (docs/containers.md) — with the run's own credentials (`ensureImage`), unless a pull with the same
 * credentials vouched for the image a short while ago (checkedImages.ts). The run's container is then made from the
 * image ID that pull gave, never from the name, which another account's pull may have moved in between.
 *
 * Names are qualified as docker reads them (core `qualifiedImageName`: `busybox` is `docker.io/library/busybox:latest`),
 * so the runtime's own short-name rules never decide where an image comes from. Credentials come from the task's
 * `containerSettings.registry`, else from the pool's `containerRegistries` entry for the image's registry
 * (`registryServer`, default `docker.io`). They reach the runtime in a private auth file (podman `--authfile`, docker
 * `DOCKER_CONFIG`) that lives only for the pull, never on a command line. Plain-HTTP registries must be declared
 * insecure in the runtime's own configuration (registries.conf, daemon.json): the agent never turns TLS checks off.
 *
 * A failed pull is an ImageError with Azure's failure code: `ContainerInvalidRegistry` when the registry refused
 * the credentials (or asked for some), `ContainerInvalidImage` otherwise (no such image, unreachable registry).
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { imageRegistry, qualifiedImageName } from "@openbatch/core";
import type { ContainerRegistry } from "@openbatch/protocol";
import { runtimeCommand, runtimeMessage, type ContainerRuntime } from "./runtime.js";

export type ImageErrorCode = "ContainerInvalidImage" | "ContainerInvalidRegistry";

export class ImageError extends Error {
  override readonly name = "ImageError";
  constructor(
    readonly code: ImageErrorCode,
    readonly imageName: string,
    message: string,
    /** The runtime's own message. */
    readonly detail: string,
  ) {
    super(message);
  }
}

const dockerHubAliases = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "https://index.docker.io/v1/"]);

function registryKey(server: string): string {
  const bare = server.replace(/^https?:\/\//, "").replace(/\/+$/, "").toLowerCase();
  return dockerHubAliases.has(bare) || dockerHubAliases.has(server) ? "docker.io" : bare;
}

/** The credentials for `qualified`: the task's registry when it serves the image, else the pool's entry for its registry. */
export function credentialsFor(qualified: string, taskRegistry: ContainerRegistry | undefined, poolRegistries: readonly ContainerRegistry[] | undefined): ContainerRegistry | undefined {
  const server = registryKey(imageRegistry(qualified));
  const serves = (registry: ContainerRegistry): boolean => registryKey(registry.registryServer ?? "docker.io") === server && registry.username !== undefined;
  if (taskRegistry !== undefined && serves(taskRegistry)) return taskRegistry;
  return (poolRegistries ?? []).find(serves);
}

/** The qualified name, or an ImageError for a name no registry could serve. */
export function qualifyOrFail(imageName: string): string {
  const qualified = qualifiedImageName(imageName);
  if (qualified === undefined) throw new ImageError("ContainerInvalidImage", imageName, `The container image name '${imageName}' is not a valid image reference.`, "invalid reference format");
  return qualified;
}

/** What a pull with these credentials (or none) of this image is remembered under: a hash, so no password is kept. */
export function checkKey(qualified: string, registry: ContainerRegistry | undefined): string {
  const credentials = registry?.username === undefined ? ["anonymous"] : [registryKey(registry.registryServer ?? "docker.io"), registry.username, registry.password ?? ""];
  return createHash("sha256").update([qualified, ...credentials].join("\0")).digest("hex");
}

const imageIdPattern = /^(sha256:)?[0-9a-f]{64}$/;

/** Pulls `qualified` with `registry`'s credentials (if any) and returns the image ID it gave. Throws ImageError. */
export async function pullImage(runtime: ContainerRuntime, qualified: string, registry: ContainerRegistry | undefined, signal?: AbortSignal): Promise<string> {
  let scratch: string | undefined;
  const args = ["pull", "--quiet"];
  const env: Record<string, string> = {};
  try {
    if (registry?.username !== undefined) {
      scratch = await mkdtemp(join(tmpdir(), "openbatch-registry-"));
      const auth = Buffer.from(`${registry.username}:${registry.password ?? ""}`).toString("base64");
      const server = imageRegistry(qualified);
      const auths: Record<string, { auth: string }> = { [server]: { auth } };
      if (registryKey(server) === "docker.io") auths["https://index.docker.io/v1/"] = { auth };
      // mkdtemp makes the directory 0700; the file is the agent's alone too.
      await writeFile(join(scratch, runtime.name === "podman" ? "auth.json" : "config.json"), JSON.stringify({ auths }), { mode: 0o600 });
      if (runtime.name === "podman") args.push("--authfile", join(scratch, "auth.json"));
      else env["DOCKER_CONFIG"] = scratch;
    }
    args.push(qualified);
    const result = await runtimeCommand(runtime, args, { env, timeoutInMs: 30 * 60_000, ...(signal === undefined ? {} : { signal }) });
    if (result.ok) return await pulledImageId(runtime, qualified, result.stdout);
    const detail = runtimeMessage(result);
    if (/unauthori[sz]ed|authentication required|denied|401|403/i.test(detail) && !/manifest unknown|not found/i.test(detail)) {
      throw new ImageError("ContainerInvalidRegistry", qualified, `The registry ${imageRegistry(qualified)} refused to serve the image '${qualified}'${registry === undefined ? " without credentials" : " with the given credentials"}.`, detail);
    }
    throw new ImageError("ContainerInvalidImage", qualified, `The container image '${qualified}' could not be pulled.`, detail);
  } finally {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

/** podman's `pull --quiet` prints the image ID; docker's prints the name, so docker is asked. */
async function pulledImageId(runtime: ContainerRuntime, qualified: string, stdout: string): Promise<string> {
  const printed = stdout.trim().split("\n").at(-1)?.trim() ?? "";
  if (imageIdPattern.test(printed)) return printed;
  const inspected = await runtimeCommand(runtime, ["image", "inspect", "--format", "{{.Id}}", qualified], { timeoutInMs: 60_000 });
  const id = inspected.stdout.trim();
  if (!inspected.ok || !imageIdPattern.test(id)) {
    throw new ImageError("ContainerInvalidImage", qualified, `The container image '${qualified}' was pulled, and the runtime did not say which image it is.`, runtimeMessage(inspected));
  }
  return id;
}

export interface PresentImage {
  /** The image ID to make the container from. */
  readonly imageId: string;
  /** Vouched for by an earlier pull with the same credentials (checkedImages.ts), not pulled now. */
  readonly remembered: boolean;
}

/**
 * Makes `qualified` present for a run, pulled with that run's credentials — also when the image is already in the
 * host's store: the store is shared by every account's nodes on the host, and an image another account pulled with
 * its credentials must not be usable without them. A pull of an image that is up to date asks the registry for its
 * manifest only, and a pull with the same credentials in the last `runtime.checkedImages.ttlInMs` is enough
 * (`remembered`; `fresh` skips that, for a run whose remembered image turned out gone). Throws ImageError.
 */
export async function ensureImage(runtime: ContainerRuntime, qualified: string, registry: ContainerRegistry | undefined, signal?: AbortSignal, fresh = false): Promise<PresentImage> {
  const key = checkKey(qualified, registry);
  const remembered = fresh ? undefined : runtime.checkedImages.get(key);
  if (remembered !== undefined) return { imageId: remembered, remembered: true };
  const imageId = await pullImage(runtime, qualified, registry, signal);
  runtime.checkedImages.remember(key, imageId);
  return { imageId, remembered: false };
}

/** The image a remembered pull gave is gone from the store: the next run pulls. */
export function forgetImage(runtime: ContainerRuntime, qualified: string, registry: ContainerRegistry | undefined): void {
  runtime.checkedImages.forget(checkKey(qualified, registry));
}
