/**
 * The container runtime behind container pools and container tasks (docs/containers.md): podman first, docker where
 * it is installed instead, driven through its command line. Found and checked once when the agent starts
 * (`detectContainerRuntime`), reported to the server with the agent's facts and by `--probe-isolation`.
 *
 * `OPENBATCH_AGENT_CONTAINER_RUNTIME` chooses: `off` (no runtime: container pools and tasks are refused), `podman`
 * or `docker` (only that one), or the absolute path of a podman- or docker-compatible binary. Unset: podman, else
 * docker, from the agent's PATH. `OPENBATCH_AGENT_IMAGE_CHECK_TTL` (seconds, default 300; 0: every run pulls) is how
 * long a successful pull with a run's credentials lets later runs with the same credentials skip the pull
 * (checkedImages.ts).
 *
 * The runtime's commands get a small environment (`runtimeEnvironment`): what the runtime itself reads (PATH, HOME,
 * the XDG directories rootless podman needs, `CONTAINERS_*` and `DOCKER_*` configuration, proxies, the locale) and
 * nothing else of the agent's — its token in particular.
 */
import { execFile } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { basename, delimiter, isAbsolute, join } from "node:path";
import { containerRuntimeChoice } from "@openbatch/core";
import { CheckedImages } from "./checkedImages.js";

export type ContainerRuntimeName = "podman" | "docker";

export interface ContainerRuntime {
  readonly name: ContainerRuntimeName;
  /** The binary, an absolute path. */
  readonly binary: string;
  readonly version: string;
  /** Containers run in the agent user's user namespace (rootless podman or docker): no host root is ever involved. */
  readonly rootless: boolean;
  /** The environment every command of the runtime gets. */
  readonly environment: Readonly<Record<string, string>>;
  /** Pulls that vouch for later runs with the same credentials, for a while (checkedImages.ts). */
  readonly checkedImages: CheckedImages;
}

export type RuntimeDetection = { readonly runtime: ContainerRuntime } | { readonly runtime?: undefined; readonly reason: string };

const passed = new Set(["PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "LANG", "LANGUAGE", "TZ", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"]);

/** What of the agent's environment a runtime command gets (module comment). */
export function runtimeEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (passed.has(name) || name.startsWith("LC_") || name.startsWith("XDG_") || name.startsWith("CONTAINERS_") || name.startsWith("DOCKER_") || name === "REGISTRIES_CONFIG_PATH") {
      result[name] = value;
    }
  }
  result["PATH"] ??= "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  return result;
}

/** Whether a variable of a task cannot travel through the runtime's environment (the runtime reads it itself). */
export function isRuntimeVariable(name: string): boolean {
  return passed.has(name) || name.startsWith("LC_") || name.startsWith("XDG_") || name.startsWith("CONTAINERS_") || name.startsWith("DOCKER_") || name === "REGISTRIES_CONFIG_PATH";
}

export interface CommandResult {
  readonly ok: boolean;
  /** The exit code; undefined when the command could not run or was killed. */
  readonly code: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one command of the runtime to its end; never rejects. */
export function runtimeCommand(
  runtime: Pick<ContainerRuntime, "binary" | "environment">,
  args: readonly string[],
  options: { readonly env?: Readonly<Record<string, string>>; readonly timeoutInMs?: number; readonly signal?: AbortSignal } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      runtime.binary,
      [...args],
      {
        env: { ...runtime.environment, ...options.env },
        timeout: options.timeoutInMs ?? 120_000,
        maxBuffer: 16 * 1024 * 1024,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : undefined;
        resolve({ ok: error === null, code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** The runtime's own words for a failure: its last non-empty stderr line, without the `Error: ` prefix. */
export function runtimeMessage(result: CommandResult): string {
  const lines = `${result.stderr}\n${result.stdout}`.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  const last = lines.at(-1) ?? (result.code === undefined ? "the command did not finish" : `exit code ${result.code}`);
  return last.replace(/^Error: /, "");
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const directory of [...searchPath.split(delimiter), "/usr/bin", "/usr/local/bin", "/bin"]) {
    if (directory === "" || !isAbsolute(directory)) continue;
    if (await executable(join(directory, name))) return join(directory, name);
  }
  return undefined;
}

/** The default of OPENBATCH_AGENT_IMAGE_CHECK_TTL: long enough for a job's tasks to share a pull, short enough for a revoked credential to stop working soon. */
export const defaultImageCheckTtlInSeconds = 300;

async function check(name: ContainerRuntimeName, binary: string, environment: Record<string, string>, thorough: boolean, checkTtlInSeconds: number): Promise<RuntimeDetection> {
  const format = name === "podman" ? (thorough ? "{{.Version.Version}} {{.Host.Security.Rootless}}" : "{{.Client.Version}}") : thorough ? "{{.ServerVersion}} {{json .SecurityOptions}}" : "{{.Server.Version}}";
  const probe = await runtimeCommand({ binary, environment }, [thorough ? "info" : "version", "--format", format], { timeoutInMs: 60_000 });
  if (!probe.ok) return { reason: `${binary} does not work here (${runtimeMessage(probe)})` };
  const [version = "", ...rest] = probe.stdout.trim().split(" ");
  // Without `info`: podman is rootless exactly when it runs as another user than root; docker's daemon says it in `info` only.
  const rootless = thorough ? (name === "podman" ? rest[0] === "true" : rest.join(" ").includes("rootless")) : name === "podman" && process.getuid?.() !== 0;
  return { runtime: { name, binary, version, rootless, environment, checkedImages: new CheckedImages(checkTtlInSeconds * 1000) } };
}

/**
 * The runtime this agent can use, or why there is none (module comment). `thorough` asks the runtime for its full
 * state (`info`: storage, OCI runtime — half a second for podman), as the server's start-up probe does; agents
 * only ask for its version (a tenth of that), and a runtime that turns out broken fails the first pull or container.
 */
export async function detectContainerRuntime(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform, thorough = false): Promise<RuntimeDetection> {
  const choice = containerRuntimeChoice(env["OPENBATCH_AGENT_CONTAINER_RUNTIME"]);
  if ("off" in choice) return { reason: choice.off };
  if (platform !== "linux") return { reason: `the agent runs on ${platform}; container tasks need Linux` };
  const ttlText = env["OPENBATCH_AGENT_IMAGE_CHECK_TTL"];
  const checkTtl = ttlText === undefined || ttlText === "" ? defaultImageCheckTtlInSeconds : Number(ttlText);
  if (!Number.isFinite(checkTtl) || checkTtl < 0) return { reason: `OPENBATCH_AGENT_IMAGE_CHECK_TTL must be a number of seconds (0 or more), not '${ttlText ?? ""}'` };
  const environment = runtimeEnvironment(env);
  const reasons: string[] = [];
  for (const candidate of choice.candidates) {
    const binary = isAbsolute(candidate) ? ((await executable(candidate)) ? candidate : undefined) : await findOnPath(candidate, environment["PATH"] ?? "");
    if (binary === undefined) {
      reasons.push(`${candidate} is not ${isAbsolute(candidate) ? "an executable" : "installed"}`);
      continue;
    }
    const found = await check(basename(binary).includes("docker") ? "docker" : "podman", binary, environment, thorough, checkTtl);
    if (found.runtime !== undefined) return found;
    reasons.push(found.reason);
  }
  return { reason: reasons.join("; ") };
}
